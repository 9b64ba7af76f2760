/**
 * @logsieve/parquet-writer: Parquet files for flat tables, in TypeScript without native code or dependencies.
 * See README.md for what it writes.
 */
export {
  type BatchData,
  batchBuffers,
  type Codes,
  ColumnBatch,
  type ColumnData,
  EncodeError,
  freeNow,
} from "./batch.ts";
export { maxCompressedLength, snappyCompressInto } from "./snappy.ts";
export type { ColumnSpec, ColumnType, TableSpec } from "./table.ts";
export {
  dictionaryPays,
  type EncodedRowGroups,
  encodeRowGroups,
  encodeRows,
  ParquetFileWriter,
  type WriteOptions,
  writeParquet,
} from "./writer.ts";
