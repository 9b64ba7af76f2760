import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STATS_TABLES } from "../../infra/constructs/lake-tables.ts";
import { ROOT } from "./helpers/synth.ts";

/**
 * The Glue stats tables are defined in infra; the rollups' SELECT lists in queries/rollup.*.sql (issue 3). They
 * must name the same columns in the same order, or Athena reads the Parquet columns under the wrong names.
 */

/** Output column names of the top-level SELECT list: the `AS alias` of each item, or its bare column name. */
function selectColumns(sql: string): string[] {
  const body = sql
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n");
  // The output columns are those of the outermost SELECT: the last one at parenthesis depth 0 (after any WITH).
  let start = -1;
  for (let i = 0, d = 0; i < body.length; i++) {
    if (body[i] === "(") d++;
    else if (body[i] === ")") d--;
    else if (d === 0 && /^SELECT\b/i.test(body.slice(i)) && /\W/.test(body[i - 1] ?? " "))
      start = i + "SELECT".length;
  }
  let depth = 0;
  let item = "";
  const items: string[] = [];
  for (let i = start; i < body.length; i++) {
    const ch = body[i] as string;
    if (depth === 0 && /^\s*FROM\b/i.test(body.slice(i)) && /\s/.test(body[i - 1] ?? " ")) break;
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      items.push(item);
      item = "";
    } else {
      item += ch;
    }
  }
  items.push(item);
  return items.map((it) => {
    const text = it.trim();
    const alias = /\bAS\s+([a-z_][a-z0-9_]*)\s*$/i.exec(text);
    return (alias?.[1] ?? text.split(".").pop() ?? text).trim();
  });
}

const rollupFiles = readdirSync(join(ROOT, "queries")).filter((f) => /^rollup\..+\.sql$/.test(f));

describe("stats tables and queries/rollup.*.sql", () => {
  it("reads a SELECT list the way Athena names its columns", () => {
    // Act
    const cols = selectColumns(
      "-- c\nSELECT\n  site,\n  coalesce(x, '(a, b)') AS x,\n  CASE WHEN a THEN 'b' END AS c,\n  count(*) FILTER (WHERE y) AS n\nFROM events",
    );

    // Assess
    expect(cols).toEqual(["site", "x", "c", "n"]);
  });

  it("every stats table has its rollup file, and every rollup file its table", () => {
    // Act
    const fromFiles = rollupFiles.map((f) => f.replace(/^rollup\./, "").replace(/\.sql$/, "")).sort();

    // Assess
    expect(fromFiles).toEqual(STATS_TABLES.map((t) => t.name).sort());
  });

  it("each stats table names the rollup's output columns, in order", () => {
    // Act
    const mismatches = STATS_TABLES.map((table) => {
      const sql = readFileSync(join(ROOT, "queries", `rollup.${table.name}.sql`), "utf8");
      return { table: table.name, glue: table.columns.map((c) => c.name), sql: selectColumns(sql) };
    }).filter((m) => JSON.stringify(m.glue) !== JSON.stringify(m.sql));

    // Assess
    expect(mismatches).toEqual([]);
  });
});
