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
 * The threads are behind {@link Sharding} (apps/ingest/shard-pool.ts runs them on worker threads;
 * {@link inThreadSharding} runs them one after the other on this thread, with the same objects).
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
}

export interface ShardExecutor {
  start(job: ShardJob): ShardRun;
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
  readonly format: FormatChoice | undefined;
  readonly site: string | undefined;
  readonly onProgress: ((linesRead: number, bytesRead: number) => void) | undefined;
  readonly prime: readonly string[];
  readonly beforeFirstPart: ((partition: string, format: RecordFormat | null) => Promise<void>) | undefined;
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
  let position = content.offset;
  let after: Uint8Array | null = null;
  for (;;) {
    const next = await source.next();
    if (next.done === true) break;
    const at = rangeCut(next.value, position, content.offset + shardBytes);
    if (at === -1) {
      first.push(next.value);
      position += next.value.length;
      continue;
    }
    first.push(next.value.subarray(0, at));
    position += at;
    after = next.value.subarray(at);
    break;
  }
  // Nothing after the first shard's last line: one piece.
  while (after !== null && after.length === 0) {
    const next = await source.next();
    after = next.done === true ? null : next.value;
  }
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
  try {
    let lines = content.lines;
    let current: ShardRun | null = null;
    const startAt = (offset: number): ShardRun => {
      const run = executor.start({
        index: results.length,
        inputId: batchInputId(content.stream, offset),
        offset,
        linesBefore: lines,
        atStart: offset === 0,
        format,
        site: content.site,
      });
      // Observed at once: the first failure is what the batch reports, never an unhandled rejection.
      run.result.catch((error: unknown) => {
        firstFailure ??= { error };
      });
      results.push(run.result);
      return run;
    };
    const push = async (run: ShardRun, bytes: Uint8Array): Promise<void> => {
      // One shard failed: the batch stops (it is redone whole, under the same keys).
      if (firstFailure !== null) throw (firstFailure as { error: unknown }).error;
      lines += countLineFeeds(bytes);
      const wait = run.push(bytes);
      if (wait !== undefined) await wait;
    };

    current = startAt(content.offset);
    for (const piece of first) await push(current, piece);
    current.end();
    current = null;
    let bound = nextBound(content.offset, shardBytes, position);
    let chunk: Uint8Array | null = after;
    while (chunk !== null) {
      let rest = chunk;
      while (rest.length > 0) {
        current ??= startAt(position);
        const at = rangeCut(rest, position, bound);
        if (at === -1) {
          position += rest.length;
          await push(current, rest);
          break;
        }
        position += at;
        await push(current, rest.subarray(0, at));
        current.end();
        current = null;
        rest = rest.subarray(at);
        bound = nextBound(content.offset, shardBytes, position);
      }
      const next = await source.next();
      chunk = next.done === true ? null : next.value;
    }
    current?.end();
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
 * Shards ingested on this thread, side by side as their bytes arrive (no worker threads: a Lambda function, tests):
 * the same shards, keys and bytes as on worker threads.
 */
export function inThreadSharding(shardBytes: number): Sharding {
  return {
    shardBytes,
    open(context) {
      const queues: ChunkQueue[] = [];
      const results: Promise<IngestSummary>[] = [];
      return {
        start(job) {
          const queue = new ChunkQueue(shardBytes);
          queues.push(queue);
          const result = ingest(
            {
              inputId: job.inputId,
              lines: splitLineBatches(queue, context.deps.config.ingest.maxLineBytes, {
                linesBefore: job.linesBefore,
                atStart: job.atStart,
              }),
              format: job.format,
              site: job.site,
              onProgress: (lines, bytes) => context.onShardProgress(job.index, lines, bytes),
              beforeFirstPart: context.beforeFirstPart,
            },
            context.deps,
          );
          result.catch((error: unknown) => queue.fail(error));
          results.push(result);
          return { push: (bytes) => queue.push(bytes), end: () => queue.end(), result };
        },
        async close() {
          for (const queue of queues) queue.fail(new Error("the batch was stopped"));
          // Nothing a stopped batch started may land after it has failed.
          await Promise.allSettled(results);
        },
      };
    },
  };
}
