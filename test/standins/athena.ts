import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ADDRESS_LOOKUP_PARTITION } from "../../functions/core/security/address-lookup.ts";
import { type Handler, jsonService, ServiceError, type StandinContext } from "./http.ts";
import type { S3Standin } from "./s3.ts";

/**
 * Athena over its JSON protocol (`X-Amz-Target: AmazonAthena.<Action>`): StartQueryExecution,
 * GetQueryExecution, GetQueryResults (paged, header row first, every value as text), StopQueryExecution,
 * GetWorkGroup. Statements run on DuckDB over the files of the S3 stand-in:
 *
 * - each Glue table (registered from the template: location, columns, partition keys, projection) is a view over
 *   the current objects under its location whose keys follow the partition layout (`dt=.../[hour=.../]name`),
 *   skipping names Athena skips (`_...`, `.`...) and, with partition projection, partitions outside the
 *   projected `dt` range (relative to the stand-in clock). Columns are matched by name and cast to the Glue type;
 * - `ExecutionParameters` replace the `?` placeholders as SQL text, in order, as Athena does;
 * - `UNLOAD (<select>) TO 's3://bucket/prefix/' WITH (format = 'PARQUET', compression = 'SNAPPY')` refuses a
 *   non-empty target (HIVE_PATH_ALREADY_EXISTS, like Athena), writes one Parquet object named as Athena names
 *   them (no extension) into the stand-in bucket, and none for an empty result;
 * - a SELECT's result is also written as CSV to the workgroup's output location when that bucket exists.
 *
 * `DataScannedInBytes` is an estimate: the compressed bytes, in the partitions the statement's literal `dt`
 * predicates select (all when none), of the columns the statement names, as Athena bills columnar reads.
 */

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
}

export interface GlueTable {
  readonly database: string;
  readonly name: string;
  /** `s3://bucket/prefix/` */
  readonly location: string;
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  readonly parameters: Readonly<Record<string, string>>;
}

export interface Workgroup {
  readonly name: string;
  /** `s3://bucket/prefix/` of query results. */
  readonly outputLocation: string;
  readonly bytesScannedCutoff?: number;
}

export interface Execution {
  readonly id: string;
  readonly sql: string;
  readonly workgroup: string;
  readonly database: string;
  readonly accessKeyId: string;
  readonly kind: "select" | "unload";
  state: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
  reason?: string;
  readonly submittedAt: number;
  completedAt?: number;
  dataScannedBytes: number;
  columns?: { name: string; type: string }[];
  rows?: (string | null)[][];
  /** For UNLOAD: the object written (bucket/key), if any. */
  unloaded?: string;
  /** The tables the statement names, with the objects Athena would read for it (by its literal `dt` predicates). */
  reads: { table: string; bucket: string; keys: string[] }[];
  done: Promise<void>;
}

const GLUE_TO_DUCKDB: Readonly<Record<string, string>> = {
  string: "VARCHAR",
  varchar: "VARCHAR",
  bigint: "BIGINT",
  int: "INTEGER",
  integer: "INTEGER",
  smallint: "SMALLINT",
  tinyint: "TINYINT",
  double: "DOUBLE",
  float: "FLOAT",
  boolean: "BOOLEAN",
  timestamp: "TIMESTAMP",
  date: "DATE",
};

export class AthenaStandin {
  private readonly tables = new Map<string, GlueTable>();
  private readonly workgroups = new Map<string, Workgroup>();
  readonly executions = new Map<string, Execution>();
  private db: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private counter = 0;
  private readonly scratch: string;
  readonly handler: Handler;

  constructor(
    private readonly context: StandinContext,
    private readonly s3: S3Standin,
    root: string,
  ) {
    this.scratch = mkdtempSync(join(root, "athena-"));
    this.handler = jsonService({
      service: "athena",
      context,
      targetPrefix: "AmazonAthena",
      contentType: "application/x-amz-json-1.1",
      resourceOf: (action, input) =>
        action === "StartQueryExecution" || action === "GetWorkGroup"
          ? String(input.WorkGroup ?? "")
          : String(input.QueryExecutionId ?? ""),
      handle: async (action, input, meta) => this.handle(action, input, meta.accessKeyId, meta.details),
    });
  }

  registerTable(table: GlueTable): void {
    this.tables.set(`${table.database}.${table.name}`, table);
  }

  registerWorkgroup(workgroup: Workgroup): void {
    this.workgroups.set(workgroup.name, workgroup);
  }

  tableNames(database: string): string[] {
    return [...this.tables.values()]
      .filter((t) => t.database === database)
      .map((t) => t.name)
      .sort();
  }

  /** Waits for every started statement to end. */
  async settled(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done.catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.settled();
    if (this.db !== undefined) {
      const { instance, connection } = await this.db;
      connection.closeSync();
      instance.closeSync();
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async handle(
    action: string,
    input: Record<string, unknown>,
    accessKeyId: string,
    details: Record<string, string>,
  ): Promise<unknown> {
    switch (action) {
      case "StartQueryExecution": {
        // The statement runs at once and usually ends before the answer (a fast query on Athena): the caller's
        // first GetQueryExecution then finds it done, and tests do not wait out polling intervals.
        const execution = this.start(input, accessKeyId, details);
        await Promise.race([execution.done.catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
        return { QueryExecutionId: execution.id };
      }
      case "GetQueryExecution":
        return { QueryExecution: this.describe(this.execution(input.QueryExecutionId)) };
      case "GetQueryResults":
        return this.results(this.execution(input.QueryExecutionId), input);
      case "StopQueryExecution": {
        const execution = this.execution(input.QueryExecutionId);
        if (execution.state === "QUEUED" || execution.state === "RUNNING") {
          execution.state = "CANCELLED";
          execution.reason = "Query cancelled by user";
          execution.completedAt = this.context.clock.now();
        }
        return {};
      }
      case "GetWorkGroup": {
        const workgroup = this.workgroup(String(input.WorkGroup));
        return {
          WorkGroup: {
            Name: workgroup.name,
            State: "ENABLED",
            Configuration: {
              ResultConfiguration: { OutputLocation: workgroup.outputLocation },
              EnforceWorkGroupConfiguration: true,
              ...(workgroup.bytesScannedCutoff === undefined
                ? {}
                : { BytesScannedCutoffPerQuery: workgroup.bytesScannedCutoff }),
              EngineVersion: {
                SelectedEngineVersion: "Athena engine version 3",
                EffectiveEngineVersion: "Athena engine version 3",
              },
            },
          },
        };
      }
      default:
        throw new ServiceError(
          "InvalidRequestException",
          400,
          `${action} is not implemented by the stand-in`,
        );
    }
  }

  private start(
    input: Record<string, unknown>,
    accessKeyId: string,
    details: Record<string, string>,
  ): Execution {
    const workgroup = this.workgroup(String(input.WorkGroup ?? "primary"));
    const database = String(
      (input.QueryExecutionContext as { Database?: string } | undefined)?.Database ?? "default",
    );
    const params = (input.ExecutionParameters ?? []) as string[];
    const sql = bindParameters(String(input.QueryString ?? ""), params);
    const kind = /^\s*UNLOAD\b/i.test(sql) ? "unload" : "select";
    const id = uuid(`execution:${++this.counter}`);
    details.queryExecutionId = id;
    details.statement = kind;
    const execution: Execution = {
      id,
      sql,
      workgroup: workgroup.name,
      database,
      accessKeyId,
      kind,
      state: "QUEUED",
      submittedAt: this.context.clock.now(),
      dataScannedBytes: 0,
      reads: [],
      done: Promise.resolve(),
    };
    execution.done = this.serialized(() => this.run(execution, workgroup));
    this.executions.set(id, execution);
    return execution;
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async run(execution: Execution, workgroup: Workgroup): Promise<void> {
    if (execution.state === "CANCELLED") return;
    execution.state = "RUNNING";
    try {
      const { connection } = await this.connection();
      const files = await this.syncViews(connection, execution.database, execution.sql);
      execution.dataScannedBytes = await this.scannedBytes(connection, execution, files);
      if (
        workgroup.bytesScannedCutoff !== undefined &&
        execution.dataScannedBytes > workgroup.bytesScannedCutoff
      ) {
        throw new Error("Query exhausted resources: bytes scanned limit was exceeded (workgroup cutoff)");
      }
      if (execution.kind === "unload") await this.unload(connection, execution);
      else await this.select(connection, execution, workgroup);
      if (execution.state === "RUNNING") execution.state = "SUCCEEDED";
    } catch (error) {
      execution.state = "FAILED";
      execution.reason = error instanceof Error ? error.message : String(error);
    } finally {
      execution.completedAt = this.context.clock.now();
    }
  }

  private async select(
    connection: DuckDBConnection,
    execution: Execution,
    workgroup: Workgroup,
  ): Promise<void> {
    const reader = await connection.runAndReadAll(execution.sql);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => athenaType(String(t)));
    const rows = reader
      .getRowsJS()
      .map((row) => row.map((value, i) => athenaText(value, types[i] ?? "varchar")));
    execution.columns = names.map((name, i) => ({ name, type: types[i] ?? "varchar" }));
    execution.rows = rows;
    const target = parseS3Url(workgroup.outputLocation);
    if (target !== undefined && this.s3.bucketNames().includes(target.bucket)) {
      const csv = [names, ...rows]
        .map((r) => r.map((v) => (v === null ? "" : `"${v.replaceAll('"', '""')}"`)).join(","))
        .join("\n");
      this.s3.put(target.bucket, `${target.key}${execution.id}.csv`, Buffer.from(`${csv}\n`), {
        contentType: "text/csv",
      });
    }
  }

  private async unload(connection: DuckDBConnection, execution: Execution): Promise<void> {
    const match = /^\s*UNLOAD\s*\(([\s\S]*)\)\s*TO\s*'((?:[^']|'')*)'\s*WITH\s*\(([\s\S]*)\)\s*;?\s*$/i.exec(
      execution.sql,
    );
    if (match === null) throw new Error("UNLOAD must read UNLOAD (<select>) TO 's3://...' WITH (...)");
    const [, select, rawTarget, withText] = match as unknown as [string, string, string, string];
    const properties = Object.fromEntries(
      [...withText.matchAll(/(\w+)\s*=\s*'([^']*)'/g)].map((m) => [String(m[1]).toLowerCase(), String(m[2])]),
    );
    if ((properties.format ?? "").toUpperCase() !== "PARQUET")
      throw new Error("the stand-in UNLOADs format = 'PARQUET' only");
    if (/partitioned_by/i.test(withText)) throw new Error("the stand-in does not UNLOAD with partitioned_by");
    const target = parseS3Url(rawTarget.replaceAll("''", "'"));
    if (target === undefined || !target.key.endsWith("/"))
      throw new Error(`UNLOAD target is not s3://bucket/prefix/: ${rawTarget}`);
    if (this.s3.keys(target.bucket, target.key).length > 0) {
      throw new Error(
        `HIVE_PATH_ALREADY_EXISTS: Target directory for table 'unload' already exists: ${rawTarget}`,
      );
    }
    const temp = join(this.scratch, `${execution.id}.parquet`);
    const compression = (properties.compression ?? "GZIP").toLowerCase();
    const literal = `'${temp.replaceAll("'", "''")}'`;
    await connection.run(`COPY (\n${select}\n) TO ${literal} (FORMAT parquet, COMPRESSION ${compression})`);
    const written = await connection.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${literal})`);
    if (Number(written.getRowsJS()[0]?.[0] ?? 0) === 0) {
      rmSync(temp, { force: true });
      return; // Athena writes no file for an empty result
    }
    const stamp = new Date(execution.submittedAt)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace("T", "_")
      .slice(0, 15);
    const name = `${stamp}_${String(this.counter).padStart(5, "0")}_${execution.id.slice(0, 5)}_${uuid(`${execution.id}:file`)}`;
    this.s3.put(target.bucket, `${target.key}${name}`, readFileSync(temp));
    rmSync(temp, { force: true });
    execution.unloaded = `${target.bucket}/${target.key}${name}`;
  }

  private async connection(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    this.db ??= (async () => {
      const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
      const connection = await instance.connect();
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run("SET preserve_insertion_order = true");
      // Athena's (Trino's) regexp_like(string, pattern), which the Stats API's filtered queries use: DuckDB calls it
      // regexp_matches (as the local DuckDB adapter maps it too).
      await connection.run("CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)");
      return { instance, connection };
    })();
    return this.db;
  }

  /** (Re)creates the views of the tables a statement names, over their current files; returns those files. */
  private async syncViews(
    connection: DuckDBConnection,
    database: string,
    sql: string,
  ): Promise<Map<string, TableFile[]>> {
    const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
    const filesByTable = new Map<string, TableFile[]>();
    for (const table of this.tables.values()) {
      if (table.database !== database || !words.has(table.name.toLowerCase())) continue;
      // A partition key whose values are random ids (the address lookups' `lookup`) is projected like Athena
      // projects it: only the partitions the statement names are read. Another query's lookup, removed while this
      // statement runs, is none of its business.
      const named = table.partitionKeys.filter((k) => k.name === ADDRESS_LOOKUP_PARTITION).map((k) => k.name);
      const files = this.tableFiles(table).filter((f) =>
        named.every((k) => f.partition[k] !== undefined && sql.includes(`'${f.partition[k]}'`)),
      );
      filesByTable.set(table.name, files);
      const partitions = table.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS "${k.name}"`);
      let body: string;
      if (files.length === 0) {
        body = `SELECT ${[...table.columns.map((c) => `CAST(NULL AS ${duckType(c.type)}) AS "${c.name}"`), ...partitions].join(", ")} WHERE false`;
      } else {
        const list = files.map((f) => `'${f.path.replaceAll("'", "''")}'`).join(", ");
        // A table without partition keys (the goals) has no hive layout to read.
        const hive =
          table.partitionKeys.length === 0
            ? "hive_partitioning = false"
            : `hive_partitioning = true, hive_types = {${table.partitionKeys.map((k) => `'${k.name}': VARCHAR`).join(", ")}}`;
        const source = `read_parquet([${list}], ${hive}, union_by_name = true)`;
        const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
        const present = new Set(described.getRowsJS().map((r) => String(r[0])));
        const columns = table.columns.map((c) =>
          present.has(c.name)
            ? `CAST("${c.name}" AS ${duckType(c.type)}) AS "${c.name}"`
            : `CAST(NULL AS ${duckType(c.type)}) AS "${c.name}"`,
        );
        body = `SELECT ${[...columns, ...table.partitionKeys.map((k) => `"${k.name}"`)].join(", ")} FROM ${source}`;
      }
      await connection.run(`CREATE OR REPLACE VIEW "${table.name}" AS ${body}`);
    }
    return filesByTable;
  }

  private tableFiles(table: GlueTable): TableFile[] {
    const location = parseS3Url(table.location);
    if (location === undefined) throw new Error(`table ${table.name} has no s3:// location`);
    const allowedDays = projectedDays(table.parameters, this.context.clock.now());
    const out: TableFile[] = [];
    for (const object of this.s3.currentObjects(location.bucket, location.key)) {
      const rest = object.key.slice(location.key.length).split("/");
      if (rest.length !== table.partitionKeys.length + 1) continue;
      const name = rest[rest.length - 1] as string;
      if (name === "" || name.startsWith("_") || name.startsWith(".") || object.size === 0) continue;
      const values: Record<string, string> = {};
      let layoutOk = true;
      table.partitionKeys.forEach((k, i) => {
        const segment = rest[i] ?? "";
        if (!segment.startsWith(`${k.name}=`)) layoutOk = false;
        values[k.name] = segment.slice(k.name.length + 1);
      });
      if (!layoutOk) continue;
      if (allowedDays !== undefined && values.dt !== undefined && !allowedDays(values.dt)) continue;
      const path = this.s3.localPath(location.bucket, object.key);
      if (path === undefined)
        throw new Error(`the stand-in cannot read s3://${location.bucket}/${object.key} as a file`);
      out.push({ path, key: object.key, partition: values, size: object.size });
    }
    return out;
  }

  private async scannedBytes(
    connection: DuckDBConnection,
    execution: Execution,
    files: Map<string, TableFile[]>,
  ): Promise<number> {
    const words = new Set(execution.sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
    // A table is read where a FROM or JOIN names it: a column of the same name (stats_goals.events) reads nothing.
    const named = new Set(
      [...execution.sql.toLowerCase().matchAll(/\b(?:from|join)\s+"?([a-z_][a-z0-9_]*)"?/g)].map((m) => m[1]),
    );
    const days = dayPredicates(execution.sql);
    let total = 0;
    for (const [name, tableFiles] of files) {
      if (!named.has(name.toLowerCase())) continue;
      const table = this.tables.get(`${execution.database}.${name}`) as GlueTable;
      const selected = tableFiles.filter((f) => f.partition.dt === undefined || days(f.partition.dt));
      const location = parseS3Url(table.location) as { bucket: string; key: string };
      execution.reads.push({ table: name, bucket: location.bucket, keys: selected.map((f) => f.key) });
      const columns = new Set(table.columns.map((c) => c.name).filter((c) => words.has(c.toLowerCase())));
      if (selected.length === 0 || columns.size === 0) continue;
      const list = selected.map((f) => `'${f.path.replaceAll("'", "''")}'`).join(", ");
      const meta = await connection.runAndReadAll(
        `SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata([${list}]) GROUP BY path_in_schema`,
      );
      for (const [column, bytes] of meta.getRowsJS()) if (columns.has(String(column))) total += Number(bytes);
    }
    return total;
  }

  private describe(execution: Execution): Record<string, unknown> {
    const workgroup = this.workgroups.get(execution.workgroup);
    return {
      QueryExecutionId: execution.id,
      Query: execution.sql,
      StatementType: "DML",
      WorkGroup: execution.workgroup,
      QueryExecutionContext: { Database: execution.database },
      ResultConfiguration: { OutputLocation: `${workgroup?.outputLocation ?? ""}${execution.id}.csv` },
      Status: {
        State: execution.state,
        SubmissionDateTime: execution.submittedAt / 1000,
        ...(execution.completedAt === undefined ? {} : { CompletionDateTime: execution.completedAt / 1000 }),
        ...(execution.reason === undefined
          ? {}
          : {
              StateChangeReason: execution.reason,
              AthenaError: { ErrorCategory: 2, ErrorType: 1006, ErrorMessage: execution.reason },
            }),
      },
      Statistics: {
        DataScannedInBytes: execution.dataScannedBytes,
        EngineExecutionTimeInMillis: (execution.completedAt ?? execution.submittedAt) - execution.submittedAt,
      },
      EngineVersion: {
        SelectedEngineVersion: "Athena engine version 3",
        EffectiveEngineVersion: "Athena engine version 3",
      },
    };
  }

  private results(execution: Execution, input: Record<string, unknown>): unknown {
    if (execution.state !== "SUCCEEDED") {
      throw new ServiceError(
        "InvalidRequestException",
        400,
        `Query has not yet finished. Current state: ${execution.state}`,
      );
    }
    const pageSize = Math.min(Number(input.MaxResults ?? 1000), 1000);
    const start = input.NextToken === undefined ? 0 : Number(input.NextToken);
    const columns = execution.columns ?? [];
    const all: (string | null)[][] = [columns.map((c) => c.name), ...(execution.rows ?? [])];
    const page = execution.kind === "unload" ? [] : all.slice(start, start + pageSize);
    const next =
      start + pageSize < all.length && execution.kind !== "unload" ? String(start + pageSize) : undefined;
    return {
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: columns.map((c) => ({
            Name: c.name,
            Label: c.name,
            Type: c.type,
            CatalogName: "hive",
            Nullable: "UNKNOWN",
          })),
        },
      },
      UpdateCount: 0,
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }

  private execution(id: unknown): Execution {
    const execution = this.executions.get(String(id));
    if (execution === undefined)
      throw new ServiceError("InvalidRequestException", 400, `QUERY_NOT_FOUND: ${String(id)}`);
    return execution;
  }

  private workgroup(name: string): Workgroup {
    const workgroup = this.workgroups.get(name);
    if (workgroup === undefined)
      throw new ServiceError("InvalidRequestException", 400, `WorkGroup ${name} is not found.`);
    return workgroup;
  }
}

interface TableFile {
  readonly path: string;
  readonly key: string;
  readonly partition: Readonly<Record<string, string>>;
  readonly size: number;
}

function duckType(glue: string): string {
  const base = glue.toLowerCase().trim();
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(base);
  if (decimal !== null) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  const mapped = GLUE_TO_DUCKDB[base];
  if (mapped === undefined) throw new Error(`the stand-in has no DuckDB type for Glue type ${glue}`);
  return mapped;
}

/** DuckDB's type name of a result column as Athena names it. */
function athenaType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === "VARCHAR") return "varchar";
  if (t === "BIGINT" || t === "HUGEINT" || t === "UBIGINT") return "bigint";
  if (t === "INTEGER" || t === "UINTEGER") return "integer";
  if (t === "SMALLINT" || t === "TINYINT") return "smallint";
  if (t === "DOUBLE" || t === "FLOAT") return "double";
  if (t === "BOOLEAN") return "boolean";
  if (t.startsWith("TIMESTAMP")) return "timestamp";
  if (t === "DATE") return "date";
  if (t.startsWith("DECIMAL")) return t.toLowerCase();
  return "varchar";
}

/** A value as Athena's GetQueryResults prints it. */
function athenaText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    return type === "date"
      ? value.toISOString().slice(0, 10)
      : value.toISOString().replace("T", " ").replace("Z", "");
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

/** Athena's textual substitution of `?` placeholders (outside strings, quoted names and comments). */
export function bindParameters(sql: string, params: readonly string[]): string {
  let out = "";
  let used = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "?") {
      if (used >= params.length)
        throw new ServiceError("InvalidRequestException", 400, "more placeholders than ExecutionParameters");
      out += params[used++];
    } else {
      out += c;
    }
  }
  if (used !== params.length)
    throw new ServiceError("InvalidRequestException", 400, "more ExecutionParameters than placeholders");
  return out;
}

function closing(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i++;
        continue;
      }
      return i;
    }
  }
  return sql.length - 1;
}

function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  return match === null ? undefined : { bucket: match[1] as string, key: match[2] as string };
}

/** With partition projection on `dt` (type date, range `NOW-nDAYS,NOW` or `NOW-nMONTHS,NOW`): which days exist. */
function projectedDays(
  parameters: Readonly<Record<string, string>>,
  now: number,
): ((day: string) => boolean) | undefined {
  if (parameters["projection.enabled"] !== "true" || parameters["projection.dt.type"] !== "date")
    return undefined;
  const range = parameters["projection.dt.range"] ?? "";
  const match = /^NOW-(\d+)(DAYS|MONTHS),NOW$/.exec(range);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const from = new Date(now);
  if (match[2] === "DAYS") from.setUTCDate(from.getUTCDate() - amount);
  else from.setUTCMonth(from.getUTCMonth() - amount);
  const first = from.toISOString().slice(0, 10);
  const last = new Date(now).toISOString().slice(0, 10);
  return (day) => day >= first && day <= last;
}

/** The days a statement's literal `dt` predicates select: `dt = '...'`, `dt IN (...)`, bounds; all when none. */
function dayPredicates(sql: string): (day: string) => boolean {
  const equal = [...sql.matchAll(/\bdt\s*=\s*'(\d{4}-\d{2}-\d{2})'/gi)].map((m) => String(m[1]));
  const between = [...sql.matchAll(/\bdt\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'/gi)];
  const lower = [...sql.matchAll(/\bdt\s*>=?\s*'(\d{4}-\d{2}-\d{2})'/gi)].map((m) => String(m[1]));
  const upper = [...sql.matchAll(/\bdt\s*<=?\s*'(\d{4}-\d{2}-\d{2})'/gi)].map((m) => String(m[1]));
  if (equal.length > 0) return (day) => equal.includes(day);
  if (between.length > 0) return (day) => between.some((m) => day >= String(m[1]) && day <= String(m[2]));
  return (day) => lower.every((l) => day >= l) && upper.every((u) => day <= u);
}

function uuid(seed: string): string {
  const h = createHash("sha256")
    .update(seed)
    .update(String(process.pid))
    .update(String(Date.now()))
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
