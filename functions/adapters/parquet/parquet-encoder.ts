import {
  type BatchData,
  ColumnBatch,
  type ColumnSpec,
  type EncodedRowGroups,
  encodeRowGroups,
  freeNow,
  ParquetFileWriter,
  type TableSpec,
  type WriteOptions,
  writeParquet,
} from "@logsieve/parquet-writer";
import type {
  RowSink,
  TableBatch,
  TableEncoder,
  TableFileWriter,
  TablePart,
  TableSchema,
} from "../../ports/table-encoder.ts";

export { EncodeError } from "@logsieve/parquet-writer";

/**
 * One ArrayBuffer detached when this module loads, in each thread that encodes. V8 compiles typed-array code assuming
 * that no ArrayBuffer of the thread was ever detached (a per-isolate "protector"), and the first detach throws all
 * such optimized code away. With two threads the first buffers posted to the other thread (a shard's chunks, a
 * part's bytes) did that mid-run, in each thread: ≈ 65 functions (this encoder, Snappy, address parsing, the
 * enricher...) deoptimized at once and compiled again (docs/BENCHMARKS.md, fifth round, second part, `deopts`).
 * Detached here, before anything is optimized, the code is compiled once, with the checks.
 */
const detachedAtLoad = new ArrayBuffer(8);
structuredClone(detachedAtLoad, { transfer: [detachedAtLoad] });

/**
 * A rehearsal before a thread's first encoder is made (or its first batch encoded): a few small files of a made-up
 * table with a column of each kind the ingest tables have, written the way parts are (values one by one into a
 * batch, row groups, the footer), and thrown away. V8 records what a branch meets only once the function has run a few times (feedback is
 * allocated lazily) and compiles a hot function without the branches that had not run by then: the events table's
 * first file, written long after the security table's, took paths of the writer that the security files never had
 * (a nullable int64, deltas wider than 24 bits, ...) and threw `writeFixed`, `deltaPackNumbers`,
 * `dictionaryFromBytes` and others away in each thread, to be compiled again (docs/BENCHMARKS.md, seventh round,
 * `deopt`). Nothing here depends on the data ingested, and nothing of it is kept or written. About 15 ms of CPU,
 * once per thread; not when this module loads, so that the commands that never encode do not pay it.
 */
function rehearseOnce(): void {
  if (rehearsed) return;
  rehearsed = true;
  // Column objects of the shape `ParquetEncoder.tableOf` makes (the same hidden class in the writer's code).
  const column = (
    name: string,
    type: ColumnSpec["type"],
    nullable: boolean,
    encoding: NonNullable<ColumnSpec["encoding"]>,
    statistics: boolean,
    collect: NonNullable<ColumnSpec["collect"]>,
  ): ColumnSpec => ({ name, type, nullable, encoding, statistics, collect });
  const table: TableSpec = {
    name: "rehearsal",
    columns: [
      column("site", "string", false, "dictionary", true, "codes"),
      column("agent", "string", true, "dictionary", false, "codes"),
      column("path", "string", true, "dictionary", true, "codes"),
      column("country", "string", true, "dictionary", true, "codes"),
      column("ip", "string", false, "plain", false, "bytes"),
      column("referrer", "string", true, "auto", true, "bytes"),
      column("query", "string", true, "auto", true, "bytes"),
      column("status", "int32", true, "dictionary", true, "bytes"),
      column("count", "int32", false, "auto", true, "bytes"),
      column("visitor", "int64", true, "auto", false, "bytes"),
      column("line", "int64", false, "delta", false, "bytes"),
      column("ts", "timestamp_ms", false, "delta", true, "bytes"),
      column("ratio", "double", true, "auto", true, "bytes"),
      column("bot", "boolean", true, "auto", true, "bytes"),
    ],
  };
  const options: WriteOptions = { rowGroupSize: 64, createdBy: "rehearsal" };
  const sites = ["a.example", "b.example", "c.example"];
  // Long values, some repeated (Snappy's long copies) and some of letters in no order (its long literals).
  let seed = 12345;
  const letters = (n: number): string => {
    let text = "";
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += String.fromCharCode(97 + (seed % 26));
    }
    return text;
  };
  const long = [letters(90), letters(130), `https://long.example/${"path/".repeat(30)}`];
  const statuses = [200, 200, 304, 404, 70_000];
  for (let file = 0; file < 8; file++) {
    const rows = 16 + 8 * file;
    // A part as the ingest writes them: full row groups encoded as rows end, the rest and the footer at `finish`.
    const part = new ParquetPart(table, options, rows, (data, atStart) =>
      encodeGroups(table, data, options, atStart),
    );
    const batch = part.sink;
    for (let r = 0; r < rows; r++) {
      const k = r * 7 + file;
      // Four codes columns: of the first ones a thread makes, one in three starts with codes one, two or four bytes
      // wide (batch.ts EARLY_COLUMNS), so each of these gets each width in some part.
      batch.string(sites[k % 3] as string);
      batch.string(k % 5 === 0 ? null : (sites[(k >> 1) % 3] as string));
      batch.string(k % 7 === 0 ? null : (sites[(k >> 2) % 3] as string));
      batch.string(k % 4 === 0 ? null : (sites[(k >> 3) % 3] as string));
      batch.string(`192.0.2.${k % 256}`);
      batch.string(k % 3 === 0 ? null : `https://referrer.example/${k % 11 === 0 ? "é" : ""}page/${k % 17}`);
      batch.string(
        file % 2 === 0 ? null : k % 4 === 1 ? letters(70) : k % 4 === 2 ? (long[k % 3] as string) : `q=${k}`,
      );
      batch.number(k % 4 === 0 ? null : (statuses[k % 5] as number));
      batch.number(k);
      if (k % 6 === 0) batch.bigint(null);
      else if (k % 6 === 1) batch.bigint(BigInt(k) << 40n);
      else batch.number(k * 1_000_003);
      batch.number(file * 1_000 + r);
      // Time going back and forth by days: deltas wider than 24 bits.
      batch.number(1_700_000_000_000 + (k % 9) * 86_400_000 + r);
      batch.number(k % 2 === 0 ? null : k / 7);
      batch.boolean(k % 3 === 0 ? null : k % 2 === 0);
      batch.end();
    }
    // Its row groups are encoded by now; the footer follows in a microtask. A failure would surface as an unhandled
    // rejection, which stops the process.
    void part.finish();
  }
}
let rehearsed = false;

/** How one column is written; the defaults suit most columns, hints tune the hot ones. */
export interface ColumnHint {
  /**
   * `plain` writes values as they are, without trying a dictionary: right where nearly every value differs
   * (paths, user agents, addresses), where the attempt costs time and never pays. `dictionary` always builds
   * one: right for the few-valued columns (site, status, country). `delta` (DELTA_BINARY_PACKED, integers only)
   * stores differences: right for counters and timestamps in time order. `auto` (the default): the library
   * samples the column and picks a dictionary or plain.
   */
  readonly encoding?: ColumnSpec["encoding"];
  /**
   * Min/max statistics let DuckDB and Athena skip row groups on filters: keep them where queries filter
   * (time, site, status, ids), drop them where nobody filters (free text) to save the work.
   */
  readonly statistics?: boolean;
  /**
   * How string values are collected while rows are added. `codes`: a Map lookup per value, one int32 code per row
   * and the distinct values — cheap when values repeat as the very same string objects, whose hash V8 has cached
   * (enumerations such as site, country, browser; user agents, which the enricher's cache has looked up already;
   * paths, which the pipeline's scrub memo returns). `bytes` (the default): the UTF-8 bytes are copied, and a
   * dictionary, if the column wants one, is built when the file is written — for fresh strings such as addresses
   * and raw targets, whose hashing for a Map costs 3–4 times the copy (docs/BENCHMARKS.md).
   */
  readonly collect?: ColumnSpec["collect"];
}

export interface ParquetEncoderOptions {
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
/** A dictionary, collected as codes (see {@link ColumnHint.collect}). */
const CODES = { encoding: "dictionary", collect: "codes" } as const;
const CODES_NO_STATS = { encoding: "dictionary", statistics: false, collect: "codes" } as const;

export const DEFAULT_COLUMN_HINTS: Readonly<Record<string, Readonly<Record<string, ColumnHint>>>> = {
  events: {
    ts: TIME,
    site: CODES,
    source: CODES_NO_STATS,
    event_name: CODES_NO_STATS,
    method: CODES_NO_STATS,
    // Same string objects for repeated targets (the pipeline remembers scrubbed targets): codes are cheap.
    path: CODES_NO_STATS,
    query: NO_STATS,
    status: DICT,
    bytes: PLAIN_NO_STATS,
    is_asset: NO_STATS,
    referrer_host: CODES_NO_STATS,
    utm_source: DICT_NO_STATS,
    utm_medium: DICT_NO_STATS,
    utm_campaign: DICT_NO_STATS,
    utm_term: NO_STATS,
    utm_content: NO_STATS,
    click_id: PLAIN_NO_STATS,
    country: CODES_NO_STATS,
    browser: CODES_NO_STATS,
    browser_major: CODES_NO_STATS,
    os: CODES_NO_STATS,
    device: CODES_NO_STATS,
    is_bot: NO_STATS,
    bot_name: CODES_NO_STATS,
    visitor_id: NO_STATS,
    ip_prefix: DICT_NO_STATS,
    consent_tier: CODES_NO_STATS,
    consent_reason: CODES_NO_STATS,
  },
  security: {
    ts: TIME,
    site: CODES,
    client_ip: NO_STATS,
    forwarded_for: NO_STATS,
    method: CODES_NO_STATS,
    target: NO_STATS,
    protocol: CODES_NO_STATS,
    status: DICT,
    bytes: PLAIN_NO_STATS,
    referrer: NO_STATS,
    // The enricher's cache lookup has hashed this very string already: a code costs a comparison, 4 bytes a row.
    user_agent: CODES_NO_STATS,
    duration_ms: PLAIN_NO_STATS,
    country: CODES_NO_STATS,
    provider: CODES_NO_STATS,
    browser: CODES_NO_STATS,
    os: CODES_NO_STATS,
    device: CODES_NO_STATS,
    is_bot: NO_STATS,
    bot_reason: CODES_NO_STATS,
    format: CODES_NO_STATS,
    input_id: CODES_NO_STATS,
    line_no: COUNTER,
  },
  rejects: {
    received_ts: TIME,
    input_id: CODES_NO_STATS,
    line_no: COUNTER,
    format: CODES_NO_STATS,
    reason: CODES,
    detail: CODES_NO_STATS,
    line: PLAIN_NO_STATS,
    line_bytes: PLAIN_NO_STATS,
  },
};

/**
 * The TableEncoder for Parquet: logsieve's tables mapped to @logsieve/parquet-writer (packages/parquet-writer, pure
 * TypeScript: it runs in Lambda as is), each column with its hint.
 *
 * - Types: string → BYTE_ARRAY UTF8 (STRING); int32 → INT32; int64 → INT64 (number or bigint); double → DOUBLE;
 *   boolean → BOOLEAN; timestamp_ms → INT64 TIMESTAMP_MILLIS (UTC, number or bigint epoch ms). Nullable columns
 *   are OPTIONAL, the others REQUIRED.
 * - Rows are collected as columns (the writer's ColumnBatch: `startBatch` for the ingest pipeline, or inside
 *   `encode`) and written from typed arrays. (hyparquet-writer's `parquetWrite` took about 11 µs per ingested
 *   line, half the pipeline's time; the figures are in docs/BENCHMARKS.md.)
 * - SNAPPY compression, `created_by` = "logsieve", no key/value metadata: nothing depends on the time or on
 *   chance, so the same rows give the same bytes and re-ingesting overwrites objects byte for byte.
 * - Values are checked against the schema as they are added; an error names the table, column and row but never
 *   the value (rows hold full addresses in the security zone).
 */
export class ParquetEncoder implements TableEncoder {
  readonly extension = "parquet";
  private readonly writeOptions: WriteOptions;
  private readonly hints: Readonly<Record<string, Readonly<Record<string, ColumnHint>>>>;
  private readonly statistics: boolean;
  private readonly tables = new WeakMap<TableSchema, TableSpec>();
  /** Column batches of finished parts and files, kept for the next ones (see {@link BatchPool}). */
  readonly batches = new BatchPool();

  constructor(options: ParquetEncoderOptions = {}) {
    rehearseOnce();
    this.writeOptions = parquetWriteOptions(options);
    const hints: Record<string, Record<string, ColumnHint>> = {};
    for (const [table, columns] of Object.entries(DEFAULT_COLUMN_HINTS)) hints[table] = { ...columns };
    for (const [table, columns] of Object.entries(options.hints ?? {}))
      hints[table] = { ...hints[table], ...columns };
    this.hints = hints;
    this.statistics = options.statistics ?? true;
  }

  encode(schema: TableSchema, rows: readonly Readonly<Record<string, unknown>>[]): Uint8Array {
    const batch = this.startBatch(schema, rows.length);
    for (const row of rows) batch.add(row);
    return encodeColumns(batch.schema, batch.finish(), this.writeOptions);
  }

  /** The writer's own batch: it is a {@link TableBatch} (its `schema` is the table with its hints). */
  startBatch(schema: TableSchema, expectedRows?: number): ColumnBatch {
    return new ColumnBatch(this.tableOf(schema), expectedRows);
  }

  async encodeBatch(batch: TableBatch): Promise<Uint8Array> {
    if (!(batch instanceof ColumnBatch)) throw new TypeError("encodeBatch: not a batch of this encoder");
    return encodeColumns(batch.schema, batch.finish(), this.writeOptions);
  }

  /**
   * A file of row groups written as they fill: at most one row group of rows is held as columns, plus its
   * encoded bytes until {@link TableFileWriter.take} collects them.
   */
  startFile(schema: TableSchema): TableFileWriter {
    return new ParquetFileStream(this.tableOf(schema), this.writeOptions, this.batches);
  }

  /**
   * An object's rows encoded a row group at a time, in this thread, as each fills: at most one row group of rows
   * is held as columns, the earlier ones as their encoded bytes (docs/BENCHMARKS.md, fourth round).
   */
  startPart(schema: TableSchema, expectedRows?: number): TablePart {
    const table = this.tableOf(schema);
    const options = this.writeOptions;
    return new ParquetPart(
      table,
      options,
      expectedRows,
      (data, atStart) => encodeGroups(table, data, options, atStart),
      this.batches,
    );
  }

  /** A table with each column's hint, one object per schema (the writer compiles per table object). */
  tableOf(schema: TableSchema): TableSpec {
    let table = this.tables.get(schema);
    if (table === undefined) {
      const tableHints = this.hints[schema.name] ?? {};
      table = {
        name: schema.name,
        columns: schema.columns.map((column) => {
          const hint = tableHints[column.name] ?? {};
          return {
            name: column.name,
            type: column.type,
            nullable: column.nullable,
            encoding: hint.encoding ?? "auto",
            statistics: hint.statistics ?? this.statistics,
            collect: hint.collect ?? "bytes",
          };
        }),
      };
      this.tables.set(schema, table);
    }
    return table;
  }
}

/** What the writer is told besides the table: row group size and `created_by`. */
export function parquetWriteOptions(options: ParquetEncoderOptions): WriteOptions {
  const rowGroupSize = options.rowGroupSize ?? 100_000;
  if (!(Number.isInteger(rowGroupSize) && rowGroupSize > 0))
    throw new RangeError("rowGroupSize must be a positive integer");
  return { rowGroupSize, createdBy: "logsieve" };
}

/** Writes finished columns (in this thread or on the worker, see worker-encoder.ts); errors never quote values. */
export function encodeColumns(table: TableSpec, data: BatchData, options: WriteOptions): Uint8Array {
  rehearseOnce();
  try {
    return writeParquet(table, data, options);
  } catch (error) {
    // Messages from underneath may quote values; keep only the error's name.
    const name = error instanceof Error ? error.name : "error";
    throw new Error(`cannot encode ${table.name} (${data.rows} rows): the Parquet writer failed (${name})`);
  }
}

/**
 * Row groups without their file (see the writer's `encodeRowGroups`), in this thread or on the worker
 * (worker-encoder.ts); errors as {@link encodeColumns} reports them: never a value.
 */
export function encodeGroups(
  table: TableSpec,
  data: BatchData,
  options: WriteOptions,
  atStart: boolean,
): EncodedRowGroups {
  rehearseOnce();
  try {
    return encodeRowGroups(table, data, options, atStart);
  } catch (error) {
    const name = error instanceof Error ? error.name : "error";
    throw new Error(`cannot encode ${table.name} (${data.rows} rows): the Parquet writer failed (${name})`);
  }
}

/**
 * Column batches whose rows were encoded, kept to take the next part's rows of the same table: a batch grows by
 * half from 32 rows (batch.ts INITIAL_ROWS) to a row group's 100,000, and each growth and each finished batch
 * left its arrays as garbage — array buffers that outlive a young-generation collection wait for a full one, which
 * V8 starts only well above the level after the previous one, and that garbage was most of an ingest thread's peak
 * memory (docs/BENCHMARKS.md, fourth and fifth rounds). A pooled batch is {@link ColumnBatch.reset}: the same bytes as a
 * fresh one for the same rows. The pool keeps batches up to `limitBytes` of arrays in all (their capacity); one
 * more is released ({@link ColumnBatch.release}: its memory given back at once, not at the next full collection).
 * Not kept either, measured: batches above a few MiB (they then grow again from 32 rows for every part: peak memory
 * 10–20 MiB lower, but ≈ 2 s more CPU per 4 M lines on the generated log: docs/BENCHMARKS.md, eighth round).
 */
export class BatchPool {
  private readonly free = new Map<TableSpec, ColumnBatch[]>();
  private held = 0;

  constructor(readonly limitBytes = 32 * 1024 * 1024) {
    // Mutable from the start (see ParquetPart's constructor): its first change is the first part finished.
    this.held = -1;
    this.held = 0;
  }

  /** A batch of `table` for at most `expectedRows` rows: a kept one if there is one, else a new one. */
  take(table: TableSpec, expectedRows?: number): ColumnBatch {
    const batch = this.free.get(table)?.pop();
    if (batch === undefined) return new ColumnBatch(table, expectedRows);
    this.held -= batch.bytesHeld;
    batch.reset(expectedRows);
    return batch;
  }

  /**
   * Keeps a batch for {@link take}: its finished data must no longer be in use (encoded in this thread, or
   * dropped). One whose buffers went to another thread is not kept; one past the limit is released.
   */
  give(batch: ColumnBatch): void {
    if (!batch.reusable) return;
    batch.reset();
    const bytes = batch.bytesHeld;
    if (this.held + bytes > this.limitBytes) {
      batch.release();
      return;
    }
    let free = this.free.get(batch.schema);
    if (free === undefined) {
      free = [];
      this.free.set(batch.schema, free);
    }
    free.push(batch);
    this.held += bytes;
  }

  /** Bytes of the batches kept (their arrays' capacity). */
  get bytesHeld(): number {
    return this.held;
  }
}

/** A pool that keeps nothing: every batch taken is new. */
const NO_POOL = new BatchPool(0);

/** Encodes a full row group's columns: at once in this thread, or later on another one. */
export type RowGroupEncoder = (
  data: BatchData,
  atStart: boolean,
) => EncodedRowGroups | Promise<EncodedRowGroups>;

/**
 * {@link TablePart} over the writer's {@link ParquetFileWriter}: rows go into a {@link ColumnBatch} of one row
 * group; a full one is handed to `encodeGroup` and a fresh batch started, so the raw columns of a row group live
 * only until it is encoded. `finish` encodes the rest, places the row groups in order and adds the footer: the
 * bytes `writeParquet` gives for all the rows at once (row groups are encoded independently, and only the footer's
 * offsets depend on where a row group sits in the file).
 */
export class ParquetPart implements TablePart, RowSink {
  private readonly file: ParquetFileWriter;
  private readonly groupRows: number;
  /** The current row group's rows; given back to the pool when the part is finished. */
  private batch: ColumnBatch;
  /** Row groups handed to `encodeGroup`, in file order: encoded, or being encoded elsewhere. */
  private readonly groups: (EncodedRowGroups | Promise<EncodedRowGroups>)[] = [];
  private groupedRows = 0;
  private encodedBytes = 0;
  private failure: { error: unknown } | null = null;
  private finished = false;
  /** True while the batch's finished data is being encoded elsewhere (its buffers posted): it cannot be reused. */
  private pendingBatch = false;

  constructor(
    private readonly table: TableSpec,
    options: WriteOptions,
    private readonly expectedRows: number | undefined,
    private readonly encodeGroup: RowGroupEncoder,
    private readonly batches: BatchPool = NO_POOL,
  ) {
    this.file = new ParquetFileWriter(table, options);
    this.groupRows = options.rowGroupSize ?? 100_000;
    this.batch = this.batches.take(table, this.rowsToCome());
    // V8 treats a field as a constant until an object of its hidden class first has it set again, and these first
    // change when the first row group is encoded, mid-run, which threw away the optimized code of the ingest loop
    // that inlines this part's value methods (docs/BENCHMARKS.md, fifth round, `deopts`). Set once more here, they
    // are mutable from the start.
    this.groupedRows = -1;
    this.groupedRows = 0;
    this.encodedBytes = -1;
    this.encodedBytes = 0;
    this.pendingBatch = true;
    this.pendingBatch = false;
    this.finished = true;
    this.finished = false;
  }

  get rows(): number {
    return this.groupedRows + (this.finished ? 0 : this.batch.rows);
  }

  get bytesHeld(): number {
    return this.encodedBytes + (this.finished ? 0 : this.batch.bytesHeld);
  }

  add(row: Readonly<Record<string, unknown>>): void {
    this.batch.add(row);
    if (this.batch.rows >= this.groupRows) this.encodeBatch();
  }

  /** The part is its own sink: each value goes straight into the current row group's batch. */
  get sink(): RowSink {
    return this;
  }

  string(value: string | null): RowSink {
    this.batch.string(value);
    return this;
  }

  number(value: number | null): RowSink {
    this.batch.number(value);
    return this;
  }

  bigint(value: bigint | null): RowSink {
    this.batch.bigint(value);
    return this;
  }

  boolean(value: boolean | null): RowSink {
    this.batch.boolean(value);
    return this;
  }

  end(): void {
    this.batch.endRow();
    if (this.batch.rows >= this.groupRows) this.encodeBatch();
  }

  async finish(): Promise<Uint8Array> {
    if (this.finished) throw new Error(`the ${this.table.name} part was already finished`);
    if (this.batch.rows > 0) this.encodeBatch(false);
    this.finished = true;
    // The batch is no one's any more (its last rows are encoded, or were never there): the next part's.
    if (this.failure === null && !this.pendingBatch) this.batches.give(this.batch);
    if (this.failure !== null) throw this.failure.error;
    const pieces: Uint8Array[] = [];
    for (const group of this.groups) pieces.push(this.file.append(await group));
    this.groups.length = 0;
    try {
      pieces.push(this.file.finish());
    } catch (error) {
      const name = error instanceof Error ? error.name : "error";
      throw new Error(
        `cannot encode ${this.table.name} (${this.groupedRows} rows): the Parquet writer failed (${name})`,
      );
    }
    const bytes = concat(pieces);
    // The pieces were copied into the file's bytes and are no one's: their memory goes back now (they have often
    // lived long enough to wait for a full collection otherwise: a row group's bytes wait for the part's end).
    if (pieces.length > 1) for (const piece of pieces) freeNow(piece);
    return bytes;
  }

  /** Rows the next row group is expected to take at most: a batch is never grown beyond them. */
  private rowsToCome(): number {
    const left =
      this.expectedRows === undefined ? this.groupRows : Math.max(1, this.expectedRows - this.groupedRows);
    return Math.min(this.groupRows, left);
  }

  /**
   * Hands the current batch to `encodeGroup`; then, unless the part is being finished (`more` false), makes room
   * for the next row group: the same batch, reset, when its rows were encoded here, else one from the pool. A
   * failure is kept for `finish`.
   */
  private encodeBatch(more = true): void {
    const batch = this.batch;
    const atStart = this.groupedRows === 0;
    this.groupedRows += batch.rows;
    let encodedHere = false;
    if (this.failure === null) encodedHere = this.encode(batch, atStart);
    this.pendingBatch = !encodedHere;
    if (!more) return;
    if (encodedHere) batch.reset(this.rowsToCome());
    else this.batch = this.batches.take(this.table, this.rowsToCome());
    this.pendingBatch = false;
  }

  /** Encodes the batch's rows as the part's next row groups; true when that was done synchronously, here. */
  private encode(batch: ColumnBatch, atStart: boolean): boolean {
    try {
      const encoded = this.encodeGroup(batch.finish(), atStart);
      if (encoded instanceof Promise) {
        const counted = encoded.then((group) => {
          this.encodedBytes += group.bytes.byteLength;
          return group;
        });
        // Awaited by `finish`; until then (or if the part is dropped) a failure must not be an unhandled rejection.
        counted.catch(() => undefined);
        this.groups.push(counted);
        return false;
      }
      this.encodedBytes += encoded.bytes.byteLength;
      this.groups.push(encoded);
      return true;
    } catch (error) {
      this.failure = { error };
      return false;
    }
  }
}

/** {@link TableFileWriter} over the writer's {@link ParquetFileWriter}: a row group's rows, then its bytes. */
class ParquetFileStream implements TableFileWriter {
  private readonly file: ParquetFileWriter;
  private readonly groupRows: number;
  private batch: ColumnBatch;
  private pending: Uint8Array[] = [];
  private written = 0;

  constructor(
    private readonly table: TableSpec,
    options: WriteOptions,
    private readonly batches: BatchPool,
  ) {
    this.file = new ParquetFileWriter(table, options);
    this.groupRows = options.rowGroupSize ?? 100_000;
    this.batch = batches.take(table, this.groupRows);
  }

  get rows(): number {
    return this.written + this.batch.rows;
  }

  add(row: Readonly<Record<string, unknown>>): void {
    this.batch.add(row);
    if (this.batch.rows >= this.groupRows) this.flush();
  }

  take(): Uint8Array {
    const out = concat(this.pending);
    this.pending = [];
    return out;
  }

  finish(): Uint8Array {
    if (this.batch.rows > 0) this.flush();
    this.pending.push(this.guard(() => this.file.finish()));
    this.batches.give(this.batch);
    return this.take();
  }

  /** Encodes the batch's rows (synchronously, here), then takes the next row group's rows into the same arrays. */
  private flush(): void {
    const rows = this.batch.rows;
    const data = this.batch.finish();
    this.pending.push(this.guard(() => this.file.writeRowGroups(data)));
    this.written += rows;
    this.batch.reset(this.groupRows);
  }

  /** Errors as {@link encodeColumns} reports them: never a value. */
  private guard(write: () => Uint8Array): Uint8Array {
    try {
      return write();
    } catch (error) {
      const name = error instanceof Error ? error.name : "error";
      throw new Error(
        `cannot encode ${this.table.name} (${this.rows} rows): the Parquet writer failed (${name})`,
      );
    }
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
