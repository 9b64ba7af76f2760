import type { Detection, FormatChoice } from "../parse/index.ts";
import type { LogFormat, RecordFormat } from "../types.ts";
import { batchInputId } from "./checkpoint.ts";
import { splitLineBatches } from "./lines.ts";
import { type IngestDeps, type IngestSummary, ingest } from "./pipeline.ts";
import { rangeCut } from "./ranges.ts";
import { detectInputFormat } from "./steps/detect-format.ts";

/**
 * One checkpointed batch of an input (resume.ts `readBatch`), ingested in one piece or cut into **shards** that
 * threads ingest side by side (docs/BENCHMARKS.md, "Sharding a file across threads").
 *
 * - A shard is the lines that start in `[from + k·S, from + (k+1)·S)` of the content, `from` the batch's start and
 *   `S` a fixed size (never derived from the number of cores): the rule of ranges.ts, a line belongs to the range
 *   where it starts. Shard boundaries depend on the bytes only, never on how they were read in chunks.
 * - Shard k is an input of its own: its objects are keyed `batchInputId(stream, offset)`, `offset` where its first
 *   line starts, so shard 0 of a batch is keyed as the unsharded batch, and a batch smaller than one shard writes
 *   exactly what it wrote before sharding existed. Same input, same S → the same keys and bytes on one thread or
 *   six: each shard has its own writers, so where its parts end depends on its lines only.
 * - The format is found once, on the first shard's lines (the same sample an unsharded run takes), and forced on
 *   every shard. Inputs a shard could not start in the middle of are read in one piece: a format whose parser
 *   carries state from line to line (W3C `#Fields`), a custom format (compiled code, not sent to a thread), a batch
 *   primed with an earlier `#Fields` or starting inside a line, a first shard too short for the format sample.
 * - What the caller does with the result is unchanged: the checkpoint moves once every shard has stored its
 *   objects; an interrupted batch is redone whole, from the same offset with the same S, so under the same keys
 *   (and the caller removes objects of this stream at or after the batch's start that the redo did not write).
 *
 * - Who reads a shard's bytes: the caller reads the batch once, in order, counting lines and cutting it (always: the
 *   cuts, the line numbers and where the batch ends are decided here, by these bytes). For an input that can be read
 *   again by offset (a plain file: {@link RangeSource}) and an executor that can read it ({@link ShardExecutor}
 *   `startRange`), a shard is then handed over as its byte range `[offset, end)` and read by the thread that ingests
 *   it; otherwise (a compressed file, standard input) its bytes are pushed to that thread, at most about S waiting.
 *   Either way a shard ingests the same bytes, so the same objects.
 *
 * The threads are behind {@link Sharding} (apps/ingest/shard-pool.ts runs them on worker threads;
 * {@link inThreadSharding} runs them on this thread, with the same objects).
 */

/** The shard size of `logsieve ingest`: about 140,000 lines of a combined log per shard. */
export const SHARD_BYTES = 32 * 1024 * 1024;

/** Formats whose parser carries state from line to line (the W3C `#Fields` directive sets the columns). */
const STATEFUL_FORMATS: readonly string[] = ["w3c", "cloudfront"];

/** One shard to ingest: an input of its own, numbered on from the lines before it, in a format given. */
export interface ShardJob {
  readonly index: number;
  readonly inputId: string;
  /** Content offset of its first line. */
  readonly offset: number;
  /** Lines before it in the input: its first line gets number `linesBefore + 1`. */
  readonly linesBefore: number;
  /** True for a shard at the very start of the input (a byte order mark is dropped only there). */
  readonly atStart: boolean;
  readonly format: LogFormat;
  readonly site: string | undefined;
  /** The batch's {@link BatchContent.afterInterruptedRun}. */
  readonly afterInterruptedRun: boolean;
}

/** A shard being ingested: its bytes are pushed in order, then ended; `result` is its summary once stored. */
export interface ShardRun {
  /** Hands the shard its next bytes (kept by the shard; the caller must not reuse them). A promise: wait for room. */
  push(bytes: Uint8Array): Promise<void> | undefined;
  end(): void;
  readonly result: Promise<IngestSummary>;
}

/** What the shards of one batch share: the caller's deps (store, salts, clock) and its intent recorder. */
export interface ShardContext {
  readonly deps: IngestDeps;
  readonly beforeFirstPart: ((partition: string, format: RecordFormat | null) => Promise<void>) | undefined;
  /** Running totals of one shard (lines and bytes read so far). */
  readonly onShardProgress: (index: number, lines: number, bytes: number) => void;
  /** The batch's input, when its shards can be read from it by offset (a plain file). */
  readonly source: RangeSource | undefined;
}

/**
 * One shard's bytes through the pipeline: its lines numbered on from the lines before it (a byte order mark dropped
 * only at the input's start), in the shard's format and site. The one way every thread ingests a shard — this
 * thread's (inThreadSharding), the command's main thread and its workers (apps/ingest/shard-pool.ts) — so a shard's
 * objects cannot depend on which thread took it.
 */
export function ingestShard(
  job: ShardJob,
  chunks: AsyncIterable<Uint8Array>,
  deps: IngestDeps,
  hooks: {
    readonly onProgress: (lines: number, bytes: number) => void;
    readonly beforeFirstPart: ShardContext["beforeFirstPart"];
  },
): Promise<IngestSummary> {
  return ingest(
    {
      inputId: job.inputId,
      lines: splitLineBatches(chunks, deps.config.ingest.maxLineBytes, {
        linesBefore: job.linesBefore,
        atStart: job.atStart,
      }),
      format: job.format,
      site: job.site,
      onProgress: hooks.onProgress,
      beforeFirstPart: hooks.beforeFirstPart,
      removeLeftovers: job.afterInterruptedRun,
    },
    deps,
  );
}

/**
 * An input whose content a shard's thread can read again by offset, from any thread of the process: a plain file
 * (its content bytes are its bytes), named by the descriptor it was opened with, so the file read is the one opened
 * even if its path was rotated since (adapters/input/resumable-input.ts). Only the bytes before the batch's end,
 * which this thread has read already, are ever read.
 */
export interface RangeSource {
  readonly fd: number;
}

/** Reads the content `[offset, end)` of a range source, in chunks it may reuse once the next is asked for. */
export type RangeReader = (source: RangeSource, offset: number, end: number) => AsyncIterable<Uint8Array>;

export interface ShardExecutor {
  start(job: ShardJob): ShardRun;
  /**
   * When the executor reads shards of {@link ShardContext.source} itself: ingests the shard whose content is
   * `[job.offset, end)` of it (the caller has read those bytes and cut them; nothing is pushed).
   */
  readonly startRange?: (job: ShardJob, end: number) => Promise<IngestSummary>;
  /** Stops whatever still runs (after a failure); resolves once it has stopped. */
  close(): Promise<void>;
}

/** How a batch may be cut into shards, and where they run. */
export interface Sharding {
  /** S: the shard size in content bytes. */
  readonly shardBytes: number;
  open(context: ShardContext): ShardExecutor;
}

/** A batch's content and what its ingestion needs (built by resume.ts `readBatch`). */
export interface BatchContent {
  readonly stream: string;
  /** Content offset and lines before the batch (its checkpoint's). */
  readonly offset: number;
  readonly lines: number;
  readonly skipRestOfLine: boolean;
  /** The batch's content bytes, from `offset` on. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /**
   * Line feeds in the chunks handed out so far (core/ingest/ranges.ts counts them as it hands them out): the lines
   * before a shard are taken from it rather than counted a second time, here, on the thread that reads the whole
   * batch (≈ 0.15 s of it per 1 M lines).
   */
  readonly linesHandedOut: () => number;
  /**
   * The same content, readable again by offset (a plain file), so each shard's thread can read its own bytes. Its
   * `chunks` are then views of one buffer the reader reuses (adapters/input/resumable-input.ts): each is valid until
   * the next is asked for, so what is kept of them is copied.
   */
  readonly source?: RangeSource | undefined;
  readonly format: FormatChoice | undefined;
  readonly site: string | undefined;
  readonly onProgress: ((linesRead: number, bytesRead: number) => void) | undefined;
  readonly prime: readonly string[];
  readonly beforeFirstPart: ((partition: string, format: RecordFormat | null) => Promise<void>) | undefined;
  /**
   * True when an interrupted run of this batch recorded an intent, so objects it wrote may remain: the writers then
   * also list their partitions for parts of their input ids numbered past their own, which the caller's clean-up
   * (resume.ts removeUnwritten) keeps, as it keeps every object of an input id this run wrote into a partition.
   * False otherwise: no object of the batch's input ids can exist in a partition no intent named (an intent is
   * stored before a partition's first object), so the writers skip a list per partition (PartitionedWriterOptions
   * .removeLeftovers).
   */
  readonly afterInterruptedRun: boolean;
}

export interface BatchResult {
  readonly summary: IngestSummary;
  /** Shards ingested (1 when in one piece), by input id, with the partitions each wrote into. */
  readonly written: ReadonlyMap<string, readonly string[]>;
}

/** Ingests a batch's content, in shards when `sharding` is given and the batch is larger than one shard. */
export async function ingestBatch(
  content: BatchContent,
  deps: IngestDeps,
  sharding?: Sharding,
): Promise<BatchResult> {
  const maxLineBytes = deps.config.ingest.maxLineBytes;
  const from = { linesBefore: content.lines, atStart: content.offset === 0 };
  const inOnePiece = async (chunks: AsyncIterable<Uint8Array>): Promise<BatchResult> => {
    const inputId = batchInputId(content.stream, content.offset);
    const summary = await ingest(
      {
        inputId,
        lines: splitLineBatches(chunks, maxLineBytes, from),
        format: content.format,
        site: content.site,
        onProgress: content.onProgress,
        prime: content.prime,
        beforeFirstPart: content.beforeFirstPart,
        removeLeftovers: content.afterInterruptedRun,
      },
      deps,
    );
    return { summary, written: new Map([[inputId, summary.partitions]]) };
  };
  if (sharding === undefined || content.prime.length > 0 || content.skipRestOfLine) {
    return inOnePiece(content.chunks);
  }
  if (content.format !== undefined && typeof content.format !== "string") return inOnePiece(content.chunks);

  // The first shard, held until it ends: a batch that fits in it is ingested in one piece, as before sharding.
  const source = content.chunks[Symbol.asyncIterator]();
  const shardBytes = sharding.shardBytes;
  const first: Uint8Array[] = [];
  // Chunks of a plain file are views of the reader's one buffer: what is kept is copied.
  const keep =
    content.source === undefined
      ? (bytes: Uint8Array) => bytes
      : (bytes: Uint8Array) => new Uint8Array(bytes);
  let position = content.offset;
  let after: Uint8Array | null = null;
  for (;;) {
    const next = await source.next();
    if (next.done === true) break;
    const at = rangeCut(next.value, position, content.offset + shardBytes);
    if (at === -1) {
      first.push(keep(next.value));
      position += next.value.length;
      continue;
    }
    first.push(keep(next.value.subarray(0, at)));
    position += at;
    after = next.value.subarray(at);
    break;
  }
  // Nothing after the first shard's last line: one piece.
  while (after !== null && after.length === 0) {
    const next = await source.next();
    after = next.done === true ? null : next.value;
  }
  /**
   * Lines of the batch before `rest`, the unread end of the chunk just handed out: the lines handed out so far, less
   * those of the rest (a shard starts at a line's start, so every line feed before it ends a line before it).
   */
  const linesBeforeRestOf = (rest: Uint8Array): number =>
    content.lines + content.linesHandedOut() - countLineFeeds(rest);
  const whole = (): AsyncIterable<Uint8Array> => replay(first, after, source);
  if (after === null) return inOnePiece(whole());

  let format: LogFormat;
  let detection: Detection | null = null;
  if (content.format !== undefined) format = content.format as LogFormat;
  else {
    const sample = await detectInputFormat(
      splitLineBatches(replay(first, null, null), maxLineBytes, from),
      undefined,
    );
    // The sample took the whole first shard: an unsharded run would have looked further.
    if (sample.rest === null || sample.format === null || typeof sample.format !== "string")
      return inOnePiece(whole());
    format = sample.format;
    detection = sample.detection;
  }
  if (STATEFUL_FORMATS.includes(format)) return inOnePiece(whole());

  const progress = new Map<number, { lines: number; bytes: number }>();
  const executor = sharding.open({
    deps,
    beforeFirstPart: content.beforeFirstPart,
    source: content.source,
    onShardProgress: (index, lines, bytes) => {
      progress.set(index, { lines, bytes });
      if (content.onProgress === undefined) return;
      let allLines = 0;
      let allBytes = 0;
      for (const shard of progress.values()) {
        allLines += shard.lines;
        allBytes += shard.bytes;
      }
      content.onProgress(allLines, allBytes);
    },
  });
  const results: Promise<IngestSummary>[] = [];
  let firstFailure: { error: unknown } | null = null;
  // A shard of a plain file is read by the thread that ingests it: this thread only cuts and counts.
  const startRange = content.source === undefined ? undefined : executor.startRange?.bind(executor);
  try {
    let lines = content.lines;
    let at = content.offset; // content offset of the next byte taken
    // The shard being cut: where its first line starts, the lines before it, its run when its bytes are pushed.
    let open: {
      readonly offset: number;
      readonly linesBefore: number;
      readonly run: ShardRun | null;
    } | null = null;
    const jobAt = (offset: number, linesBefore: number): ShardJob => ({
      index: results.length,
      inputId: batchInputId(content.stream, offset),
      offset,
      linesBefore,
      atStart: offset === 0,
      format,
      site: content.site,
      afterInterruptedRun: content.afterInterruptedRun,
    });
    const observe = (result: Promise<IngestSummary>): void => {
      // Observed at once: the first failure is what the batch reports, never an unhandled rejection.
      result.catch((error: unknown) => {
        firstFailure ??= { error };
      });
      results.push(result);
    };
    /**
     * The next bytes of the batch, which belong to the shard being cut (opened here, where they start); `kept`: a copy
     * of their own already (the first shard's).
     */
    const take = async (bytes: Uint8Array, kept = false): Promise<void> => {
      // One shard failed: the batch stops (it is redone whole, under the same keys).
      if (firstFailure !== null) throw (firstFailure as { error: unknown }).error;
      if (open === null) {
        const job = jobAt(at, lines);
        const run = startRange === undefined ? executor.start(job) : null;
        if (run !== null) observe(run.result);
        open = { offset: at, linesBefore: lines, run };
      }
      at += bytes.length;
      const wait = open.run?.push(kept ? bytes : keep(bytes));
      if (wait !== undefined) await wait;
    };
    /** The shard being cut ends before `at`: its bytes were pushed, or its range is handed over now. */
    const endShard = (): void => {
      if (open === null) return;
      if (open.run !== null) open.run.end();
      else if (startRange !== undefined) observe(startRange(jobAt(open.offset, open.linesBefore), at));
      open = null;
    };

    for (const piece of first.splice(0)) await take(piece, true);
    endShard();
    if (after !== null) lines = linesBeforeRestOf(after);
    let bound = nextBound(content.offset, shardBytes, at);
    let chunk: Uint8Array | null = after;
    while (chunk !== null) {
      let rest = chunk;
      while (rest.length > 0) {
        const cut = rangeCut(rest, at, bound);
        if (cut === -1) {
          await take(rest);
          break;
        }
        await take(rest.subarray(0, cut));
        endShard();
        rest = rest.subarray(cut);
        lines = linesBeforeRestOf(rest);
        bound = nextBound(content.offset, shardBytes, at);
      }
      const next = await source.next();
      chunk = next.done === true ? null : next.value;
    }
    endShard();
    const summaries = await Promise.all(results);
    const written = new Map<string, readonly string[]>();
    for (const summary of summaries) written.set(summary.inputId, summary.partitions);
    return { summary: mergeSummaries(summaries, detection), written };
  } catch (error) {
    // A shard's own failure (a storage error, ...) says more than a push refused because its thread stopped.
    const cause = firstFailure === null ? error : (firstFailure as { error: unknown }).error;
    await executor.close();
    throw cause;
  } finally {
    await executor.close();
  }
}

/** The first bound after `position`: shards start on the grid `from + k·S`. */
function nextBound(from: number, shardBytes: number, position: number): number {
  return from + shardBytes * Math.ceil((position + 1 - from) / shardBytes);
}

function countLineFeeds(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  return count;
}

/** Held chunks, then the chunk after them, then the rest of the source. */
async function* replay(
  held: readonly Uint8Array[],
  after: Uint8Array | null,
  source: AsyncIterator<Uint8Array> | null,
): AsyncIterable<Uint8Array> {
  yield* held;
  if (after !== null) yield after;
  if (source === null) return;
  for (let next = await source.next(); next.done !== true; next = await source.next()) yield next.value;
}

/** One summary of the shards of a batch, as if it had been read in one piece. */
export function mergeSummaries(shards: readonly IngestSummary[], detection: Detection | null): IngestSummary {
  const [first] = shards;
  if (first === undefined) throw new Error("a batch has at least one shard");
  const add = <K extends string>(
    into: Partial<Record<K, number>>,
    from: Partial<Record<K, number>>,
  ): Partial<Record<K, number>> => {
    for (const [key, value] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + value;
    return into;
  };
  const sum = (pick: (s: IngestSummary) => number): number => shards.reduce((n, s) => n + pick(s), 0);
  const rejected = {};
  const dropped = {};
  const skipped = { ...first.skipped };
  for (const shard of shards.slice(1)) add(skipped, shard.skipped);
  for (const shard of shards) {
    add(rejected, shard.rejected.byReason);
    add(dropped, shard.dropped.byReason);
  }
  return {
    inputId: first.inputId,
    format: first.format,
    formatDetected: detection !== null,
    detection: detection === null ? null : { matched: detection.matched, considered: detection.considered },
    lines: sum((s) => s.lines),
    accepted: sum((s) => s.accepted),
    rejected: { total: sum((s) => s.rejected.total), byReason: rejected },
    skipped,
    dropped: { total: sum((s) => s.dropped.total), byReason: dropped },
    events: sum((s) => s.events),
    securityRows: sum((s) => s.securityRows),
    bytes: sum((s) => s.bytes),
    eventDays: [...new Set(shards.flatMap((s) => s.eventDays))].sort(),
    objectsWritten: sum((s) => s.objectsWritten),
    partitions: [...new Set(shards.flatMap((s) => s.partitions))].sort(),
    fieldsDirective: null,
  };
}

/**
 * Bytes handed from a reader to a consumer in order, with room for `limit` bytes not yet taken: `push` returns a
 * promise while the consumer is behind (so memory stays bounded), `fail` stops both sides.
 */
export class ChunkQueue {
  private readonly chunks: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wake: (() => void) | null = null;
  private room: { resolve: () => void; reject: (error: unknown) => void } | null = null;

  constructor(
    private readonly limit: number,
    private readonly onTaken: (bytes: number) => void = () => undefined,
  ) {}

  push(bytes: Uint8Array): Promise<void> | undefined {
    if (this.failure !== null) return Promise.reject(this.failure.error);
    this.chunks.push(bytes);
    this.queued += bytes.length;
    this.wake?.();
    if (this.queued <= this.limit) return undefined;
    return new Promise((resolve, reject) => {
      this.room = { resolve, reject };
    });
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    this.room?.reject(error);
    this.room = null;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.failure !== null) throw this.failure.error;
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.length;
        this.onTaken(chunk.length);
        if (this.room !== null && this.queued <= this.limit) {
          this.room.resolve();
          this.room = null;
        }
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
  }
}

/**
 * A shard's chunks, ending in the error `stoppedBy` returns once the batch was stopped (checked before each chunk).
 * One generator function for every shard of the process: the line splitter's optimized code expects the map of the
 * iterator it reads, and a generator declared inside a function has a new map per call (its own prototype), so
 * each shard deoptimized it and V8 compiled it again, ≈ 40 ms of a compiler thread each time (docs/BENCHMARKS.md,
 * fifth round).
 */
export async function* untilStopped(
  chunks: AsyncIterable<Uint8Array>,
  stoppedBy: () => unknown,
): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) {
    const error = stoppedBy();
    if (error !== undefined) throw error;
    yield chunk;
  }
}

/**
 * Shards ingested on this thread (no worker threads: `logsieve ingest --threads 1`, tests): the same shards, keys and
 * bytes as on worker threads. Pushed bytes are ingested side by side as they arrive; with `readRange`, shards of a
 * range source are read here, one after the other, so one shard's rows at a time are held and nothing is queued.
 */
export function inThreadSharding(shardBytes: number, readRange?: RangeReader): Sharding {
  return {
    shardBytes,
    open(context) {
      const queues: ChunkQueue[] = [];
      const results: Promise<IngestSummary>[] = [];
      let stopped: { error: unknown } | null = null;
      const ingestHere = (job: ShardJob, chunks: AsyncIterable<Uint8Array>): Promise<IngestSummary> =>
        ingestShard(job, chunks, context.deps, {
          onProgress: (lines, bytes) => context.onShardProgress(job.index, lines, bytes),
          beforeFirstPart: context.beforeFirstPart,
        });
      const { source } = context;
      let previous: Promise<unknown> = Promise.resolve();
      return {
        start(job) {
          const queue = new ChunkQueue(shardBytes);
          queues.push(queue);
          const result = ingestHere(job, queue);
          result.catch((error: unknown) => queue.fail(error));
          results.push(result);
          return { push: (bytes) => queue.push(bytes), end: () => queue.end(), result };
        },
        ...(readRange === undefined || source === undefined
          ? {}
          : {
              startRange(job: ShardJob, end: number): Promise<IngestSummary> {
                const chunks = readRange(source, job.offset, end);
                // A stopped batch stops the shard being read at its next chunk.
                const unlessStopped = untilStopped(chunks, () => stopped?.error);
                // After the shard before it; not at all when that one failed (the batch stops).
                const result = previous.then(() => ingestHere(job, unlessStopped));
                previous = result;
                results.push(result);
                return result;
              },
            }),
        async close() {
          stopped ??= { error: new Error("the batch was stopped") };
          for (const queue of queues) queue.fail(stopped.error);
          // Nothing a stopped batch started may land after it has failed.
          await Promise.allSettled(results);
        },
      };
    },
  };
}
