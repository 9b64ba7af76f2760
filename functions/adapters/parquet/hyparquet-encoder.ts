import type { SchemaElement } from "hyparquet";
import { ByteWriter, type ColumnSource, parquetWrite } from "hyparquet-writer";
import type { ColumnSpec, ColumnType, TableEncoder, TableSchema } from "../../ports/table-encoder.ts";

/** How one column is written; the defaults suit most columns, hints tune the hot ones. */
export interface ColumnHint {
  /**
   * `plain` writes values as they are, without trying a dictionary: right where nearly every value differs
   * (paths, user agents, addresses), where the attempt costs time and never pays. `dictionary` always builds
   * one: right for the few-valued columns (site, status, country). `delta` (DELTA_BINARY_PACKED, integers only)
   * stores differences: right for counters and timestamps in time order. `auto` (the default): the library
   * samples the column and picks a dictionary or plain.
   */
  readonly encoding?: "auto" | "plain" | "dictionary" | "delta";
  /**
   * Min/max statistics let DuckDB and Athena skip row groups on filters: keep them where queries filter
   * (time, site, status, ids), drop them where nobody filters (free text) to save the work.
   */
  readonly statistics?: boolean;
}

export interface HyparquetEncoderOptions {
  /** Rows per row group: 100 000 by default, near DuckDB's own 122 880 (it reads row groups in parallel). */
  readonly rowGroupSize?: number;
  /** Per table, per column hints; merged over {@link DEFAULT_COLUMN_HINTS}. */
  readonly hints?: Readonly<Record<string, Readonly<Record<string, ColumnHint>>>>;
  /** Statistics for columns without a hint. Default true. */
  readonly statistics?: boolean;
}

/**
 * Tuning for the zone tables (functions/core/zones.ts), measured on 100k synthetic rows (numbers in the report of
 * the Foundation issue): time columns DELTA-encoded (5x smaller, as fast as PLAIN), few-valued and repetitive
 * columns always in a dictionary. Min/max statistics cost about a fifth of the encoding time and only help where
 * a file's range can exclude it from a query: time, site (inputs are often one virtual host) and status. Other
 * columns (country, browser...) span their whole range in every file, so their statistics are dropped.
 * Columns not named here get `auto` with statistics.
 */
const NO_STATS = { statistics: false } as const;
const DICT = { encoding: "dictionary" } as const;
const DICT_NO_STATS = { encoding: "dictionary", statistics: false } as const;
const PLAIN_NO_STATS = { encoding: "plain", statistics: false } as const;
const TIME = { encoding: "delta" } as const;
const COUNTER = { encoding: "delta", statistics: false } as const;

export const DEFAULT_COLUMN_HINTS: Readonly<Record<string, Readonly<Record<string, ColumnHint>>>> = {
  events: {
    ts: TIME,
    site: DICT,
    source: DICT_NO_STATS,
    event_name: DICT_NO_STATS,
    method: DICT_NO_STATS,
    path: DICT_NO_STATS,
    query: NO_STATS,
    status: DICT,
    bytes: PLAIN_NO_STATS,
    is_asset: NO_STATS,
    referrer_host: DICT_NO_STATS,
    utm_source: DICT_NO_STATS,
    utm_medium: DICT_NO_STATS,
    utm_campaign: DICT_NO_STATS,
    utm_term: NO_STATS,
    utm_content: NO_STATS,
    click_id: PLAIN_NO_STATS,
    country: DICT_NO_STATS,
    browser: DICT_NO_STATS,
    browser_major: DICT_NO_STATS,
    os: DICT_NO_STATS,
    device: DICT_NO_STATS,
    is_bot: NO_STATS,
    bot_name: DICT_NO_STATS,
    visitor_id: NO_STATS,
    ip_prefix: DICT_NO_STATS,
    consent_tier: DICT_NO_STATS,
    consent_reason: DICT_NO_STATS,
  },
  security: {
    ts: TIME,
    site: DICT,
    client_ip: NO_STATS,
    forwarded_for: NO_STATS,
    method: DICT_NO_STATS,
    target: NO_STATS,
    protocol: DICT_NO_STATS,
    status: DICT,
    bytes: PLAIN_NO_STATS,
    referrer: NO_STATS,
    user_agent: DICT_NO_STATS,
    duration_ms: PLAIN_NO_STATS,
    country: DICT_NO_STATS,
    provider: DICT_NO_STATS,
    browser: DICT_NO_STATS,
    os: DICT_NO_STATS,
    device: DICT_NO_STATS,
    is_bot: NO_STATS,
    bot_reason: DICT_NO_STATS,
    format: DICT_NO_STATS,
    input_id: DICT_NO_STATS,
    line_no: COUNTER,
  },
  rejects: {
    received_ts: TIME,
    input_id: DICT_NO_STATS,
    line_no: COUNTER,
    format: DICT_NO_STATS,
    reason: DICT,
    detail: DICT_NO_STATS,
    line: PLAIN_NO_STATS,
    line_bytes: PLAIN_NO_STATS,
  },
};

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The Parquet schema element of one column. */
function schemaElement(column: ColumnSpec): SchemaElement {
  const repetition_type = column.nullable ? "OPTIONAL" : "REQUIRED";
  const name = column.name;
  switch (column.type) {
    case "string":
      return {
        name,
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        logical_type: { type: "STRING" },
        repetition_type,
      };
    case "int32":
      return { name, type: "INT32", repetition_type };
    case "int64":
      return { name, type: "INT64", repetition_type };
    case "double":
      return { name, type: "DOUBLE", repetition_type };
    case "boolean":
      return { name, type: "BOOLEAN", repetition_type };
    case "timestamp_ms":
      // The legacy annotation alone. The Parquet spec defines TIMESTAMP_MILLIS as TIMESTAMP(isAdjustedToUTC=true,
      // MILLIS), so Athena/Trino read UTC instants into `timestamp`; DuckDB reads it as TIMESTAMP (UTC wall time),
      // the type its views declare, whereas the logical UTC annotation would make it TIMESTAMP WITH TIME ZONE and
      // show times in the session's zone.
      return { name, type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type };
  }
}

/** Thrown for a value the schema does not allow; names the table, column, row and type, never the value. */
export class EncodeError extends Error {
  constructor(table: string, column: string, row: number, problem: string) {
    super(`cannot encode ${table} row ${row}, column "${column}": ${problem}`);
    this.name = "EncodeError";
  }
}

const PROBLEMS = [
  "is null or missing but the column is not nullable",
  "expected a string",
  "expected a boolean",
  "expected a number",
  "expected a 32-bit integer",
  "expected a safe integer or a bigint",
  "bigint out of the signed 64-bit range",
  "timestamp outside the safe integer range",
] as const;

type Extract = (
  rows: readonly Readonly<Record<string, unknown>>[],
  fail: (row: number, column: number, problem: number) => never,
) => unknown[];

/**
 * Builds, once per schema, a function that reads every row once and fills one array per column, checking each
 * value's type. Generated code reads each property by a constant name, so V8 keeps those reads monomorphic; a
 * generic loop with `row[column.name]` was the single largest cost of encoding (a megamorphic keyed load per cell).
 * Column names are checked against {@link COLUMN_NAME} before they reach the generated source.
 *
 * Output arrays: typed arrays for required int32/double, bigint arrays for int64, numbers for timestamps (the
 * writer converts them itself), plain arrays with nulls otherwise.
 */
function compileExtractor(columns: readonly ColumnSpec[]): Extract {
  const decls: string[] = [];
  const body: string[] = [];
  columns.forEach((column, c) => {
    const v = `r[${JSON.stringify(column.name)}]`;
    const out = `c${c}`;
    const orNull = column.nullable ? `${out}[i] = null;` : `fail(i, ${c}, 0);`;
    switch (column.type) {
      case "string":
        decls.push(`const ${out} = new Array(n);`);
        body.push(
          `v = ${v}; if (typeof v === "string") ${out}[i] = v; else if (v == null) { ${orNull} } else fail(i, ${c}, 1);`,
        );
        break;
      case "boolean":
        decls.push(`const ${out} = new Array(n);`);
        body.push(
          `v = ${v}; if (typeof v === "boolean") ${out}[i] = v; else if (v == null) { ${orNull} } else fail(i, ${c}, 2);`,
        );
        break;
      case "int32":
        decls.push(`const ${out} = ${column.nullable ? "new Array(n)" : "new Int32Array(n)"};`);
        body.push(
          `v = ${v}; if (typeof v === "number") { if ((v | 0) !== v) fail(i, ${c}, 4); ${out}[i] = v; } else if (v == null) { ${orNull} } else fail(i, ${c}, 3);`,
        );
        break;
      case "double":
        decls.push(`const ${out} = ${column.nullable ? "new Array(n)" : "new Float64Array(n)"};`);
        body.push(
          `v = ${v}; if (typeof v === "number") ${out}[i] = v; else if (v == null) { ${orNull} } else fail(i, ${c}, 3);`,
        );
        break;
      case "int64":
        decls.push(`const ${out} = new Array(n);`);
        body.push(
          `v = ${v}; if (typeof v === "bigint") { if (v < MIN || v > MAX) fail(i, ${c}, 6); ${out}[i] = v; } else if (typeof v === "number") { if (!Number.isSafeInteger(v)) fail(i, ${c}, 5); ${out}[i] = BigInt(v); } else if (v == null) { ${orNull} } else fail(i, ${c}, 5);`,
        );
        break;
      case "timestamp_ms":
        decls.push(`const ${out} = new Array(n);`);
        body.push(
          `v = ${v}; if (typeof v === "number") { if (!Number.isSafeInteger(v)) fail(i, ${c}, 7); ${out}[i] = v; } else if (typeof v === "bigint") { if (v < -SAFE || v > SAFE) fail(i, ${c}, 7); ${out}[i] = Number(v); } else if (v == null) { ${orNull} } else fail(i, ${c}, 5);`,
        );
        break;
    }
  });
  const source = [
    `"use strict";`,
    `const MIN = -(2n ** 63n), MAX = 2n ** 63n - 1n, SAFE = BigInt(Number.MAX_SAFE_INTEGER);`,
    `return function extract(rows, fail) {`,
    `const n = rows.length;`,
    ...decls,
    `let v;`,
    `for (let i = 0; i < n; i++) {`,
    `const r = rows[i];`,
    `if (r === null || typeof r !== "object") fail(i, -1, 0);`,
    ...body,
    `}`,
    `return [${columns.map((_, c) => `c${c}`).join(", ")}];`,
    `};`,
  ].join("\n");
  // Generated from validated column names only (see COLUMN_NAME).
  return new Function(source)() as Extract;
}

/**
 * The TableEncoder for Parquet, on hyparquet-writer (pure JavaScript, no native code: it runs in Lambda as is).
 *
 * - Types: string → BYTE_ARRAY UTF8 (STRING); int32 → INT32; int64 → INT64 (number or bigint); double → DOUBLE;
 *   boolean → BOOLEAN; timestamp_ms → INT64 TIMESTAMP_MILLIS (UTC, number or bigint epoch ms). Nullable columns
 *   are OPTIONAL, the others REQUIRED.
 * - SNAPPY compression, `created_by` = "logsieve", no key/value metadata: nothing depends on the time or on
 *   chance, so the same rows give the same bytes and re-ingesting overwrites objects byte for byte.
 * - Values are checked against the schema first; an error names the table, column and row but never the value
 *   (rows hold full addresses in the security zone).
 */
export class HyparquetEncoder implements TableEncoder {
  readonly extension = "parquet";
  private readonly rowGroupSize: number;
  private readonly hints: Readonly<Record<string, Readonly<Record<string, ColumnHint>>>>;
  private readonly statistics: boolean;

  constructor(options: HyparquetEncoderOptions = {}) {
    this.rowGroupSize = options.rowGroupSize ?? 100_000;
    if (!(Number.isInteger(this.rowGroupSize) && this.rowGroupSize > 0))
      throw new RangeError("rowGroupSize must be a positive integer");
    const hints: Record<string, Record<string, ColumnHint>> = {};
    for (const [table, columns] of Object.entries(DEFAULT_COLUMN_HINTS)) hints[table] = { ...columns };
    for (const [table, columns] of Object.entries(options.hints ?? {}))
      hints[table] = { ...hints[table], ...columns };
    this.hints = hints;
    this.statistics = options.statistics ?? true;
  }

  encode(schema: TableSchema, rows: readonly Readonly<Record<string, unknown>>[]): Uint8Array {
    const extract = extractorFor(schema);
    const fail = (row: number, column: number, problem: number): never => {
      const name = column < 0 ? "(row)" : (schema.columns[column]?.name ?? "?");
      throw new EncodeError(schema.name, name, row, PROBLEMS[problem] ?? "invalid value");
    };
    const data = extract(rows, fail);

    const tableHints = this.hints[schema.name] ?? {};
    const columnData: ColumnSource[] = schema.columns.map((column, c) => {
      const hint = tableHints[column.name] ?? {};
      const source: ColumnSource = {
        name: column.name,
        data: data[c] as ColumnSource["data"],
        statistics: hint.statistics ?? this.statistics,
      };
      const encoding = encodingFor(column.type, hint.encoding ?? "auto");
      if (encoding === "PLAIN" && column.type === "string") {
        // The writer would TextEncoder.encode() each string into its own buffer; one shared buffer is cheaper.
        return { ...source, data: utf8Views(source.data as (string | null)[]), encoding };
      }
      return encoding === undefined ? source : { ...source, encoding };
    });
    const parquetSchema: SchemaElement[] = [
      { name: "schema", num_children: schema.columns.length },
      ...schema.columns.map(schemaElement),
    ];

    const writer = new ByteWriter(Math.max(1024, rows.length * 64));
    try {
      parquetWrite({
        writer,
        columnData,
        schema: parquetSchema,
        codec: "SNAPPY",
        createdBy: "logsieve",
        rowGroupSize: this.rowGroupSize,
      });
    } catch (error) {
      // The library's messages may quote values; keep only its error's name.
      const name = error instanceof Error ? error.name : "error";
      throw new Error(
        `cannot encode ${schema.name} (${rows.length} rows): the Parquet writer failed (${name})`,
      );
    }
    return writer.getBytes().slice();
  }
}

const utf8 = new TextEncoder();
const SLAB_BYTES = 1 << 20;

/** The strings as UTF-8 byte views into a few shared slabs (nulls stay null). */
function utf8Views(values: readonly (string | null)[]): (Uint8Array | null)[] {
  const out: (Uint8Array | null)[] = new Array(values.length);
  let slab = new Uint8Array(SLAB_BYTES);
  let offset = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      out[i] = null;
      continue;
    }
    const worst = value.length * 3;
    if (offset + worst > slab.length) {
      slab = new Uint8Array(Math.max(SLAB_BYTES, worst));
      offset = 0;
    }
    const { written } = utf8.encodeInto(value, slab.subarray(offset));
    out[i] = slab.subarray(offset, offset + written);
    offset += written;
  }
  return out;
}

const extractors = new WeakMap<TableSchema, Extract>();

function extractorFor(schema: TableSchema): Extract {
  let extract = extractors.get(schema);
  if (extract === undefined) {
    if (schema.columns.length === 0) throw new Error(`table ${schema.name} has no columns`);
    const seen = new Set<string>();
    for (const column of schema.columns) {
      if (!COLUMN_NAME.test(column.name))
        throw new Error(`table ${schema.name}: bad column name ${column.name}`);
      if (seen.has(column.name)) throw new Error(`table ${schema.name}: column ${column.name} appears twice`);
      seen.add(column.name);
    }
    extract = compileExtractor(schema.columns);
    extractors.set(schema, extract);
  }
  return extract;
}

/** The Parquet encoding for a hint, or undefined to let the library choose (dictionary or plain). */
function encodingFor(type: ColumnType, hint: NonNullable<ColumnHint["encoding"]>): ColumnSource["encoding"] {
  if (hint === "plain") return "PLAIN";
  if (hint === "dictionary") return type === "boolean" ? undefined : "RLE_DICTIONARY";
  if (hint === "delta")
    return type === "int32" || type === "int64" || type === "timestamp_ms"
      ? "DELTA_BINARY_PACKED"
      : undefined;
  return undefined;
}
