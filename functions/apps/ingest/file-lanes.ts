import { randomUUID } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { adoptBundledAsnTable, adoptDatabaseBytes } from "../../adapters/geo/mmdb-geo.ts";
import { workerBootstrap } from "../../adapters/threads/worker-module.ts";
import { UsageError } from "../../cli/output.ts";
import { compileFormatSpec, type FormatChoice, type FormatSpec } from "../../core/parse/index.ts";
import { type FileIngestSummary, type LocalLogsieve, openLocal } from "./local.ts";
import { type SharedGeo, sharedGeo, WORKER_YOUNG_GENERATION_MB } from "./shard-pool.ts";

/**
 * Several files of one `logsieve ingest`, read side by side: this thread and `threads - 1` workers, each ingesting
 * whole files, the next one as soon as it is done (a hoster's folder of one log per site, a day of rotated logs).
 * One after the other, every file smaller than a shard ran on this thread alone (and its Parquet on one more), so a
 * folder of 200 site logs used one core of two (docs/BENCHMARKS.md, issue 20, eleventh round).
 *
 * - Each worker opens the lake as a one-thread `logsieve ingest` does (apps/ingest/local.ts, no worker of its own,
 *   Parquet encoded on it) with the command's configuration, shard size and format; this thread ingests its files
 *   the same way (`inThisThread`). A file's objects are keyed by its stream and offsets only, so they are the
 *   objects it gets one after the other (test/e2e/cli-bundle.test.ts).
 * - Every file keeps what makes a run safe: its stream's lock and checkpoint, taken by the thread that reads it.
 *   Two names of one stream (a log and its compressed copy) are read one after the other: the second waits for
 *   the first's lock (a lock of this process, checkpoint-book.ts `isThisProcess`), then reads on from its
 *   checkpoint.
 * - The largest files first, so the last to finish are small: the threads end close together.
 * - The files being read at once hold at most a shard's bytes between them ({@link LaneQueue}; one file alone may
 *   hold up to a shard): a file's rows wait in memory until its end, and two large files side by side took more
 *   than the shards of one file do (docs/BENCHMARKS.md, issue 20, twelfth round).
 * - The bundled AS table and the country database are lent to the workers in shared memory, as to shard workers.
 * - A file that fails stops the handing out; the files being read finish (each is stored whole or not at all,
 *   docs/INGEST.md), then the command fails with the first error.
 */

/**
 * Which files are read side by side and which one after the other (in the order given, each on every thread when
 * it is larger than a shard, before the others): `sideBySide` holds the files of at most one shard (standard input
 * never), largest first, when there are two or more and more than a quarter of a shard of them in all — below that
 * a worker's start (≈ 0.3 s of CPU, its own memory) costs more than it saves. Indexes into `files`.
 */
export function sideBySidePlan(
  files: readonly string[],
  sizes: ReadonlyMap<string, number>,
  options: { readonly threads: number; readonly shardBytes: number },
): { readonly oneByOne: readonly number[]; readonly sideBySide: readonly number[] } {
  const all = files.map((_, index) => index);
  if (options.threads < 2) return { oneByOne: all, sideBySide: [] };
  const sizeOf = (index: number): number => sizes.get(files[index] as string) ?? -1;
  const small = all.filter((index) => {
    const size = sizeOf(index);
    return files[index] !== "-" && size >= 0 && size <= options.shardBytes;
  });
  const bytes = small.reduce((sum, index) => sum + sizeOf(index), 0);
  if (small.length < 2 || bytes <= options.shardBytes / 4) return { oneByOne: all, sideBySide: [] };
  const chosen = new Set(small);
  return {
    oneByOne: all.filter((index) => !chosen.has(index)),
    sideBySide: [...small].sort((a, b) => sizeOf(b) - sizeOf(a) || a - b),
  };
}

export interface SideBySideOptions {
  /** Threads in all, this one included. */
  readonly threads: number;
  readonly shardBytes: number;
  /** How the configuration was given to `openLocal` (each worker resolves it the same way). */
  readonly configSource: { readonly config?: unknown; readonly configPath?: string | undefined };
  /** The command line's format (compiled again by each worker: a compiled format is code, not data). */
  readonly formatSpec: FormatSpec | undefined;
  readonly formatOption: string | undefined;
  readonly site: string | undefined;
}

/**
 * Ingests `files` side by side; `onDone` gets each file's summary (by its index in `files`) as it finishes. Rejects
 * with the first failure, once every file being read has finished.
 */
export async function ingestSideBySide(
  logsieve: LocalLogsieve,
  files: readonly LaneFile[],
  options: SideBySideOptions,
  onDone: (index: number, summary: FileIngestSummary) => void,
): Promise<void> {
  const queue = new LaneQueue(files, options.shardBytes);
  let failure: { error: unknown } | null = null;
  const fail = (error: unknown): void => {
    failure ??= { error };
    queue.stop();
  };
  const format = options.formatSpec === undefined ? undefined : compileFormatSpec(options.formatSpec);
  /** A lane: takes the next file as long as there is one and nothing failed. */
  const lane = async (ingest: (path: string) => Promise<FileIngestSummary>): Promise<void> => {
    for (let file = await queue.take(); file !== undefined; file = await queue.take()) {
      try {
        onDone(file.index, await ingest(file.path));
      } catch (error) {
        fail(error);
      } finally {
        queue.done(file);
      }
    }
  };
  const workers: Lane[] = [];
  const lanes = [lane((path) => ingestOnThisThread(logsieve, path, format, options))];
  const wanted = Math.min(options.threads, files.length) - 1;
  for (let k = 0; k < wanted; k++) {
    const worker = startLane(options, logsieve);
    workers.push(worker);
    lanes.push(lane((path) => worker.ingest(path)));
  }
  try {
    await Promise.all(lanes);
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
}

/** A file to read side by side: its path, its index among the command's files, its size. */
export interface LaneFile {
  readonly path: string;
  readonly index: number;
  readonly bytes: number;
}

/**
 * Hands out the files, in the order given (largest first), to lanes that ask: the first file that fits beside the
 * files being read — their bytes and its own at most `budget` — or, when none is being read, the first. A lane
 * that finds none fitting waits until a file is done. Same files, same objects; only which thread reads each, and
 * when, changes.
 *
 * The budget is a shard's bytes because a file's rows stay in memory until its end: on `vhosts` its two largest
 * files (31.6 and 18.3 MiB) side by side took peak RSS to 260–276 MiB, against 235–240 with a budget of a shard
 * (the largest then goes beside small ones); the `week` log cut into 8 files of 25 MiB, 301 against 228 MiB, at the
 * price of reading them one at a time (6.8 → 8.9 s; docs/BENCHMARKS.md, issue 20, twelfth round).
 */
export class LaneQueue {
  private readonly waiting: LaneFile[];
  private reading = 0;
  private filesReading = 0;
  private stopped = false;
  private wake: (() => void)[] = [];

  constructor(
    files: readonly LaneFile[],
    private readonly budget: number,
  ) {
    this.waiting = [...files];
  }

  /** The next file for a lane, once one fits; undefined when none is left (or the queue was stopped). */
  async take(): Promise<LaneFile | undefined> {
    for (;;) {
      if (this.stopped || this.waiting.length === 0) return undefined;
      const at =
        this.filesReading === 0
          ? 0
          : this.waiting.findIndex((file) => this.reading + file.bytes <= this.budget);
      if (at >= 0) {
        const [file] = this.waiting.splice(at, 1) as [LaneFile];
        this.reading += file.bytes;
        this.filesReading++;
        return file;
      }
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  /** A file taken is read (or failed): its bytes make room, and lanes waiting look again. */
  done(file: LaneFile): void {
    this.reading -= file.bytes;
    this.filesReading--;
    this.wakeAll();
  }

  /** No more files are handed out; lanes waiting get none. */
  stop(): void {
    this.stopped = true;
    this.wakeAll();
  }

  private wakeAll(): void {
    const waking = this.wake;
    this.wake = [];
    for (const resolve of waking) resolve();
  }
}

/** One file, read as every lane reads it: on this thread, with the command's format and site. */
function ingestOnThisThread(
  logsieve: LocalLogsieve,
  path: string,
  format: FormatChoice | undefined,
  options: SideBySideOptions,
): Promise<FileIngestSummary> {
  return logsieve.ingestFile(path, {
    format,
    formatOption: options.formatOption,
    site: options.site,
    inThisThread: true,
  });
}

const LANE_MARK = "logsieve-ingest-lane-worker";

interface LaneInput {
  readonly mark: string;
  readonly lakeDir: string;
  readonly options: SideBySideOptions;
  /** The owner of the worker's stream locks (LocalOptions.lockOwner): this thread releases them if it dies. */
  readonly lockOwner: string;
}

type ToLane =
  | { readonly type: "geo"; readonly geo: SharedGeo }
  | { readonly type: "file"; readonly id: number; readonly path: string };

type FromLane =
  | { readonly type: "done"; readonly id: number; readonly summary: FileIngestSummary }
  | {
      readonly type: "failed";
      readonly id: number;
      readonly message: string;
      /** Set when the worker's error was a UsageError: the person's to fix, with this hint. */
      readonly usage: { readonly hint: string | undefined } | null;
    };

/** A worker that ingests the files it is given, one at a time. */
interface Lane {
  ingest(path: string): Promise<FileIngestSummary>;
  close(): Promise<void>;
}

function startLane(options: SideBySideOptions, logsieve: LocalLogsieve): Lane {
  const input: LaneInput = { mark: LANE_MARK, lakeDir: logsieve.lakeDir, options, lockOwner: randomUUID() };
  const worker = new Worker(workerBootstrap(import.meta.url, "ingest-lane-worker"), {
    eval: true,
    workerData: input,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  const pending = new Map<
    number,
    { resolve: (s: FileIngestSummary) => void; reject: (e: unknown) => void }
  >();
  let ended: Error | null = null;
  const end = (error: Error): void => {
    ended ??= error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on("message", (message: FromLane) => {
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.type === "done") waiting?.resolve(message.summary);
    else
      waiting?.reject(
        message.usage === null
          ? new Error(message.message)
          : new UsageError(message.message, message.usage.hint),
      );
  });
  worker.on("error", (error) => end(new Error("an ingest worker failed", { cause: error })));
  // A worker ended by the runtime (out of memory, say) released none of its locks: another thread of this command
  // waiting for one of its streams (the same log given under two names) would wait out the lease (an hour).
  worker.on("exit", (code) => {
    const exited = new Error(`an ingest worker exited (code ${code})`);
    logsieve.checkpoints.releaseLocksOf(input.lockOwner).then(
      () => end(exited),
      (error: unknown) =>
        end(new Error(`${exited.message}; its locks could not be released`, { cause: error })),
    );
  });
  sharedGeo(logsieve.config).then(
    (geo) => worker.postMessage({ type: "geo", geo } satisfies ToLane),
    (error: unknown) => end(error instanceof Error ? error : new Error(String(error))),
  );
  let nextId = 1;
  return {
    ingest(path) {
      if (ended !== null) return Promise.reject(ended);
      const id = nextId++;
      return new Promise<FileIngestSummary>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ type: "file", id, path } satisfies ToLane);
      });
    },
    async close() {
      worker.removeAllListeners("exit");
      await worker.terminate();
    },
  };
}

/** The worker: opens the lake as a one-thread ingest does, then ingests each file it is given. */
async function runLane(): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const { lakeDir, options, lockOwner } = workerData as LaneInput;
  const files: { id: number; path: string }[] = [];
  let wake: (() => void) | null = null;
  let gotGeo: (geo: SharedGeo) => void = () => undefined;
  const lent = new Promise<SharedGeo>((resolve) => {
    gotGeo = resolve;
  });
  port.on("message", (message: ToLane) => {
    if (message.type === "geo") gotGeo(message.geo);
    else {
      files.push(message);
      wake?.();
    }
  });
  const shared = await lent;
  if (shared.asn !== null) adoptBundledAsnTable(shared.asn.paths, shared.asn.data);
  adoptDatabaseBytes(shared.country.path, shared.country.bytes);
  const logsieve = await openLocal({
    lakeDir,
    config: options.configSource.config,
    configPath: options.configSource.configPath,
    shards: { threads: 1, bytes: options.shardBytes },
    lockOwner,
  });
  const format = options.formatSpec === undefined ? undefined : compileFormatSpec(options.formatSpec);
  for (;;) {
    const file = files.shift();
    if (file === undefined) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
      continue;
    }
    try {
      const summary = await ingestOnThisThread(logsieve, file.path, format, options);
      port.postMessage({ type: "done", id: file.id, summary } satisfies FromLane);
    } catch (error) {
      port.postMessage({
        type: "failed",
        id: file.id,
        message: error instanceof Error ? error.message : String(error),
        usage: error instanceof UsageError ? { hint: error.hint } : null,
      } satisfies FromLane);
    }
  }
}

if (!isMainThread && (workerData as { mark?: unknown } | null)?.mark === LANE_MARK) void runLane();
