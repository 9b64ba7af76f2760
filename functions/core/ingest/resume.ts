import { FixedClock } from "../../ports/clock.ts";
import type { FormatChoice } from "../parse/index.ts";
import {
  advanced,
  batchInputId,
  compareMarks,
  continuationFormat,
  fresh,
  type StreamCheckpoint,
} from "./checkpoint.ts";
import { type CheckpointBook, StreamBusyError } from "./checkpoint-book.ts";
import { intentRecorder } from "./intent-recorder.ts";
import { type IngestDeps, type IngestSummary, ingest } from "./pipeline.ts";
import type { Content, ContentEnd, ReadFrom } from "./ranges.ts";
import { ingestBatch, type RangeSource, type Sharding } from "./shards.ts";

export type { ContentEnd, ReadFrom };
export { StreamBusyError };

/**
 * Ingesting an input from where its stream was last read (checkpoint.ts has the model): identify the stream from
 * the input's first lines, take its lock, read on from its checkpoint, write the new lines' objects under keys of
 * their own (stream + starting offset), then move the checkpoint — only after every object is stored. A run that
 * is interrupted leaves a batch intent behind; the next run of the same stream redoes that batch under the same
 * keys and removes what the interrupted one wrote where the redo does not write.
 */

/** The first bytes of an input as far as its identity goes (built by adapters/input/stream-head.ts). */
export interface StreamHead {
  /** The first line (1-based) that is neither blank nor a `#` header: identity levels start there. */
  readonly baseLevel: number;
  /** The stream id over the first `level` lines, or null when line `level` is not complete in the head. */
  idAt(level: number): string | null;
  /** Byte offset right after line `level` (line 0 ends at 0). */
  endOfLine(level: number): number;
  /** Marks of the lines ending at or before `offset` (and within the mark window). */
  marksUpTo(offset: number): readonly string[];
}

/** An input that can be read from an offset (a file, a gzip file, a pipe, an S3 object). */
export interface ResumableInput {
  /** True when nothing will be added to it (gzip, a pipe that ended, an object): its last line needs no terminator. */
  readonly complete: boolean;
  /** The stream id the caller named (standard input with `--input-id`), or null to identify it by content. */
  readonly namedStream: string | null;
  /** Its first bytes; null when not even its first access line is complete yet (nothing to read). */
  head(): Promise<StreamHead | null>;
  /** Its content from an offset, up to its last complete line (or its end, when complete). */
  read(from: ReadFrom): Content;
  /** Set when its content can be read again by offset (a plain file): shards are then read by their own threads. */
  readonly rangeSource?: RangeSource;
}

export type ResumeStatus =
  /** Read from its first line. */
  | "new"
  /** A stream that shares its first lines with another already read: read from where they part. */
  | "branch"
  /** Read on from its checkpoint. */
  | "continued"
  /** Everything in it was ingested before: nothing read. */
  | "already-read"
  /** Not even its first access line is complete: nothing read, nothing recorded. */
  | "waiting"
  /** Read whole without a checkpoint, as asked (`--allow-duplicates`): counted again if it was before. */
  | "unchecked";

export interface ResumeReport {
  readonly stream: string;
  readonly status: ResumeStatus;
  /** Bytes and lines before `from`, ingested by earlier runs (or, for a branch, by the stream it shares them with). */
  readonly skippedBytes: number;
  readonly skippedLines: number;
  /** The content range this run read: [from, to). */
  readonly from: number;
  readonly to: number;
  /** Bytes after the last complete line, left for a later run. */
  readonly heldBytes: number;
  /** For a branch: the stream it shares its first lines with. */
  readonly branchOf: string | null;
  /** An earlier run of this stream was interrupted; its unfinished batch was redone. */
  readonly recovered: boolean;
  /** The input is shorter than what was read of its stream (an earlier copy, or a file cut back). */
  readonly shorter: boolean;
}

export interface ResumableSummary extends IngestSummary {
  readonly resume: ResumeReport;
}

export interface ResumeRequest {
  /** The format the caller chose (command line, configuration); else the stream's, else detection. */
  readonly format?: FormatChoice;
  readonly site?: string;
  readonly onProgress?: (linesRead: number, bytesRead: number) => void;
  /** At most about this many content bytes in one batch (the lines that start within them); default: no bound. */
  readonly maxBatchBytes?: number;
  /** Cut a batch larger than one shard into shards ingested side by side (shards.ts); default: one piece. */
  readonly sharding?: Sharding;
}

/** The content of a named stream differs from what was read under that name before. */
export class NamedStreamMismatchError extends Error {
  constructor(readonly line: number) {
    super(
      `this input differs at line ${line} from what was read under the same --input-id before; a stream named once only grows (give a new log, e.g. a rotated one, a new --input-id)`,
    );
    this.name = "NamedStreamMismatchError";
  }
}

/** The stream an input belongs to, found by {@link resolveStream}. */
export interface ResolvedStream {
  readonly stream: string;
  readonly level: number;
  readonly checkpoint: StreamCheckpoint | null;
  /** Where a stream without checkpoint starts (0, or where a branch parts from the stream it shares lines with). */
  readonly start: { readonly offset: number; readonly lines: number };
  readonly branchOf: string | null;
}

/** Finds the stream an input belongs to (and its checkpoint), from its first lines. */
export async function resolveStream(
  input: ResumableInput,
  head: StreamHead,
  book: CheckpointBook,
): Promise<ResolvedStream | null> {
  if (input.namedStream !== null) {
    const checkpoint = await book.get(input.namedStream);
    if (checkpoint !== null) {
      const comparison = compareMarks(head.marksUpTo(Number.MAX_SAFE_INTEGER), checkpoint.marks);
      if (!comparison.agree) throw new NamedStreamMismatchError(comparison.line);
    }
    return {
      stream: input.namedStream,
      level: 0,
      checkpoint,
      start: { offset: 0, lines: 0 },
      branchOf: null,
    };
  }
  let level = head.baseLevel;
  let branchOf: string | null = null;
  for (;;) {
    const stream = head.idAt(level);
    if (stream === null) return null; // the line that tells it apart is still being written
    const checkpoint = await book.get(stream);
    const start =
      level === head.baseLevel
        ? { offset: 0, lines: 0 }
        : { offset: head.endOfLine(level - 1), lines: level - 1 };
    if (checkpoint === null) return { stream, level, checkpoint, start, branchOf };
    const comparison = compareMarks(head.marksUpTo(Number.MAX_SAFE_INTEGER), checkpoint.marks);
    if (comparison.agree) return { stream, level, checkpoint, start, branchOf };
    // Same first lines, then different ones: another stream, identified by its lines up to the first that differs.
    branchOf ??= stream;
    level = Math.max(level + 1, comparison.line);
  }
}

/** Ingests what is new in an input (see the module comment). The lock is held for the whole run. */
export async function ingestResumable(
  input: ResumableInput,
  request: ResumeRequest,
  deps: IngestDeps,
  book: CheckpointBook,
): Promise<ResumableSummary> {
  const head = await input.head();
  if (head === null) return waiting(deps, request);
  for (let attempt = 1; ; attempt++) {
    const resolved = await resolveStream(input, head, book);
    if (resolved === null) return waiting(deps, request);
    const lock = await book.acquire(resolved.stream);
    try {
      // Another run may have written checkpoints between the lookup and the lock: look again, under the lock.
      const current = await resolveStream(input, head, book);
      if (current === null) return waiting(deps, request);
      if (current.stream === resolved.stream)
        return await readBatch(input, head, current, request, deps, book);
      if (attempt >= 3) throw new StreamBusyError(current.stream, null);
    } finally {
      await lock.release();
    }
  }
}

/**
 * Reads one batch of a stream whose lock the caller holds: from its checkpoint (or its start) to the input's last
 * complete line. Also the step of `ingest --follow`, which holds the lock for a whole session.
 */
export async function readBatch(
  input: ResumableInput,
  head: StreamHead,
  resolved: ResolvedStream,
  request: ResumeRequest,
  deps: IngestDeps,
  book: CheckpointBook,
): Promise<ResumableSummary> {
  const { stream, checkpoint } = resolved;
  const named = input.namedStream !== null;
  const base = checkpoint ?? fresh(stream, { named, level: resolved.level, ...resolved.start });
  if (checkpoint !== null && checkpoint.batch !== null && checkpoint.batch.from !== checkpoint.offset) {
    throw new Error(
      `checkpoint of stream ${stream} is inconsistent (its batch does not start at its offset)`,
    );
  }
  const pending = checkpoint?.batch ?? null;
  const from: ReadFrom = {
    offset: base.offset,
    lines: base.lines,
    skipRestOfLine: base.midLine,
    ...(request.maxBatchBytes === undefined ? {} : { until: base.offset + request.maxBatchBytes }),
  };
  const content = input.read(from);
  const format = request.format ?? continuationFormat(pending?.format ?? base.format);
  const receivedAt = pending?.receivedAt ?? deps.clock.now();

  // The batch intent is stored before the first object of each partition (and only if the batch writes any); what
  // the shards of one batch ask for while one recording is being stored is stored together by the next.
  const recordPartition = intentRecorder(pending?.partitions ?? [], (partitions, batchFormat) =>
    book.put({
      ...base,
      batch: { from: from.offset, fromLines: from.lines, receivedAt, format: batchFormat, partitions },
      updatedAt: deps.clock.now(),
    }),
  );

  const { summary, written } = await ingestBatch(
    {
      stream,
      offset: from.offset,
      lines: from.lines,
      skipRestOfLine: from.skipRestOfLine,
      chunks: content.chunks,
      linesHandedOut: content.linesHandedOut,
      source: input.rangeSource,
      format,
      site: request.site,
      onProgress: request.onProgress,
      prime: base.fieldsDirective === null ? [] : [base.fieldsDirective],
      beforeFirstPart: recordPartition,
      afterInterruptedRun: pending !== null,
    },
    // Rejects are filed under the batch's first start, so a redo files them where the interrupted run did.
    { ...deps, clock: new FixedClock(receivedAt) },
    request.sharding,
  );
  const end = content.end();

  // What an interrupted run of this batch wrote and this run did not is removed: its lines are in this run's objects
  // (or, if the input is now shorter, will be read again later from the unchanged checkpoint). That is every object
  // of this stream keyed at or after the batch's start (the interrupted run's shards, whatever their size) in a
  // partition the interrupted run recorded, unless this run wrote it under the same key.
  if (pending !== null) await removeUnwritten(deps, stream, from.offset, pending.partitions, written);

  const moved = end.offset > from.offset || end.midLine !== base.midLine;
  if (moved || pending !== null || (checkpoint === null && end.offset > 0)) {
    await book.put(
      advanced(base, {
        offset: Math.max(end.offset, from.offset),
        lines: from.lines + end.lines,
        midLine: end.offset > from.offset ? end.midLine : base.midLine,
        marks: head.marksUpTo(Math.max(end.offset, from.offset)),
        format: summary.format ?? base.format,
        fieldsDirective: summary.fieldsDirective ?? base.fieldsDirective,
        now: deps.clock.now(),
      }),
    );
  }

  const status: ResumeStatus =
    checkpoint === null
      ? resolved.branchOf === null
        ? "new"
        : "branch"
      : end.offset > from.offset
        ? "continued"
        : "already-read";
  return {
    ...summary,
    resume: {
      stream,
      status,
      skippedBytes: from.offset,
      skippedLines: from.lines,
      from: from.offset,
      to: Math.max(end.offset, from.offset),
      heldBytes: end.heldBytes,
      branchOf: resolved.branchOf,
      recovered: pending !== null,
      shorter: end.shorter,
    },
  };
}

/** Objects `<partition><stream>-at<offset>-<part>.<ext>` with `offset ≥ from` that no shard of this run wrote. */
async function removeUnwritten(
  deps: IngestDeps,
  stream: string,
  from: number,
  partitions: readonly string[],
  written: ReadonlyMap<string, readonly string[]>,
): Promise<void> {
  const prefixOf = (offset: number) => `${batchInputId(stream, offset)}-`;
  for (const partition of partitions) {
    const doomed: string[] = [];
    const base = `${partition}${stream}-at`;
    for await (const object of deps.store.list(base)) {
      const offset = Number.parseInt(object.key.slice(base.length), 10);
      if (!(offset >= from) || !object.key.startsWith(`${partition}${prefixOf(offset)}`)) continue;
      if (written.get(batchInputId(stream, offset))?.includes(partition) === true) continue;
      doomed.push(object.key);
    }
    for (const key of doomed) await deps.store.delete(key);
  }
}

/** The summary of an input with nothing to read yet (its first access line is still being written). */
async function waiting(deps: IngestDeps, request: ResumeRequest): Promise<ResumableSummary> {
  const summary = await ingest({ inputId: "waiting", lines: emptyLines(), format: request.format }, deps);
  return {
    ...summary,
    resume: {
      stream: "",
      status: "waiting",
      skippedBytes: 0,
      skippedLines: 0,
      from: 0,
      to: 0,
      heldBytes: 0,
      branchOf: null,
      recovered: false,
      shorter: false,
    },
  };
}

async function* emptyLines(): AsyncIterable<never[]> {}
