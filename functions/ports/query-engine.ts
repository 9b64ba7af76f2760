/**
 * A SQL engine over the lake: DuckDB over the local Parquet files, or Athena over the Glue tables on AWS.
 * Both expose the same table names (`events`, `security`, `rejects`, one `stats_<rollup>` per rollup, with
 * the partition columns `dt` and, for hourly zones, `hour` as strings), so the SELECT texts in `queries/`
 * run unchanged on either.
 *
 * Values reach a statement only through its `?` placeholders, bound in order. Athena accepts placeholders
 * only in WHERE clauses, so the query files keep them there.
 */

/** The types a placeholder can be bound as. `date` is a `YYYY-MM-DD` string compared with the `dt` column. */
export const SQL_PARAM_TYPES = ["string", "date", "int", "double", "boolean"] as const;
export type SqlParamType = (typeof SQL_PARAM_TYPES)[number];

export interface SqlParam {
  readonly type: SqlParamType;
  /** A string for `string` and `date`, a finite number for `int` (an integer) and `double`, a boolean. */
  readonly value: string | number | boolean;
}

/**
 * One value of a result, the same on both engines: integers and decimals as numbers (a 64-bit integer
 * beyond 2^53 as its decimal string), timestamps as ISO-8601 UTC strings (`2015-05-17T10:05:03.000Z`),
 * dates as `YYYY-MM-DD`, SQL NULL as null.
 */
export type SqlValue = string | number | boolean | null;
export type ResultRow = Readonly<Record<string, SqlValue>>;

export interface ResultColumn {
  readonly name: string;
  /** The engine's own type name, lower-cased (e.g. `bigint`, `varchar`, `timestamp`). For display only. */
  readonly type: string;
}

export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly ResultRow[];
}

export interface QueryEngine {
  /** Which dialect the engine speaks; query texts are written in the intersection of both. */
  readonly dialect: "duckdb" | "athena";
  /** Runs one statement whose `?` placeholders are bound to `params` in order, and returns every row. */
  query(sql: string, params?: readonly SqlParam[]): Promise<QueryResult>;
  /** Releases the engine's resources; the engine is unusable afterwards. */
  close(): Promise<void>;
}

/** A statement failed in the engine. `cause` carries the engine's own error or reason. */
export class QueryEngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueryEngineError";
  }
}
