import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayRange, daysToAggregate } from "../../functions/apps/aggregate/command.ts";
import { listQueries, parseParams, renderTable, runCliQuery } from "../../functions/apps/query/command.ts";
import { UsageError } from "../../functions/cli/output.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { csvCell, toCsv } from "../../functions/core/export/csv.ts";
import { loadQueryCatalog } from "../../functions/runtime/query-files.ts";
import { tempLake, writeEventsByDay } from "./support/fixture-lake.ts";
import { DAYS, generateEvents } from "./support/generate.ts";
import * as reference from "./support/reference.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

describe("CSV for spreadsheets", () => {
  it("neutralises cells a spreadsheet would evaluate as formulas", () => {
    for (const evil of [
      '=HYPERLINK("http://x")',
      "+1+1",
      "-2+3",
      "@SUM(A1)",
      "\tcmd",
      "\r=1",
      "  =1",
      "\uFF1D1",
    ]) {
      expect(csvCell(evil).replace(/^"/, "").startsWith("'")).toBe(true);
    }
    expect(csvCell("/index.html")).toBe("/index.html");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(null)).toBe("");
  });

  it("quotes separators, quotes and line breaks (RFC 4180) and ends lines with CRLF", () => {
    const csv = toCsv(
      ["a", "b"],
      [
        { a: 'say "hi", then\nleave', b: 3 },
        { a: null, b: true },
      ],
    );
    expect(csv).toBe('a,b\r\n"say ""hi"", then\nleave",3\r\n,true\r\n');
  });
});

describe("table output", () => {
  it("aligns columns, right-aligns numbers and never sends control characters to the terminal", () => {
    const text = renderTable(
      ["ua", "n"],
      [
        { ua: "evil\u001b[2J", n: 5 },
        { ua: "ok", n: 12 },
      ],
    );
    expect(text).toBe("ua            n\n-----------  --\nevil\\x1b[2J   5\nok           12\n");
    expect(text.includes("\u001b")).toBe(false);
  });
});

describe("query command", () => {
  const config = parseConfig({ sites: ["example.com"] });
  let lake: string;
  const events = generateEvents();

  beforeAll(async () => {
    lake = tempLake();
    await writeEventsByDay(lake, "abcd", events);
    const cli = ["--import", "tsx", join(ROOT, "functions/cli/main.ts"), "--lake", lake];
    await run(process.execPath, [...cli, "aggregate", "--all"], { cwd: ROOT });
  });

  afterAll(() => {
    rmSync(lake, { recursive: true, force: true });
  });

  it("`logsieve query daily-traffic --format json` prints one row per day with the promised columns", async () => {
    // Act
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "functions/cli/main.ts"),
        "--lake",
        lake,
        "query",
        "daily-traffic",
        "--param",
        `from=${DAYS[0]}`,
        "--param",
        `to=${DAYS[1]}`,
        "--format",
        "json",
      ],
      { cwd: ROOT },
    );

    // Assess
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows.map((r) => r.day)).toEqual([...DAYS]);
    const expected = reference.totals(events, DAYS[0], parseConfig({}).k);
    const sum = (c: string) => expected.reduce((s, r) => s + Number(r[c]), 0);
    expect(rows[0]).toMatchObject({
      hits: sum("hits"),
      bandwidth: sum("bandwidth"),
      unique_clients: sum("unique_clients"),
      visitors: sum("visitors"),
    });
    for (const column of [
      "day",
      "hits",
      "bandwidth",
      "status_2xx",
      "status_3xx",
      "status_4xx",
      "status_5xx",
      "pageviews",
      "visitors",
      "unique_clients",
      "bot_hits",
    ]) {
      expect(Object.keys(rows[0] ?? {})).toContain(column);
    }
  });

  it("an unknown name is a usage error listing the known queries", async () => {
    // Act
    const failure = await runCliQuery({ lakeDir: lake, name: "top-secrets", params: {}, config }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(UsageError);
    expect((failure as UsageError).message).toBe('unknown query "top-secrets"');
    expect((failure as UsageError).hint).toMatch(/daily-traffic.*top-pages.*top-talkers/s);
  });

  it("refuses k from the command line and names missing parameters", async () => {
    await expect(
      runCliQuery({
        lakeDir: lake,
        name: "top-pages",
        params: { from: DAYS[0], to: DAYS[1], k: "1" },
        config,
      }),
    ).rejects.toThrow(/comes from the configuration/);
    const missing = await runCliQuery({
      lakeDir: lake,
      name: "ip-timeline",
      params: { from: DAYS[0] },
      config,
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(UsageError);
    expect((missing as UsageError).message).toMatch(/ip-timeline needs --param ip=<address>/);
    expect((missing as UsageError).hint).toMatch(/ip:address, limit:int=1000/);
    const noEnd = await runCliQuery({
      lakeDir: lake,
      name: "ip-timeline",
      params: { from: DAYS[0], ip: "192.0.2.1" },
      config,
    }).catch((e: unknown) => e);
    expect((noEnd as UsageError).message).toMatch(/needs to \(date\)/);
  });

  it("runs a dashboard query for the configured site without --param site", async () => {
    const result = await runCliQuery({
      lakeDir: lake,
      name: "top-pages",
      params: { from: DAYS[0], to: DAYS[1] },
      config,
    });
    expect(result.rows.map((r) => r.path)).toContain("/");
  });

  it("docs/QUERIES.md documents every command-line query with its file", () => {
    const doc = readFileSync(join(ROOT, "docs/QUERIES.md"), "utf8");
    for (const [name, definition] of loadQueryCatalog().byCliName) {
      expect(doc, name).toContain(`| \`${definition.id}\` | \`${name}\` |`);
    }
  });

  it("lists every cli, dashboard and security query with its parameters, k marked as configured", () => {
    const text = listQueries(loadQueryCatalog());
    expect(text).toMatch(/daily-traffic/);
    expect(text).toMatch(/login-brute-force/);
    expect(text).toMatch(/k \(from config\)/);
    expect(text).not.toMatch(/rollup\./);
  });

  it("reads --param key=value pairs and refuses malformed or repeated ones", () => {
    expect(parseParams(["from=2026-03-01", "q=a=b"])).toEqual({ from: "2026-03-01", q: "a=b" });
    expect(() => parseParams(["from"])).toThrow(UsageError);
    expect(() => parseParams(["a=1", "a=2"])).toThrow(/twice/);
  });
});

describe("aggregate command options", () => {
  it("takes exactly one of --day, --from/--to, --all", () => {
    expect(daysToAggregate({ day: ["2026-03-02", "2026-03-01"] })).toEqual(["2026-03-02", "2026-03-01"]);
    expect(daysToAggregate({ day: [], all: true })).toBe("all");
    expect(daysToAggregate({ day: [], from: "2026-02-27", to: "2026-03-01" })).toEqual([
      "2026-02-27",
      "2026-02-28",
      "2026-03-01",
    ]);
    expect(() => daysToAggregate({ day: [] })).toThrow(UsageError);
    const both = (() => {
      try {
        daysToAggregate({ day: ["2026-03-01"], all: true });
      } catch (error) {
        return error;
      }
    })();
    expect(both).toBeInstanceOf(UsageError);
    expect((both as UsageError).hint).toMatch(/exactly one of --day/);
    expect(() => daysToAggregate({ day: [], from: "2026-03-01" })).toThrow(/go together/);
    expect(() => daysToAggregate({ day: ["01.03.2026"] })).toThrow(/not a day/);
    expect(() => dayRange("2026-03-02", "2026-03-01")).toThrow(/before/);
  });
});
