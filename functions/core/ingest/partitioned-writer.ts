import type { ObjectStore } from "../../ports/object-store.ts";
import type { RowSink, TableEncoder, TablePart, TableSchema } from "../../ports/table-encoder.ts";
import { objectKey } from "../zones.ts";
import { ObjectRowSink } from "./object-row-sink.ts";

/**
 * Buffers rows per partition and writes them as columnar objects through the ObjectStore port.
 *
 * Memory stays bounded by `maxBufferedRows` across all partitions: when it is exceeded, the fullest
 * partition is written out as its next part. The choice depends only on the order of rows, so the
 * same input always produces the same objects with the same keys and bytes — ingesting it again
 * overwrites instead of adding. After the last part, parts left over from an earlier run of the same
 * input (written with other settings) are deleted, so a re-ingest can never double-count.
 *
 * Speed and memory (see docs/BENCHMARKS.md):
 * - With an encoder that has `startPart`, rows go into its columnar batch at once (no row object outlives `add`, so
 *   the garbage collector never has to walk hundreds of thousands of buffered rows), and each row group is encoded
 *   as soon as it is full: a partition waiting for the rest of its part holds at most one row group as columns,
 *   the rest as encoded bytes. Without `startPart`, `startBatch` (the whole part as columns), else row objects.
 * - `add` returns a promise only when the caller has to wait (a part had to be started while
 *   `maxPartsInFlight` others are still being encoded or stored, holding more than `maxRowsInFlight` rows between
 *   them); otherwise it returns `undefined` and the
 *   caller carries on synchronously. A part being encoded (possibly on another thread) and stored overlaps with
 *   the rows that follow; parts are independent objects with fixed keys, so the order in which they land does
 *   not matter.
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
  /** Parts being encoded or stored at once before `add` makes the caller wait (default 1)... */
  readonly maxPartsInFlight?: number;
  /**
   * ...unless the parts in flight hold this many rows or fewer between them (default 0): small parts (an hour of
   * security/ is a few thousand rows) then go on being stored while the caller carries on, and memory in flight
   * stays about one full part's. A store answered by another thread (a worker's puts, its batch intents) takes a few
   * of that thread's turns per part; waiting for each one before the next stalled the worker (docs/BENCHMARKS.md,
   * sixth round).
   */
  readonly maxRowsInFlight?: number;
  /**
   * Partitions holding rows at once (default: no limit). A row opening one more partition then first writes the
   * partition that received a row least recently.
   */
  readonly maxOpenPartitions?: number;
  /**
   * When a row opens a partition, the partition that received a row least recently is written if it has received
   * none in this many rows (of all partitions; default: never for being idle). Logs come roughly in time order, so
   * an hour (or day) the input has moved past is written instead of waiting in memory for the row budget to push it
   * out; a partition the input comes back to within this many rows (a log written several times over, logs of
   * several servers one after the other) stays open and is written as one object rather than one per visit.
   */
  readonly idlePartitionRows?: number;
  /**
   * Awaited before the first part of a partition is stored: a run that may be interrupted records where it is about
   * to write (its checkpoint's batch intent), so a retry can clean a partition it does not revisit.
   */
  readonly beforeFirstPart?: (partition: string) => Promise<void>;
  /**
   * Whether `finish` lists each partition it wrote for parts of this input id numbered past its own last one (left
   * by an earlier run of the same input that wrote more) and deletes them (default true). False when nothing of an
   * earlier run can remain once the caller is done: the caller removes it itself (core/ingest/resume.ts, from the
   * recorded intent) or the id is new. Each list is a LIST request on S3 (a folder read locally) per partition
   * per input: 200 small one-day logs made 5,000 of them, ≈ 0.7 s of CPU (docs/BENCHMARKS.md, twelfth round).
   */
  readonly removeLeftovers?: boolean;
}

/**
 * Rows of one partition not written yet: the encoder's part (`startPart`), or its batch, or row objects for encoders
 * with neither, behind one shape.
 */
type Pending = Pick<TablePart, "rows" | "add" | "finish" | "sink">;

interface PartitionBuffer {
  pending: Pending | null;
  rows: number;
  partsWritten: number;
  /** Sequence number of the last row added (for the least recently used partition). */
  lastAdd: number;
}

/**
 * An empty buffer whose counters are mutable from the start: V8 treats an object literal's field as a constant until
 * one such object first has it set again, and `partsWritten`'s first change (the first part written) came mid-run,
 * throwing away the optimized ingest loop (docs/BENCHMARKS.md, fifth round, `deopts`).
 */
function newPartitionBuffer(): PartitionBuffer {
  const buffer: PartitionBuffer = { pending: null, rows: -1, partsWritten: -1, lastAdd: -1 };
  buffer.rows = 0;
  buffer.partsWritten = 0;
  buffer.lastAdd = 0;
  return buffer;
}

/** Partitions listed for stale parts at once when a writer finishes. */
const STALE_LISTS_AT_ONCE = 16;

export class PartitionedWriter {
  private readonly partitions = new Map<string, PartitionBuffer>();
  private buffered = 0;
  private rowsWritten = 0;
  private readonly keysWritten: string[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  private readonly maxRowsInFlight: number;
  /** Rows of the parts in flight. */
  private rowsInFlight = 0;
  private failure: { error: unknown } | null = null;
  /** The partition of the last `add`: consecutive rows nearly always share it. */
  private lastPartition = "";
  private lastBuffer: PartitionBuffer | null = null;
  /** Partitions holding rows, and the limit on them. */
  private open = 0;
  private readonly maxOpen: number;
  private readonly idleRows: number;
  private adds = 0;
  /** The row being given value by value (between `row` and `endRow`). */
  private rowBuffer: PartitionBuffer | null = null;
  private rowPartition = "";
  /** Collects a row's values into an object, for encoders whose parts take objects only. */
  private objectSink: ObjectRowSink | undefined;
  /**
   * What writing the least recently used partition gave, for the row that opened a part (`afterRow` returns it);
   * null when not decided yet. The decision is the one `afterRow` made after the row before (the same counts: the
   * row's values change none of them), taken when the part is opened, before it takes its column batch: the part
   * written gives its batch back to the encoder's pool in time for the new part to take it. Taken after, the new
   * part made a batch of its own and the written one lay idle in the pool until the next part opened — a batch of an
   * hour's or a day's rows (7–9 MiB on the generated log) per table and thread (docs/BENCHMARKS.md, eighth round).
   */
  private leastRecent: Promise<void> | undefined | false | null = null;

  constructor(private readonly options: PartitionedWriterOptions) {
    this.maxInFlight = Math.max(1, options.maxPartsInFlight ?? 1);
    this.maxRowsInFlight = Math.max(0, options.maxRowsInFlight ?? 0);
    this.maxOpen = Math.max(1, options.maxOpenPartitions ?? Number.POSITIVE_INFINITY);
    this.idleRows = Math.max(1, options.idlePartitionRows ?? Number.POSITIVE_INFINITY);
    // V8 treats a field as a constant until an object of its hidden class first has it set again; this one's first
    // change (the first part written) came mid-run and threw away the optimized ingest loop (docs/BENCHMARKS.md, fifth
    // round, `deopts`). Set once more here, it is mutable from the start.
    this.rowsWritten = -1;
    this.rowsWritten = 0;
    this.leastRecent = false;
    this.leastRecent = null;
  }

  /**
   * Adds a row to a partition (a prefix such as `events/dt=2026-11-20/`). Returns a promise when the caller must
   * wait before adding more (await it), `undefined` otherwise. The row object is not kept.
   */
  add(partition: string, row: Record<string, unknown>): Promise<void> | undefined {
    const buffer = this.append(partition, row, true);
    return this.afterRow(partition, buffer);
  }

  /**
   * Starts a row of a partition given value by value: the returned sink takes one value per column, in the schema's
   * order (without its `end()`), then {@link endRow} ends the row and returns what `add` returns. No row object is
   * made when the encoder's parts take values (TablePart.sink); otherwise the values become one, added as by `add`.
   */
  row(partition: string): RowSink {
    const buffer = this.locate(partition, true);
    const pending = buffer.pending as Pending;
    this.rowPartition = partition;
    this.rowBuffer = buffer;
    const sink = pending.sink;
    if (sink !== undefined) return sink;
    this.objectSink ??= new ObjectRowSink(this.options.schema);
    this.objectSink.onRow = (row) => pending.add(row);
    return this.objectSink;
  }

  /** Ends the row started by {@link row}; returns a promise when the caller must wait, as `add` does. */
  endRow(): Promise<void> | undefined {
    const buffer = this.rowBuffer;
    if (buffer === null) throw new Error(`${this.options.schema.name}: endRow without a row`);
    this.rowBuffer = null;
    const pending = buffer.pending as Pending;
    (pending.sink ?? (this.objectSink as ObjectRowSink)).end();
    buffer.rows++;
    this.buffered++;
    return this.afterRow(this.rowPartition, buffer);
  }

  /** The limits, once a row is in: what to write now, and whether the caller must wait. */
  private afterRow(partition: string, buffer: PartitionBuffer): Promise<void> | undefined {
    if (buffer.rows >= this.options.rowsPerPart) return this.writePart(partition, buffer);
    const early = this.leastRecent;
    if (early !== null) {
      this.leastRecent = null;
      if (early !== false) return early;
    } else if (buffer.rows === 1 && this.open > 1) {
      const written = this.writeLeastRecent(buffer);
      if (written !== false) return written;
    }
    if (this.buffered > this.options.maxBufferedRows) return this.writeFullest();
    return undefined;
  }

  /** True when `add` would start writing a part for this row. */
  wouldWrite(partition: string): boolean {
    const rows = this.partitions.get(partition)?.rows ?? 0;
    return rows + 1 >= this.options.rowsPerPart || this.buffered + 1 > this.options.maxBufferedRows;
  }

  /** Adds a row without writing anything yet, whatever the limits (`finish` writes it). */
  addBuffered(partition: string, row: Record<string, unknown>): void {
    this.append(partition, row, false);
  }

  private append(partition: string, row: Record<string, unknown>, limits: boolean): PartitionBuffer {
    const buffer = this.locate(partition, limits);
    (buffer.pending as Pending).add(row);
    buffer.rows++;
    this.buffered++;
    return buffer;
  }

  /**
   * The partition's buffer, with a part open to take a row (counted as the partition's latest). With `limits` (a row
   * that `afterRow` will see), a part opened here first writes the least recently used partition when the limits
   * want it (see {@link leastRecent}).
   */
  private locate(partition: string, limits: boolean): PartitionBuffer {
    if (this.rowBuffer !== null)
      throw new Error(`${this.options.schema.name}: a row was started and not ended`);
    let buffer = this.lastBuffer;
    if (buffer === null || partition !== this.lastPartition) {
      buffer = this.partitions.get(partition) ?? null;
      if (buffer === null) {
        buffer = newPartitionBuffer();
        this.partitions.set(partition, buffer);
      }
      this.lastPartition = partition;
      this.lastBuffer = buffer;
    }
    buffer.lastAdd = ++this.adds;
    let pending = buffer.pending;
    if (pending === null) {
      this.open++;
      if (limits && this.options.rowsPerPart > 1) {
        this.leastRecent = this.open > 1 ? this.writeLeastRecent(buffer) : false;
      }
      pending = this.startPending();
      buffer.pending = pending;
    }
    return buffer;
  }

  /**
   * Writes every buffered row, then (unless `removeLeftovers` is false) removes stale parts of this input in the
   * partitions it touched.
   */
  async finish(): Promise<{ rows: number; keys: readonly string[]; partitions: readonly string[] }> {
    this.askIntentsOfFirstParts();
    for (const [partition, buffer] of this.partitions) {
      if (buffer.rows > 0) await this.writePart(partition, buffer);
    }
    await this.drain(0);
    if (this.options.removeLeftovers !== false) await this.removeStalePartsOfTouched();
    return { rows: this.rowsWritten, keys: this.keysWritten, partitions: [...this.partitions.keys()] };
  }

  /**
   * Listed a few partitions at a time: each list is a round trip (to S3, or to the thread that owns the store), and
   * one after the other they kept a worker idle at the end of each shard (docs/BENCHMARKS.md, sixth round).
   */
  private async removeStalePartsOfTouched(): Promise<void> {
    const touched = [...this.partitions];
    for (let at = 0; at < touched.length; at += STALE_LISTS_AT_ONCE) {
      await Promise.all(
        touched
          .slice(at, at + STALE_LISTS_AT_ONCE)
          .map(([partition, buffer]) => this.removeStaleParts(partition, buffer.partsWritten)),
      );
    }
  }

  /**
   * Asks at once for the intent of every partition whose first part the finish is about to write, so the recorder
   * stores one intent for all of them (intent-recorder.ts gathers the requests of one run of code). Asked part by
   * part, between awaits, each was a write of the checkpoint of its own: a small file of one day wrote its 24 hour
   * partitions' parts with 8 checkpoint writes, each flushed to disk (docs/BENCHMARKS.md, eleventh round). Each part
   * still waits for its own partition's request (writePart asks again and gets the same answer).
   */
  private askIntentsOfFirstParts(): void {
    const before = this.options.beforeFirstPart;
    if (before === undefined) return;
    for (const [partition, buffer] of this.partitions) {
      // Observed by the part that waits for it (writePart); a failure is that part's failure.
      if (buffer.rows > 0 && buffer.partsWritten === 0) before(partition).catch(() => undefined);
    }
  }

  private startPending(): Pending {
    const { encoder, schema, rowsPerPart } = this.options;
    if (encoder.startPart !== undefined) return encoder.startPart(schema, rowsPerPart);
    const { startBatch, encodeBatch } = encoder;
    if (startBatch !== undefined && encodeBatch !== undefined) {
      const batch = startBatch.call(encoder, schema, rowsPerPart);
      return {
        get rows() {
          return batch.rows;
        },
        add: (row) => batch.add(row),
        finish: () => encodeBatch.call(encoder, batch),
      };
    }
    const rows: Record<string, unknown>[] = [];
    return {
      get rows() {
        return rows.length;
      },
      add: (row) => {
        rows.push(row as Record<string, unknown>);
      },
      // Deferred as the other encoders' work is: a failure reaches the caller as this part's failure.
      finish: () => Promise.resolve().then(() => encoder.encode(schema, rows)),
    };
  }

  /**
   * Writes the open partition (other than `opened`, which just received its first row) whose last row is the
   * oldest, when more than `maxOpenPartitions` are open or it has been idle for `idlePartitionRows` rows. False when
   * it writes nothing; else what `writePart` returns (a promise when the caller must wait).
   */
  private writeLeastRecent(opened: PartitionBuffer): Promise<void> | undefined | false {
    let oldest: [string, PartitionBuffer] | undefined;
    for (const entry of this.partitions) {
      const buffer = entry[1];
      if (buffer === opened || buffer.rows === 0) continue;
      if (oldest === undefined || buffer.lastAdd < oldest[1].lastAdd) oldest = entry;
    }
    if (oldest === undefined) return false;
    if (this.open <= this.maxOpen && this.adds - oldest[1].lastAdd < this.idleRows) return false;
    return this.writePart(oldest[0], oldest[1]);
  }

  private writeFullest(): Promise<void> | undefined {
    let fullest: [string, PartitionBuffer] | undefined;
    for (const entry of this.partitions) {
      if (fullest === undefined || entry[1].rows > fullest[1].rows) fullest = entry;
    }
    if (fullest !== undefined && fullest[1].rows > 0) return this.writePart(fullest[0], fullest[1]);
    return undefined;
  }

  /** Starts encoding and storing the partition's rows as its next part; waits only for room in flight. */
  private writePart(partition: string, buffer: PartitionBuffer): Promise<void> | undefined {
    const { encoder, store, inputId } = this.options;
    const pending = buffer.pending;
    const rows = buffer.rows;
    if (pending === null || rows === 0) return undefined;
    buffer.pending = null;
    buffer.rows = 0;
    this.buffered -= rows;
    this.open--;
    const key = objectKey(partition, inputId, buffer.partsWritten, encoder.extension);
    buffer.partsWritten++;
    this.rowsWritten += rows;
    this.keysWritten.push(key);
    const body = pending.finish();
    const before = buffer.partsWritten === 1 ? this.options.beforeFirstPart : undefined;
    const stored = (bytes: Uint8Array) =>
      store.put(key, bytes, { contentType: "application/vnd.apache.parquet" });
    const task =
      before === undefined
        ? body.then(stored)
        : Promise.all([body, before(partition)]).then(([bytes]) => stored(bytes));
    const tracked: Promise<void> = task.then(
      () => {
        this.inFlight.delete(tracked);
        this.rowsInFlight -= rows;
      },
      (error: unknown) => {
        this.inFlight.delete(tracked);
        this.rowsInFlight -= rows;
        this.failure ??= { error };
      },
    );
    this.inFlight.add(tracked);
    this.rowsInFlight += rows;
    if (this.failure !== null || this.mustWait(this.maxInFlight)) return this.drain(this.maxInFlight);
    return undefined;
  }

  /** True while more than `limit` parts are in flight, holding more than `maxRowsInFlight` rows between them. */
  private mustWait(limit: number): boolean {
    return this.inFlight.size > limit && (limit === 0 || this.rowsInFlight > this.maxRowsInFlight);
  }

  /** Waits until no more than `limit` parts (or few enough rows) are in flight; rethrows the first part failure. */
  private async drain(limit: number): Promise<void> {
    while (this.mustWait(limit)) await Promise.race(this.inFlight);
    if (this.failure !== null) throw this.failure.error;
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
