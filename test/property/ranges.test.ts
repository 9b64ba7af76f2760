import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentFrom } from "../../functions/adapters/input/resumable-input.ts";
import { type RawLine, splitLineBatches } from "../../functions/core/ingest/lines.ts";
import type { ReadFrom } from "../../functions/core/ingest/resume.ts";

/**
 * Byte ranges of a large object on AWS, cut at every awkward place. The ingest function reads an object as
 * checkpointed batches bounded by `until` (adapters/input/resumable-input.ts `contentFrom`, the reader every
 * checkpointed ingestion uses): a batch takes the lines that start before its bound, the last one to its end, and
 * the next batch starts where it ended. Every line of the input must come out of exactly one batch, whole, in
 * order, with its line number — whether a bound falls on a line start, inside a line, between CR and LF, right
 * after an LF, inside a multi-byte character or inside a too-long line; whether the batch's bytes come from the
 * object's start (an S3 stream, a gzip file inflated from its beginning) or from the batch's offset (a file sought
 * to it); whatever the chunking.
 */

const MAX_LINE = 16;
const encoder = new TextEncoder();

async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % Math.max(1, sizes.length)] ?? bytes.length);
    yield bytes.slice(at, at + size);
    at += size;
  }
}

async function linesOf(
  chunks: AsyncIterable<Uint8Array>,
  from: { linesBefore: number; atStart: boolean },
): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const batch of splitLineBatches(chunks, MAX_LINE, from)) out.push(...batch);
  return out;
}

/**
 * Reads an object batch after batch as the ingest function's checkpoints chain them (core/ingest/resume.ts
 * `readBatch`): each from where the last one ended, bounded by the next of `bounds` (absolute offsets; none left:
 * to the end). Returns the lines of all batches and the number of batches.
 */
async function readInBatches(
  bytes: Uint8Array,
  bounds: (offset: number) => number | undefined,
  source: "stream" | "seek",
  sizes: readonly number[],
): Promise<{ lines: RawLine[]; batches: number }> {
  const lines: RawLine[] = [];
  let offset = 0;
  let lineCount = 0;
  let midLine = false;
  for (let batches = 1; ; batches++) {
    const until = bounds(offset);
    const from: ReadFrom = {
      offset,
      lines: lineCount,
      skipRestOfLine: midLine,
      ...(until === undefined ? {} : { until }),
    };
    const start = source === "stream" ? 0 : offset;
    const content = contentFrom(chunked(bytes.subarray(start), sizes), start, from, true, MAX_LINE);
    lines.push(...(await linesOf(content.chunks, { linesBefore: lineCount, atStart: offset === 0 })));
    const end = content.end();
    const moved = end.offset > offset;
    midLine = moved ? end.midLine : midLine;
    lineCount += end.lines;
    offset = Math.max(end.offset, offset);
    if (!moved || offset >= bytes.length) return { lines, batches };
    expect(batches, "the chain ends").toBeLessThan(bytes.length + 3);
  }
}

const AWKWARD = [
  "",
  "\n",
  "a",
  "a\n",
  "\n\n\n",
  "ab\r\ncd\r\n",
  "ab\r\n\r\ncd",
  "one\ntwo\nthree",
  "x\ry\nz\r",
  "é€😀\nü\n€€€€€€€€€\n",
  "short\nthis line is far longer than sixteen bytes\nend\n",
  "\ufeffbom first\nsecond\n",
  "no newline at all but longer than sixteen",
  "\n\nempty\n\nlines\n\n",
];

describe("byte ranges of an object: a line belongs to the range where it starts", () => {
  it("every line exactly once, with its number, for the bounds of the first two batches at every pair of offsets", async () => {
    for (const text of AWKWARD) {
      // Prepare
      const bytes = encoder.encode(text);
      const whole = await linesOf(chunked(bytes, [bytes.length]), { linesBefore: 0, atStart: true });
      for (let a = 1; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b++) {
          for (const source of ["stream", "seek"] as const) {
            // Act: the first batch bounded at a, the second at b (when it starts before b), the rest unbounded
            let call = 0;
            const { lines } = await readInBatches(
              bytes,
              (offset) => (call++ === 0 ? a : call === 2 && offset < b ? b : undefined),
              source,
              [bytes.length],
            );

            // Assess
            expect(lines, `${JSON.stringify(text)} bounded at ${a}, ${b} (${source})`).toEqual(whole);
          }
        }
      }
    }
  });

  it("every line exactly once for batches of every fixed size (the function's ranges), chunks of one byte", async () => {
    for (const text of AWKWARD) {
      const bytes = encoder.encode(text);
      const whole = await linesOf(chunked(bytes, [bytes.length]), { linesBefore: 0, atStart: true });
      for (let size = 1; size <= bytes.length + 1; size++) {
        for (const source of ["stream", "seek"] as const) {
          // Act
          const { lines, batches } = await readInBatches(bytes, (offset) => offset + size, source, [1]);

          // Assess
          expect(lines, `${JSON.stringify(text)} in ranges of ${size} (${source})`).toEqual(whole);
          expect(batches).toBeLessThanOrEqual(Math.max(1, Math.ceil(bytes.length / size)) + 1);
        }
      }
    }
  });

  it("random logs, random bounds, random chunkings: the batches together give the lines of the whole", async () => {
    const lineArb = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom("", "\r", "é", "😀", "x".repeat(40)),
    );
    const terminator = fc.constantFrom("\n", "\r\n", "\n\n");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineArb, terminator), { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("stream" as const, "seek" as const),
        async (parts, trailing, steps, sizes, source) => {
          // Prepare
          let text = parts.map(([l, t]) => l + t).join("");
          if (!trailing) text = text.replace(/\r?\n$/, "");
          const bytes = encoder.encode(text);
          const whole = await linesOf(chunked(bytes, [bytes.length]), { linesBefore: 0, atStart: true });
          let call = 0;

          // Act
          const { lines } = await readInBatches(
            bytes,
            (offset) => offset + (steps[call++ % steps.length] as number),
            source,
            sizes,
          );

          // Assess
          expect(lines).toEqual(whole);
        },
      ),
      { numRuns: 400 },
    );
  });
});
