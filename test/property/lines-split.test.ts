import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RawLine, splitLineBatches, splitLines } from "../../functions/core/ingest/lines.ts";

/**
 * The line rules written the plainest way: the whole input in memory, split on LF, one decoder call per line.
 * splitLines must give exactly this for any chunking of the same bytes.
 */
function referenceSplit(input: Uint8Array, maxLineBytes: number): RawLine[] {
  let bytes = input;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const segments: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      segments.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) segments.push(bytes.subarray(start));
  return segments.map((segment, i) => {
    const line = segment[segment.length - 1] === 13 ? segment.subarray(0, segment.length - 1) : segment;
    const tooLong = line.length > maxLineBytes;
    let text: string;
    if (!tooLong) text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(line);
    else if (line.length <= 8192) text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(line);
    else
      text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(line.subarray(0, 8192), { stream: true });
    return { lineNo: i + 1, text, bytes: line.length, tooLong };
  });
}

async function* chunked(bytes: Uint8Array, cuts: readonly number[]): AsyncIterable<Uint8Array> {
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut < prev || cut > bytes.length) continue;
    yield bytes.subarray(prev, cut); // may be empty: empty chunks must be harmless
    prev = cut;
  }
  yield bytes.subarray(prev);
}

async function collect(lines: AsyncIterable<RawLine>): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

/** Bytes made of pieces that stress the splitter: terminators, multi-byte and broken UTF-8, BOMs. */
const piece = fc.oneof(
  fc.constantFrom(
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "é",
    "€",
    "𝄞",
    "\ufeff",
    "\u0000",
    "GET / HTTP/1.1",
    "203.0.113.9",
  ),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom(
    [0xe2, 0x82],
    [0xf0, 0x9f],
    [0xc3],
    [0x80, 0x80],
    [0xff],
    [0xef, 0xbb, 0xbf],
    [0xed, 0xa0, 0x80],
  ),
  fc.nat({ max: 40 }).map((n) => "x".repeat(n)),
);
const inputBytes = fc.array(piece, { maxLength: 40 }).map((pieces) => {
  const parts = pieces.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
});

describe("splitLines (property)", () => {
  it("equals the reference split for random content, chunkings and line limits", async () => {
    await fc.assert(
      fc.asyncProperty(
        inputBytes,
        fc.array(fc.nat({ max: 400 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 60 }),
        async (bytes, cuts, maxLineBytes) => {
          // Prepare
          const expected = referenceSplit(bytes, maxLineBytes);
          // Act
          const actual = await collect(splitLines(chunked(bytes, cuts), maxLineBytes));
          // Assess
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("equals the reference split for lines around the 8 KiB head and the line limit", async () => {
    const bigLine = fc
      .tuple(
        fc.integer({ min: 8180, max: 8200 }),
        fc.constantFrom("a", "é", "€", "𝄞"),
        fc.constantFrom("\n", "\r\n", ""),
      )
      .map(([n, ch, end]) => new TextEncoder().encode(`${"a".repeat(n)}${ch.repeat(3)}tail${end}`));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(bigLine, inputBytes), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat({ max: 40_000 }), { maxLength: 8 }),
        fc.constantFrom(1, 100, 8190, 8192, 8194, 8200, 20_000),
        async (parts, cuts, maxLineBytes) => {
          // Prepare
          const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let off = 0;
          for (const p of parts) {
            bytes.set(p, off);
            off += p.length;
          }
          const expected = referenceSplit(bytes, maxLineBytes);
          // Act
          const actual = await collect(splitLines(chunked(bytes, cuts), maxLineBytes));
          // Assess
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives the same lines in batches as one by one", async () => {
    await fc.assert(
      fc.asyncProperty(inputBytes, fc.array(fc.nat({ max: 400 }), { maxLength: 12 }), async (bytes, cuts) => {
        // Prepare
        const expected = referenceSplit(bytes, 30);
        // Act
        const batches: RawLine[][] = [];
        for await (const batch of splitLineBatches(chunked(bytes, cuts), 30)) batches.push(batch);
        // Assess
        expect(batches.every((b) => b.length > 0)).toBe(true);
        expect(batches.flat()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
