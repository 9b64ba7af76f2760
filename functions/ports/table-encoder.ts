/**
 * Turns a batch of rows into one columnar file (Parquet). A port so the hot path can move to a faster
 * encoder (another library, a worker thread) without the pipeline knowing.
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
}
