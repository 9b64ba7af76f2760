import { setImmediate as nextTurn } from "node:timers/promises";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { AsnTableData } from "../../adapters/geo/asn-ranges.ts";
import {
  adoptBundledAsnTable,
  adoptDatabaseBytes,
  bundledAsnTableData,
  bundledCountryDbPath,
  sharedDatabaseBytes,
} from "../../adapters/geo/mmdb-geo.ts";
import { readFileRange } from "../../adapters/input/resumable-input.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { workerBootstrap } from "../../adapters/threads/worker-module.ts";
import type { IngestDeps, IngestSummary } from "../../core/ingest/pipeline.ts";
import {
  ChunkQueue,
  ingestShard,
  type RangeSource,
  type ShardContext,
  type ShardExecutor,
  type Sharding,
  type ShardJob,
  type ShardRun,
  untilStopped,
} from "../../core/ingest/shards.ts";
import type { RecordFormat } from "../../core/types.ts";
import { FixedClock } from "../../ports/clock.ts";
import type { ObjectInfo, ObjectStore } from "../../ports/object-store.ts";
import type { SaltStore } from "../../ports/salt-store.ts";
import type { RowSink, TableEncoder, TablePart, TableSchema } from "../../ports/table-encoder.ts";
import { resolveConfig } from "../../runtime/config-file.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";

/**
 * The shards of a batch (core/ingest/shards.ts) on worker threads, for `logsieve ingest` on a machine with more
 * than one core.
 *
 * - This thread reads the input once, counting lines and cutting it into shards (core/ingest/shards.ts). A shard of a
 *   plain file is handed as its byte range to a free worker, else to this thread when it is not ingesting one
 *   already (it is one of the `threads`: two threads are this one and one worker); the thread reads it from the file
 *   itself (through the descriptor this thread opened: adapters/input/resumable-input.ts `readFileRange`); a shard of a compressed
 *   file or of standard input is handed over as its bytes (copied once into a buffer of their own, then
 *   transferred). A worker ingests its shards one after the other with the very pipeline of one thread
 *   (core/ingest/pipeline.ts `ingest`), its own enricher and an in-thread Parquet encoder (same bytes).
 * - Everything that must be one for the whole batch stays on this thread, which the workers call: the day's salt
 *   (fetched once per day for all shards), the batch intent of the checkpoint (recorded before a partition's first
 *   object, in the caller's order) and the object store — unless it is the plain local lake, whose files a worker
 *   puts itself ({@link ownLakeRoot}); any other store (S3, a wrapper) is called through this thread, so a storage
 *   fault or a kill hits the sharded run as it hits one thread.
 * - The bundled AS table and the country database are read once, by this thread, and lent to the workers in
 *   shared memory (reading the AS table costs about half a second of CPU per thread, the country database is 8 MB).
 * - Memory: a byte range waits as two numbers until a worker is free, and a worker reads it 256 KiB at a time;
 *   pushed bytes wait up to `shardBytes` per worker (the reader waits otherwise). A worker holds its shard's rows,
 *   its caches and its isolate.
 * - Workers start when a batch is cut into shards (an input of one shard never starts any) and stop with the batch.
 *   The command starts one ahead ({@link WorkerSharding.warm}) when an input is larger than a shard, so its start-up
 *   (its own modules, configuration and enricher: ≈ 0.15 s idle, more under load) overlaps the main thread's; the
 *   first batch that shards adopts it.
 */

export interface WorkerShardingOptions {
  readonly shardBytes: number;
  /** Worker threads at most (the machine's cores, usually). */
  readonly threads: number;
  /** How the configuration was given to `openLocal`: each worker resolves it the same way. */
  readonly configSource: { readonly config?: unknown; readonly configPath?: string | undefined };
}

export interface WorkerSharding extends Sharding {
  /**
   * Starts one worker now, for the first batch that shards to adopt (at most one waits; it does not keep the process
   * alive, and a worker that died meanwhile is replaced by a new one).
   */
  warm(deps: Pick<IngestDeps, "store" | "config">): void;
}

export function workerSharding(options: WorkerShardingOptions): WorkerSharding {
  let parked: ParkedWorker | null = null;
  const adoptParked = (): Started | null => {
    const taken = parked;
    parked = null;
    return taken === null ? null : taken.adopt();
  };
  return {
    shardBytes: options.shardBytes,
    open: (context) => new WorkerShards(options, context, adoptParked),
    warm(deps) {
      if (parked === null && options.threads > 1) parked = park(startWorker(options, deps));
    },
  };
}

/** A worker started, and its geography being sent (the first message it gets: it builds its enricher with it). */
interface Started {
  readonly worker: Worker;
  readonly geoSent: Promise<void>;
}

function startWorker(options: WorkerShardingOptions, deps: Pick<IngestDeps, "store" | "config">): Started {
  // The worker runs this module (its own entry in the CLI bundle; from the sources, through tsx).
  const bootstrap = workerBootstrap(import.meta.url, "ingest-shard-worker");
  const input: WorkerInput = {
    mark: WORKER_MARK,
    configSource: options.configSource,
    lakeRoot: ownLakeRoot(deps.store),
  };
  const worker = new Worker(bootstrap, {
    eval: true,
    workerData: input,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const geoSent = sharedGeo(deps.config).then((geo) => {
    worker.postMessage({ type: "geo", geo } satisfies ToWorker);
  });
  geoSent.catch(() => undefined);
  return { worker, geoSent };
}

interface ParkedWorker {
  /** The worker, for a batch to use, or null when it died while it waited. */
  adopt(): Started | null;
}

/** Keeps a started worker waiting without holding the process open, noting whether it dies meanwhile. */
function park(started: Started): ParkedWorker {
  const { worker } = started;
  let died = false;
  const onEnd = (): void => {
    died = true;
  };
  worker.on("exit", onEnd);
  worker.on("error", onEnd);
  started.geoSent.catch(() => {
    died = true;
    void worker.terminate();
  });
  worker.unref();
  return {
    adopt() {
      worker.off("exit", onEnd);
      worker.off("error", onEnd);
      if (died) {
        void worker.terminate();
        return null;
      }
      worker.ref();
      return started;
    },
  };
}

const SHARED_GEO = new WeakMap<IngestDeps["config"], Promise<SharedGeo>>();

/**
 * What the main thread lends its workers: the bundled AS table (null when the configuration does not use it) and the
 * country database's bytes, in shared memory. Read once per configuration (so once per command) for every worker it
 * starts; the bundled files are kept for the process by adapters/geo/mmdb-geo.ts anyway. A failure is not kept.
 */
export function sharedGeo(config: IngestDeps["config"]): Promise<SharedGeo> {
  let lent = SHARED_GEO.get(config);
  if (lent === undefined) {
    const { geo } = config;
    const countryPath = geo.countryDb ?? bundledCountryDbPath();
    const reading = Promise.all([
      geo.provider && geo.asnDb === undefined ? bundledAsnTableData() : null,
      sharedDatabaseBytes(countryPath),
    ]).then(([asn, bytes]) => ({ asn, country: { path: countryPath, bytes } }));
    reading.catch(() => SHARED_GEO.delete(config));
    SHARED_GEO.set(config, reading);
    lent = reading;
  }
  return lent;
}

const WORKER_MARK = "logsieve-ingest-shard-worker";

/**
 * A worker's young generation (V8's two semi-spaces and the new large-object space: a third each), in MiB. V8's
 * default on 64 bits lets each semi-space grow to 16 MiB, and a worker allocating a row's strings per line grows it
 * there within its first shard: 32 MiB of new space committed per worker and kept until it stops. 12 MiB (4 MiB
 * semi-spaces) holds the objects of a batch of lines between two scavenges; what survives is the same, only
 * scavenged more often, each scavenge smaller (docs/BENCHMARKS.md, fourth round: about 25 MiB less peak RSS per
 * worker, CPU within the noise). Only the young generation is limited: the old one keeps V8's default, so no
 * input can fail for it.
 */
export const WORKER_YOUNG_GENERATION_MB = 12;

interface WorkerInput {
  readonly mark: string;
  readonly configSource: WorkerShardingOptions["configSource"];
  /** The lake's folder when the worker stores its objects itself (see {@link ownLakeRoot}), else null. */
  readonly lakeRoot: string | null;
}

/**
 * The folder of the caller's store when it is the plain local lake, which a worker can open itself: its objects are
 * files put atomically (temporary file, fsync, rename) under keys only its shard writes, and the process's
 * descriptors and files are every thread's. A worker then puts, lists and deletes its own objects without a round
 * trip through this thread, which would otherwise take several of this thread's turns per part (its own shard's
 * lines in between) and carry each part's bytes across. Any other store — S3, a store wrapped to count calls or to
 * inject faults — stays on this thread, so a fault hits the sharded run as it hits one thread.
 */
function ownLakeRoot(store: ObjectStore): string | null {
  return store.constructor === LocalObjectStore ? (store as LocalObjectStore).root : null;
}

type Call =
  | { readonly op: "put"; readonly key: string; readonly body: Uint8Array; readonly contentType?: string }
  | { readonly op: "list"; readonly prefix: string }
  | { readonly op: "delete"; readonly key: string }
  | { readonly op: "salt"; readonly day: string }
  | { readonly op: "intent"; readonly partition: string; readonly format: RecordFormat | null };

/**
 * What the main thread lends its workers, read once per process: the bundled AS table (null when the configuration
 * does not use it) and the country database's bytes, both in shared memory.
 */
export interface SharedGeo {
  readonly asn: { readonly paths: { ipv4: string; ipv6: string }; readonly data: AsnTableData } | null;
  readonly country: { readonly path: string; readonly bytes: Uint8Array };
}

type ToWorker =
  | { readonly type: "geo"; readonly geo: SharedGeo }
  /** The batch's first start: its rejects are filed under it (a worker may be started before its batch). */
  | { readonly type: "batch"; readonly receivedAt: number }
  | { readonly type: "shard"; readonly job: ShardJob }
  | {
      readonly type: "range";
      readonly job: ShardJob;
      readonly source: RangeSource;
      readonly end: number;
    }
  | { readonly type: "chunk"; readonly index: number; readonly bytes: Uint8Array }
  | { readonly type: "end"; readonly index: number }
  | { readonly type: "reply"; readonly id: number; readonly value?: unknown; readonly error?: string };

type FromWorker =
  | { readonly type: "taken"; readonly bytes: number }
  | { readonly type: "progress"; readonly index: number; readonly lines: number; readonly bytes: number }
  | { readonly type: "done"; readonly index: number; readonly summary: IngestSummary }
  | { readonly type: "failed"; readonly index: number; readonly error: string }
  | { readonly type: "call"; readonly id: number; readonly call: Call };

interface Pending {
  resolve: (summary: IngestSummary) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  /** Shards handed to it and not finished. */
  readonly unfinished: Map<number, Pending>;
  /** Bytes posted and not yet taken by its pipeline. */
  queued: number;
  room: { resolve: () => void; reject: (error: unknown) => void } | null;
  failure: { error: unknown } | null;
}

class WorkerShards implements ShardExecutor {
  private readonly slots: Slot[] = [];
  /** Byte ranges waiting for a free thread, in order. */
  private readonly ranges: { job: ShardJob; end: number; pending: Pending }[] = [];
  /**
   * The range this thread is ingesting itself (one of the `threads`), or null. This thread only cuts and counts
   * the batch and answers the workers' calls (active about 2 s of a 1 M-line run), so with two threads one worker
   * and this thread ingest side by side: one isolate fewer, which is its fixed cost and its garbage between full
   * collections, about 100 MiB (docs/BENCHMARKS.md, fourth round). Pushed bytes still go to workers only.
   */
  private inThread: Promise<unknown> | null = null;
  /** This thread's deps for its ranges: the caller's, with an in-thread encoder and the batch's salts. */
  private inThreadDeps: IngestDeps | null = null;
  /** The range this thread ingests is read to its end: its writers are storing what they hold (objectsTurnByTurn). */
  private hereReadToEnd = false;
  readonly startRange: ((job: ShardJob, end: number) => Promise<IngestSummary>) | undefined;
  private readonly salts = new Map<string, Promise<Uint8Array>>();
  /** The first error of a call this thread ran for a worker (a store failure): the cause a failed shard reports. */
  private callFailure: { error: unknown } | null = null;
  private closed = false;
  /** Calls being answered: a stopped batch waits for them, so nothing it started lands after it has failed. */
  private readonly answering = new Set<Promise<unknown>>();

  constructor(
    private readonly options: WorkerShardingOptions,
    private readonly context: ShardContext,
    /** A worker started ahead for this batch, if any (see {@link WorkerSharding.warm}). */
    private readonly adoptParked: () => Started | null,
  ) {
    const { source } = context;
    this.startRange =
      source === undefined
        ? undefined
        : (job, end) =>
            new Promise<IngestSummary>((resolve, reject) => {
              if (this.closed) {
                reject(new Error("the batch was stopped"));
                return;
              }
              this.ranges.push({ job, end, pending: { resolve, reject } });
              this.dispatchRanges(source);
            });
  }

  /**
   * Hands waiting ranges to workers with nothing to do (a new worker while there are cores left), one shard per
   * worker at a time, so a worker that is slower on its shard does not hold others back; this thread takes a range
   * only when no worker can. So the first shard goes to the worker, whose start-up (≈ 0.15 s) overlaps this thread's
   * reading on to the second shard's end, which it then ingests itself: taking the first shard itself, this thread
   * read on between its own lines, one chunk per turn, and the worker started a second later (docs/BENCHMARKS.md,
   * sixth round).
   */
  private dispatchRanges(source: RangeSource): void {
    while (this.ranges.length > 0) {
      let slot = this.slots.find((each) => each.failure === null && each.unfinished.size === 0);
      // This thread is one of the threads: `threads - 1` workers at most.
      if (slot === undefined && this.slots.length < this.options.threads - 1) slot = this.spawn();
      const next = slot !== undefined || this.inThread === null ? this.ranges.shift() : undefined;
      if (next === undefined) return;
      if (slot === undefined) {
        this.ingestHere(source, next);
        continue;
      }
      slot.unfinished.set(next.job.index, next.pending);
      this.post(slot, { type: "range", job: next.job, source, end: next.end });
    }
  }

  /** Ingests a range on this thread, with the very pipeline a worker runs (same objects); then the next range. */
  private ingestHere(source: RangeSource, next: { job: ShardJob; end: number; pending: Pending }): void {
    const { job, end, pending } = next;
    const { context } = this;
    const lakeRoot = ownLakeRoot(context.deps.store);
    this.inThreadDeps ??= {
      ...context.deps,
      // The local lake's parts written on this thread, as a worker writes them (see LocalObjectStore `inThread`).
      store: lakeRoot === null ? context.deps.store : new LocalObjectStore(lakeRoot, { inThread: true }),
      // The caller's encoder may be the threaded one, whose worker would be one more isolate.
      encoder: objectsTurnByTurn(parquetEncoder({ threads: false }), () => this.hereReadToEnd),
      salts: {
        saltForDay: (day) => this.saltForDay(day),
        destroyExpired: async () => [],
      },
    };
    const deps = this.inThreadDeps;
    this.hereReadToEnd = false;
    const readToEnd = (): void => {
      this.hereReadToEnd = true;
    };
    // A stopped batch stops the shard being read at its next chunk.
    const chunks = untilStopped(turnByTurn(readFileRange(source, job.offset, end), readToEnd), () =>
      this.closed ? new Error("the batch was stopped") : undefined,
    );
    const running = ingestShard(job, chunks, deps, {
      onProgress: (lines, bytes) => context.onShardProgress(job.index, lines, bytes),
      beforeFirstPart: context.beforeFirstPart,
    });
    this.inThread = running;
    running.then(
      (summary) => {
        this.inThread = null;
        pending.resolve(summary);
        this.nextRange();
      },
      // The batch stops; this thread takes no further range (`inThread` stays set).
      (error: unknown) => pending.reject(error),
    );
  }

  /** One fetch per day for every shard, on any thread: they must all hash with the same salt. */
  private saltForDay(day: string): Promise<Uint8Array> {
    let salt = this.salts.get(day);
    if (salt === undefined) {
      salt = this.context.deps.salts.saltForDay(day);
      this.salts.set(day, salt);
    }
    return salt;
  }

  start(job: ShardJob): ShardRun {
    const slot = this.slotFor();
    let pending: Pending = { resolve: () => undefined, reject: () => undefined };
    const result = new Promise<IngestSummary>((resolve, reject) => {
      pending = { resolve, reject };
    });
    if (slot.failure !== null) pending.reject(slot.failure.error);
    else {
      slot.unfinished.set(job.index, pending);
      this.post(slot, { type: "shard", job });
    }
    return {
      result,
      push: (bytes) => {
        if (slot.failure !== null) return Promise.reject(slot.failure.error);
        // A copy of its own, transferred: a view into a reader's buffer would clone all of that buffer (and
        // `slice` of a Node Buffer is a view, not a copy).
        const own = new Uint8Array(bytes);
        slot.queued += own.length;
        this.post(slot, { type: "chunk", index: job.index, bytes: own }, [own.buffer as ArrayBuffer]);
        if (slot.queued <= this.options.shardBytes) return undefined;
        return new Promise<void>((resolve, reject) => {
          slot.room = { resolve, reject };
        });
      },
      end: () => this.post(slot, { type: "end", index: job.index }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Error("the batch was stopped");
    for (const waiting of this.ranges.splice(0)) waiting.pending.reject(stopped);
    for (const slot of this.slots) this.fail(slot, stopped);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    // Nothing this thread's own range started may land after the batch has failed.
    if (this.inThread !== null) await Promise.allSettled([this.inThread]);
    await Promise.allSettled([...this.answering]);
  }

  /** The worker with the fewest unfinished shards; a new one while each has some and there are cores left. */
  private slotFor(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.failure !== null) continue;
      if (best === undefined || slot.unfinished.size < best.unfinished.size) best = slot;
    }
    if (best !== undefined && (best.unfinished.size === 0 || this.slots.length >= this.options.threads)) {
      return best;
    }
    return this.spawn();
  }

  private spawn(): Slot {
    const { worker, geoSent } = this.adoptParked() ?? startWorker(this.options, this.context.deps);
    const slot: Slot = { worker, unfinished: new Map(), queued: 0, room: null, failure: null };
    worker.on("message", (message: FromWorker) => this.onMessage(slot, message));
    geoSent.catch((error: unknown) => this.fail(slot, error));
    this.post(slot, { type: "batch", receivedAt: this.context.deps.clock.now() });
    worker.on("error", (error) => this.fail(slot, new Error("an ingest worker failed", { cause: error })));
    worker.on("exit", (code) => this.fail(slot, new Error(`an ingest worker exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private post(slot: Slot, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (slot.failure === null) slot.worker.postMessage(message, transfer);
  }

  private fail(slot: Slot, error: unknown): void {
    if (slot.failure !== null) return;
    slot.failure = { error };
    slot.room?.reject(error);
    slot.room = null;
    for (const pending of slot.unfinished.values()) pending.reject(error);
    slot.unfinished.clear();
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case "taken":
        slot.queued -= message.bytes;
        if (slot.room !== null && slot.queued <= this.options.shardBytes) {
          slot.room.resolve();
          slot.room = null;
        }
        return;
      case "progress":
        this.context.onShardProgress(message.index, message.lines, message.bytes);
        return;
      case "done":
        slot.unfinished.get(message.index)?.resolve(message.summary);
        slot.unfinished.delete(message.index);
        this.nextRange();
        return;
      case "failed": {
        const pending = slot.unfinished.get(message.index);
        slot.unfinished.delete(message.index);
        pending?.reject(this.callFailure?.error ?? new Error(message.error));
        return;
      }
      case "call": {
        if (this.closed) return;
        const answered = this.answer(message.call);
        this.answering.add(answered);
        answered.then(
          () => this.answering.delete(answered),
          () => this.answering.delete(answered),
        );
        answered.then(
          (value) => this.post(slot, { type: "reply", id: message.id, value }),
          (error: unknown) => {
            this.callFailure ??= { error };
            const text = error instanceof Error ? error.message : String(error);
            this.post(slot, { type: "reply", id: message.id, error: text });
          },
        );
        return;
      }
    }
  }

  private nextRange(): void {
    if (!this.closed && this.context.source !== undefined) this.dispatchRanges(this.context.source);
  }

  private async answer(call: Call): Promise<unknown> {
    const { deps } = this.context;
    switch (call.op) {
      case "put":
        await deps.store.put(
          call.key,
          call.body,
          call.contentType === undefined ? undefined : { contentType: call.contentType },
        );
        return null;
      case "list": {
        const found: ObjectInfo[] = [];
        for await (const info of deps.store.list(call.prefix)) found.push(info);
        return found;
      }
      case "delete":
        await deps.store.delete(call.key);
        return null;
      case "salt":
        return await this.saltForDay(call.day);
      case "intent":
        await this.context.beforeFirstPart?.(call.partition, call.format);
        return null;
    }
  }
}

/**
 * A range's chunks, each after a turn of this thread's event loop. The file is read synchronously and a chunk's
 * lines are processed without waiting on anything, so without it a thread would ingest its whole shard in one turn:
 * the main thread would answer a worker's calls (a put, the batch intent, a day's salt: several turns each) only
 * when its own pipeline waited for a write — the worker then stood idle a third of its run (docs/BENCHMARKS.md,
 * sixth round) —, and a worker would take in the answers, and move its own writes on, only when it had to wait. A
 * turn per 256 KiB chunk (≈ 5 ms of lines) answers within milliseconds, for a setImmediate per chunk.
 */
async function* turnByTurn(
  chunks: AsyncIterable<Uint8Array>,
  onEnd: () => void = () => undefined,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of chunks) {
      await nextTurn();
      yield chunk;
    }
  } finally {
    onEnd();
  }
}

/**
 * The encoder of this thread's own shards: once `atShardEnd` says the shard is read to its end, each object's last
 * encoding (its remaining rows and its footer) runs in a turn of this thread's event loop of its own, one object
 * after the other. At a shard's end its writers encode every open partition in one go (`elastic`: ≈ 90 objects,
 * 0.1–0.35 s) without a turn in between, so a worker's questions (a new day's salt, a partition's intent) waited for
 * all of it (docs/BENCHMARKS.md, eighth round). Before the end an object is finished at once, as by the encoder
 * itself: a partition pushed out gives its column batch back for the part that pushed it to take (core/ingest/
 * partitioned-writer.ts). The same objects: each is its own rows, encoded by the same code, only later.
 */
export function objectsTurnByTurn(encoder: TableEncoder, atShardEnd: () => boolean): TableEncoder {
  const { startPart } = encoder;
  if (startPart === undefined) return encoder;
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = (finish: () => Promise<Uint8Array>): Promise<Uint8Array> => {
    if (!atShardEnd()) return finish();
    const encoded = last.then(() => nextTurn()).then(finish);
    last = encoded.catch(() => undefined);
    return encoded;
  };
  return {
    extension: encoder.extension,
    encode: (schema, rows) => encoder.encode(schema, rows),
    startPart: (schema: TableSchema, expectedRows?: number) =>
      new PartFinishedInTurn(startPart.call(encoder, schema, expectedRows), inTurn),
  };
}

/** A part whose `finish` waits for its turn (see {@link objectsTurnByTurn}); rows go straight to the part. */
class PartFinishedInTurn implements TablePart {
  readonly sink: RowSink | undefined;

  constructor(
    private readonly part: TablePart,
    private readonly inTurn: (finish: () => Promise<Uint8Array>) => Promise<Uint8Array>,
  ) {
    this.sink = part.sink;
  }

  get rows(): number {
    return this.part.rows;
  }

  get bytesHeld(): number {
    return this.part.bytesHeld;
  }

  add(row: Readonly<Record<string, unknown>>): void {
    this.part.add(row);
  }

  finish(): Promise<Uint8Array> {
    return this.inTurn(() => this.part.finish());
  }
}

/** The worker: ingests the shards it is given, one after the other, calling the main thread for the lake. */
async function runWorker(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const input = workerData as WorkerInput;
  let nextCall = 1;
  const replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const call = (request: Call, transfer: ArrayBuffer[] = []): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextCall++;
      replies.set(id, { resolve, reject });
      port.postMessage({ type: "call", id, call: request } satisfies FromWorker, transfer);
    });

  /** Shards to ingest, in order: read from a byte range of the input, or pushed (`range` null). */
  const jobs: { readonly job: ShardJob; readonly range: { source: RangeSource; end: number } | null }[] = [];
  const queues = new Map<number, ChunkQueue>();
  let wakeJobs: (() => void) | null = null;
  const queueOf = (index: number): ChunkQueue => {
    let queue = queues.get(index);
    if (queue === undefined) {
      // No limit here: the main thread keeps what it posts within its limit.
      queue = new ChunkQueue(Number.POSITIVE_INFINITY, (bytes) =>
        port.postMessage({ type: "taken", bytes } satisfies FromWorker),
      );
      queues.set(index, queue);
    }
    return queue;
  };
  let gotGeo: (geo: SharedGeo) => void = () => undefined;
  const lent = new Promise<SharedGeo>((resolve) => {
    gotGeo = resolve;
  });
  let gotBatch: (receivedAt: number) => void = () => undefined;
  const batchStart = new Promise<number>((resolve) => {
    gotBatch = resolve;
  });
  port.on("message", (message: ToWorker) => {
    switch (message.type) {
      case "geo":
        gotGeo(message.geo);
        return;
      case "batch":
        gotBatch(message.receivedAt);
        return;
      case "shard":
        jobs.push({ job: message.job, range: null });
        wakeJobs?.();
        return;
      case "range":
        jobs.push({ job: message.job, range: { source: message.source, end: message.end } });
        wakeJobs?.();
        return;
      case "chunk":
        queueOf(message.index).push(message.bytes);
        return;
      case "end":
        queueOf(message.index).end();
        return;
      case "reply": {
        const waiter = replies.get(message.id);
        replies.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.value);
        return;
      }
    }
  });

  const store: ObjectStore =
    input.lakeRoot !== null
      ? new LocalObjectStore(input.lakeRoot, { inThread: true })
      : {
          async put(key, body, options) {
            const own = new Uint8Array(body);
            await call({ op: "put", key, body: own, contentType: options?.contentType }, [
              own.buffer as ArrayBuffer,
            ]);
          },
          async putIfAbsent() {
            throw new Error("an ingest worker does not create objects conditionally");
          },
          async get() {
            throw new Error("an ingest worker does not read objects");
          },
          async *list(prefix) {
            yield* (await call({ op: "list", prefix })) as ObjectInfo[];
          },
          async delete(key) {
            await call({ op: "delete", key });
          },
        };
  // A worker serves one batch (WorkerShards.close stops it), and within a batch a day's salt and a partition's
  // recorded intent never change: each is asked of the main thread once per worker, not once per shard. Each
  // question waits for the main thread's next turn — at the end of its own shard, when it stores that shard's parts
  // in one go, up to ≈ 0.1–0.2 s — and a worker's shard asks for every partition it writes: on `elastic`, ≈ 85
  // questions per shard, the same hours each time (docs/BENCHMARKS.md, seventh round).
  const saltsByDay = new Map<string, Promise<Uint8Array>>();
  const salts: SaltStore = {
    saltForDay: (day) => {
      let salt = saltsByDay.get(day);
      if (salt === undefined) {
        salt = call({ op: "salt", day }) as Promise<Uint8Array>;
        saltsByDay.set(day, salt);
        // A failure is not kept: the next shard asks again.
        salt.catch(() => saltsByDay.delete(day));
      }
      return salt;
    },
    destroyExpired: async () => [],
  };
  const config = await resolveConfig(input.configSource);
  const shared = await lent;
  if (shared.asn !== null) adoptBundledAsnTable(shared.asn.paths, shared.asn.data);
  adoptDatabaseBytes(shared.country.path, shared.country.bytes);
  const deps: IngestDeps = {
    config,
    enrich: await enricherFor(config),
    salts,
    store,
    encoder: parquetEncoder({ threads: false }),
    clock: new FixedClock(await batchStart),
  };
  /** Partitions a stored intent of this batch names (an intent only grows within its batch). */
  const recorded = new Set<string>();
  const beforeFirstPart = async (partition: string, format: RecordFormat | null): Promise<void> => {
    if (recorded.has(partition)) return;
    await call({ op: "intent", partition, format });
    recorded.add(partition);
  };

  for (;;) {
    const next = jobs.shift();
    if (next === undefined) {
      await new Promise<void>((resolve) => {
        wakeJobs = resolve;
      });
      wakeJobs = null;
      continue;
    }
    const { job, range } = next;
    try {
      const chunks =
        range === null ? queueOf(job.index) : turnByTurn(readFileRange(range.source, job.offset, range.end));
      const summary = await ingestShard(job, chunks, deps, {
        onProgress: (lines, bytes) =>
          port.postMessage({ type: "progress", index: job.index, lines, bytes } satisfies FromWorker),
        beforeFirstPart,
      });
      port.postMessage({ type: "done", index: job.index, summary } satisfies FromWorker);
    } catch (error) {
      const text = error instanceof Error ? error.message : "the shard failed";
      port.postMessage({ type: "failed", index: job.index, error: text } satisfies FromWorker);
    }
    queues.delete(job.index);
  }
}

if (!isMainThread && (workerData as { mark?: unknown } | null)?.mark === WORKER_MARK) void runWorker();
