import type { ObjectStore } from "../../ports/object-store.ts";
import type { TableEncoder, TableSchema } from "../../ports/table-encoder.ts";
import { objectKey } from "../zones.ts";

/**
 * Buffers rows per partition and writes them as columnar objects through the ObjectStore port.
 *
 * Memory stays bounded by `maxBufferedRows` across all partitions: when it is exceeded, the fullest
 * partition is written out as its next part. The choice depends only on the order of rows, so the
 * same input always produces the same objects with the same keys and bytes — ingesting it again
 * overwrites instead of adding. After the last part, parts left over from an earlier run of the same
 * input (written with other settings) are deleted, so a re-ingest can never double-count.
 */
export interface PartitionedWriterOptions {
  readonly store: ObjectStore;
  readonly encoder: TableEncoder;
  readonly schema: TableSchema;
  readonly inputId: string;
  /** Rows per object: a partition reaching this is written at once. */
  readonly rowsPerPart: number;
  /** Rows held in memory over all partitions before the fullest one is written early. */
  readonly maxBufferedRows: number;
}

interface PartitionBuffer {
  rows: Record<string, unknown>[];
  partsWritten: number;
}

export class PartitionedWriter {
  private readonly partitions = new Map<string, PartitionBuffer>();
  private buffered = 0;
  private rowsWritten = 0;
  private readonly keysWritten: string[] = [];

  constructor(private readonly options: PartitionedWriterOptions) {}

  /** Adds a row to a partition (a prefix such as `events/dt=2026-11-20/`); may write a part. */
  async add(partition: string, row: Record<string, unknown>): Promise<void> {
    let buffer = this.partitions.get(partition);
    if (buffer === undefined) {
      buffer = { rows: [], partsWritten: 0 };
      this.partitions.set(partition, buffer);
    }
    buffer.rows.push(row);
    this.buffered++;
    if (buffer.rows.length >= this.options.rowsPerPart) {
      await this.writePart(partition, buffer);
    } else if (this.buffered > this.options.maxBufferedRows) {
      await this.writeFullest();
    }
  }

  /** True when `add` would not need to be awaited for this row (lets the caller stay synchronous). */
  wouldWrite(partition: string): boolean {
    const length = this.partitions.get(partition)?.rows.length ?? 0;
    return length + 1 >= this.options.rowsPerPart || this.buffered + 1 > this.options.maxBufferedRows;
  }

  /** Adds without writing; only valid when `wouldWrite` returned false. */
  addBuffered(partition: string, row: Record<string, unknown>): void {
    let buffer = this.partitions.get(partition);
    if (buffer === undefined) {
      buffer = { rows: [], partsWritten: 0 };
      this.partitions.set(partition, buffer);
    }
    buffer.rows.push(row);
    this.buffered++;
  }

  /** Writes every buffered row, then removes stale parts of this input in the partitions it touched. */
  async finish(): Promise<{ rows: number; keys: readonly string[]; partitions: readonly string[] }> {
    for (const [partition, buffer] of this.partitions) {
      if (buffer.rows.length > 0) await this.writePart(partition, buffer);
    }
    for (const [partition, buffer] of this.partitions) {
      await this.removeStaleParts(partition, buffer.partsWritten);
    }
    return { rows: this.rowsWritten, keys: this.keysWritten, partitions: [...this.partitions.keys()] };
  }

  private async writeFullest(): Promise<void> {
    let fullest: [string, PartitionBuffer] | undefined;
    for (const entry of this.partitions) {
      if (fullest === undefined || entry[1].rows.length > fullest[1].rows.length) fullest = entry;
    }
    if (fullest !== undefined && fullest[1].rows.length > 0) await this.writePart(fullest[0], fullest[1]);
  }

  private async writePart(partition: string, buffer: PartitionBuffer): Promise<void> {
    const { encoder, schema, store, inputId } = this.options;
    const rows = buffer.rows;
    buffer.rows = [];
    this.buffered -= rows.length;
    const key = objectKey(partition, inputId, buffer.partsWritten, encoder.extension);
    const body = encoder.encode(schema, rows);
    await store.put(key, body, { contentType: "application/vnd.apache.parquet" });
    buffer.partsWritten++;
    this.rowsWritten += rows.length;
    this.keysWritten.push(key);
  }

  private async removeStaleParts(partition: string, partsWritten: number): Promise<void> {
    const { store, inputId, encoder } = this.options;
    const stale: string[] = [];
    for await (const object of store.list(`${partition}${inputId}-`)) {
      const part = Number.parseInt(object.key.slice(partition.length + inputId.length + 1), 10);
      if (Number.isFinite(part) && part >= partsWritten && object.key.endsWith(`.${encoder.extension}`)) {
        stale.push(object.key);
      }
    }
    for (const key of stale) await store.delete(key);
  }
}
