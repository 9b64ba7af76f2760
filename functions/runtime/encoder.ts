import { availableParallelism } from "node:os";
import { ParquetEncoder } from "../adapters/parquet/parquet-encoder.ts";
import { ThreadedParquetEncoder } from "../adapters/parquet/worker-encoder.ts";
import type { TableEncoder } from "../ports/table-encoder.ts";

/**
 * The Parquet encoder for this machine. With a second core, parts are encoded on a worker thread while the next
 * rows are parsed (same bytes); a Lambda function gets the in-thread encoder (`threads: false`), whose memory the
 * stack sizes.
 */
export function parquetEncoder(options: { readonly threads?: boolean } = {}): TableEncoder {
  const threads = options.threads ?? availableParallelism() > 1;
  return threads ? new ThreadedParquetEncoder() : new ParquetEncoder();
}
