import { type Dirent, readdirSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBInstance, DuckDBTypeId, DuckDBValue } from "@duckdb/node-api";
import { ROLLUPS, STATS_SCHEMAS } from "../../core/aggregate/rollups.ts";
import { sqlStringLiteral } from "../../core/aggregate/statements.ts";
import { GOALS_PREFIX, GOALS_SCHEMA } from "../../core/goals.ts";
import {
  ADDRESS_LOOKUP_PARTITION,
  ADDRESS_LOOKUP_PREFIX,
  ADDRESS_LOOKUP_SCHEMA,
  ADDRESS_LOOKUP_TABLE,
} from "../../core/security/address-lookup.ts";
import { EVENTS_SCHEMA, REJECTS_SCHEMA, SECURITY_SCHEMA } from "../../core/zones.ts";
import {
  type QueryEngine,
  QueryEngineError,
  type QueryResult,
  type ResultRow,
  type SqlParam,
  type SqlValue,
} from "../../ports/query-engine.ts";
import type { ColumnType, TableSchema } from "../../ports/table-encoder.ts";

/**
 * DuckDB over the local lake: one view per table with the names the Glue tables have on AWS
 * (`events`, `security`, `rejects`, `stats_<rollup>`, `goals`), reading the zone's Parquet files with Hive partitioning
 * (`dt`, and `hour` for hourly zones, as VARCHAR like the Glue partition keys).
 *
 * A zone without files still has its view, over zero rows with the zone's columns, so every query runs on an
 * empty lake. Whether a zone has files is checked before each statement (a directory listing), and a view is
 * rebuilt only when that changes; new files in a zone that already has some are picked up by DuckDB itself.
 */

interface ViewSpec {
  readonly table: string;
  /** Folder under the lake root whose partition folders hold the files. */
  readonly folder: string;
  /** Partition levels below the folder (`dt`, or `dt` and `hour`). */
  readonly partitions: readonly string[];
  readonly schema: TableSchema;
}

const VIEWS: readonly ViewSpec[] = [
  { table: "events", folder: "events", partitions: ["dt"], schema: EVENTS_SCHEMA },
  { table: "security", folder: "security", partitions: ["dt", "hour"], schema: SECURITY_SCHEMA },
  { table: "rejects", folder: "rejects", partitions: ["dt", "hour"], schema: REJECTS_SCHEMA },
  ...ROLLUPS.map((rollup) => ({
    table: `stats_${rollup}`,
    folder: `stats/${rollup}`,
    partitions: ["dt"],
    schema: STATS_SCHEMAS[rollup],
  })),
  // The configured goals, written by the aggregation job for the goals rollup to join (core/goals.ts).
  { table: "goals", folder: GOALS_PREFIX.slice(0, -1), partitions: [], schema: GOALS_SCHEMA },
  // The address lookups of security queries (core/security/address-lookup.ts), as the Glue table on AWS.
  {
    table: ADDRESS_LOOKUP_TABLE,
    folder: ADDRESS_LOOKUP_PREFIX.slice(0, -1),
    partitions: [ADDRESS_LOOKUP_PARTITION],
    schema: ADDRESS_LOOKUP_SCHEMA,
  },
];

const DUCKDB_TYPE: Readonly<Record<ColumnType, string>> = {
  string: "VARCHAR",
  int32: "INTEGER",
  int64: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp_ms: "TIMESTAMP",
};

export interface DuckDbEngineOptions {
  /** The lake root (the folder holding `events/`, `security/`, `stats/`...). */
  readonly lakeDir: string;
  /** Worker threads; the default 2 leaves a shared machine usable. Results do not depend on it. */
  readonly threads?: number;
  /** DuckDB memory limit, e.g. `1GB`. */
  readonly memoryLimit?: string;
}

let duckdb: Promise<typeof import("@duckdb/node-api")> | undefined;

/**
 * DuckDB is loaded by the first engine opened, not with this module: its native addon costs about 0.2 s of CPU
 * and 37 MiB at start-up, which every command importing this module would pay (`ingest`, `--help`) without
 * running a query.
 */
export function loadDuckDb(): Promise<typeof import("@duckdb/node-api")> {
  duckdb ??= import("@duckdb/node-api");
  return duckdb;
}

export class DuckDbQueryEngine implements QueryEngine {
  readonly dialect = "duckdb" as const;
  private readonly hasFiles = new Map<string, boolean>();
  private closed = false;
  /** Statements run one at a time on the one connection: DuckDB connections are not meant for overlap. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly lakeDir: string,
    private readonly dateTypeId: DuckDBTypeId,
  ) {}

  static async open(options: DuckDbEngineOptions): Promise<DuckDbQueryEngine> {
    const { DuckDBInstance, DuckDBTypeId } = await loadDuckDb();
    const instance = await DuckDBInstance.create(":memory:", {
      threads: String(options.threads ?? 2),
      ...(options.memoryLimit === undefined ? {} : { memory_limit: options.memoryLimit }),
    });
    const connection = await instance.connect();
    const engine = new DuckDbQueryEngine(instance, connection, options.lakeDir, DuckDBTypeId.DATE);
    // Timestamps are UTC everywhere; output files keep their rows in the SELECT's order, so their bytes are stable.
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run("SET preserve_insertion_order = true");
    // Athena's (Trino's) regexp_like(string, pattern): true when the pattern matches anywhere in the string. DuckDB
    // calls it regexp_matches (RE2, same partial-match meaning); the query files use Trino's name.
    await connection.run("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)");
    await engine.syncViews();
    return engine;
  }

  async query(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult> {
    return this.serialized(async () => {
      await this.syncViews();
      const reader = await this.runWrapped(sql, params, (values) =>
        this.connection.runAndReadAll(sql, values),
      );
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const rows: ResultRow[] = reader.getRowObjectsJS().map((raw) => {
        const row: Record<string, SqlValue> = {};
        names.forEach((name, index) => {
          row[name] = toSqlValue(raw[name], types[index]?.typeId === this.dateTypeId);
        });
        return row;
      });
      return {
        columns: names.map((name, index) => ({ name, type: String(types[index]).toLowerCase() })),
        rows,
      };
    });
  }

  /** Runs a statement that returns nothing of interest (the `COPY ... TO` of the aggregation job). */
  async execute(sql: string, params: readonly SqlParam[] = []): Promise<void> {
    await this.serialized(async () => {
      await this.syncViews();
      await this.runWrapped(sql, params, (values) => this.connection.run(sql, values));
    });
  }

  /** Runs `work` between statements: no statement of this engine runs meanwhile. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serialized(work);
  }

  /** Re-checks which zones have files now (the views follow before every statement anyway). */
  async refresh(): Promise<void> {
    await this.serialized(() => this.syncViews());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new QueryEngineError("the DuckDB engine is closed"));
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runWrapped<T>(
    sql: string,
    params: readonly SqlParam[],
    run: (values: DuckDBValue[]) => Promise<T>,
  ): Promise<T> {
    try {
      return await run(params.map(toDuckDbValue));
    } catch (error) {
      const first = sql.trim().split("\n", 1)[0] ?? "";
      throw new QueryEngineError(`DuckDB failed on the statement starting "${first.slice(0, 80)}"`, {
        cause: error,
      });
    }
  }

  private async syncViews(): Promise<void> {
    for (const view of VIEWS) {
      const dir = join(this.lakeDir, view.folder);
      const present = hasParquetFiles(dir, view.partitions.length);
      if (this.hasFiles.get(view.table) === present) continue;
      // A zone's files may predate a column (objects written before it was added): the view unions them by name
      // with an empty relation of the zone's columns, so every column exists and reads NULL there, as Athena reads
      // Parquet files without the column.
      await this.connection.run(
        `CREATE OR REPLACE VIEW ${view.table} AS ${present ? `${filesView(dir, view)} UNION ALL BY NAME ${emptyView(view)}` : emptyView(view)}`,
      );
      this.hasFiles.set(view.table, present);
    }
  }
}

function filesView(dir: string, view: ViewSpec): string {
  if (view.partitions.length === 0) {
    return `SELECT * FROM read_parquet(${sqlStringLiteral(`${dir}/*.parquet`)}, hive_partitioning = false, union_by_name = true)`;
  }
  const glob = `${dir}/${view.partitions.map(() => "*").join("/")}/*.parquet`;
  const types = view.partitions.map((p) => `'${p}': VARCHAR`).join(", ");
  return `SELECT * FROM read_parquet(${sqlStringLiteral(glob)}, hive_partitioning = true, union_by_name = true, hive_types = {${types}})`;
}

function emptyView(view: ViewSpec): string {
  const columns = [
    ...view.schema.columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPE[c.type]}) AS "${c.name}"`),
    ...view.partitions.map((p) => `CAST(NULL AS VARCHAR) AS "${p}"`),
  ];
  return `SELECT ${columns.join(", ")} WHERE false`;
}

/** True when some `<key>=<value>/.../*.parquet` file exists `levels` partition folders below `dir`: what the view's glob matches. */
function hasParquetFiles(dir: string, levels: number): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  if (levels === 0) {
    return entries.some((e) => e.isFile() && e.name.endsWith(".parquet"));
  }
  return entries.some(
    (e) => e.isDirectory() && e.name.includes("=") && hasParquetFiles(join(dir, e.name), levels - 1),
  );
}

function toDuckDbValue(param: SqlParam): DuckDBValue {
  switch (param.type) {
    case "int":
      return BigInt(param.value as number);
    case "double":
      return Number(param.value);
    case "boolean":
      return Boolean(param.value);
    default:
      return String(param.value);
  }
}

function toSqlValue(value: unknown, isDate: boolean): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) {
    const iso = value.toISOString();
    return isDate ? iso.slice(0, 10) : iso;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  // Nested values never come out of logsieve's queries; show them rather than fail.
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
