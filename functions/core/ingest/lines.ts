/**
 * Splits a byte stream into lines: the first step of ingestion, run for every byte of every log.
 *
 * Rules (the property test in test/property/lines-split.test.ts holds the reference version of them):
 * - A line ends at LF; a CR right before the LF belongs to the terminator (CRLF). Other CRs are content.
 * - The last line needs no terminator; an input ending in LF has no empty line after it.
 * - Empty lines are yielded (text "", bytes 0) so line numbers match what an editor shows.
 * - A UTF-8 byte order mark at the very start of the input is dropped; everywhere else U+FEFF is content.
 * - Bytes are decoded as UTF-8; invalid sequences become U+FFFD (never an exception). Chunks may split the input
 *   anywhere, even inside a multi-byte character: lines are decoded only once their bytes are complete.
 * - `bytes` is the line's length in bytes without its terminator. A line longer than `maxLineBytes` comes out
 *   with `tooLong: true`, its full length in `bytes` and only its first 8 KiB (without a character cut in two at the end)
 *   as `text`; the rest is counted while it streams past, never buffered, so memory stays bounded by
 *   `maxLineBytes` plus one chunk whatever the input holds.
 *
 * Memory and speed: each line is decoded on its own (a byte scan for LF, one TextDecoder call per line). Decoding a
 * whole chunk at once and slicing lines out of it was about 50 ns per line cheaper, but V8 keeps a sliced string's
 * parent alive: any piece of a line kept later (a cache key, a dictionary value) then pinned its whole 256 KiB chunk,
 * and the caches downstream pinned most of a file (docs/BENCHMARKS.md). {@link splitLineBatches} yields arrays of
 * at most {@link LINES_PER_BATCH} lines (an await per batch, not per line), each decoded just before it is yielded.
 */

export interface RawLine {
  /** 1-based line number in the input. */
  readonly lineNo: number;
  /** The decoded line without its terminator; for a too-long line, its first 8 KiB only. */
  readonly text: string;
  /** The line's full length in bytes, terminator excluded. */
  readonly bytes: number;
  /** True when `bytes > maxLineBytes`: the line must be rejected, its text is only a head. */
  readonly tooLong: boolean;
}

/**
 * Lines per batch at most. A 256 KiB chunk holds about a thousand lines (≈ 300 KB of strings and objects); decoded
 * all at once and then ingested, each line was read again long after it was written, out of the processor's nearer
 * caches. Batches of 128 lines, each decoded just before it is ingested, cut the command's CPU by ≈ 6 % on `week`
 * and `elastic` (docs/BENCHMARKS.md, issue 20, sixth round; the young-generation collections did not change); the
 * extra batches cost an await each.
 */
export const LINES_PER_BATCH = 128;

/** How much of a too-long line is kept as text (for the rejects zone, which keeps the first 8 KiB). */
export const TOO_LONG_HEAD_BYTES = 8192;

const LF = 10;
const CR = 13;

/** The part of TextDecoder used here (its global type is not visible under this project's lib settings). */
interface Utf8Decoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/** The first 8 KiB of a line as text, without a character cut in two at the end. */
function decodeHead(decoder: Utf8Decoder, head: Uint8Array, lineBytes: number): string {
  if (lineBytes <= TOO_LONG_HEAD_BYTES) return decoder.decode(head.subarray(0, lineBytes));
  const text = decoder.decode(head.subarray(0, TOO_LONG_HEAD_BYTES), { stream: true });
  decoder.decode(); // drop the withheld partial character and reset the decoder
  return text;
}

/** A copy (not a view, even for a Node Buffer): the producer may reuse its chunk buffers. */
function copyOf(chunk: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(chunk.subarray(start, end));
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * A new empty list of a line's pieces, made as an array of objects. An empty literal (`[]`) starts as an array of
 * small integers and changes kind at the first piece pushed: `splitLineBatches`, optimized after pushing into arrays
 * of objects, met a new array of the other kind in each shard and threw its code away ("not a Smi" at
 * `pending.push`, in each thread: docs/BENCHMARKS.md, seventh round, `deopt`).
 */
function noPieces(): Uint8Array[] {
  const pieces = [NO_PIECE];
  pieces.length = 0;
  return pieces;
}
const NO_PIECE = new Uint8Array(0);

/**
 * The chunks of a stream; when `dropBom`, a UTF-8 byte order mark at the very start dropped, even when the first
 * chunks are shorter than it. One generator whether or not a mark is looked for, so that {@link lineBatches} reads
 * the same kind of object in every shard (the first shard's, read through a generator, and the others', read
 * directly, were two for the optimized code: "wrong map", docs/BENCHMARKS.md, seventh round, `deopt`). The source
 * is closed when the reader stops before its end, as a `for await` over it would close it.
 */
async function* sourceChunks(
  chunks: AsyncIterable<Uint8Array>,
  dropBom: boolean,
): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  let over = false;
  try {
    if (dropBom) {
      let head: Uint8Array = new Uint8Array(0);
      while (head.length < 3) {
        const next = await it.next();
        if (next.done) {
          over = true;
          if (head.length > 0) yield head;
          return;
        }
        head = head.length === 0 ? next.value : concat([head, next.value], head.length + next.value.length);
        // Held across the next read while shorter than a mark: a copy, the producer may reuse its chunk.
        if (head.length < 3) head = copyOf(head, 0, head.length);
      }
      const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
      const first = bom ? head.subarray(3) : head;
      if (first.length > 0) yield first;
    }
    for (;;) {
      const next = await it.next();
      if (next.done) {
        over = true;
        return;
      }
      yield next.value;
    }
  } catch (error) {
    // The source failed (it is not closed, as `for await` leaves it).
    over = true;
    throw error;
  } finally {
    if (!over) await it.return?.();
  }
}

/** Where a piece of an input starts, when it is not the input's beginning (an input read on from a checkpoint). */
export interface SplitFrom {
  /** Lines before this piece: the first line here gets number `linesBefore + 1`. */
  readonly linesBefore: number;
  /** False when the piece starts inside the input: a byte order mark is only dropped at the very start. */
  readonly atStart: boolean;
}

/**
 * The lines of a byte stream, one array per input chunk (empty chunks give no array).
 * `maxLineBytes` is the longest line accepted (config `ingest.maxLineBytes`); `from` when the bytes are the rest of
 * an input read on from a checkpoint (line numbers continue, no byte order mark is looked for).
 *
 * Split in two for V8 (docs/BENCHMARKS.md, seventh round, `deopt`): each shard of an input is split by a call of its
 * own, and what a generator does once per call — here, everything before its loop — first ran before V8 recorded
 * any type feedback for it and, in the next shard, threw the optimized generator away in each thread. So this
 * function does it (reads the options, makes the decoders and the source's iterator) and {@link lineBatches}
 * starts with its loop; the lines are made by methods ({@link LineMaker}), not by closures made per call (each
 * shard's were a new call target for the optimized code: "wrong call target").
 */
export function splitLineBatches(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  from: SplitFrom = { linesBefore: 0, atStart: true },
): AsyncIterable<RawLine[]> {
  if (!(maxLineBytes >= 1)) throw new RangeError("maxLineBytes must be at least 1");
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  // Decodes heads of too-long lines in streaming mode, which leaves out an incomplete character at the end.
  const headDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const source = sourceChunks(chunks, from.atStart);
  const lines = new LineMaker(maxLineBytes, from.linesBefore, decoder, headDecoder);
  // A line may be up to maxLineBytes plus its CR before we know it is too long.
  return lineBatches(source, lines, noPieces(), maxLineBytes, maxLineBytes + 1, decoder);
}

/** Numbers lines and makes their records, for one call of {@link splitLineBatches}. */
class LineMaker {
  /** The number of the last line made. */
  lineNo: number;

  constructor(
    private readonly maxLineBytes: number,
    linesBefore: number,
    private readonly decoder: Utf8Decoder,
    private readonly headDecoder: Utf8Decoder,
  ) {
    this.lineNo = linesBefore;
  }

  /** `head` holds the line's first bytes (at least 8 KiB when the line is that long; a CR may follow). */
  tooLong(head: Uint8Array, bytes: number): RawLine {
    return { lineNo: ++this.lineNo, text: decodeHead(this.headDecoder, head, bytes), bytes, tooLong: true };
  }

  /** A complete line whose bytes (CR still attached) are all in hand. */
  complete(raw: Uint8Array): RawLine {
    const len = raw.length > 0 && raw[raw.length - 1] === CR ? raw.length - 1 : raw.length;
    if (len > this.maxLineBytes) return this.tooLong(raw, len);
    return {
      lineNo: ++this.lineNo,
      text: this.decoder.decode(raw.subarray(0, len)),
      bytes: len,
      tooLong: false,
    };
  }
}

/** What the end of the input is read as: a line feed, which ends a last line that had none. */
const END_OF_INPUT = Uint8Array.of(LF);
const NO_BYTES = new Uint8Array(0);

/**
 * The loop of {@link splitLineBatches}. Nothing before it, and nothing after it: the end of the input goes through
 * the loop's own steps as one more chunk ({@link END_OF_INPUT}; code that ran only once, at the end, was compiled
 * with the loop before it had ever run, and threw it away at the first shard's end).
 */
async function* lineBatches(
  source: AsyncGenerator<Uint8Array>,
  lines: LineMaker,
  firstPending: Uint8Array[],
  maxLineBytes: number,
  bufferLimit: number,
  decoder: Utf8Decoder,
): AsyncGenerator<RawLine[]> {
  // The start of a line that began in an earlier chunk.
  let pending = firstPending;
  let pendingBytes = 0;
  // Skipping the tail of a too-long line: its head, its byte count so far, whether the last byte was CR.
  let skipping = false;
  let skipHead: Uint8Array = NO_BYTES;
  let skipBytes = 0;
  let skipLastCr = false;
  let ended = false;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (error) {
        // A source that failed is not closed (as `for await` leaves it).
        ended = true;
        throw error;
      }
      ended = next.done === true;
      const chunk: Uint8Array = ended ? END_OF_INPUT : next.value;
      if (chunk.length === 0) continue;
      let out: RawLine[] = [];
      let pos = 0;

      // 1. Finish the line started in earlier chunks (at the end of the input: the last line, if it had no
      //    line feed).
      if (skipping || pendingBytes > 0) {
        const nl = chunk.indexOf(LF);
        const end = nl === -1 ? chunk.length : nl;
        if (skipping) {
          if (end > 0) {
            if (skipHead.length < TOO_LONG_HEAD_BYTES) {
              // Only when maxLineBytes is below 8 KiB: the head is still filling up.
              const more = chunk.subarray(0, Math.min(end, TOO_LONG_HEAD_BYTES - skipHead.length));
              skipHead = concat([skipHead, more], skipHead.length + more.length);
            }
            skipBytes += end;
            skipLastCr = chunk[end - 1] === CR;
          }
          if (nl !== -1) {
            skipping = false;
            out.push(lines.tooLong(skipHead, skipLastCr ? skipBytes - 1 : skipBytes));
            skipHead = NO_BYTES;
          }
        } else {
          if (end > 0) {
            pending.push(copyOf(chunk, 0, end));
            pendingBytes += end;
          }
          if (nl !== -1) {
            out.push(lines.complete(concat(pending, pendingBytes)));
            pending = noPieces();
            pendingBytes = 0;
          } else if (pendingBytes > bufferLimit) {
            // The pending bytes prove the line too long: skip the rest of it, keeping its head.
            const all = concat(pending, pendingBytes);
            skipping = true;
            skipHead = copyOf(all, 0, TOO_LONG_HEAD_BYTES);
            skipBytes = all.length;
            skipLastCr = all[all.length - 1] === CR;
            pending = noPieces();
            pendingBytes = 0;
          }
        }
        if (nl === -1) {
          if (out.length > 0) yield out;
          continue;
        }
        pos = nl + 1;
      }

      if (!ended) {
        // 2. The complete lines of this chunk, each decoded on its own (see the module comment: a line must not be
        //    a slice of one big string).
        const last = chunk.lastIndexOf(LF);
        if (last >= pos) {
          let bs = pos;
          for (;;) {
            const nl = chunk.indexOf(LF, bs);
            let len = nl - bs;
            if (len > 0 && chunk[nl - 1] === CR) len--;
            if (len > maxLineBytes) {
              out.push(lines.tooLong(chunk.subarray(bs, bs + Math.min(len, TOO_LONG_HEAD_BYTES)), len));
            } else {
              const text = len === 0 ? "" : decoder.decode(chunk.subarray(bs, bs + len));
              out.push({ lineNo: ++lines.lineNo, text, bytes: len, tooLong: false });
            }
            if (out.length >= LINES_PER_BATCH) {
              // The chunk stays valid meanwhile: the next one is asked for only after this one's last line.
              yield out;
              out = [];
            }
            if (nl >= last) break;
            bs = nl + 1;
          }
          pos = last + 1;
        }

        // 3. Keep the start of the next line.
        if (pos < chunk.length) {
          const restBytes = chunk.length - pos;
          if (restBytes > bufferLimit) {
            skipping = true;
            skipHead = copyOf(chunk, pos, pos + TOO_LONG_HEAD_BYTES);
            skipBytes = restBytes;
            skipLastCr = chunk[chunk.length - 1] === CR;
          } else {
            pending.push(copyOf(chunk, pos, chunk.length));
            pendingBytes = restBytes;
          }
        }
      }
      if (out.length > 0) yield out;
      if (ended) return;
    }
  } finally {
    // Left before the end (the caller stopped reading): the source is closed, as a `for await` over it would.
    if (!ended) await source.return(undefined);
  }
}

/** The lines of a byte stream, one at a time. Prefer {@link splitLineBatches} on hot paths. */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
): AsyncIterable<RawLine> {
  for await (const batch of splitLineBatches(chunks, maxLineBytes)) yield* batch;
}
