import { z } from "zod";
import { CUSTOM_FORMATS, LOG_FORMATS, type LogFormat, type RecordFormat } from "../types.ts";

/**
 * Checkpoints: what has been read of each input stream, so every line is ingested once however often, under
 * whatever name and through whatever compression its bytes arrive (docs/INGEST.md has the design and its reasons).
 *
 * A stream is a sequence of bytes that only ever grows at its end: a log file as its server appends to it, before
 * and after rotation and compression. Its identity comes from its content, not from a file name, an inode or an
 * object key (those change on rotation, compression and re-upload; the content does not):
 *
 *   id(level k) = SHA-256("logsieve-stream\0" ‖ the first k lines, terminators included), first 64 bits as hex
 *
 * where k starts at the first line that is neither blank nor a `#` header (every CloudFront log begins with the same
 * `#Version` and `#Fields` lines; the first access line carries a time to the second, an address and a path). A
 * checkpoint records how far the stream was read (`offset`, always the end of a line unless `midLine`) and
 * `marks`: chained digests of its lines within the first {@link MARK_WINDOW_BYTES}. Content whose marks agree
 * with a checkpoint's is that stream, read on from its offset; content that shares the first line but then
 * differs is another stream, found one level deeper (see {@link compareMarks}).
 *
 * A checkpoint holds digests, offsets, counts, a format name and the last W3C `#Fields` line (column names):
 * no byte of a log line, no address, no file name or object key. It lives in the lake (`checkpoints/`, beside the
 * raw data in the security-only bucket on AWS), travels with it, and is swept after `retention.eventsDays`
 * without an update: until then a copy of the input delivered again would add events that are still counted.
 */

export const CHECKPOINTS_PREFIX = "checkpoints/";

/** Bytes of a stream's start whose lines get marks: enough to tell apart logs that share their first lines. */
export const MARK_WINDOW_BYTES = 16 * 1024;

/** Bytes of a stream's start read to identify it (its first access line may be long). */
export const HEAD_BYTES = 64 * 1024;

/** Hex characters of a stream id (64 bits) and of a mark. */
export const STREAM_ID_HEX = 16;

/**
 * A batch being written: set before the first object of a run is stored, cleared when the checkpoint moves on.
 * A run that finds one left behind (the process was killed, the Lambda timed out) reads the same lines again and
 * writes the same object keys (`batchInputId(stream, from)`), and removes what the interrupted run wrote in
 * partitions the retry does not reach.
 */
export interface BatchIntent {
  /** The offset and line count the batch starts at (the checkpoint's offset and lines). */
  readonly from: number;
  readonly fromLines: number;
  /** When the batch was first started: rejects are filed under this time, so a retry files them in the same place. */
  readonly receivedAt: number;
  /** The format the batch was read in: a retry reads it the same way. */
  readonly format: RecordFormat | null;
  /** Partitions the batch had started writing into when it was last recorded. */
  readonly partitions: readonly string[];
}

export interface StreamCheckpoint {
  readonly version: 1;
  /** The stream id (16 hex): `checkpoints/<stream>.json`. */
  readonly stream: string;
  /** True for a stream named by its caller (`--input-id`), false for one identified by its content. */
  readonly named: boolean;
  /** The level its id was taken at (lines hashed); 0 for a named stream. */
  readonly level: number;
  /** Content bytes read (decompressed): everything before is ingested. */
  readonly offset: number;
  /** Lines before `offset`. */
  readonly lines: number;
  /**
   * True when `offset` lies inside a line: the input ended without a line terminator and was complete (gzip, an
   * object, a pipe), so its last line was ingested as it was. Should the stream grow after all, the rest of that
   * line is skipped rather than counted as a line of its own.
   */
  readonly midLine: boolean;
  /** Chained digests of the lines ending within the first MARK_WINDOW_BYTES bytes read so far. */
  readonly marks: readonly string[];
  /**
   * The format the stream is read in: a continuation does not detect it again from its middle. A format the
   * operator wrote (`nginx`, `apache`, `goaccess`) is only named here: its definition comes from the command line or
   * the configuration every time (see {@link continuationFormat}).
   */
  readonly format: RecordFormat | null;
  /** The last W3C `#Fields` line read, fed to the parser of a continuation; null for other formats. */
  readonly fieldsDirective: string | null;
  /** The batch being written, or null (see BatchIntent). */
  readonly batch: BatchIntent | null;
  /** Runs that moved the checkpoint (information only). */
  readonly runs: number;
  readonly updatedAt: number;
}

const hex16 = z.string().regex(/^[0-9a-f]{16}$/);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const formatSchema = z
  .enum([...LOG_FORMATS, ...CUSTOM_FORMATS] as unknown as [RecordFormat, ...RecordFormat[]])
  .nullable();

const checkpointSchema = z
  .object({
    version: z.literal(1),
    stream: hex16,
    named: z.boolean(),
    level: count,
    offset: count,
    lines: count,
    midLine: z.boolean(),
    marks: z.array(hex16).max(MARK_WINDOW_BYTES),
    format: formatSchema,
    fieldsDirective: z.string().max(4096).nullable(),
    batch: z
      .object({
        from: count,
        fromLines: count,
        receivedAt: count,
        format: formatSchema,
        partitions: z.array(z.string().max(200)).max(10_000),
      })
      .strict()
      .nullable(),
    runs: count,
    updatedAt: count,
  })
  .strict();

/** The key of a stream's checkpoint. */
export function checkpointKey(stream: string): string {
  return `${CHECKPOINTS_PREFIX}${stream}.json`;
}

/** The key of the lock a run holds on a stream while it reads it. */
export function lockKey(stream: string): string {
  return `${CHECKPOINTS_PREFIX}${stream}.lock`;
}

/**
 * The input id of the objects one batch of a stream writes: the stream and the offset the batch starts at. A batch
 * read again (a retry) writes the same keys and overwrites; a later batch of the same stream writes new ones.
 * A line belongs to the batch (or byte range) where it starts.
 */
export function batchInputId(stream: string, from: number): string {
  return `${stream}-at${from}`;
}

export function encodeCheckpoint(checkpoint: StreamCheckpoint): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(checkpoint, null, 1)}\n`);
}

/** Parses a stored checkpoint; a damaged one is an error naming its key (never silently read from the start). */
export function decodeCheckpoint(key: string, bytes: Uint8Array): StreamCheckpoint {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`checkpoint ${key} is not JSON; move it away to read its stream again from the start`, {
      cause: error,
    });
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `checkpoint ${key} is damaged (${parsed.error.issues[0]?.path.join(".") ?? "?"}); move it away to read its stream again from the start`,
    );
  }
  return parsed.data as StreamCheckpoint;
}

/** How an input's first lines compare with a checkpoint's. */
export type MarksComparison =
  /** They agree on every line both have marks for: the input is (a state of) that stream. */
  | { readonly agree: true }
  /** They differ first at line `line` (1-based): the input is another stream that shares `line - 1` lines. */
  | { readonly agree: false; readonly line: number };

export function compareMarks(input: readonly string[], stored: readonly string[]): MarksComparison {
  const shared = Math.min(input.length, stored.length);
  for (let i = 0; i < shared; i++) {
    if (input[i] !== stored[i]) return { agree: false, line: i + 1 };
  }
  return { agree: true };
}

/** The checkpoint after a run read the stream on to `end`. */
export function advanced(
  previous: StreamCheckpoint,
  next: {
    readonly offset: number;
    readonly lines: number;
    readonly midLine: boolean;
    readonly marks: readonly string[];
    readonly format: RecordFormat | null;
    readonly fieldsDirective: string | null;
    readonly now: number;
  },
): StreamCheckpoint {
  return {
    ...previous,
    offset: next.offset,
    lines: next.lines,
    midLine: next.midLine,
    // Marks only grow: a run that saw fewer of the first lines (it resumed by seeking) keeps the earlier ones.
    marks: next.marks.length >= previous.marks.length ? next.marks : previous.marks,
    format: next.format,
    fieldsDirective: next.fieldsDirective,
    batch: null,
    runs: previous.runs + 1,
    updatedAt: next.now,
  };
}

/** A stream's checkpoint before anything of it was read (written only together with a batch intent). */
export function fresh(
  stream: string,
  options: { named: boolean; level: number; offset: number; lines: number },
): StreamCheckpoint {
  const checkpoint: StreamCheckpoint = {
    version: 1,
    stream,
    named: options.named,
    level: options.level,
    offset: options.offset,
    lines: options.lines,
    midLine: false,
    marks: [],
    format: null,
    fieldsDirective: null,
    batch: null,
    runs: 0,
    updatedAt: 0,
  };
  return checkpoint;
}

/** The built-in format a stored one names, for reading on; undefined for a format the operator wrote (or none). */
export function continuationFormat(stored: RecordFormat | null | undefined): LogFormat | undefined {
  return stored !== null && stored !== undefined && (LOG_FORMATS as readonly string[]).includes(stored)
    ? (stored as LogFormat)
    : undefined;
}
