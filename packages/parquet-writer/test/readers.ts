import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { type DataType, Type, tableFromIPC } from "apache-arrow";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { readParquet } from "parquet-wasm";
import type { ColumnType } from "../src/index.ts";

/**
 * One Parquet file as three independent readers see it — DuckDB (C++), hyparquet (JavaScript) and arrow-rs
 * (Rust, compiled to WebAssembly as the `parquet-wasm` package) — in one common form, so that tests can compare
 * them with each other and with the rows that were written:
 *
 * - values: strings, int32 and double as numbers (NaN and -0 kept), int64 as bigint, timestamps as epoch
 *   milliseconds (number), booleans, null;
 * - column types: each reader's own type mapped back to the writer's six types, and nullability;
 * - statistics per row group and column as the footer holds them (DuckDB, hyparquet), or — arrow-rs, whose
 *   JavaScript API (parquet-wasm 0.8) does not expose the footer's statistics — computed from the values it decodes
 *   when asked for that row group alone. Bounds are given as comparable keys ({@link statKey}).
 */

export type Value = string | number | bigint | boolean | null;
export type Row = Record<string, Value>;

export interface ColumnInfo {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** Statistics of one column chunk; `min`/`max` absent when the chunk has none (all null, or not written). */
export interface ChunkStatistics {
  readonly nulls: number;
  readonly min?: string;
  readonly max?: string;
  /** False when the writer says it shortened the bound. */
  readonly minExact: boolean;
  readonly maxExact: boolean;
}

export interface FileView {
  readonly reader: "duckdb" | "hyparquet" | "arrow-rs";
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly Row[];
  readonly rowGroupSizes: readonly number[];
  /** Per row group, per column name: statistics, or null where the footer has none. */
  readonly statistics: readonly Record<string, ChunkStatistics | null>[];
}

/**
 * A bound as a string that compares like the Parquet column order for its type, and prints readably in a diff:
 * `s:` + the string, `i:` + decimal integer, `f:` + the double (Object.is-exact: -0 and 0 differ), `b:` + boolean,
 * `t:` + epoch milliseconds.
 */
export function statKey(type: ColumnType, value: Value): string {
  switch (type) {
    case "string":
      return `s:${value as string}`;
    case "int32":
    case "int64":
      return `i:${BigInt(value as number | bigint)}`;
    case "double":
      return `f:${Object.is(value, -0) ? "-0" : String(value)}`;
    case "boolean":
      return `b:${value}`;
    case "timestamp_ms":
      return `t:${Number(value)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DuckDB

let duck: { instance: DuckDBInstance; connection: DuckDBConnection } | null = null;

async function duckdb(): Promise<DuckDBConnection> {
  if (duck === null) {
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    duck = { instance, connection };
  }
  return duck.connection;
}

export function closeDuckDB(): void {
  if (duck === null) return;
  duck.connection.closeSync();
  duck.instance.closeSync();
  duck = null;
}

const DUCKDB_TYPES: Record<string, ColumnType> = {
  VARCHAR: "string",
  INTEGER: "int32",
  BIGINT: "int64",
  DOUBLE: "double",
  BOOLEAN: "boolean",
  TIMESTAMP: "timestamp_ms",
};

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const fromHex = (hex: string): string => Buffer.from(hex, "hex").toString("utf8");

/**
 * UTF-8 as written: the readers' JavaScript sides decode text with TextDecoder's default, which drops a leading
 * byte order mark (U+FEFF) that the file holds; this keeps it.
 */
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const decodeText = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : textDecoder.decode(bytes);

/** DuckDB prints statistics as text: read them back per type. */
function duckStat(type: ColumnType, text: string): string {
  switch (type) {
    case "string":
      return statKey(type, text);
    case "int32":
    case "int64":
      return statKey(type, BigInt(text));
    case "double": {
      const special: Record<string, number> = { inf: Infinity, "-inf": -Infinity, nan: Number.NaN };
      return statKey(type, special[text.toLowerCase()] ?? Number(text));
    }
    case "boolean":
      return statKey(type, text === "true" || text === "1");
    case "timestamp_ms": {
      // 'YYYY-MM-DD HH:MM:SS[.fff]' (UTC wall time)
      const match = /^(-?\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
      if (match === null) throw new Error(`DuckDB timestamp statistic ${text}`);
      const [, y, mo, d, h, mi, s, frac = ""] = match.map((part) => part ?? "") as string[];
      const ms = Number(`${frac}000`.slice(0, 3));
      return statKey(
        type,
        Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms),
      );
    }
  }
}

/** The file as DuckDB reads it; `dir` receives a copy of the bytes (DuckDB reads files). */
export async function readWithDuckDB(bytes: Uint8Array, dir: string, name: string): Promise<FileView> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const connection = await duckdb();
  const schema = (
    await connection.runAndReadAll(
      `SELECT name, duckdb_type, repetition_type FROM parquet_schema(${sqlString(path)}) WHERE num_children IS NULL ORDER BY column_id`,
    )
  ).getRowObjectsJS();
  const columns: ColumnInfo[] = schema.map((c) => {
    const type = DUCKDB_TYPES[c.duckdb_type as string];
    if (type === undefined) throw new Error(`DuckDB type ${String(c.duckdb_type)} of ${String(c.name)}`);
    return { name: c.name as string, type, nullable: c.repetition_type === "OPTIONAL" };
  });
  // Strings travel as hex: the JavaScript API decodes text with a TextDecoder that drops a leading BOM.
  const select = columns
    .map((c) =>
      c.type === "timestamp_ms"
        ? `epoch_ms("${c.name}") AS "${c.name}"`
        : c.type === "string"
          ? `hex("${c.name}") AS "${c.name}"`
          : `"${c.name}"`,
    )
    .join(", ");
  const raw = (
    await connection.runAndReadAll(`SELECT ${select} FROM read_parquet(${sqlString(path)})`)
  ).getRowObjectsJS();
  const rows = raw.map((r) => {
    const row: Row = {};
    for (const c of columns) {
      const v = r[c.name] as Value;
      row[c.name] =
        v === null
          ? null
          : c.type === "timestamp_ms"
            ? Number(v)
            : c.type === "string"
              ? fromHex(v as string)
              : v;
    }
    return row;
  });
  const chunks = (
    await connection.runAndReadAll(
      `SELECT row_group_id, row_group_num_rows, path_in_schema, stats_null_count, stats_min_value, stats_max_value,
              hex(stats_min_value) AS min_hex, hex(stats_max_value) AS max_hex, min_is_exact, max_is_exact
       FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id, column_id`,
    )
  ).getRowObjectsJS();
  const rowGroupSizes: number[] = [];
  const statistics: Record<string, ChunkStatistics | null>[] = [];
  for (const chunk of chunks) {
    const g = Number(chunk.row_group_id);
    rowGroupSizes[g] = Number(chunk.row_group_num_rows);
    statistics[g] ??= {};
    const name = chunk.path_in_schema as string;
    const type = columns.find((c) => c.name === name)?.type;
    if (type === undefined) throw new Error(`DuckDB: chunk of unknown column ${name}`);
    const group = statistics[g] as Record<string, ChunkStatistics | null>;
    if (chunk.stats_null_count === null) {
      group[name] = null;
      continue;
    }
    group[name] = {
      nulls: Number(chunk.stats_null_count),
      ...(chunk.stats_min_value === null
        ? {}
        : {
            min: duckStat(
              type,
              type === "string" ? fromHex(chunk.min_hex as string) : (chunk.stats_min_value as string),
            ),
          }),
      ...(chunk.stats_max_value === null
        ? {}
        : {
            max: duckStat(
              type,
              type === "string" ? fromHex(chunk.max_hex as string) : (chunk.stats_max_value as string),
            ),
          }),
      minExact: chunk.min_is_exact !== false,
      maxExact: chunk.max_is_exact !== false,
    };
  }
  return { reader: "duckdb", columns, rows, rowGroupSizes, statistics };
}

// ---------------------------------------------------------------------------------------------------------------
// hyparquet

function hyparquetType(element: {
  type?: string;
  converted_type?: string;
  logical_type?: { type: string };
}): ColumnType {
  if (
    element.type === "BYTE_ARRAY" &&
    (element.converted_type === "UTF8" || element.logical_type?.type === "STRING")
  )
    return "string";
  if (element.type === "INT32" && element.converted_type === undefined) return "int32";
  if (element.type === "INT64" && element.converted_type === "TIMESTAMP_MILLIS") return "timestamp_ms";
  if (element.type === "INT64" && element.converted_type === undefined) return "int64";
  if (element.type === "DOUBLE") return "double";
  if (element.type === "BOOLEAN") return "boolean";
  throw new Error(`hyparquet: unexpected schema element ${JSON.stringify(element)}`);
}

function hyparquetValue(type: ColumnType, value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (type === "timestamp_ms") return (value as Date).getTime();
  return value as Value;
}

export async function readWithHyparquet(bytes: Uint8Array): Promise<FileView> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const parsers = { stringFromBytes: decodeText };
  const meta = parquetMetadata(file, { parsers });
  const columns: ColumnInfo[] = meta.schema.slice(1).map((element) => ({
    name: element.name,
    type: hyparquetType(element),
    nullable: element.repetition_type === "OPTIONAL",
  }));
  const raw = await parquetReadObjects({ file, parsers });
  const rows = raw.map((r) => {
    const row: Row = {};
    for (const c of columns) row[c.name] = hyparquetValue(c.type, r[c.name]);
    return row;
  });
  const statistics = meta.row_groups.map((group) => {
    const byName: Record<string, ChunkStatistics | null> = {};
    for (const chunk of group.columns) {
      const name = chunk.meta_data?.path_in_schema[0] ?? "?";
      const type = columns.find((c) => c.name === name)?.type;
      if (type === undefined) throw new Error(`hyparquet: chunk of unknown column ${name}`);
      const stats = chunk.meta_data?.statistics;
      if (stats === undefined || stats.null_count === undefined) {
        byName[name] = null;
        continue;
      }
      const min = stats.min_value;
      const max = stats.max_value;
      byName[name] = {
        nulls: Number(stats.null_count),
        ...(min === undefined ? {} : { min: statKey(type, hyparquetValue(type, min)) }),
        ...(max === undefined ? {} : { max: statKey(type, hyparquetValue(type, max)) }),
        minExact: stats.is_min_value_exact !== false,
        maxExact: stats.is_max_value_exact !== false,
      };
    }
    return byName;
  });
  return {
    reader: "hyparquet",
    columns,
    rows,
    rowGroupSizes: meta.row_groups.map((g) => Number(g.num_rows)),
    statistics,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// arrow-rs (parquet-wasm), read into Apache Arrow JS through Arrow IPC

function arrowType(type: DataType): ColumnType {
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return "string";
    case Type.Int:
      if ((type as unknown as { bitWidth: number }).bitWidth === 32) return "int32";
      return "int64";
    case Type.Float:
      return "double";
    case Type.Bool:
      return "boolean";
    case Type.Timestamp:
      return "timestamp_ms";
    default:
      throw new Error(`arrow-rs: unexpected Arrow type ${String(type)}`);
  }
}

function arrowTable(bytes: Uint8Array, rowGroups?: number[]) {
  return tableFromIPC(readParquet(bytes, rowGroups === undefined ? null : { rowGroups }).intoIPCStream());
}

/** A column's values; strings decoded from the Arrow buffers themselves (see {@link decodeText}). */
function arrowValues(table: ReturnType<typeof arrowTable>, column: ColumnInfo): Value[] {
  const vector = table.getChild(column.name);
  if (vector === null) throw new Error(`arrow-rs: no column ${column.name}`);
  const values: Value[] = [];
  for (const data of vector.data) {
    for (let j = 0; j < data.length; j++) {
      if (!data.getValid(j)) values.push(null);
      else if (column.type === "string") {
        const offsets = data.valueOffsets as Int32Array;
        const start = offsets[j] as number;
        const end = offsets[j + 1] as number;
        values.push(textDecoder.decode((data.values as Uint8Array).subarray(start, end)));
      } else {
        const v = (vector.get(values.length) ?? null) as Value;
        values.push(column.type === "timestamp_ms" && v !== null ? Number(v) : v);
      }
    }
  }
  return values;
}

function arrowRows(table: ReturnType<typeof arrowTable>, columns: readonly ColumnInfo[]): Row[] {
  const byColumn = columns.map((c) => arrowValues(table, c));
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Row = {};
    columns.forEach((c, k) => {
      row[c.name] = byColumn[k]?.[i] ?? null;
    });
    rows.push(row);
  }
  return rows;
}

/**
 * UTF-8 byte order, the order of Parquet's statistics for strings, which is code point order: UTF-16 code units
 * compare the same way except surrogates (D800–DFFF, which stand for code points above FFFF) against E000–FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xe000) x -= 0x800;
    else if (x >= 0xd800) x += 0x2000;
    if (y >= 0xe000) y -= 0x800;
    else if (y >= 0xd800) y += 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Min, max and null count of values, in the column order the Parquet spec defines for the type: strings by UTF-8
 * bytes, NaN left out of double bounds, and a zero bound written as -0 (min) or +0 (max).
 */
export function statisticsOf(type: ColumnType, values: readonly Value[]): ChunkStatistics {
  let nulls = 0;
  let min: Value = null;
  let max: Value = null;
  const less = (a: Value, b: Value): boolean => {
    if (type === "string") return compareUtf8(a as string, b as string) < 0;
    if (type === "boolean") return a === false && b === true;
    return (a as number | bigint) < (b as number | bigint);
  };
  for (const v of values) {
    if (v === null) {
      nulls++;
      continue;
    }
    if (type === "double" && Number.isNaN(v)) continue;
    if (min === null || less(v, min)) min = v;
    if (max === null || less(max, v)) max = v;
  }
  if (type === "double") {
    if (min === 0) min = -0;
    if (max === 0) max = 0;
  }
  return {
    nulls,
    ...(min === null ? {} : { min: statKey(type, min) }),
    ...(max === null ? {} : { max: statKey(type, max) }),
    minExact: true,
    maxExact: true,
  };
}

export function readWithArrow(bytes: Uint8Array, rowGroupCount: number): FileView {
  const table = arrowTable(bytes);
  const columns: ColumnInfo[] = table.schema.fields.map((f) => ({
    name: f.name,
    type: arrowType(f.type),
    nullable: f.nullable,
  }));
  const rows = arrowRows(table, columns);
  const rowGroupSizes: number[] = [];
  const statistics: Record<string, ChunkStatistics | null>[] = [];
  for (let g = 0; g < rowGroupCount; g++) {
    const group = arrowRows(arrowTable(bytes, [g]), columns);
    rowGroupSizes.push(group.length);
    statistics.push(
      Object.fromEntries(
        columns.map((c) => [
          c.name,
          statisticsOf(
            c.type,
            group.map((r) => r[c.name] ?? null),
          ),
        ]),
      ),
    );
  }
  return { reader: "arrow-rs", columns, rows, rowGroupSizes, statistics };
}
