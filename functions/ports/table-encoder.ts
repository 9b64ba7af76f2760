/**
 * Turns a batch of rows into one columnar file (Parquet). A port so the hot path can move to a faster
 * encoder (another library, a worker thread) without the pipeline knowing.
 *
 * Two ways in: `encode(rows)` for callers that hold row objects anyway, and — optional, for the ingest hot
 * path — `startBatch` / `encodeBatch`, where rows are appended column by column as they are produced (no row
 * object outlives its line, which is most of the garbage collector's work otherwise) and the encoding may run
 * on another thread while the caller goes on producing rows; `startPart`, the same with each row group encoded as
 * soon as it is full, so an object waiting for its last rows holds its earlier ones encoded, not as columns.
 */
export type ColumnType = "string" | "int32" | "int64" | "double" | "boolean" | "timestamp_ms";

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
}

export interface TableEncoder {
  /** File name extension of what `encode` produces, without the dot. */
  readonly extension: string;
  /**
   * Encodes `rows` (objects keyed by column name) to one file's bytes. The same rows in the same
   * order must give the same bytes: re-ingesting an input overwrites objects byte for byte.
   */
  encode(schema: TableSchema, rows: readonly Readonly<Record<string, unknown>>[]): Uint8Array;
  /**
   * Optional: an empty batch that keeps the rows added to it as columns. The batch belongs to the encoder
   * that made it; hand it back through `encodeBatch` (once). `expectedRows`, if given, is the most rows the
   * caller means to add (more are allowed): the batch need not reserve room beyond it.
   */
  startBatch?(schema: TableSchema, expectedRows?: number): TableBatch;
  /**
   * Encodes a batch from `startBatch` to one file's bytes and releases the batch (it must not be used
   * again). The same rows in the same order give the same bytes as `encode` would. The work may happen on
   * another thread: callers that can go on meanwhile should not await the result at once.
   */
  encodeBatch?(batch: TableBatch): Promise<Uint8Array>;
  /**
   * Optional: one file written piece by piece, for files larger than memory (compaction of a day's events): rows
   * go in one at a time, complete row groups come out as bytes to send on in order. The same rows in the same
   * order give the same bytes as `encode`.
   */
  startFile?(schema: TableSchema): TableFileWriter;
  /**
   * Optional, for the ingest hot path: one object's rows, added one at a time and encoded a row group at a time as
   * each fills (possibly on another thread), so what waits in memory for the rest of the object is mostly encoded
   * bytes. The same rows in the same order give the same bytes as `encode`. `expectedRows` as for `startBatch`.
   */
  startPart?(schema: TableSchema, expectedRows?: number): TablePart;
}

/** An object being collected and encoded row group by row group (see {@link TableEncoder.startPart}). */
export interface TablePart {
  /** Rows added so far. */
  readonly rows: number;
  /**
   * About the bytes the part holds now: rows not encoded yet (as columns, at their capacity) and encoded row
   * groups. A row group being encoded on another thread counts once its bytes are back.
   */
  readonly bytesHeld: number;
  /**
   * Appends one row. A value the schema does not allow throws at once, as `TableBatch.add` does. Encoding a full
   * row group may start here; if it fails, `finish` rejects.
   */
  add(row: Readonly<Record<string, unknown>>): void;
  /**
   * Optional: rows written value by value instead of as objects (the ingest pipeline's rows: no row object per
   * line, no value looked up by name). `sink.end()` appends the row as `add` would.
   */
  readonly sink?: RowSink;
  /** The remaining rows and the footer: the whole object's bytes. The part must not be used again. */
  finish(): Promise<Uint8Array>;
}

/**
 * One row given value by value, one call per column in the table's column order, then `end()` (see
 * {@link TablePart.sink}). Each value is checked as `add` checks a row's: a value the column does not allow, a value
 * for a column of another type, or a row with a value missing or one too many throws at once, naming the table, the
 * column and the row's position, never the value.
 */
export interface RowSink {
  string(value: string | null): RowSink;
  /** An int32, double or timestamp_ms column, or an int64 column given a safe integer. */
  number(value: number | null): RowSink;
  /** An int64 (or timestamp_ms) column. */
  bigint(value: bigint | null): RowSink;
  boolean(value: boolean | null): RowSink;
  /** Ends the row. */
  end(): void;
}

/** A file being written row group by row group (see {@link TableEncoder.startFile}). */
export interface TableFileWriter {
  /** Rows added so far. */
  readonly rows: number;
  /** Appends one row; may encode a row group (then {@link take} has bytes). */
  add(row: Readonly<Record<string, unknown>>): void;
  /** The file's bytes produced since the last call (complete row groups); often empty. */
  take(): Uint8Array;
  /** The remaining rows and the footer: the file's last bytes. The writer must not be used again. */
  finish(): Uint8Array;
}

/** Rows collected for one file, column by column (see {@link TableEncoder.startBatch}). */
export interface TableBatch {
  readonly schema: TableSchema;
  /** Rows added so far. */
  readonly rows: number;
  /**
   * Appends one row (an object keyed by column name; only its column values are kept). A value the schema
   * does not allow throws at once, naming the table, the column and the row's position, never the value.
   */
  add(row: Readonly<Record<string, unknown>>): void;
}
