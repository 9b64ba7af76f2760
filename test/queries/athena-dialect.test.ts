// The Trino parser alone: the package index pulls in every dialect (20 MB for vitest to transform).
import { TrinoSQL } from "dt-sql-parser/dist/parser/trino/index.js";
import { describe, expect, it } from "vitest";
import { parseQueryFile } from "../../functions/core/aggregate/query-file.ts";
import { readQueryFiles } from "../../functions/runtime/query-files.ts";
import { FORBIDDEN_CONSTRUCTS, findDialectProblems } from "./support/athena-dialect.ts";

/**
 * Athena (Trino, engine v3) does not run in the test suite, so every query file is checked twice:
 * - parsed by Trino's own grammar (dt-sql-parser's TrinoSQL, generated from Trino's ANTLR grammar): the
 *   syntax is Trino's;
 * - held to the intersection of the two dialects' meanings by a list of DuckDB-only constructs (each with its
 *   reason, in athena-dialect.ts), an allowlist of functions checked in both references, and "placeholders only
 *   in WHERE", which no grammar can tell.
 */

const trino = new TrinoSQL();

describe("every query file is Athena SQL", () => {
  const files = readQueryFiles();

  it("there are query files to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of files) {
    it(`${file.id} parses with Trino's grammar`, () => {
      // Prepare
      const definition = parseQueryFile(file.id, file.text);

      // Act
      const errors = trino.validate(definition.select);

      // Assess
      expect(errors.map((e) => e.message)).toEqual([]);
    });

    it(`${file.id} uses no DuckDB-only syntax, only shared functions, placeholders only in WHERE`, () => {
      // Prepare
      const definition = parseQueryFile(file.id, file.text);

      // Act
      const problems = findDialectProblems(definition.select);

      // Assess
      expect(problems).toEqual([]);
    });
  }
});

describe("the dialect check itself", () => {
  it("Trino's grammar refuses DuckDB syntax, so the parse above is a real check", () => {
    for (const sql of [
      "SELECT x::int FROM t",
      "SELECT a FROM t WHERE a ILIKE 'x'",
      "SELECT a FROM t GROUP BY ALL",
      "SELECT [1, 2]",
    ]) {
      expect(trino.validate(sql).length, sql).toBeGreaterThan(0);
    }
    expect(trino.validate("SELECT a FROM t WHERE b = ? AND c IN ('x', 'y')")).toEqual([]);
  });

  const rejected: [string, string][] = [
    ["SELECT CAST(x AS BIGINT), y::INTEGER FROM events WHERE dt = ?", "::"],
    ["SELECT x FROM events WHERE dt = ? QUALIFY row_number() OVER (ORDER BY x) = 1", "QUALIFY"],
    ["SELECT x FROM events WHERE path ILIKE '/a%'", "ILIKE"],
    ["SELECT * EXCLUDE (visitor_id) FROM events", "* EXCLUDE / * REPLACE"],
    ["SELECT * FROM read_parquet('x.parquet')", "read_parquet / read_csv / read_json / parquet_scan / glob"],
    ["SELECT strftime(ts, '%Y') FROM events", "strftime / strptime"],
    ["SELECT list_value(1, 2) FROM events", "list_* / struct_* / array_* functions"],
    ["SELECT struct_pack(a := 1) FROM events", "list_* / struct_* / array_* functions"],
    ["SELECT x FROM events WHERE dt = $1", "$1"],
    ["SELECT x FROM events USING SAMPLE 10%", "USING SAMPLE"],
    ["PIVOT events ON device USING count(*)", "PIVOT / UNPIVOT"],
    ["SELECT site, count(*) FROM events GROUP BY ALL", "GROUP BY ALL / ORDER BY ALL"],
    ["SELECT DISTINCT ON (site) site FROM events", "DISTINCT ON"],
    ["SELECT a FROM events ANTI JOIN security USING (site)", "ASOF / POSITIONAL / ANTI / SEMI JOIN"],
    ["SELECT bytes // 2 FROM events", "//"],
    ["SELECT bytes / 2 FROM events", "/"],
    ["SELECT [1, 2] FROM events", "["],
    ["SELECT {'a': 1} FROM events", "{"],
    ["SELECT `site` FROM events", "`identifier`"],
    ["SELECT ts + INTERVAL 1 DAY FROM events", "INTERVAL 1 DAY"],
    ["SELECT CAST(bytes AS HUGEINT) FROM events", "HUGEINT / UBIGINT / UINTEGER / STRING / TEXT type names"],
    ["SELECT x FROM events WHERE dt = current_date", "current_date / now() / current_timestamp / random()"],
    ["SELECT now() FROM events", "current_date / now() / current_timestamp / random()"],
    ["SELECT count_if(is_bot) FROM events", "count_if()"],
    ["CREATE TABLE t AS SELECT 1", "CREATE / INSTALL / LOAD / PRAGMA / SET / ATTACH / COPY / EXPORT"],
  ];
  for (const [sql, construct] of rejected) {
    it(`rejects ${construct} in: ${sql}`, () => {
      // Act
      const problems = findDialectProblems(sql);

      // Assess
      expect(problems.map((p) => p.construct)).toContain(construct);
      const rule = FORBIDDEN_CONSTRUCTS.find((r) => r.construct === construct);
      expect(rule?.reason.length).toBeGreaterThan(20);
    });
  }

  it("rejects functions nobody checked in both references, naming them", () => {
    // Act
    const problems = findDialectProblems(
      "SELECT concat(a, b), regexp_matches(path, 'x'), ifnull(a, b) FROM events",
    );

    // Assess
    expect(problems.map((p) => p.construct)).toEqual(["concat()", "regexp_matches()", "ifnull()"]);
  });

  it("rejects placeholders outside WHERE, which Athena does not bind", () => {
    // Act
    const problems = findDialectProblems(
      "SELECT ? AS a FROM events WHERE dt = ? GROUP BY a HAVING count(*) > ? ORDER BY a LIMIT ?",
    );

    // Assess
    expect(problems.map((p) => p.construct)).toEqual(["? in SELECT", "? in HAVING", "? in LIMIT"]);
  });

  it("accepts placeholders nested in functions and subqueries' WHERE, and ignores literals and comments", () => {
    // Act
    const problems = findDialectProblems(
      [
        "-- a comment may say QUALIFY, x::int or read_parquet('x')",
        "SELECT site, count(*) AS n /* ILIKE */ FROM events",
        "WHERE strpos('|' || lower(?) || '|', path) > 0 AND path <> 'a::b [c] /d'",
        "  AND site IN (SELECT site FROM stats_totals WHERE dt = ?)",
        "GROUP BY site",
      ].join("\n"),
    );

    // Assess
    expect(problems).toEqual([]);
  });
});
