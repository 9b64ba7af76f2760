import { randomBytes } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { PartitionedWriter } from "../../core/ingest/partitioned-writer.ts";
import type { EventRow } from "../../core/types.ts";
import { EVENTS_SCHEMA, partitionPrefix } from "../../core/zones.ts";
import { type EventSink, type EventSinkStats, EventSinkUnavailableError } from "../../ports/event-sink.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { TableEncoder } from "../../ports/table-encoder.ts";
import { ParquetEncoder } from "../parquet/parquet-encoder.ts";
import { workerBootstrap, workerModuleUrl } from "../threads/worker-module.ts";
import { LocalObjectStore } from "./object-store.ts";

/**
 * The collector's event sink for the local lake: rows are buffered and written as Parquet objects into
 * `events/dt=YYYY-MM-DD/<batch id>-0000.parquet`, through the same PartitionedWriter, encoder and ObjectStore as
 * log ingestion.
 *
 * - A batch is written when it holds `maxBatchRows` rows or its first row is `maxBatchAgeMs` old, on `flush()`,
 *   and on `close()`.
 * - The batch id is in the key, and a batch keeps its id across retries: a write that failed half way is
 *   written again under the same keys, so it overwrites rather than double-counts.
 * - A failed write loses nothing: the batch stays queued and is retried with exponential backoff; later batches
 *   wait behind it, in order. `close()` drains everything, retrying until `drainTimeoutMs`.
 * - Memory is bounded: when `maxPendingRows` rows are held (the lake is down), `write` refuses with
 *   {@link EventSinkUnavailableError} and the collector answers 503.
 *
 * {@link ThreadedEventSink} runs the same sink in a worker thread, so that Parquet encoding never blocks the
 * thread answering HTTP requests (`logsieve serve` uses it).
 */

/** Writes one batch; the same id must give the same keys (so a retry overwrites). */
export interface BatchWriter {
  write(batchId: string, rows: readonly EventRow[]): Promise<readonly string[]>;
}

/** Batches into `events/` as Parquet through the PartitionedWriter, one object per day touched. */
export function parquetBatchWriter(store: ObjectStore, encoder: TableEncoder): BatchWriter {
  return {
    async write(batchId, rows) {
      const writer = new PartitionedWriter({
        store,
        encoder,
        schema: EVENTS_SCHEMA,
        inputId: batchId,
        rowsPerPart: Math.max(1, rows.length),
        maxBufferedRows: Math.max(1, rows.length),
      });
      for (const row of rows) {
        // `add` asks the caller to wait only when a part is being written.
        const waiting = writer.add(
          partitionPrefix("events", row.ts),
          row as unknown as Record<string, unknown>,
        );
        if (waiting !== undefined) await waiting;
      }
      const result = await writer.finish();
      return result.keys;
    },
  };
}

export interface BatchingSinkOptions {
  readonly writer: BatchWriter;
  /** Rows per batch (object). Default 10,000. */
  readonly maxBatchRows?: number;
  /** Oldest row's age at which a batch is written. Default 5 s. */
  readonly maxBatchAgeMs?: number;
  /** Rows held (buffered or waiting for a retry) beyond which `write` refuses. Default 200,000. */
  readonly maxPendingRows?: number;
  /** First retry delay, doubled per consecutive failure up to `retryMaxMs`. Defaults 250 ms and 30 s. */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  /** How long `close()` keeps retrying before it gives up. Default 30 s. */
  readonly drainTimeoutMs?: number;
  /** Start of every batch id; default `c<UTC time>-<random>` so that no two processes share ids. */
  readonly batchIdPrefix?: string;
  /** Told about each failed attempt (to log it). The error is the store's, which names keys, never row data. */
  readonly onWriteError?: (failure: {
    readonly batchId: string;
    readonly rows: number;
    readonly error: unknown;
  }) => void;
  /** Told about each written batch. */
  readonly onBatchWritten?: (batch: {
    readonly batchId: string;
    readonly rows: number;
    readonly keys: readonly string[];
  }) => void;
}

interface Batch {
  readonly id: string;
  readonly rows: readonly EventRow[];
}

/** `c20261120T101502Z-9f3a1c2b`: sorts by start time, unique per process start. */
export function newBatchIdPrefix(nowMs = Date.now()): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `c${stamp}-${randomBytes(4).toString("hex")}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BatchingEventSink implements EventSink {
  private current: EventRow[] = [];
  private readonly sealed: Batch[] = [];
  private sequence = 0;
  private ageTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private consecutiveFailures = 0;
  private counts = { received: 0, written: 0, batches: 0, failedAttempts: 0 };
  private readonly prefix: string;
  private readonly maxBatchRows: number;
  private readonly maxBatchAgeMs: number;
  private readonly maxPendingRows: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly drainTimeoutMs: number;

  constructor(private readonly options: BatchingSinkOptions) {
    this.prefix = options.batchIdPrefix ?? newBatchIdPrefix();
    this.maxBatchRows = options.maxBatchRows ?? 10_000;
    this.maxBatchAgeMs = options.maxBatchAgeMs ?? 5_000;
    this.maxPendingRows = options.maxPendingRows ?? 200_000;
    this.retryInitialMs = options.retryInitialMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  }

  async write(rows: readonly EventRow[]): Promise<void> {
    if (this.closed) throw new EventSinkUnavailableError("event sink: closed");
    if (this.pending() + rows.length > this.maxPendingRows) {
      throw new EventSinkUnavailableError("event sink: too many events waiting to be written");
    }
    let sealed = false;
    for (const row of rows) {
      this.current.push(row);
      if (this.current.length >= this.maxBatchRows) {
        this.seal();
        sealed = true;
      }
    }
    this.counts.received += rows.length;
    if (sealed) this.kick();
    if (this.ageTimer === null && this.current.length > 0) {
      this.ageTimer = setTimeout(() => {
        this.ageTimer = null;
        this.seal();
        this.kick();
      }, this.maxBatchAgeMs);
      this.ageTimer.unref();
    }
  }

  /** Writes every row taken so far. Rejects when a write fails; the rows stay queued for the retry. */
  flush(): Promise<void> {
    this.seal();
    const run = this.chain.then(() => this.writeQueued());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const deadline = Date.now() + this.drainTimeoutMs;
    for (;;) {
      try {
        await this.flush();
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new Error(`event sink: ${this.pending()} events could not be written before shutdown`, {
            cause: error,
          });
        }
        await sleep(Math.min(this.backoff(), Math.max(0, deadline - Date.now())));
      }
    }
  }

  stats(): EventSinkStats {
    return { ...this.counts, pending: this.pending() };
  }

  private pending(): number {
    let held = this.current.length;
    for (const batch of this.sealed) held += batch.rows.length;
    return held;
  }

  private seal(): void {
    if (this.ageTimer !== null) {
      clearTimeout(this.ageTimer);
      this.ageTimer = null;
    }
    if (this.current.length === 0) return;
    this.sequence++;
    this.sealed.push({ id: `${this.prefix}-${String(this.sequence).padStart(6, "0")}`, rows: this.current });
    this.current = [];
  }

  /** Writes in the background; a failure schedules a retry instead of surfacing. */
  private kick(): void {
    if (this.retryTimer !== null) return; // a retry is already scheduled; it will write everything queued
    const run = this.chain.then(() => this.writeQueued());
    this.chain = run.catch(() => {
      if (this.closed || this.retryTimer !== null) return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.kick();
      }, this.backoff());
      this.retryTimer.unref();
    });
  }

  private backoff(): number {
    const exponent = Math.max(0, this.consecutiveFailures - 1);
    return Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.min(exponent, 20));
  }

  private async writeQueued(): Promise<void> {
    for (;;) {
      const batch = this.sealed[0];
      if (batch === undefined) return;
      let keys: readonly string[];
      try {
        keys = await this.options.writer.write(batch.id, batch.rows);
      } catch (error) {
        this.consecutiveFailures++;
        this.counts.failedAttempts++;
        this.options.onWriteError?.({ batchId: batch.id, rows: batch.rows.length, error });
        throw error;
      }
      this.consecutiveFailures = 0;
      this.sealed.shift();
      this.counts.written += batch.rows.length;
      this.counts.batches++;
      this.options.onBatchWritten?.({ batchId: batch.id, rows: batch.rows.length, keys });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The same sink in a worker thread.

/** What the worker needs to build its own store and encoder (objects cannot cross threads). */
export interface ThreadedSinkFactory {
  /** URL of a module exporting `createBatchWriter(options)` returning a {@link BatchWriter}. */
  readonly module: string;
  /** Plain data handed to `createBatchWriter`. */
  readonly options: unknown;
}

export type ThreadedSinkOptions = Omit<BatchingSinkOptions, "writer" | "onWriteError" | "onBatchWritten"> & {
  readonly onWriteError?: (failure: {
    readonly batchId: string;
    readonly rows: number;
    readonly message: string;
  }) => void;
};

type ToWorker =
  | { readonly type: "rows"; readonly rows: readonly EventRow[] }
  | { readonly type: "flush"; readonly id: number }
  | { readonly type: "close"; readonly id: number };

type FromWorker =
  | {
      readonly type: "done";
      readonly id: number;
      readonly error: string | null;
      readonly stats: EventSinkStats;
    }
  | { readonly type: "stats"; readonly stats: EventSinkStats }
  | {
      readonly type: "write_error";
      readonly batchId: string;
      readonly rows: number;
      readonly message: string;
    };

const WORKER_MARK = "logsieve-event-sink-worker";

/**
 * Rows are handed to the worker in messages of up to this many rows, or after {@link POST_INTERVAL_MS}: each
 * message costs the thread answering requests a few microseconds besides its rows' copying, so under load one per
 * request (or per turn of the event loop) would spend more on messages than on the rows.
 */
const POST_ROWS = 512;
const POST_INTERVAL_MS = 20;

/**
 * A {@link BatchingEventSink} in a worker thread. `write` takes the rows and resolves at once (they are posted to
 * the worker in messages of {@link POST_ROWS} rows or every {@link POST_INTERVAL_MS}, and before a flush or close):
 * the guarantee is the same as the in-thread sink's, rows held in this process's memory until their batch is
 * written. The worker builds its writer from
 * `factory` (a module URL and plain options), since stores and encoders cannot cross threads.
 */
export class ThreadedEventSink implements EventSink {
  private readonly worker: Worker;
  private outbox: EventRow[] = [];
  private postTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private received = 0;
  private remote: EventSinkStats = { received: 0, written: 0, pending: 0, batches: 0, failedAttempts: 0 };
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private readonly maxPendingRows: number;
  private failure: Error | null = null;

  constructor(
    factory: ThreadedSinkFactory,
    private readonly options: ThreadedSinkOptions = {},
  ) {
    this.maxPendingRows = options.maxPendingRows ?? 200_000;
    const { onWriteError: _ignored, ...sinkOptions } = options;
    // The worker runs this module (its own entry in the CLI bundle; from the sources, through tsx).
    const bootstrap = workerBootstrap(import.meta.url, "event-sink-worker");
    this.worker = new Worker(bootstrap, {
      eval: true,
      workerData: { mark: WORKER_MARK, factory, sinkOptions },
    });
    this.worker.on("message", (message: FromWorker) => this.onMessage(message));
    this.worker.on("error", (error) => this.fail(new Error("event sink worker failed", { cause: error })));
    this.worker.on("exit", (code) => {
      if (!this.closed || this.waiting.size > 0)
        this.fail(new Error(`event sink worker exited (code ${code})`));
    });
  }

  async write(rows: readonly EventRow[]): Promise<void> {
    if (this.closed || this.failure !== null) throw new EventSinkUnavailableError("event sink: closed");
    if (this.pending() + rows.length > this.maxPendingRows) {
      throw new EventSinkUnavailableError("event sink: too many events waiting to be written");
    }
    for (const row of rows) this.outbox.push(row);
    this.received += rows.length;
    if (this.outbox.length >= POST_ROWS) this.post();
    else this.postTimer ??= setTimeout(() => this.post(), POST_INTERVAL_MS);
  }

  flush(): Promise<void> {
    return this.request("flush");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.request("close");
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }

  stats(): EventSinkStats {
    return {
      received: this.received,
      written: this.remote.written,
      pending: this.pending(),
      batches: this.remote.batches,
      failedAttempts: this.remote.failedAttempts,
    };
  }

  private pending(): number {
    return this.received - this.remote.written;
  }

  private post(): void {
    if (this.postTimer !== null) {
      clearTimeout(this.postTimer);
      this.postTimer = null;
    }
    if (this.outbox.length === 0) return;
    const rows = this.outbox;
    this.outbox = [];
    this.worker.postMessage({ type: "rows", rows } satisfies ToWorker);
  }

  private request(type: "flush" | "close"): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    this.post();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type, id } satisfies ToWorker);
    });
  }

  private onMessage(message: FromWorker): void {
    if (message.type === "write_error") {
      this.options.onWriteError?.(message);
      return;
    }
    this.remote = message.stats;
    if (message.type === "done") {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error === null) waiter?.resolve();
      else waiter?.reject(new Error(message.error));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** Options of {@link createBatchWriter}: the local lake's folder. */
export interface LocalLakeWriterOptions {
  readonly lakeDir: string;
}

/** The batch writer of the local lake (also what the worker thread builds for itself). */
export function createBatchWriter(options: LocalLakeWriterOptions): BatchWriter {
  return parquetBatchWriter(new LocalObjectStore(options.lakeDir), new ParquetEncoder());
}

/** A threaded sink writing into the local lake at `lakeDir`. */
export function threadedLocalLakeSink(lakeDir: string, options: ThreadedSinkOptions = {}): ThreadedEventSink {
  return new ThreadedEventSink(
    {
      module: workerModuleUrl(import.meta.url, "event-sink-worker"),
      options: { lakeDir } satisfies LocalLakeWriterOptions,
    },
    options,
  );
}

/** The worker's side: a BatchingEventSink fed by messages. */
async function runWorker(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const data = workerData as { factory: ThreadedSinkFactory; sinkOptions: ThreadedSinkOptions };
  const factoryModule = (await import(data.factory.module)) as {
    createBatchWriter(options: unknown): BatchWriter | Promise<BatchWriter>;
  };
  const writer = await factoryModule.createBatchWriter(data.factory.options);
  const sink = new BatchingEventSink({
    ...data.sinkOptions,
    // The main thread bounds what it holds, including what is here: the worker refuses nothing it is sent.
    maxPendingRows: Number.POSITIVE_INFINITY,
    writer,
    onWriteError: ({ batchId, rows, error }) => {
      // Store errors name keys and codes; row data never reaches an error.
      const message = error instanceof Error ? error.message : "write failed";
      port.postMessage({ type: "write_error", batchId, rows, message } satisfies FromWorker);
    },
    onBatchWritten: () => port.postMessage({ type: "stats", stats: sink.stats() } satisfies FromWorker),
  });
  port.on("message", (message: ToWorker) => {
    if (message.type === "rows") {
      // The main thread enforces the pending bound; here the rows are only buffered.
      sink.write(message.rows).catch(() => undefined);
      return;
    }
    const done = (error: unknown) =>
      port.postMessage({
        type: "done",
        id: message.id,
        error: error === null ? null : error instanceof Error ? error.message : "failed",
        stats: sink.stats(),
      } satisfies FromWorker);
    const action = message.type === "flush" ? sink.flush() : sink.close();
    action.then(
      () => done(null),
      (error: unknown) => done(error),
    );
  });
}

if (!isMainThread && (workerData as { mark?: unknown } | null)?.mark === WORKER_MARK) {
  void runWorker();
}
