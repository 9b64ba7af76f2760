/**
 * Byte ranges of an input's content, and the one rule that cuts them: **a line belongs to the range where it starts**
 * (a range bounded at `until` takes the lines starting before `until`, the last of them to its end). The same rule
 * bounds a checkpointed batch (`ReadFrom.until`: `ingest --follow`'s batches, the AWS ingest's byte ranges of a
 * large object) and cuts a file into shards for worker threads (shards.ts), so a shard is exactly the batch a
 * checkpointed run starting at its offset would read. Pure: bytes in, bytes out (the property test
 * test/property/ranges.test.ts cuts inputs at every awkward place).
 */

const LF = 10;

/** Where to read an input from. */
export interface ReadFrom {
  readonly offset: number;
  readonly lines: number;
  /** The checkpoint ended inside a line that was ingested as it was: skip the rest of it first. */
  readonly skipRestOfLine: boolean;
  /**
   * Read only the lines that start before this offset (the last of them to its end): a batch of bounded size, or a
   * byte range of a large object. A line belongs to the range where it starts.
   */
  readonly until?: number;
}

/** What reading an input from an offset found; known once its chunks have been consumed. */
/**
 * An input's content from an offset (see {@link contentFrom}): its chunks, the line feeds in the chunks handed out
 * so far — counted once, here, for whoever cuts the content (core/ingest/shards.ts) — and, once read, its end.
 */
export interface Content {
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Line feeds in the chunks handed out so far (a chunk's are counted before it is handed out). */
  linesHandedOut(): number;
  end(): ContentEnd;
}

export interface ContentEnd {
  /** Offset after the last byte handed out (content bytes, decompressed). */
  readonly offset: number;
  /** Lines handed out (an unterminated last line counts). */
  readonly lines: number;
  /** The last line handed out has no terminator (only for complete inputs, or a too-long line being written). */
  readonly midLine: boolean;
  /** Bytes after the last line terminator that were held back: a line still being written. */
  readonly heldBytes: number;
  /** The input ended before the offset: it is an earlier, shorter state of the stream. */
  readonly shorter: boolean;
}

/**
 * Where a range bounded at `until` ends inside `chunk` (whose first byte is content offset `chunkStart`): the
 * index right after the line feed that ends the line holding byte `until − 1`, or −1 when that line feed is not in
 * this chunk (the range goes on into the next one). A line crossing the bound belongs to the range where it starts.
 */
export function rangeCut(chunk: Uint8Array, chunkStart: number, until: number): number {
  const last = until - 1 - chunkStart;
  if (last >= chunk.length) return -1;
  const lf = chunk.indexOf(LF, Math.max(0, last));
  return lf === -1 ? -1 : lf + 1;
}

/**
 * The bytes of `source` (whose first byte is content offset `sourceStart`) from `from.offset` on: bytes before it
 * dropped, the rest of a line the checkpoint ended inside dropped too, and — unless the input is complete — bytes
 * after the last line terminator held back. `end()` tells what was handed out once the chunks are consumed.
 * `source` may reuse a chunk's memory once the next is asked for (a plain file is read into one buffer): what is
 * held back is copied, and each chunk handed out is a view valid until the next is asked for.
 */
export function contentFrom(
  source: AsyncIterable<Uint8Array>,
  sourceStart: number,
  from: ReadFrom,
  complete: boolean,
  maxLineBytes: number,
): Content {
  let position = sourceStart; // content offset of the next byte of `source`
  let emittedEnd = from.offset; // content offset after the last byte handed out
  let lines = 0;
  let endsInLine = false; // the content handed out or passed over ends inside a line
  let partialEmitted = false; // the last line handed out has no terminator (it counts as a line)
  let held = 0;
  let reachedStart = sourceStart >= from.offset;
  let finished = false;

  async function* chunks(): AsyncIterable<Uint8Array> {
    if (from.until !== undefined && from.until <= from.offset) {
      finished = true;
      return;
    }
    let skipLine = from.skipRestOfLine;
    const carry: Uint8Array[] = [];
    let carryBytes = 0;
    // Inside a line too long to hold back: its pieces are handed out as they come (the line splitter rejects it).
    let inLongLine = false;

    function* emit(piece: Uint8Array): Generator<Uint8Array> {
      if (piece.length === 0) return;
      for (let i = piece.indexOf(LF); i !== -1; i = piece.indexOf(LF, i + 1)) lines++;
      endsInLine = piece[piece.length - 1] !== LF;
      partialEmitted = endsInLine;
      emittedEnd += piece.length;
      yield piece;
    }

    for await (const raw of source) {
      let chunk: Uint8Array = raw;
      const chunkStart = position;
      position += chunk.length;
      if (!reachedStart) {
        if (position <= from.offset) continue;
        chunk = chunk.subarray(from.offset - chunkStart);
        reachedStart = true;
      }
      if (skipLine) {
        // The rest of a line counted before: passed over, still inside that line until its terminator.
        const lf = chunk.indexOf(LF);
        if (lf === -1) {
          emittedEnd += chunk.length;
          endsInLine = true;
          continue;
        }
        emittedEnd += lf + 1;
        endsInLine = false;
        chunk = chunk.subarray(lf + 1);
        skipLine = false;
      }
      // A bound: only lines that start before `until` are read; the line crossing it is read to its end.
      let lastChunk = false;
      if (from.until !== undefined) {
        const cut = rangeCut(chunk, emittedEnd + carryBytes, from.until);
        if (cut !== -1) {
          chunk = chunk.subarray(0, cut);
          lastChunk = true;
        }
      }
      if (complete) {
        yield* emit(chunk);
        if (lastChunk) break;
        continue;
      }
      const lastLf = chunk.lastIndexOf(LF);
      if (lastLf === -1) {
        carry.push(new Uint8Array(chunk));
        carryBytes += chunk.length;
        if (inLongLine || carryBytes > maxLineBytes + 1) {
          inLongLine = true;
          for (const piece of carry.splice(0)) yield* emit(piece);
          carryBytes = 0;
        }
        continue;
      }
      for (const piece of carry.splice(0)) yield* emit(piece);
      yield* emit(chunk.subarray(0, lastLf + 1));
      inLongLine = false;
      const rest = chunk.subarray(lastLf + 1);
      carryBytes = rest.length;
      if (rest.length > 0) carry.push(new Uint8Array(rest));
      if (lastChunk) break;
    }
    if (inLongLine) {
      for (const piece of carry.splice(0)) yield* emit(piece);
      carryBytes = 0;
    }
    held = carryBytes;
    finished = true;
  }

  return {
    chunks: chunks(),
    linesHandedOut: () => lines,
    end() {
      if (!finished) throw new Error("the input's end is known only once its bytes have been read");
      return {
        offset: emittedEnd,
        lines: lines + (partialEmitted ? 1 : 0),
        midLine: endsInLine,
        heldBytes: held,
        shorter: !reachedStart && position < from.offset,
      };
    },
  };
}
