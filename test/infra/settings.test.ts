import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../functions/core/config.ts";
import { MissingHandlerError, resolveFunctionEntries } from "../../infra/constructs/function-entries.ts";
import { checkEnvironmentSize } from "../../infra/constructs/logsieve-function.ts";
import { readQueryFiles } from "../../infra/constructs/named-queries.ts";
import { hoursToBackstopDays, monthsToDays, readSettings } from "../../infra/constructs/settings.ts";
import { FIXTURE_ENTRIES, FIXTURES, ROOT } from "./helpers/synth.ts";

const context =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

describe("CDK context settings", () => {
  it("defaults to eu-central-1 and the project's configuration defaults", () => {
    // Act
    const s = readSettings(context({}));

    // Assess
    expect(s.deploy.region).toBe("eu-central-1");
    expect(s.config.anonymize).toEqual({ ipv4Prefix: 24, ipv6Prefix: 48 });
    expect(s.config.k).toBe(5);
    expect(s.config.retention.securityHours).toBe(168);
    expect(s.config.consent.honorGpc).toBe(true);
  });

  it("takes the config as an object or as JSON from the command line, and sites as a comma list", () => {
    // Act
    const fromJson = readSettings(
      context({
        "logsieve:config": '{"k":9,"anonymize":{"ipv4Prefix":16}}',
        "logsieve:sites": "A.example, b.example",
      }),
    );

    // Assess
    expect(fromJson.config.k).toBe(9);
    expect(fromJson.config.anonymize.ipv4Prefix).toBe(16);
    expect(fromJson.config.sites).toEqual(["a.example", "b.example"]);
  });

  it("a bad configuration value fails, naming the setting", () => {
    // Act
    const attempt = () =>
      readSettings(
        context({ "logsieve:config": { retention: { securityHours: 200 }, anonymize: { ipv6Prefix: 129 } } }),
      );

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/retention\.securityHours/);
    expect(attempt).toThrow(/anonymize\.ipv6Prefix/);
  });

  it("a bad deployment setting fails, naming its context key", () => {
    // Act
    const attempt = () =>
      readSettings(context({ "logsieve:region": "Frankfurt", "logsieve:alarmEmail": "not-an-address" }));

    // Assess
    expect(attempt).toThrow(/logsieve:region/);
    expect(attempt).toThrow(/logsieve:alarmEmail/);
  });

  it("lifecycle backstops never undercut the promise: hours round up to days, months to mean days", () => {
    // Assess
    expect(hoursToBackstopDays(168)).toBe(7);
    expect(hoursToBackstopDays(169)).toBe(8);
    expect(hoursToBackstopDays(48)).toBe(2);
    expect(monthsToDays(25)).toBe(761);
  });
});

describe("handler entries", () => {
  it("resolves existing entries to absolute paths", () => {
    // Act
    const entries = resolveFunctionEntries(ROOT, FIXTURE_ENTRIES);

    // Assess
    expect(entries.collect).toBe(resolve(ROOT, "test/fixtures/infra/handlers/collect.ts"));
  });

  it("names every missing handler in one error instead of deploying nothing", () => {
    // Act
    const attempt = () =>
      resolveFunctionEntries(ROOT, { ...FIXTURE_ENTRIES, sweep: "nope/sweep.ts", ingest: "nope/ingest.ts" });

    // Assess
    expect(attempt).toThrow(MissingHandlerError);
    expect(attempt).toThrow(/ingest: .*nope\/ingest\.ts[\s\S]*sweep: .*nope\/sweep\.ts/);
  });

  it("refuses an environment over Lambda's 4 KiB limit", () => {
    // Act
    const attempt = () => checkEnvironmentSize("ingest", { LOGSIEVE_CONFIG: "x".repeat(4100) });

    // Assess
    expect(attempt).toThrow(/ingest.*4096-byte limit/);
  });
});

describe("named queries", () => {
  it("maps each area to its workgroup and takes the first comment as description", () => {
    // Act
    const files = readQueryFiles(join(FIXTURES, "queries"));

    // Assess
    expect(files.map((f) => [f.name, f.audience, f.description])).toEqual([
      ["cli.ping", "marketing", "logsieve cli query"],
      ["dashboard.visitors", "marketing", "Visitors per day for the dashboard."],
      ["security.top-talkers", "security", "Top talkers in the security window."],
    ]);
  });

  it("fails synth on a file without a known area, naming it", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "logsieve-queries-"));
    writeFileSync(join(dir, "adhoc.sql"), "SELECT 1");

    // Act
    const attempt = () => readQueryFiles(dir);

    // Assess
    expect(attempt).toThrow(/queries\/adhoc\.sql has no known area prefix/);
  });

  it("accepts every file of the project's queries/ folder", () => {
    // Act
    const files = readQueryFiles(join(ROOT, "queries"));

    // Assess
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(["marketing", "security", "pipeline"]).toContain(f.audience);
  });
});
