import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  type BatchData,
  batchBuffers,
  ColumnBatch,
  type EncodedRowGroups,
  type TableSpec,
  type WriteOptions,
} from "@logsieve/parquet-writer";
import type { TableBatch, TableEncoder, TablePart, TableSchema } from "../../ports/table-encoder.ts";
import { workerBootstrap } from "../threads/worker-module.ts";
import {
  encodeColumns,
  encodeGroups,
  ParquetEncoder,
  type ParquetEncoderOptions,
  ParquetPart,
  parquetWriteOptions,
} from "./parquet-encoder.ts";

/**
 * The Parquet encoder with `encodeBatch` on a worker thread: the ingest pipeline goes on parsing and enriching
 * the next rows on the main thread while a finished part is encoded, so on two cores the two overlap.
 *
 * - Rows are still collected on the caller's thread (`startBatch` is the in-thread encoder's); `encodeBatch`
 *   posts the batch's table (columns with their hints) and finished columns, the typed arrays' buffers transferred,
 *   not copied (only the dictionaries, arrays of distinct strings, are cloned), and gets the file's bytes back the
 *   same way.
 * - One batch at a time goes to the worker: a batch finished while the worker is busy is encoded on the calling
 *   thread. Nothing queues up (memory stays bounded) and the tail of an input is encoded on both threads.
 * - The worker runs the very same code as the in-thread encoder ({@link encodeColumns}) with the same table and
 *   options, so the bytes are the same: which thread encoded a part never shows in the lake.
 * - `startPart` (the ingest pipeline's partitions): each full row group's columns go to the worker the same way and
 *   come back as encoded row groups, placed in order in the file by the calling thread; a row group filled while
 *   the worker is busy is encoded on the calling thread.
 * - `encode(rows)` (callers holding row objects) stays in-thread and synchronous.
 * - The worker starts on the first batch and keeps the process alive only while a batch is being encoded.
 *
 * For the local CLI (apps/ingest/local.ts). The AWS ingest function keeps the in-thread encoder: nothing to set up,
 * and at the default Lambda memory size it has one vCPU anyway.
 */
export class ThreadedParquetEncoder implements TableEncoder {
  readonly extension = "parquet";
  private readonly local: ParquetEncoder;
  private readonly writeOptions: WriteOptions;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (result: Uint8Array | EncodedRowGroups) => void; reject: (e: Error) => void }
  >();
  private failure: Error | null = null;

  constructor(options: ParquetEncoderOptions = {}) {
    this.local = new ParquetEncoder(options);
    this.writeOptions = parquetWriteOptions(options);
  }

  encode(schema: TableSchema, rows: readonly Readonly<Record<string, unknown>>[]): Uint8Array {
    return this.local.encode(schema, rows);
  }

  startBatch(schema: TableSchema, expectedRows?: number): TableBatch {
    // The worker boots (module loading takes a while) while the first batch fills up.
    if (this.failure === null) this.started();
    return this.local.startBatch(schema, expectedRows);
  }

  encodeBatch(batch: TableBatch): Promise<Uint8Array> {
    if (!(batch instanceof ColumnBatch))
      return Promise.reject(new TypeError("encodeBatch: not a batch of this encoder"));
    if (this.failure !== null) return Promise.reject(this.failure);
    // The worker is still busy with an earlier batch: this thread encodes this one itself rather than queue it
    // (no queue of batches builds up in memory, and at the end of an input both threads encode).
    if (this.waiting.size > 0) return this.local.encodeBatch(batch);
    return this.post({ kind: "file", table: batch.schema, data: batch.finish() }) as Promise<Uint8Array>;
  }

  startPart(schema: TableSchema, expectedRows?: number): TablePart {
    if (this.failure === null) this.started();
    const table = this.local.tableOf(schema);
    return new ParquetPart(
      table,
      this.writeOptions,
      expectedRows,
      (data, atStart) => {
        if (this.failure !== null) return Promise.reject(this.failure);
        // As for batches: a row group filled while the worker is busy is encoded here, nothing queues up.
        if (this.waiting.size > 0) return encodeGroups(table, data, this.writeOptions, atStart);
        return this.post({ kind: "groups", table, data, atStart }) as Promise<EncodedRowGroups>;
      },
      this.local.batches,
    );
  }

  /** Sends columns to the worker (their buffers transferred); resolves with what it encoded. */
  private post(work: Work): Promise<Uint8Array | EncodedRowGroups> {
    const worker = this.started();
    const id = this.nextId++;
    const result = new Promise<Uint8Array | EncodedRowGroups>((resolve, reject) =>
      this.waiting.set(id, { resolve, reject }),
    );
    if (this.waiting.size === 1) worker.ref();
    worker.postMessage({ id, ...work } satisfies ToWorker, batchBuffers(work.data));
    return result;
  }

  /** Stops the worker (batches still being encoded fail). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) await worker.terminate();
    this.fail(new Error("the Parquet encoder was closed"));
  }

  private started(): Worker {
    if (this.worker !== null) return this.worker;
    // The worker runs this module (its own entry in the CLI bundle; from the sources, through tsx).
    const bootstrap = workerBootstrap(import.meta.url, "parquet-encoder-worker");
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { mark: WORKER_MARK, writeOptions: this.writeOptions } satisfies WorkerInput,
    });
    worker.on("message", (message: FromWorker) => this.onMessage(message));
    worker.on("error", (error) => this.fail(new Error("Parquet encoder worker failed", { cause: error })));
    worker.on("exit", (code) => {
      if (this.worker === worker) {
        this.worker = null;
        this.fail(new Error(`Parquet encoder worker exited (code ${code})`));
      }
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(message: FromWorker): void {
    const waiter = this.waiting.get(message.id);
    if (waiter === undefined) return;
    this.waiting.delete(message.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (message.bytes !== undefined) waiter.resolve(message.bytes);
    else if (message.groups !== undefined) waiter.resolve(message.groups);
    else waiter.reject(new Error(message.error ?? "the Parquet encoder worker failed"));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

const WORKER_MARK = "logsieve-parquet-encoder-worker";

interface WorkerInput {
  readonly mark: string;
  readonly writeOptions: WriteOptions;
}
/** A whole file's columns, or a part's row groups (`atStart`: the file's first ones). */
type Work =
  | { readonly kind: "file"; readonly table: TableSpec; readonly data: BatchData }
  | {
      readonly kind: "groups";
      readonly table: TableSpec;
      readonly data: BatchData;
      readonly atStart: boolean;
    };
/** `table`: the table with its columns' hints, as the in-thread encoder made it (see ParquetEncoder.tableOf). */
type ToWorker = Work & { readonly id: number };
interface FromWorker {
  readonly id: number;
  /** A whole file (`file`). */
  readonly bytes?: Uint8Array;
  /** Encoded row groups (`groups`). */
  readonly groups?: EncodedRowGroups;
  /** The encoder's own message: it names table and row count, never a value. */
  readonly error?: string;
}

function runWorker(): void {
  const port = parentPort;
  if (port === null) return;
  const { writeOptions } = workerData as WorkerInput;
  // Tables arrive as fresh copies with every message; the writer's per-table caches want one object per table.
  const tables = new Map<string, TableSpec>();
  port.on("message", (message: ToWorker) => {
    const key = JSON.stringify(message.table);
    let table = tables.get(key);
    if (table === undefined) {
      table = message.table;
      tables.set(key, table);
    }
    try {
      // The batch's buffers go back with the result (transferred, unreferenced): left here they would wait for
      // this isolate's rare garbage collections (its heap barely grows); on the main thread they die young.
      const spent = batchBuffers(message.data);
      if (message.kind === "groups") {
        const groups = encodeGroups(table, message.data, writeOptions, message.atStart);
        port.postMessage({ id: message.id, groups } satisfies FromWorker, [
          groups.bytes.buffer as ArrayBuffer,
          ...spent,
        ]);
      } else {
        const bytes = encodeColumns(table, message.data, writeOptions);
        port.postMessage({ id: message.id, bytes } satisfies FromWorker, [
          bytes.buffer as ArrayBuffer,
          ...spent,
        ]);
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : "the Parquet encoder failed";
      port.postMessage({ id: message.id, error: text } satisfies FromWorker);
    }
  });
}

if (!isMainThread && (workerData as { mark?: unknown } | null)?.mark === WORKER_MARK) runWorker();
