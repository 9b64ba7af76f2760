import { createHash } from "node:crypto";
import { HEAD_BYTES, MARK_WINDOW_BYTES, STREAM_ID_HEX } from "../../core/ingest/checkpoint.ts";
import type { StreamHead } from "../../core/ingest/resume.ts";

/**
 * A stream's identity and marks from its first bytes (core/ingest/checkpoint.ts describes the model). The digests
 * are SHA-256 cut to 64 bits: ids name streams in one lake (2^32 streams before a collision becomes likely), marks
 * compare a stream's first lines with a checkpoint's (a false "agree" needs a 64-bit collision on every line).
 */

const LF = 10;
const CR = 13;
const HASH = 35; // '#'

/** The id of a stream named by its caller (`--input-id`): a name space of its own, beside content ids. */
export function namedStreamId(name: string): string {
  return createHash("sha256").update(`logsieve-named\0${name}`, "utf8").digest("hex").slice(0, STREAM_ID_HEX);
}

function contentId(bytes: Uint8Array): string {
  return createHash("sha256").update("logsieve-stream\0").update(bytes).digest("hex").slice(0, STREAM_ID_HEX);
}

/** True for a line (without terminator) that is blank or a `#` header: identity starts after such lines. */
function isPreamble(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === CR)) i++;
  return i === end || bytes[i] === HASH;
}

/**
 * The head of a stream from its first bytes (at most HEAD_BYTES are looked at). `ended`: the bytes are all the
 * input holds; `complete`: the input will not grow (then an unterminated first line may serve as identity).
 * Null when not even the first access line is there yet (nothing can be read).
 */
export function streamHead(
  head: Uint8Array,
  options: { ended: boolean; complete: boolean },
): StreamHead | null {
  const bytes = head.length > HEAD_BYTES ? head.subarray(0, HEAD_BYTES) : head;
  const lineEnds: number[] = [0];
  for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) lineEnds.push(i + 1);
  const completeLines = lineEnds.length - 1;
  // An unterminated piece after the last complete line can stand for a line when no more bytes will come, or when
  // the head is full (a first line longer than the head: its first HEAD_BYTES never change).
  const tailCounts =
    bytes.length > (lineEnds[completeLines] as number) &&
    ((options.ended && options.complete) || bytes.length >= HEAD_BYTES);
  const levels = completeLines + (tailCounts ? 1 : 0);
  const endOf = (level: number): number =>
    level <= completeLines ? (lineEnds[level] as number) : bytes.length;

  let baseLevel = 0;
  for (let level = 1; level <= levels; level++) {
    if (!isPreamble(bytes, endOf(level - 1), endOf(level) - (level <= completeLines ? 1 : 0))) {
      baseLevel = level;
      break;
    }
  }
  if (baseLevel === 0) return null;

  const marks: string[] = [];
  let previous = "";
  for (let level = 1; level <= completeLines; level++) {
    const end = lineEnds[level] as number;
    if (end > MARK_WINDOW_BYTES) break;
    previous = createHash("sha256")
      .update(previous)
      .update(bytes.subarray(lineEnds[level - 1] as number, end))
      .digest("hex")
      .slice(0, STREAM_ID_HEX);
    marks.push(previous);
  }

  return {
    baseLevel,
    idAt: (level) => (level >= 1 && level <= levels ? contentId(bytes.subarray(0, endOf(level))) : null),
    endOfLine: (level) => endOf(Math.max(0, Math.min(level, levels))),
    marksUpTo: (offset) => {
      let n = 0;
      while (n < marks.length && (lineEnds[n + 1] as number) <= offset) n++;
      return n === marks.length ? marks : marks.slice(0, n);
    },
  };
}

/** The stream id of a whole, complete input (tests and tools: which objects a given log's lines went to). */
export function streamIdOfContent(content: Uint8Array): string | null {
  const head = streamHead(content.subarray(0, HEAD_BYTES), {
    ended: content.length <= HEAD_BYTES,
    complete: true,
  });
  return head === null ? null : head.idAt(head.baseLevel);
}
