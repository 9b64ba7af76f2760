import { readFileSync } from "node:fs";
import type { RawLine } from "../functions/core/ingest/lines.ts";
import type { ObjectInfo, ObjectStore } from "../functions/ports/object-store.ts";

/**
 * What the in-process benches (bench-ingest-ab.ts, bench-parquet-values.ts, bench-stages.ts) feed the pipeline: a
 * log's first lines held in memory, so reading the file is not timed, and a store that keeps nothing, so writing is
 * not either.
 */

/** The first `limit` lines of the file at `path`, as the line splitter hands them to the pipeline. */
export function linesOf(path: string, limit: number): RawLine[] {
  const text = readFileSync(path, "utf8");
  const lines: RawLine[] = [];
  for (let start = 0; lines.length < limit && start < text.length; ) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end);
    lines.push({ lineNo: lines.length + 1, text: line, bytes: line.length, tooLong: false });
    start = end + 1;
  }
  return lines;
}

/** An object store that accepts every write and holds nothing. */
export class NullStore implements ObjectStore {
  async put(): Promise<void> {}
  async putIfAbsent(): Promise<boolean> {
    return true;
  }
  async get(): Promise<Uint8Array | null> {
    return null;
  }
  async *list(): AsyncIterable<ObjectInfo> {}
  async delete(): Promise<void> {}
}
