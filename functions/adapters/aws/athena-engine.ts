import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import {
  type QueryEngine,
  QueryEngineError,
  type QueryResult,
  type ResultColumn,
  type ResultRow,
  type SqlParam,
  type SqlValue,
} from "../../ports/query-engine.ts";

/**
 * Athena (Trino, engine v3) behind the QueryEngine port. A statement is started with its placeholders bound
 * through ExecutionParameters (never spliced into the text) in a workgroup, polled with exponential backoff
 * until it ends or the timeout passes (then it is stopped), and its rows are read page by page.
 * FAILED and CANCELLED become a QueryEngineError whose `cause` carries Athena's StateChangeReason.
 */

export interface AthenaEngineOptions {
  readonly client: AthenaClient;
  /** The workgroup (`marketing` or `security`): it enforces the result location, encryption and scan cutoff. */
  readonly workGroup: string;
  /** The Glue database holding the tables (`events`, `security`, `stats_*`). */
  readonly database: string;
  readonly catalog?: string;
  /** First pause between polls; doubled after each poll up to `pollMaxMs`. */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  /** A statement still running after this long is stopped and reported as timed out. */
  readonly timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena allows at most 1000). */
  readonly pageSize?: number;
  /** Injected for tests: how to wait, and what time it is (epoch ms). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** What Athena said when a statement did not succeed. */
export class AthenaStateError extends Error {
  constructor(
    readonly state: "FAILED" | "CANCELLED",
    readonly reason: string,
    readonly errorType?: number,
    readonly errorCategory?: number,
  ) {
    super(reason);
    this.name = "AthenaStateError";
  }
}

/** Athena limits each execution parameter to 1024 characters. */
const MAX_PARAMETER_LENGTH = 1024;

export class AthenaQueryEngine implements QueryEngine {
  readonly dialect = "athena" as const;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: AthenaEngineOptions) {
    this.pollInitialMs = options.pollInitialMs ?? 250;
    this.pollMaxMs = options.pollMaxMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.pageSize = Math.min(options.pageSize ?? 1000, 1000);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => Date.now());
  }

  async query(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult> {
    const id = await this.run(sql, params);
    return this.results(id);
  }

  /** Runs a statement that returns no rows worth reading (UNLOAD); returns its query execution id. */
  async execute(sql: string, params: readonly SqlParam[] = []): Promise<string> {
    return this.run(sql, params);
  }

  async close(): Promise<void> {
    // The client belongs to the caller.
  }

  private async run(sql: string, params: readonly SqlParam[]): Promise<string> {
    const { client, workGroup, database, catalog } = this.options;
    let id: string | undefined;
    try {
      const started = await client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: workGroup,
          QueryExecutionContext: {
            Database: database,
            ...(catalog === undefined ? {} : { Catalog: catalog }),
          },
          ...(params.length > 0 ? { ExecutionParameters: params.map(athenaParameter) } : {}),
        }),
      );
      id = started.QueryExecutionId;
    } catch (error) {
      if (error instanceof QueryEngineError) throw error;
      throw new QueryEngineError(`Athena refused to start the query in workgroup ${workGroup}`, {
        cause: error,
      });
    }
    if (id === undefined)
      throw new QueryEngineError("Athena started a query but returned no QueryExecutionId");
    await this.waitFor(id);
    return id;
  }

  private async waitFor(id: string): Promise<void> {
    const deadline = this.now() + this.timeoutMs;
    let pause = this.pollInitialMs;
    for (;;) {
      const execution = await this.options.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const status = execution.QueryExecution?.Status;
      const state = status?.State;
      if (state === "SUCCEEDED") return;
      if (state === "FAILED" || state === "CANCELLED") {
        const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? "no reason given";
        throw new QueryEngineError(
          `Athena query ${id} ${state === "FAILED" ? "failed" : "was cancelled"}: ${reason}`,
          {
            cause: new AthenaStateError(
              state,
              reason,
              status?.AthenaError?.ErrorType,
              status?.AthenaError?.ErrorCategory,
            ),
          },
        );
      }
      if (this.now() + pause > deadline) {
        await this.options.client
          .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
          .catch(() => undefined);
        throw new QueryEngineError(
          `Athena query ${id} did not finish within ${Math.round(this.timeoutMs / 1000)} s (last state ${state ?? "unknown"}); it was stopped`,
        );
      }
      await this.sleep(pause);
      pause = Math.min(pause * 2, this.pollMaxMs);
    }
  }

  private async results(id: string): Promise<QueryResult> {
    let columns: ResultColumn[] | undefined;
    const rows: ResultRow[] = [];
    let token: string | undefined;
    let first = true;
    do {
      let page: GetQueryResultsCommandOutput;
      try {
        page = await this.options.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: this.pageSize, NextToken: token }),
        );
      } catch (error) {
        throw new QueryEngineError(`Athena could not return the results of query ${id}`, { cause: error });
      }
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? c.Label ?? "",
        type: (c.Type ?? "varchar").toLowerCase(),
      }));
      const data = page.ResultSet?.Rows ?? [];
      for (const [index, row] of data.entries()) {
        const values = (row.Data ?? []).map((d) => d.VarCharValue);
        // A SELECT's first row is the header: the column names again.
        if (first && index === 0 && columns.length > 0 && columns.every((c, i) => values[i] === c.name))
          continue;
        const out: Record<string, SqlValue> = {};
        columns.forEach((column, i) => {
          out[column.name] = fromAthena(values[i], column.type);
        });
        rows.push(out);
      }
      first = false;
      token = page.NextToken;
    } while (token !== undefined);
    return { columns: columns ?? [], rows };
  }
}

/** One ExecutionParameter: Athena substitutes it as SQL text, so strings are quoted with quotes doubled. */
export function athenaParameter(param: SqlParam): string {
  let text: string;
  switch (param.type) {
    case "string":
    case "date":
      text = `'${String(param.value).replaceAll("'", "''")}'`;
      break;
    case "int":
      if (!Number.isSafeInteger(param.value))
        throw new QueryEngineError("an int parameter must be a safe integer");
      text = String(param.value);
      break;
    case "double":
      if (typeof param.value !== "number" || !Number.isFinite(param.value)) {
        throw new QueryEngineError("a double parameter must be a finite number");
      }
      text = `DOUBLE '${String(param.value)}'`;
      break;
    case "boolean":
      text = param.value === true ? "true" : "false";
      break;
  }
  if (text.length > MAX_PARAMETER_LENGTH) {
    throw new QueryEngineError(`an Athena execution parameter is at most ${MAX_PARAMETER_LENGTH} characters`);
  }
  return text;
}

const INTEGER_TYPES = new Set(["tinyint", "smallint", "integer", "int", "bigint"]);
const DECIMAL_TYPES = new Set(["double", "float", "real", "decimal"]);

/** Athena returns every value as text; read it by the column's type, like the DuckDB engine's values. */
export function fromAthena(text: string | undefined, type: string): SqlValue {
  if (text === undefined) return null;
  const base = type.replace(/\(.*$/, "").trim();
  if (INTEGER_TYPES.has(base)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (DECIMAL_TYPES.has(base)) return Number(text);
  if (base === "boolean") return text === "true";
  if (base.startsWith("timestamp")) {
    // `2015-05-17 10:05:03.000` (UTC in logsieve's tables) → `2015-05-17T10:05:03.000Z`
    const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(text);
    if (match === null) return text;
    const fraction = (match[3] ?? ".000").padEnd(4, "0").slice(0, 4);
    return `${match[1]}T${match[2]}${fraction}Z`;
  }
  return text;
}
