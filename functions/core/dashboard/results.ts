import type { QueryResult, ResultRow, SqlValue } from "../../ports/query-engine.ts";
import type { ColumnSpec, DashboardQuery } from "./queries.ts";

/**
 * What leaves the API: only the allowlisted columns of a query, in the allowlist's order. A query file that
 * gained a column (say, an identifier) does not leak it; one that lost a column fails loudly.
 */

export interface DashboardResult {
  readonly query: string;
  readonly params: Readonly<Record<string, string>>;
  /** The k the rows were suppressed with (marketing queries), null for the operator's totals and security. */
  readonly k: number | null;
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly ResultRow[];
}

export class ResultShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResultShapeError";
  }
}

export function projectResult(query: DashboardQuery, result: QueryResult): ResultRow[] {
  const present = new Set(result.columns.map((c) => c.name));
  const missing = query.columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new ResultShapeError(
      `${query.queryId} no longer returns ${missing.join(", ")} (the allowlist expects it)`,
    );
  }
  return result.rows.map((row) => {
    const projected: Record<string, SqlValue> = {};
    for (const column of query.columns) projected[column.name] = row[column.name] ?? null;
    return projected;
  });
}

/** Whether a query's rows were k-suppressed in its SQL (the `dashboard.*` files). */
export function isSuppressed(query: DashboardQuery): boolean {
  return query.queryId.startsWith("dashboard.");
}

/**
 * The download name of an export: `logsieve-<query>-<site>-<from>-to-<to>.csv`. Only the site and the dates go
 * into it (never an address from `ip`), reduced to characters every file system accepts.
 */
export function exportFileName(query: DashboardQuery, params: Readonly<Record<string, string>>): string {
  const parts = ["logsieve", query.name];
  if (params.site !== undefined) parts.push(params.site);
  if (params.from !== undefined) parts.push(params.from);
  if (params.to !== undefined) parts.push("to", params.to);
  return `${parts.join("-").replace(/[^A-Za-z0-9._-]/g, "_")}.csv`;
}
