import { placeholderClauses, type Token, tokenize } from "../../../functions/core/aggregate/sql-text.ts";

/**
 * Keeps the query files in the intersection of DuckDB and Athena (Trino, engine v3). DuckDB runs them in the
 * test suite; nothing runs Athena there, so this check stands in for it in two layers:
 *
 * 1. a list of constructs that DuckDB accepts and Athena does not, or accepts with another meaning, each with
 *    its reason;
 * 2. an allowlist of functions whose name, arguments and result are the same in DuckDB's and Trino's
 *    references. A function not on it fails until someone checks both references and adds it.
 *
 * Placeholders must sit in a WHERE clause: Athena's execution parameters are accepted nowhere else.
 * The check reads tokens, so text inside string literals and comments never trips it.
 */

export interface DialectFinding {
  readonly construct: string;
  readonly reason: string;
  /** Offset in the SQL text. */
  readonly offset: number;
}

interface TokenRule {
  readonly construct: string;
  readonly reason: string;
  /** True when the token at `index` starts the forbidden construct. */
  readonly matches: (tokens: readonly Token[], index: number) => boolean;
}

const word =
  (...upper: string[]) =>
  (tokens: readonly Token[], index: number): boolean =>
    upper.every((w, k) => tokens[index + k]?.kind === "word" && tokens[index + k]?.upper === w);
const symbol =
  (text: string) =>
  (tokens: readonly Token[], index: number): boolean =>
    tokens[index]?.kind === "symbol" && tokens[index]?.text === text;
const call =
  (pattern: RegExp) =>
  (tokens: readonly Token[], index: number): boolean =>
    tokens[index]?.kind === "word" &&
    pattern.test(tokens[index]?.text.toLowerCase() ?? "") &&
    tokens[index + 1]?.text === "(";

/** Constructs DuckDB accepts that Athena rejects or reads differently. */
export const FORBIDDEN_CONSTRUCTS: readonly TokenRule[] = [
  {
    construct: "::",
    reason: "`x::type` is a DuckDB/PostgreSQL cast; Trino only has CAST(x AS type)",
    matches: symbol("::"),
  },
  {
    construct: "QUALIFY",
    reason: "Trino has no QUALIFY; filter the window result in an outer query",
    matches: word("QUALIFY"),
  },
  {
    construct: "ILIKE",
    reason: "Trino has no ILIKE; compare lower(x) LIKE a lower-case pattern",
    matches: word("ILIKE"),
  },
  {
    construct: "* EXCLUDE / * REPLACE",
    reason: "star modifiers are DuckDB-only; list the columns",
    matches: (t, i) =>
      t[i]?.text === "*" &&
      (word("EXCLUDE")(t, i + 1) || word("REPLACE")(t, i + 1) || word("RENAME")(t, i + 1)),
  },
  {
    construct: "COLUMNS(...)",
    reason: "DuckDB's COLUMNS expression does not exist in Trino",
    matches: call(/^columns$/),
  },
  {
    construct: "read_parquet / read_csv / read_json / parquet_scan / glob",
    reason:
      "DuckDB table functions over files; Athena reads the Glue tables (events, security, stats_*) instead",
    matches: call(
      /^(read_parquet|read_csv|read_csv_auto|read_json|read_json_auto|read_ndjson|parquet_scan|glob)$/,
    ),
  },
  {
    construct: "strftime / strptime",
    reason: "DuckDB's date formatting; Trino uses date_format/date_parse with other format specifiers",
    matches: call(/^(strftime|strptime)$/),
  },
  {
    construct: "list_* / struct_* / array_* functions",
    reason: "DuckDB's nested-type function families are named differently in Trino (or absent)",
    matches: call(
      /^(list_.*|struct_.*|array_(length|slice|contains|has|cat|append|distinct|position|filter|transform)|list|unnest|generate_series|range)$/,
    ),
  },
  {
    construct: "$1",
    reason: "numbered parameters are DuckDB's; Athena binds positional `?` only",
    matches: (t, i) => /^\$\d+$/.test(t[i]?.text ?? ""),
  },
  {
    construct: "USING SAMPLE",
    reason: "DuckDB's sampling clause; Trino's TABLESAMPLE has other semantics",
    matches: word("USING", "SAMPLE"),
  },
  {
    construct: "TABLESAMPLE",
    reason: "sampling differs between the engines and makes results non-reproducible",
    matches: word("TABLESAMPLE"),
  },
  {
    construct: "PIVOT / UNPIVOT",
    reason: "DuckDB-only statements; write the CASE aggregates out",
    matches: (t, i) => word("PIVOT")(t, i) || word("UNPIVOT")(t, i),
  },
  {
    construct: "GROUP BY ALL / ORDER BY ALL",
    reason: "DuckDB shorthand; Trino needs the columns listed",
    matches: (t, i) => word("GROUP", "BY", "ALL")(t, i) || word("ORDER", "BY", "ALL")(t, i),
  },
  {
    construct: "DISTINCT ON",
    reason: "PostgreSQL/DuckDB only; use row_number() in a subquery",
    matches: word("DISTINCT", "ON"),
  },
  {
    construct: "ASOF / POSITIONAL / ANTI / SEMI JOIN",
    reason: "DuckDB join types; use EXISTS / NOT EXISTS or an ordinary join",
    matches: (t, i) => ["ASOF", "POSITIONAL", "ANTI", "SEMI"].some((w) => word(w, "JOIN")(t, i)),
  },
  { construct: "//", reason: "DuckDB's integer division operator; Trino has none", matches: symbol("//") },
  {
    construct: "/",
    reason: "division differs: Trino truncates integer division, DuckDB returns a double; no query divides",
    matches: symbol("/"),
  },
  { construct: "**", reason: "DuckDB's power operator; Trino uses power()", matches: symbol("**") },
  { construct: "^", reason: "DuckDB's power operator; Trino has no ^", matches: symbol("^") },
  {
    construct: "->",
    reason: "DuckDB's JSON arrow / lambda syntax; not the same in Trino",
    matches: symbol("->"),
  },
  {
    construct: "[",
    reason: "DuckDB list literals and slices; Trino needs ARRAY[...] and has no slices",
    matches: symbol("["),
  },
  { construct: "{", reason: "DuckDB struct/map literals do not exist in Trino", matches: symbol("{") },
  {
    construct: "`identifier`",
    reason: "backquoted identifiers are not valid in Trino DML; use double quotes",
    matches: (t, i) => t[i]?.kind === "quoted" && t[i]?.text.startsWith("`") === true,
  },
  {
    construct: "INTERVAL 1 DAY",
    reason: "Trino wants the interval quantity quoted: INTERVAL '1' DAY",
    matches: (t, i) => word("INTERVAL")(t, i) && t[i + 1]?.kind === "number",
  },
  {
    construct: "HUGEINT / UBIGINT / UINTEGER / STRING / TEXT type names",
    reason: "DuckDB-only type names; Trino has BIGINT, INTEGER, VARCHAR",
    matches: (t, i) =>
      word("AS")(t, i) &&
      [
        "HUGEINT",
        "UHUGEINT",
        "UBIGINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
        "INT128",
        "STRING",
        "TEXT",
        "INT8",
        "INT4",
      ].includes(t[i + 1]?.upper ?? ""),
  },
  {
    construct: "current_date / now() / current_timestamp / random()",
    reason: "a query's result must depend only on its parameters and the lake: pass the date in",
    matches: (t, i) =>
      word("CURRENT_DATE")(t, i) ||
      word("CURRENT_TIMESTAMP")(t, i) ||
      word("LOCALTIMESTAMP")(t, i) ||
      call(/^(now|random|rand|uuid|gen_random_uuid|today)$/)(t, i),
  },
  {
    construct: "count_if()",
    reason:
      "exists in both, but DuckDB returns a 128-bit HUGEINT that Parquet cannot hold as an integer; use count(*) FILTER (WHERE ...)",
    matches: call(/^(count_if|countif)$/),
  },
  {
    construct: "CREATE / INSTALL / LOAD / PRAGMA / SET / ATTACH / COPY / EXPORT",
    reason: "query files hold one SELECT; engine set-up belongs to the adapter",
    matches: (t, i) =>
      i === 0 &&
      [
        "CREATE",
        "INSTALL",
        "LOAD",
        "PRAGMA",
        "SET",
        "ATTACH",
        "COPY",
        "EXPORT",
        "DROP",
        "INSERT",
        "UNLOAD",
      ].includes(t[i]?.upper ?? ""),
  },
];

/**
 * Functions checked in both references (duckdb.org/docs/sql/functions, trino.io/docs/current/functions for
 * Athena engine v3) to have the same name, arguments and meaning. Notable exclusions: concat (DuckDB skips
 * NULL arguments, Trino returns NULL), contains (string in DuckDB, array in Trino), regexp_* (different names
 * and replacement syntax), ifnull/nvl (DuckDB only), string_agg/listagg, median, approx_count_distinct,
 * any_value/arbitrary, date_part, epoch_ms.
 */
export const SHARED_FUNCTIONS: ReadonlySet<string> = new Set([
  "count",
  "sum",
  "min",
  "max",
  "coalesce",
  "nullif",
  "cast",
  "try_cast",
  "lower",
  "upper",
  "length",
  "strpos",
  "split_part",
  "substr",
  "replace",
  "trim",
  "starts_with",
  "greatest",
  "least",
  "abs",
  "date_trunc",
  "row_number",
  "rank",
  "dense_rank",
  // Window function: the previous row's value in the window's order, NULL for the first (both references).
  "lag",
  // date_diff(unit, a, b): Trino counts whole units from a to b, DuckDB counts unit boundaries crossed. The queries
  // use it on `events.ts`, which is truncated to whole seconds, with unit 'second': both give b - a in seconds.
  "date_diff",
  // regexp_like(string, pattern): Trino's (Joni) and, through a macro the DuckDB adapter defines, DuckDB's
  // regexp_matches (RE2): true when the pattern matches anywhere. Only the stats.* files use it, with patterns the
  // planner escapes or checks (core/stats/patterns.ts): literals, classes, anchors, bounded repetition.
  "regexp_like",
]);

/** Words that may be followed by `(` without being a function call. */
const KEYWORDS_BEFORE_PARENTHESIS = new Set([
  "IN",
  "EXISTS",
  "AS",
  "VALUES",
  "OVER",
  "FILTER",
  "USING",
  "ON",
  "AND",
  "OR",
  "NOT",
  "FROM",
  "JOIN",
  "WHERE",
  "THEN",
  "ELSE",
  "WHEN",
  "BY",
  "SELECT",
  "WITH",
  "UNION",
  "ALL",
  "DISTINCT",
  "CASE",
  "IS",
  "LIKE",
  "BETWEEN",
  "HAVING",
  "INTERSECT",
  "EXCEPT",
]);

/** Every DuckDB-only construct, unlisted function and misplaced placeholder in a query text. */
export function findDialectProblems(sql: string): DialectFinding[] {
  const findings: DialectFinding[] = [];
  const tokens = tokenize(sql);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    for (const rule of FORBIDDEN_CONSTRUCTS) {
      if (rule.matches(tokens, i))
        findings.push({ construct: rule.construct, reason: rule.reason, offset: token.offset });
    }
    // `AS d (name)`: a table alias with its column names, not a call.
    const isAlias = tokens[i - 1]?.kind === "word" && tokens[i - 1]?.upper === "AS";
    const isCall =
      token.kind === "word" &&
      tokens[i + 1]?.text === "(" &&
      !KEYWORDS_BEFORE_PARENTHESIS.has(token.upper) &&
      !isAlias;
    if (isCall && !SHARED_FUNCTIONS.has(token.text.toLowerCase())) {
      findings.push({
        construct: `${token.text}()`,
        reason: "not on the list of functions checked to behave the same in DuckDB and Trino",
        offset: token.offset,
      });
    }
  }
  for (const clause of placeholderClauses(sql)) {
    if (clause !== "WHERE") {
      findings.push({
        construct: `? in ${clause}`,
        reason: "Athena accepts execution parameters only in WHERE clauses",
        offset: -1,
      });
    }
  }
  return findings;
}
