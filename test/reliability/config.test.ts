import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCollectorSettings } from "../../functions/core/collect/settings.ts";
import { ConfigError, parseConfig } from "../../functions/core/config.ts";
import { AWS_ENV, configFromEnv } from "../../functions/runtime/env.ts";
import { type CommandResult, runCommand } from "../helpers/run-command.ts";

/**
 * Every invalid setting is refused with an error naming the setting, before anything is processed: by parseConfig
 * (the one validation every entry point uses), by the collector's settings, by the AWS wiring (the configuration
 * arrives as JSON in an environment variable), and by the `logsieve` command, which must exit with status 2 and
 * leave no lake behind: not a file, not even the folder.
 */

const ROOT = new URL("../../", import.meta.url);

/** Invalid configurations: the setting each must name, and a word of the explanation. */
const INVALID: readonly { name: string; config: unknown; setting: string; says: RegExp }[] = [
  {
    name: "IPv4 prefix above 32",
    config: { anonymize: { ipv4Prefix: 33 } },
    setting: "anonymize.ipv4Prefix",
    says: /32/,
  },
  {
    name: "IPv4 prefix negative",
    config: { anonymize: { ipv4Prefix: -1 } },
    setting: "anonymize.ipv4Prefix",
    says: /0/,
  },
  {
    name: "IPv4 prefix not whole",
    config: { anonymize: { ipv4Prefix: 24.5 } },
    setting: "anonymize.ipv4Prefix",
    says: /int/i,
  },
  {
    name: "IPv4 prefix as text",
    config: { anonymize: { ipv4Prefix: "24" } },
    setting: "anonymize.ipv4Prefix",
    says: /number/,
  },
  {
    name: "IPv6 prefix above 128",
    config: { anonymize: { ipv6Prefix: 129 } },
    setting: "anonymize.ipv6Prefix",
    says: /128/,
  },
  {
    name: "negative events retention",
    config: { retention: { eventsDays: -1 } },
    setting: "retention.eventsDays",
    says: /0/,
  },
  {
    name: "zero stats retention",
    config: { retention: { statsMonths: 0 } },
    setting: "retention.statsMonths",
    says: /0/,
  },
  {
    name: "negative security retention",
    config: { retention: { securityHours: -24 } },
    setting: "retention.securityHours",
    says: /0/,
  },
  {
    name: "salts kept over 48 hours",
    config: { retention: { saltHours: 49 } },
    setting: "retention.saltHours",
    says: /48/,
  },
  {
    name: "security zone over 7 days",
    config: { retention: { securityHours: 169 } },
    setting: "retention.securityHours",
    says: /allowRawBeyond7Days/,
  },
  {
    name: "raw logs over 7 days",
    config: { retention: { incomingHours: 24 * 30 } },
    setting: "retention.incomingHours",
    says: /168 hours/,
  },
  {
    name: "rejects over 7 days",
    config: { retention: { rejectsHours: 200 } },
    setting: "retention.rejectsHours",
    says: /7 days/,
  },
  { name: "k of 1", config: { k: 1 }, setting: "k", says: /2/ },
  { name: "k of 0", config: { k: 0 }, setting: "k", says: /2/ },
  { name: "k not whole", config: { k: 2.5 }, setting: "k", says: /int/i },
  {
    name: "unknown top-level key",
    config: { sitez: ["example.com"] },
    setting: "(top level)",
    says: /sitez/,
  },
  {
    name: "unknown nested key",
    config: { retention: { securityHourz: 24 } },
    setting: "retention",
    says: /securityHourz/,
  },
  {
    name: "key in the wrong case",
    config: { anonymize: { ipv4prefix: 16 } },
    setting: "anonymize",
    says: /ipv4prefix/,
  },
  {
    name: "site that is no host name",
    config: { sites: ["exa mple.com"] },
    setting: "sites.0",
    says: /host name/,
  },
  { name: "sites as text", config: { sites: "example.com" }, setting: "sites", says: /array/ },
  {
    name: "trusted proxy that is no address",
    config: { trustedProxies: ["proxy.internal"] },
    setting: "trustedProxies.0",
    says: /CIDR/,
  },
  {
    name: "unknown consent tier",
    config: { consent: { logDefaultTier: "maybe" } },
    setting: "consent.logDefaultTier",
    says: /statistics/,
  },
  {
    name: "a secret kept as a query parameter",
    config: { scrub: { allowedQueryParams: ["lang", "PHPSESSID"] } },
    setting: "scrub.allowedQueryParams.1",
    says: /sessions, tokens or credentials/,
  },
  {
    name: "a click id allowed as a query parameter",
    config: { scrub: { allowedQueryParams: ["gclid"] } },
    setting: "scrub.allowedQueryParams.0",
    says: /marketing consent/,
  },
  {
    name: "a path pattern that is no path",
    config: { scrub: { allowedPaths: ["product/*"] } },
    setting: "scrub.allowedPaths.0",
    says: /path pattern/,
  },
  {
    name: "a per-site path pattern with markup",
    config: { sites: ["example.com"], siteSettings: { "example.com": { allowedPaths: ["/<b>/*"] } } },
    setting: "siteSettings.example.com.allowedPaths.0",
    says: /path pattern/,
  },
  {
    name: "settings for a site that is not configured",
    config: { sites: ["example.com"], siteSettings: { "shop.example.com": { aliases: [] } } },
    setting: "siteSettings.shop.example.com",
    says: /not in sites/,
  },
  {
    name: "an alias that is itself a site",
    config: { sites: ["a.example", "b.example"], siteSettings: { "a.example": { aliases: ["b.example"] } } },
    setting: "siteSettings.a.example.aliases.0",
    says: /already names the site b\.example/,
  },
  {
    name: "an alias of two sites",
    config: {
      sites: ["a.example", "b.example"],
      siteSettings: { "a.example": { aliases: ["ab.example"] }, "b.example": { aliases: ["ab.example"] } },
    },
    setting: "siteSettings.b.example.aliases.0",
    says: /already names the site a\.example/,
  },
  {
    name: "an alias that is no host name",
    config: { sites: ["example.com"], siteSettings: { "example.com": { aliases: ["alice@example.com"] } } },
    setting: "siteSettings.example.com.aliases.0",
    says: /host name/,
  },
  {
    name: "a default site that is not one of the sites",
    config: { sites: ["example.com"], defaultSite: "other.example" },
    setting: "defaultSite",
    says: /one of sites/,
  },
  {
    name: "line limit below 1 KiB",
    config: { ingest: { maxLineBytes: 100 } },
    setting: "ingest.maxLineBytes",
    says: /1024/,
  },
  {
    name: "an nginx format with a mistyped variable",
    config: { formats: [{ match: "*.log", nginx: '$remote_adr [$time_local] "$request"' }] },
    setting: "formats.0.nginx",
    says: /\$remote_adr.*did you mean \$remote_addr/,
  },
  {
    name: "a GoAccess format with %d but no date format",
    config: { formats: [{ site: "example.com", goaccess: '%h [%d:%t] "%r"', timeFormat: "%T" }] },
    setting: "formats.0.goaccess",
    says: /--date-format/,
  },
  {
    name: "a format entry naming two formats",
    config: { formats: [{ prefix: "incoming/", format: "combined", apache: "%h %t %r" }] },
    setting: "formats.0",
    says: /one format/,
  },
  {
    name: "a format entry for no input",
    config: { formats: [{ format: "caddy" }] },
    setting: "formats.0",
    says: /match.*prefix.*site/,
  },
];

describe("parseConfig refuses every invalid setting by name", () => {
  it.each(INVALID)("$name → names $setting", ({ config, setting, says }) => {
    // Act
    let error: unknown;
    try {
      parseConfig(config, "configuration file test.json");
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const problem = problems.find((p) => p.startsWith(`${setting}: `));
    expect(problem, problems.join(" | ")).toBeDefined();
    expect(problem).toMatch(says);
    expect((error as ConfigError).message).toContain("test.json");
  });

  it("accepts raw logs beyond 7 days only when explicitly allowed", () => {
    // Act
    const allowed = parseConfig({ retention: { securityHours: 24 * 30, allowRawBeyond7Days: true } });

    // Assess
    expect(allowed.retention.securityHours).toBe(720);
    expect(() => parseConfig({ retention: { securityHours: 24 * 30, allowRawBeyond7Days: false } })).toThrow(
      /retention\.securityHours/,
    );
  });

  it("lists every bad setting of a configuration at once", () => {
    // Act
    const error = (() => {
      try {
        parseConfig({ k: 1, anonymize: { ipv4Prefix: 40 }, retention: { eventsDays: -3 }, extra: true });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("accepted");
    })();

    // Assess
    expect(error.problems.map((p) => p.split(":")[0]).sort()).toEqual([
      "(top level)",
      "anonymize.ipv4Prefix",
      "k",
      "retention.eventsDays",
    ]);
  });

  it("refuses invalid collector settings by name", () => {
    // Assess
    expect(() => parseCollectorSettings({ rateLimit: { perSecond: 0 } })).toThrow(
      /collector\.rateLimit\.perSecond/,
    );
    expect(() => parseCollectorSettings({ rateLimit: { burst: -1 } })).toThrow(/collector\.rateLimit\.burst/);
    expect(() => parseCollectorSettings({ maxBodyBytes: 10 })).toThrow(/collector\.maxBodyBytes/);
    expect(() => parseCollectorSettings({ rateLimt: {} })).toThrow(/rateLimt/);
  });

  it("names the environment variable when the AWS wiring gets a bad configuration", () => {
    // Assess
    expect(() => configFromEnv({ [AWS_ENV.config]: JSON.stringify({ k: 1 }) })).toThrow(
      new RegExp(`${AWS_ENV.config}[\\s\\S]*k: `),
    );
    expect(() => configFromEnv({ [AWS_ENV.config]: "{ not json" })).toThrow(new RegExp(AWS_ENV.config));
  });
});

/** Runs `logsieve` with the arguments; resolves with its exit code and output. */
function logsieve(args: readonly string[]): Promise<CommandResult> {
  return runCommand(process.execPath, ["bin/logsieve.js", ...args], { cwd: ROOT });
}

describe("the logsieve command refuses invalid settings before doing anything", () => {
  let dir: string;
  let log: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-config-"));
    log = join(dir, "access.log");
    await writeFile(
      log,
      '203.0.113.5 - - [20/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0"\n',
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 2 naming the setting, and writes no lake, for every command that reads the configuration", async () => {
    // Prepare: bad configurations, each run through a command that would otherwise write to the lake.
    const cases = [
      {
        config: { anonymize: { ipv4Prefix: 33 } },
        setting: "anonymize.ipv4Prefix",
        command: ["ingest", log],
      },
      { config: { k: 1 }, setting: "k", command: ["aggregate", "--all"] },
      {
        config: { retention: { securityHours: 200 } },
        setting: "retention.securityHours",
        command: ["expire"],
      },
      { config: { sitez: [] }, setting: "sitez", command: ["serve", "--port", "0"] },
      {
        config: { ingest: { rowsPerPart: 5 } },
        setting: "ingest.rowsPerPart",
        command: ["query", "daily-traffic"],
      },
      { config: "{ not json", setting: "not valid JSON", command: ["ingest", log] },
    ];

    // Act (in parallel: each run is a Node process)
    const runs = await Promise.all(
      cases.map(async (c, i) => {
        const configPath = join(dir, `bad-${i}.json`);
        await writeFile(configPath, typeof c.config === "string" ? c.config : JSON.stringify(c.config));
        const lake = join(dir, `lake-${i}`);
        const result = await logsieve(["--lake", lake, "--config", configPath, ...c.command]);
        return { ...c, ...result, lakeExists: existsSync(lake) };
      }),
    );

    // Assess
    for (const run of runs) {
      const seen = { command: run.command[0], code: run.code, names: run.stderr.includes(run.setting) };
      expect(seen, run.stderr.slice(0, 2000)).toEqual({ command: run.command[0], code: 2, names: true });
      expect(run.stderr).not.toContain("    at "); // a message for a person, not a stack trace
      expect(run.lakeExists).toBe(false);
    }
  }, 120_000);

  it("exits 2 naming the option for an unknown format or an out-of-range number", async () => {
    // Act
    const runs = await Promise.all([
      logsieve(["--lake", join(dir, "lake-f1"), "ingest", "--format", "apache-xml", log]),
      logsieve(["policy", "--format", "pdf"]),
      logsieve(["--lake", join(dir, "lake-f3"), "query", "daily-traffic", "--format", "xlsx"]),
      logsieve(["--lake", join(dir, "lake-f4"), "serve", "--rate-limit", "0"]),
      logsieve([
        "--lake",
        join(dir, "lake-f5"),
        "ingest",
        "--nginx-format",
        '$remote_adr [$time_local] "$request"',
        log,
      ]),
    ]);

    // Assess
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[4]?.stderr).toMatch(/--nginx-format: unknown nginx variable \$remote_adr/);
    expect(runs[4]?.stderr).toMatch(/did you mean \$remote_addr/);
    expect(runs[0]?.stderr).toMatch(/unknown format "apache-xml"/);
    expect(runs[1]?.stderr).toMatch(/--format pdf/);
    expect(runs[2]?.stderr).toMatch(/xlsx/);
    expect(runs[3]?.stderr).toMatch(/--rate-limit/);
    for (const lake of ["lake-f1", "lake-f3", "lake-f4", "lake-f5"])
      expect(existsSync(join(dir, lake))).toBe(false);
  }, 120_000);
});
