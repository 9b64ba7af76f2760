import { snappyUncompress } from "hyparquet";
import { describe, expect, it } from "vitest";
import { maxCompressedLength, snappyCompressInto } from "../src/index.ts";
import { seededRandom } from "./random.ts";

/** Snappy of the Parquet writer, decoded by hyparquet's independent decoder. */

function roundTrip(input: Uint8Array): { output: Uint8Array; compressed: number } {
  const out = new Uint8Array(maxCompressedLength(input.length));
  const length = snappyCompressInto(input, out);
  const output = new Uint8Array(input.length);
  snappyUncompress(out.subarray(0, length), output);
  return { output, compressed: length };
}

function randomBytes(seed: number, length: number, alphabet: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * alphabet));
}

describe("snappyCompressInto", () => {
  it.each([0, 1, 4, 14, 15, 16, 61, 257, 65_535, 65_536, 65_537, 200_000])(
    "round-trips %i random bytes (literals of every length class, fragment boundaries)",
    (length) => {
      // Prepare
      const input = randomBytes(length, length, 256);
      // Act
      const { output, compressed } = roundTrip(input);
      // Assess
      expect(Buffer.from(output).equals(Buffer.from(input))).toBe(true);
      expect(compressed).toBeLessThanOrEqual(maxCompressedLength(length));
    },
  );

  it("round-trips and shrinks repetitive input (copies of every length, long runs)", () => {
    // Prepare: log-like text with repeats at short and long distances, and a long run of one byte
    const text = Array.from({ length: 5000 }, (_, i) => `GET /page/${i % 37} HTTP/1.1 200 ${i % 7}\n`).join(
      "",
    );
    const input = new Uint8Array([...new TextEncoder().encode(text), ...new Uint8Array(100_000).fill(7)]);
    // Act
    const { output, compressed } = roundTrip(input);
    // Assess
    expect(Buffer.from(output).equals(Buffer.from(input))).toBe(true);
    expect(compressed).toBeLessThan(input.length / 5);
  });

  it("gives the same bytes for the same input", () => {
    // Prepare
    const input = randomBytes(9, 150_000, 8);
    const a = new Uint8Array(maxCompressedLength(input.length));
    const b = new Uint8Array(maxCompressedLength(input.length));
    // Act
    const la = snappyCompressInto(input, a);
    const lb = snappyCompressInto(input.slice(), b);
    // Assess
    expect(Buffer.from(a.subarray(0, la)).equals(Buffer.from(b.subarray(0, lb)))).toBe(true);
  });
});
