import { createHash, randomUUID } from "node:crypto";
import { availableParallelism, hostname } from "node:os";
import { basename, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { maybeDecompress } from "../../adapters/input/decompress.ts";
import { checkInputId } from "../../adapters/input/input-id.ts";
import { fileInput, readFileRange, streamInput } from "../../adapters/input/resumable-input.ts";
import { namedStreamId } from "../../adapters/input/stream-head.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { CHECKPOINTS_PREFIX } from "../../core/ingest/checkpoint.ts";
import { CheckpointBook, type LockHolder } from "../../core/ingest/checkpoint-book.ts";
import { splitLineBatches } from "../../core/ingest/lines.ts";
import { type IngestDeps, ingest } from "../../core/ingest/pipeline.ts";
import {
  ingestResumable,
  type ResumableInput,
  type ResumableSummary,
  type ResumeReport,
} from "../../core/ingest/resume.ts";
import { inThreadSharding, SHARD_BYTES, type Sharding } from "../../core/ingest/shards.ts";
import { chooseConfiguredFormat } from "../../core/parse/choose.ts";
import type { FormatChoice } from "../../core/parse/index.ts";
import type { Clock } from "../../ports/clock.ts";
import { resolveConfig } from "../../runtime/config-file.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { saltLifetimeMs, saltStoreFor } from "../../runtime/salts.ts";
import { workerSharding } from "./shard-pool.ts";

/**
 * `logsieve ingest` on one machine: the same core as on AWS (apps/ingest/aws.ts), wired to a local lake folder,
 * file-based salts and the bundled geo database (the shared pieces come from runtime/). Every input is read from
 * its stream's checkpoint (core/ingest/resume.ts, docs/INGEST.md): what an earlier run read is not read again.
 */

export interface LocalOptions {
  readonly lakeDir: string;
  /** A JSON configuration file; without one, every setting has its default. */
  readonly configPath?: string;
  /** Or the configuration itself (tests, the demo). */
  readonly config?: unknown;
  readonly clock?: Clock;
  /**
   * How an input larger than one shard is cut (core/ingest/shards.ts): the shard size (default SHARD_BYTES) and the
   * worker threads (default: the machine's cores; with one, the shards run one after the other on this thread, and
   * Parquet is encoded on it too).
   * The shard size decides the objects' keys; the threads never do.
   */
  readonly shards?: {
    readonly bytes?: number;
    readonly threads?: number;
    /** Start a worker at once, ahead of the first batch that shards (an input is known to be larger than a shard). */
    readonly warm?: boolean;
  };
  /**
   * The owner of the stream locks this lake's readers take (random by default): a side-by-side worker's is chosen
   * by the thread that starts it, which releases its locks if it dies (apps/ingest/file-lanes.ts).
   */
  readonly lockOwner?: string;
}

export interface FileIngestOptions {
  /** The format, when the command line gave one (a built-in name or a compiled format); else configured or detected. */
  readonly format?: FormatChoice;
  /** How the command line gave it, for the summary (`--format`, `--nginx-format`, …). */
  readonly formatOption?: string;
  readonly site?: string;
  readonly onProgress?: (linesRead: number, bytesRead: number, sizeBytes: number | null) => void;
  /** For stdin (`-`): the name of the stream piped in; a second run with the same name reads on where this one ended. */
  readonly inputId?: string;
  /** For stdin (`-`) without a name: ingest everything, even if it was ingested before (no checkpoint). */
  readonly allowDuplicates?: boolean;
  /** Stdin stream, for tests; defaults to `process.stdin`. */
  readonly stdin?: AsyncIterable<Uint8Array>;
  /**
   * Everything on this thread: shards one after the other and Parquet encoded here, no worker (the same objects).
   * For a file read while other threads read other files (apps/ingest/file-lanes.ts), which would otherwise get
   * a thread more than there are cores.
   */
  readonly inThisThread?: boolean;
}

/** A local run's report of one input: the summary, how it related to what was read before, and a note for people. */
export interface FileIngestSummary extends ResumableSummary {
  readonly name: string;
  readonly seconds: number;
  /** Where the format came from: the command-line option, `formats[i]` of the configuration, or `detection`. */
  readonly formatFrom: string;
  /** Something the person should know about this input (it was replaced since the last run, ...), or null. */
  readonly note: string | null;
}

export interface LocalLogsieve {
  readonly config: LogsieveConfig;
  readonly lakeDir: string;
  readonly store: LocalObjectStore;
  readonly clock: Clock;
  /** What ingestion needs, built once (also for `ingest --follow`). */
  readonly deps: IngestDeps;
  readonly checkpoints: CheckpointBook;
  ingestFile(path: string, options?: FileIngestOptions): Promise<FileIngestSummary>;
}

/** Standard input was given without a name and without `allowDuplicates`. */
export class UnnamedStdinError extends Error {
  constructor() {
    super("standard input needs --input-id (a name for what is piped in) or --allow-duplicates");
    this.name = "UnnamedStdinError";
  }
}

/**
 * When this process started, less a second: a lock naming this process's id but taken before it is a lock of an
 * earlier process that had the same id (a container's command is often process 1, 7 or 8 every time it starts),
 * killed before it released it.
 */
const PROCESS_STARTED_AT = Date.now() - process.uptime() * 1000 - 1000;

/** A lock taken by this process (any of its threads) since it started. */
function heldByThisProcess(holder: LockHolder): boolean {
  return holder.host === hostname() && holder.pid === process.pid && holder.acquiredAt >= PROCESS_STARTED_AT;
}

/** A lock held by a process of this machine that no longer runs can be taken over at once. */
function processAlive(holder: LockHolder): boolean | undefined {
  if (holder.host !== hostname()) return undefined;
  if (holder.pid === process.pid) return heldByThisProcess(holder);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

/**
 * The store the checkpoints and the day salts are written and read through: the plain local lake's files, in
 * synchronous calls on this thread. A batch's intent must be stored before each partition's first part, and a
 * shard's lines wait for their day's salt: through libuv's pool each such call queued behind the parts' own flushes
 * of every ingest thread and took one turn of this thread per step (which ingests a shard too): 38–125 ms a
 * checkpoint write where the flush takes ≈ 0.3 ms, and on `week` (a new day every shard) 0.65–0.8 s of a worker's
 * run waiting for salts at load 7 (docs/BENCHMARKS.md, eighth round). Any other store (a wrapper that counts calls
 * or injects faults) is used as given.
 */
function smallObjectStore(store: LocalObjectStore): LocalObjectStore {
  if (store.constructor !== LocalObjectStore) return store;
  return new LocalObjectStore(store.root, { synchronous: true });
}

/** Local locks: a dead holder on this machine is seen at once; the lease only matters for a lake on a shared disk. */
const LOCAL_LEASE_MS = 60 * 60 * 1000;

export function localCheckpointBook(
  store: LocalObjectStore,
  clock: Clock,
  owner: string = randomUUID(),
): CheckpointBook {
  return new CheckpointBook(smallObjectStore(store), clock, {
    owner,
    host: hostname(),
    pid: process.pid,
    leaseMs: LOCAL_LEASE_MS,
    isAlive: processAlive,
    // `logsieve ingest` reads several files side by side, a book per thread (apps/ingest/file-lanes.ts): one
    // stream given twice (a log and its compressed copy) is read by one thread while the other waits.
    isThisProcess: heldByThisProcess,
  });
}

export async function openLocal(options: LocalOptions): Promise<LocalLogsieve> {
  const config = await resolveConfig(options);
  const clock = options.clock ?? systemClock;
  const lakeDir = resolve(options.lakeDir);
  const store = new LocalObjectStore(lakeDir);
  const threads = options.shards?.threads ?? availableParallelism();
  const shardBytes = options.shards?.bytes ?? SHARD_BYTES;
  const workers =
    threads > 1
      ? workerSharding({
          shardBytes,
          threads,
          configSource: { config: options.config, configPath: options.configPath },
        })
      : null;
  // Its start-up overlaps this thread's: the salts, the enricher and the first shard's reading.
  if (workers !== null && options.shards?.warm === true) workers.warm({ store, config });
  const sharding = workers ?? inThreadSharding(shardBytes, readFileRange);
  const salts = saltStoreFor(smallObjectStore(store), clock, config);
  // Salts older than their lifetime are destroyed before any is used, even if no sweeper ran.
  await salts.destroyExpired(saltLifetimeMs(config));
  const enrich = await enricherFor(config);
  // One thread means no worker at all: neither shards nor the Parquet encoder's.
  const encoder = parquetEncoder({ threads: threads > 1 });
  const deps: IngestDeps = { config, enrich, salts, store, encoder, clock };
  const checkpoints = localCheckpointBook(store, clock, options.lockOwner);
  const maxLineBytes = config.ingest.maxLineBytes;
  // `inThisThread`: the objects written and encoded on this thread as a shard worker's are (see LocalObjectStore
  // `inThread`), the shards one after the other here.
  let inThisThread: { readonly deps: IngestDeps; readonly sharding: Sharding } | null = null;
  const partsFor = (fileOptions: FileIngestOptions): { deps: IngestDeps; sharding: Sharding } => {
    if (fileOptions.inThisThread !== true) return { deps, sharding };
    inThisThread ??= {
      deps: {
        ...deps,
        store: new LocalObjectStore(lakeDir, { inThread: true }),
        encoder: parquetEncoder({ threads: false }),
      },
      sharding: inThreadSharding(shardBytes, readFileRange),
    };
    return inThisThread;
  };

  return {
    config,
    lakeDir,
    store,
    clock,
    deps,
    checkpoints,
    async ingestFile(path, fileOptions = {}) {
      const started = performance.now();
      const { deps: fileDeps, sharding: fileSharding } = partsFor(fileOptions);
      // The command line's format, else the first configured one for this path and site, else detection.
      let format = fileOptions.format;
      let formatFrom = fileOptions.formatOption ?? "--format";
      if (format === undefined) {
        const configured = chooseConfiguredFormat(config.formats, {
          name: path === "-" ? undefined : resolve(path),
          site: fileOptions.site,
        });
        if (configured !== null) {
          format = configured.format;
          formatFrom = `formats[${configured.index}]`;
        } else formatFrom = "detection";
      }
      const request = { format, site: fileOptions.site };
      const finish = (summary: ResumableSummary, name: string, note: string | null): FileIngestSummary => ({
        ...summary,
        name,
        seconds: (performance.now() - started) / 1000,
        // A stream read on uses the format of its first reading: neither detected again nor given.
        formatFrom:
          formatFrom === "detection" && !summary.formatDetected && summary.format !== null
            ? "checkpoint"
            : formatFrom,
        note,
      });

      if (path === "-") {
        const stdin = maybeDecompress(
          fileOptions.stdin ?? (process.stdin as AsyncIterable<Uint8Array>),
          "stdin",
        );
        const progress = (lines: number, bytes: number) => fileOptions.onProgress?.(lines, bytes, null);
        if (fileOptions.inputId !== undefined) {
          const namedStream = namedStreamId(checkInputId(fileOptions.inputId));
          const input = streamInput(stdin, { maxLineBytes, namedStream, complete: true });
          const summary = await ingestResumable(
            input,
            { ...request, onProgress: progress, sharding: fileSharding },
            fileDeps,
            checkpoints,
          );
          return finish(summary, "(stdin)", null);
        }
        if (fileOptions.allowDuplicates !== true) throw new UnnamedStdinError();
        return finish(await ingestUnchecked(stdin, request, progress, fileDeps), "(stdin)", null);
      }

      const input = await fileInput(path, { maxLineBytes, readHere: fileOptions.inThisThread === true });
      try {
        const summary = await ingestResumable(
          input,
          {
            ...request,
            onProgress: (lines, bytes) => fileOptions.onProgress?.(lines, bytes, input.storedSize),
            sharding: fileSharding,
          },
          fileDeps,
          checkpoints,
        );
        const note = await notePathChange(store, path, input, summary);
        return finish(summary, basename(path), note);
      } finally {
        await input.close();
      }
    },
  };
}

/** `--allow-duplicates`: the whole input under a one-off id, without checkpoint (what it read is counted again). */
async function ingestUnchecked(
  chunks: AsyncIterable<Uint8Array>,
  request: { format?: FormatChoice; site?: string },
  onProgress: (lines: number, bytes: number) => void,
  deps: IngestDeps,
): Promise<ResumableSummary> {
  const inputId = `stdin-${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const summary = await ingest(
    {
      inputId,
      lines: splitLineBatches(chunks, deps.config.ingest.maxLineBytes),
      ...request,
      onProgress,
      // A new id: no earlier run left anything under it.
      removeLeftovers: false,
    },
    deps,
  );
  const unchecked: ResumeReport = {
    stream: inputId,
    status: "unchecked",
    skippedBytes: 0,
    skippedLines: 0,
    from: 0,
    to: summary.bytes,
    heldBytes: 0,
    branchOf: null,
    recovered: false,
    shorter: false,
  };
  return { ...summary, resume: unchecked };
}

/**
 * What a path held at the last run (its stream and how far it was read), kept beside the checkpoints to say when a
 * file was cut back or replaced. Keyed by a digest of the absolute path: a path names a file, not a person, and
 * is not stored as such.
 */
interface PathRecord {
  readonly stream: string;
  readonly offset: number;
}

async function notePathChange(
  store: LocalObjectStore,
  path: string,
  input: ResumableInput,
  summary: ResumableSummary,
): Promise<string | null> {
  const { resume } = summary;
  if (resume.status === "waiting" || input.namedStream !== null) return null;
  const digest = createHash("sha256").update(resolve(path)).digest("hex").slice(0, 16);
  const key = `${CHECKPOINTS_PREFIX}paths/${digest}.json`;
  const stored = await store.get(key);
  let previous: PathRecord | null = null;
  try {
    previous = stored === null ? null : (JSON.parse(new TextDecoder().decode(stored)) as PathRecord);
  } catch {
    previous = null;
  }
  const current: PathRecord = { stream: resume.stream, offset: resume.to };
  if (previous?.stream !== current.stream || previous.offset !== current.offset) {
    await store.put(key, new TextEncoder().encode(`${JSON.stringify(current)}\n`), {
      contentType: "application/json",
    });
  }
  if (previous === null) return null;
  if (previous.stream !== resume.stream && (resume.status === "new" || resume.status === "branch")) {
    return `holds other content than at the last run (it was read to byte ${previous.offset.toLocaleString("en")}): truncated, replaced or rotated, so it is read from its start as a new stream (what it held before is still recognized wherever it is now, e.g. as a rotated .1 or .gz file)`;
  }
  if (resume.shorter) {
    return `is shorter than what was read of it before (byte ${previous.offset.toLocaleString("en")}): cut back to a part already ingested, so nothing is new`;
  }
  return null;
}
