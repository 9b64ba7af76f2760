import { describe, expect, it } from "vitest";
import {
  LINES_PER_BATCH,
  type RawLine,
  splitLineBatches,
  splitLines,
} from "../../../../functions/core/ingest/lines.ts";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function* from(...chunks: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  for (const c of chunks) yield typeof c === "string" ? utf8(c) : c;
}

async function collect(lines: AsyncIterable<RawLine>): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

const texts = (lines: RawLine[]): string[] => lines.map((l) => l.text);

describe("splitLines", () => {
  it("splits LF and CRLF lines, numbering them from 1 and counting bytes without the terminator", async () => {
    // Prepare
    const input = from("GET /a\r\nGET /bé\n\nlast");
    // Act
    const lines = await collect(splitLines(input, 1024));
    // Assess
    expect(lines).toEqual([
      { lineNo: 1, text: "GET /a", bytes: 6, tooLong: false },
      { lineNo: 2, text: "GET /bé", bytes: 8, tooLong: false },
      { lineNo: 3, text: "", bytes: 0, tooLong: false },
      { lineNo: 4, text: "last", bytes: 4, tooLong: false },
    ]);
  });

  it("adds no empty line after a final newline, and yields nothing for empty input", async () => {
    // Prepare / Act
    const withNewline = await collect(splitLines(from("a\nb\n"), 1024));
    const empty = await collect(splitLines(from(), 1024));
    const onlyEmptyChunks = await collect(splitLines(from("", ""), 1024));
    // Assess
    expect(texts(withNewline)).toEqual(["a", "b"]);
    expect(empty).toEqual([]);
    expect(onlyEmptyChunks).toEqual([]);
  });

  it("joins a CRLF and a multi-byte character split across chunks", async () => {
    // Prepare: "€" is E2 82 AC; the CR and LF land in different chunks
    const euro = utf8("€");
    const input = from(
      utf8("price "),
      euro.subarray(0, 1),
      euro.subarray(1, 2),
      euro.subarray(2),
      "5\r",
      "\nnext",
    );
    // Act
    const lines = await collect(splitLines(input, 1024));
    // Assess
    expect(lines).toEqual([
      { lineNo: 1, text: "price €5", bytes: 10, tooLong: false },
      { lineNo: 2, text: "next", bytes: 4, tooLong: false },
    ]);
  });

  it("replaces invalid UTF-8 with U+FFFD instead of throwing", async () => {
    // Prepare
    const input = from(Uint8Array.from([0x61, 0xff, 0x62, 0x0a, 0xc3, 0x0a]));
    // Act
    const lines = await collect(splitLines(input, 1024));
    // Assess
    expect(lines).toEqual([
      { lineNo: 1, text: "a\ufffdb", bytes: 3, tooLong: false },
      { lineNo: 2, text: "\ufffd", bytes: 1, tooLong: false },
    ]);
  });

  it("drops a byte order mark at the start only", async () => {
    // Prepare: the BOM itself arrives split over two chunks
    const input = from(Uint8Array.from([0xef, 0xbb]), Uint8Array.from([0xbf, 0x61, 0x0a]), "\ufeffb\n");
    // Act
    const lines = await collect(splitLines(input, 1024));
    // Assess
    expect(lines).toEqual([
      { lineNo: 1, text: "a", bytes: 1, tooLong: false },
      { lineNo: 2, text: "\ufeffb", bytes: 4, tooLong: false },
    ]);
  });

  it("reads chunks that are views of one reused buffer, even a first chunk shorter than a byte order mark", async () => {
    // Prepare: a reader that reads into one buffer, each chunk valid until the next is asked for (as a plain file is
    // read); its first chunk, 2 bytes, is held while the splitter looks for a byte order mark
    async function* reusing(...parts: string[]): AsyncIterable<Uint8Array> {
      const buffer = new Uint8Array(64);
      for (const part of parts) {
        const { written } = new TextEncoder().encodeInto(part, buffer);
        yield buffer.subarray(0, written);
      }
    }
    // Act
    const lines = await collect(splitLines(reusing("a\n", "bc\nde", "f\ng\n"), 1024));
    // Assess
    expect(texts(lines)).toEqual(["a", "bc", "def", "g"]);
  });

  it("keeps a NUL and a lone CR inside a line as content", async () => {
    // Prepare / Act
    const lines = await collect(splitLines(from("a\0b\rc\n"), 1024));
    // Assess
    expect(lines).toEqual([{ lineNo: 1, text: "a\0b\rc", bytes: 5, tooLong: false }]);
  });

  it("flags a line longer than the limit with its full length and its first 8 KiB, then carries on", async () => {
    // Prepare: a 20 000-byte line in 3 chunks, then a normal one; the limit is 10 000
    const long = "x".repeat(20_000);
    const input = from(
      `ok\n${long.slice(0, 5000)}`,
      long.slice(5000, 15_000),
      `${long.slice(15_000)}\r\nafter\n`,
    );
    // Act
    const lines = await collect(splitLines(input, 10_000));
    // Assess
    expect(lines.map(({ lineNo, bytes, tooLong }) => ({ lineNo, bytes, tooLong }))).toEqual([
      { lineNo: 1, bytes: 2, tooLong: false },
      { lineNo: 2, bytes: 20_000, tooLong: true },
      { lineNo: 3, bytes: 5, tooLong: false },
    ]);
    expect(lines[1]?.text).toBe("x".repeat(8192));
    expect(lines[2]?.text).toBe("after");
  });

  it("accepts a line of exactly the limit, even when its CRLF makes the raw bytes longer", async () => {
    // Prepare
    const input = from(`${"y".repeat(1024)}\r`, `\n${"z".repeat(1025)}\n`);
    // Act
    const lines = await collect(splitLines(input, 1024));
    // Assess
    expect(lines.map((l) => [l.bytes, l.tooLong])).toEqual([
      [1024, false],
      [1025, true],
    ]);
  });

  it("cuts the head of a too-long line before a character that does not fit in 8 KiB", async () => {
    // Prepare: 8191 ASCII bytes then "€" (3 bytes) straddling the 8192-byte mark
    const input = from(`${"a".repeat(8191)}€€\n`);
    // Act
    const [line] = await collect(splitLines(input, 4096));
    // Assess
    expect(line?.text).toBe("a".repeat(8191));
    expect(line?.bytes).toBe(8197);
  });

  it("does not buffer a huge line: memory stays bounded while 64 MiB stream past", async () => {
    // Prepare: one 1 MiB buffer yielded 64 times (a producer reusing its buffer), no newline until the end
    const block = new Uint8Array(1 << 20).fill(0x61);
    async function* huge(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 64; i++) yield block;
      yield utf8("\nnext\n");
    }
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    // Act
    const lines: RawLine[] = [];
    for await (const line of splitLines(huge(), 1 << 20)) {
      lines.push(line);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    // Assess
    expect(lines.map((l) => [l.bytes, l.tooLong])).toEqual([
      [64 << 20, true],
      [4, false],
    ]);
    expect(peak - before).toBeLessThan(16 << 20);
  });

  it("copies a partial line, so a producer that reuses its buffer does not corrupt it", async () => {
    // Prepare
    const buffer = new Uint8Array(4);
    async function* reusing(): AsyncIterable<Uint8Array> {
      for (const part of ["ab\ncd", "ef\ngh"]) {
        const bytes = utf8(part);
        const view = buffer.length >= bytes.length ? buffer : new Uint8Array(bytes.length);
        view.set(bytes);
        yield view.subarray(0, bytes.length);
        view.fill(0x3f);
      }
    }
    // Act
    const lines = await collect(splitLines(reusing(), 1024));
    // Assess
    expect(texts(lines)).toEqual(["ab", "cdef", "gh"]);
  });

  it("rejects a line limit below 1", async () => {
    // Prepare / Act
    const run = collect(splitLines(from("a\n"), 0));
    // Assess
    await expect(run).rejects.toThrow(/maxLineBytes/);
  });
});

describe("splitLineBatches", () => {
  it("closes its source when the reader stops before the end, and not when the source failed", async () => {
    // Prepare: a source that records whether it was closed
    let closed = false;
    async function* source(fail: boolean): AsyncIterable<Uint8Array> {
      try {
        yield utf8("a\nb\n");
        if (fail) throw new Error("read failed");
        yield utf8("c\n");
      } finally {
        closed = true;
      }
    }
    // Act: stop after the first batch (a piece read on from a checkpoint: the source is read as it is)
    const piece = { linesBefore: 0, atStart: false };
    for await (const batch of splitLineBatches(source(false), 1024, piece)) {
      expect(texts(batch)).toEqual(["a", "b"]);
      break;
    }
    // Assess
    expect(closed).toBe(true);

    // Act: a source that fails is reported as such
    closed = false;
    const read = async (): Promise<void> => {
      for await (const _ of splitLineBatches(source(true), 1024, piece));
    };
    // Assess
    await expect(read()).rejects.toThrow("read failed");
    expect(closed).toBe(true); // by its own `finally`, once
  });

  it("yields the lines completed by each chunk as one array", async () => {
    // Prepare
    const input = from("a\nb\nc", "d\ne\n", "f");
    // Act
    const batches: string[][] = [];
    for await (const batch of splitLineBatches(input, 1024)) batches.push(batch.map((l) => l.text));
    // Assess
    expect(batches).toEqual([["a", "b"], ["cd", "e"], ["f"]]);
  });

  it("cuts a chunk of many lines into batches of at most LINES_PER_BATCH, in order, reading a reused buffer", async () => {
    // Prepare: 2.5 batches' worth of lines in one chunk of a buffer that the reader overwrites for its next chunk
    // (as a plain file is read), then a second chunk finishing the last line
    const count = Math.floor(LINES_PER_BATCH * 2.5);
    const first = Array.from({ length: count }, (_, i) => `line ${i}`).join("\n");
    async function* reusing(...parts: string[]): AsyncIterable<Uint8Array> {
      const buffer = new Uint8Array(first.length + 16);
      for (const part of parts) {
        buffer.fill(0x21); // what the chunk held before is gone once the next one is read
        const { written } = new TextEncoder().encodeInto(part, buffer);
        yield buffer.subarray(0, written);
      }
    }
    // Act
    const sizes: number[] = [];
    const lines: RawLine[] = [];
    for await (const batch of splitLineBatches(reusing(first, " end\n"), 1024)) {
      sizes.push(batch.length);
      lines.push(...batch);
    }
    // Assess
    expect(sizes).toEqual([LINES_PER_BATCH, LINES_PER_BATCH, count - 2 * LINES_PER_BATCH - 1, 1]);
    expect(texts(lines)).toEqual([
      ...Array.from({ length: count - 1 }, (_, i) => `line ${i}`),
      `line ${count - 1} end`,
    ]);
    expect(lines.map((line) => line.lineNo)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });
});
