import { describe, expect, it } from "vitest";
import {
  buildCatalog,
  cliQueryName,
  resolveQueryParams,
} from "../../../../functions/core/aggregate/catalog.ts";
import {
  bindParams,
  coerceParam,
  isIsoDay,
  parseQueryFile,
  QueryDefinitionError,
  QueryParamError,
} from "../../../../functions/core/aggregate/query-file.ts";
import { placeholderCount } from "../../../../functions/core/aggregate/sql-text.ts";
import {
  athenaUnloadToParquet,
  duckDbCopyToParquet,
} from "../../../../functions/core/aggregate/statements.ts";
import { parseConfig } from "../../../../functions/core/config.ts";

const TOP = [
  "-- dashboard.topThings: things per site",
  "-- caller: a test",
  "-- params: site:string, from:date, to:date, k:int, limit:int=10",
  "-- more words about it",
  "SELECT path FROM stats_pages",
  "WHERE site = ? AND dt >= ? AND dt <= ? AND visitors >= ? AND rn <= ?;",
  "",
].join("\n");

describe("query file header", () => {
  it("reads the area, name, description, caller and placeholders, and strips the header and the semicolon", () => {
    // Act
    const definition = parseQueryFile("dashboard.topThings", TOP);

    // Assess
    expect(definition).toMatchObject({
      area: "dashboard",
      name: "topThings",
      description: "things per site",
      caller: "a test",
    });
    expect(definition.placeholders.map((p) => `${p.name}:${p.type}`)).toEqual([
      "site:string",
      "from:date",
      "to:date",
      "k:int",
      "limit:int",
    ]);
    expect(definition.placeholders[4]?.defaultValue).toBe("10");
    expect(definition.select.startsWith("SELECT path")).toBe(true);
    expect(definition.select.endsWith("rn <= ?")).toBe(true);
  });

  it("refuses a params header that does not match the placeholders", () => {
    // Prepare
    const text = TOP.replace(", limit:int=10", "");

    // Act / Assess
    expect(() => parseQueryFile("dashboard.topThings", text)).toThrow(
      /5 '\?' placeholders but the params header declares 4/,
    );
  });

  it("refuses a file without description, caller or params line, a bad name or type, and two statements", () => {
    expect(() =>
      parseQueryFile("dashboard.topThings", TOP.replace("-- dashboard.topThings:", "-- other:")),
    ).toThrow(QueryDefinitionError);
    expect(() => parseQueryFile("dashboard.topThings", TOP.replace("-- caller: a test\n", ""))).toThrow(
      /caller/,
    );
    expect(() => parseQueryFile("dashboard.topThings", TOP.replace(/-- params:.*\n/, ""))).toThrow(/params/);
    expect(() => parseQueryFile("marketing.topThings", TOP)).toThrow(/area/);
    expect(() => parseQueryFile("dashboard.topThings", TOP.replace("k:int", "k:integer"))).toThrow(
      /type one of/,
    );
    expect(() =>
      parseQueryFile("dashboard.topThings", TOP.replace("rn <= ?;", "rn <= ?; DROP TABLE x")),
    ).toThrow(/one statement/);
  });

  it("refuses one name declared with two types", () => {
    const text = TOP.replace("limit:int=10", "site:int");
    expect(() => parseQueryFile("dashboard.topThings", text)).toThrow(/declared twice/);
  });

  it("counts placeholders outside literals, quoted names and comments only", () => {
    expect(placeholderCount(`SELECT '?', "a?" FROM t -- ?\nWHERE x = ? /* ? */ AND y = 'it''s ?'`)).toBe(1);
  });
});

describe("binding parameters", () => {
  const definition = parseQueryFile("dashboard.topThings", TOP);

  it("binds named values in placeholder order, coerced by type, defaults filled in", () => {
    // Act
    const params = bindParams(definition, {
      site: "example.com",
      from: "2026-03-01",
      to: "2026-03-02",
      k: "5",
    });

    // Assess
    expect(params).toEqual([
      { type: "string", value: "example.com" },
      { type: "date", value: "2026-03-01" },
      { type: "date", value: "2026-03-02" },
      { type: "int", value: 5 },
      { type: "int", value: 10 },
    ]);
  });

  it("names what is missing, what is unknown and what has the wrong shape", () => {
    expect(() => bindParams(definition, { site: "a", from: "2026-03-01" })).toThrow(
      /needs to \(date\), k \(int\)/,
    );
    expect(() =>
      bindParams(definition, { site: "a", from: "2026-03-01", to: "2026-03-01", k: "5", color: "red" }),
    ).toThrow(/has no parameter color/);
    expect(() => bindParams(definition, { site: "a", from: "2026-02-30", to: "2026-03-01", k: "5" })).toThrow(
      /from must be a date/,
    );
    expect(() =>
      bindParams(definition, { site: "a", from: "2026-03-01", to: "2026-03-01", k: "5; DROP" }),
    ).toThrow(QueryParamError);
  });

  it("accepts only real calendar days, integers, finite numbers, true/false and control-free strings", () => {
    expect(isIsoDay("2024-02-29")).toBe(true);
    expect(isIsoDay("2023-02-29")).toBe(false);
    expect(isIsoDay("2026-3-1")).toBe(false);
    expect(coerceParam({ name: "n", type: "int" }, "-12")).toEqual({ type: "int", value: -12 });
    expect(() => coerceParam({ name: "n", type: "int" }, "1.5")).toThrow(QueryParamError);
    expect(coerceParam({ name: "x", type: "double" }, "2.5")).toEqual({ type: "double", value: 2.5 });
    expect(() => coerceParam({ name: "x", type: "double" }, "Infinity")).toThrow(QueryParamError);
    expect(coerceParam({ name: "b", type: "boolean" }, "false")).toEqual({ type: "boolean", value: false });
    expect(() => coerceParam({ name: "s", type: "string" }, "a\u001b[2Jb")).toThrow(/control characters/);
    expect(coerceParam({ name: "s", type: "string" }, "' OR 1=1 --")).toEqual({
      type: "string",
      value: "' OR 1=1 --",
    });
  });
});

describe("catalogue and configuration-bound parameters", () => {
  const catalog = buildCatalog([
    { id: "dashboard.topThings", text: TOP },
    {
      id: "cli.dailyTraffic",
      text: "-- cli.dailyTraffic: d\n-- caller: c\n-- params: from:date\nSELECT 1 FROM t WHERE dt >= ?",
    },
    {
      id: "rollup.pages",
      text: "-- rollup.pages: p\n-- caller: c\n-- params: day:date\nSELECT 1 FROM t WHERE dt = ?",
    },
  ]);

  it("names cli, dashboard and security queries in kebab case and leaves rollups off the command line", () => {
    expect([...catalog.byCliName.keys()].sort()).toEqual(["daily-traffic", "top-things"]);
    expect(cliQueryName({ area: "security", name: "loginBruteForce" })).toBe("login-brute-force");
    expect(cliQueryName({ area: "rollup", name: "pages" })).toBeNull();
  });

  it("refuses two files that would share a command-line name", () => {
    expect(() =>
      buildCatalog([
        { id: "dashboard.topThings", text: TOP },
        { id: "security.topThings", text: TOP.replaceAll("dashboard.topThings", "security.topThings") },
      ]),
    ).toThrow(/would both be "logsieve query top-things"/);
  });

  it("takes k from the configuration, refuses it from the caller, and defaults the site", () => {
    // Prepare
    const definition = catalog.byCliName.get("top-things");
    if (definition === undefined) throw new Error("fixture");
    const config = parseConfig({ k: 7, sites: ["example.com"] });

    // Act
    const params = resolveQueryParams(definition, { from: "2026-03-01", to: "2026-03-01" }, config);

    // Assess
    expect(params[0]).toEqual({ type: "string", value: "example.com" });
    expect(params[3]).toEqual({ type: "int", value: 7 });
    expect(() =>
      resolveQueryParams(definition, { from: "2026-03-01", to: "2026-03-01", k: "1" }, config),
    ).toThrow(/comes from the configuration \(k = 7\)/);
  });
});

describe("engine wrappers", () => {
  const select = "SELECT site FROM events WHERE dt = ?";

  it("embed the same SELECT text for DuckDB and Athena", () => {
    const duck = duckDbCopyToParquet(select, "/lake/stats/x.parquet");
    const athena = athenaUnloadToParquet(select, "s3://bucket/stats/pages/dt=2026-03-01/");
    expect(duck).toBe(`COPY (\n${select}\n) TO '/lake/stats/x.parquet' (FORMAT parquet, COMPRESSION snappy)`);
    expect(athena).toBe(
      `UNLOAD (\n${select}\n) TO 's3://bucket/stats/pages/dt=2026-03-01/' WITH (format = 'PARQUET', compression = 'SNAPPY')`,
    );
  });

  it("quote a path with a quote in it and refuse a bad UNLOAD target", () => {
    expect(duckDbCopyToParquet(select, "/tmp/o'brien/x.parquet")).toContain("'/tmp/o''brien/x.parquet'");
    expect(() => athenaUnloadToParquet(select, "s3://bucket/no-slash")).toThrow(/ending with a slash/);
  });
});
