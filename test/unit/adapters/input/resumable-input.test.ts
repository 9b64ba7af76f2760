import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contentFrom, fileInput, streamInput } from "../../../../functions/adapters/input/resumable-input.ts";
import { streamHead, streamIdOfContent } from "../../../../functions/adapters/input/stream-head.ts";
import { type RawLine, splitLines } from "../../../../functions/core/ingest/lines.ts";
import type { ContentEnd, ReadFrom } from "../../../../functions/core/ingest/resume.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-input-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOG = [
  '203.0.113.9 - - [20/Nov/2026:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5"',
  '2001:db8::7 - - [20/Nov/2026:13:55:37 +0000] "GET /é HTTP/1.1" 404 0 "-" "Mozilla/5.0"',
  '198.51.100.4 - - [20/Nov/2026:13:55:38 +0000] "GET /about HTTP/1.1" 200 99 "-" "Mozilla/5.0"',
];
const TEXT = `${LOG.join("\n")}\n`;
const bytes = (text: string) => new TextEncoder().encode(text);
const START: ReadFrom = { offset: 0, lines: 0, skipRestOfLine: false };

async function readAll(read: { chunks: AsyncIterable<Uint8Array>; end(): ContentEnd }) {
  const out: RawLine[] = [];
  for await (const line of splitLines(read.chunks, 1 << 20)) out.push(line);
  return { lines: out.map((l) => l.text), end: read.end() };
}

async function* chunksOf(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? bytes(part) : part;
}

describe("fileInput", () => {
  it("reads a gzip file and the same log uncompressed as the same lines, with the same stream id", async () => {
    // Prepare
    await writeFile(join(dir, "access.log"), TEXT);
    await writeFile(join(dir, "access.log.gz"), gzipSync(TEXT));
    // Act
    const plain = await fileInput(join(dir, "access.log"), { maxLineBytes: 1 << 20 });
    const gz = await fileInput(join(dir, "access.log.gz"), { maxLineBytes: 1 << 20 });
    const plainHead = await plain.head();
    const gzHead = await gz.head();
    const plainRead = await readAll(plain.read(START));
    const gzRead = await readAll(gz.read(START));
    await plain.close();
    await gz.close();
    // Assess
    expect([plain.kind, gz.kind]).toEqual(["plain", "gzip"]);
    expect(plainRead.lines).toEqual(LOG);
    expect(gzRead.lines).toEqual(LOG);
    expect(plainHead?.idAt(1)).toMatch(/^[0-9a-f]{16}$/);
    expect(gzHead?.idAt(1)).toBe(plainHead?.idAt(1));
    expect(plainRead.end).toEqual({
      offset: TEXT.length + 1,
      lines: 3,
      midLine: false,
      heldBytes: 0,
      shorter: false,
    });
  });

  it("detects gzip by its magic bytes, not by the file name, and reads every member of a multi-member gzip", async () => {
    // Prepare: two gzip members concatenated (as `cat a.gz b.gz`), named like a plain log
    const path = join(dir, "rotated.log");
    await writeFile(path, Buffer.concat([gzipSync(`${LOG[0]}\n`), gzipSync(`${LOG[1]}\n`)]));
    // Act
    const input = await fileInput(path, { maxLineBytes: 1 << 20 });
    const read = await readAll(input.read(START));
    await input.close();
    // Assess
    expect(input.kind).toBe("gzip");
    expect(read.lines).toEqual(LOG.slice(0, 2));
  });

  it("holds back a plain file's unterminated last line (it may still be being written); gzip reads it", async () => {
    // Prepare
    const partial = `${TEXT}198.51.100.5 - - [20/Nov/2026:13:55:39 +0000] "GET /x`;
    await writeFile(join(dir, "live.log"), partial);
    await writeFile(join(dir, "done.log.gz"), gzipSync(partial));
    // Act
    const live = await fileInput(join(dir, "live.log"), { maxLineBytes: 1 << 20 });
    const done = await fileInput(join(dir, "done.log.gz"), { maxLineBytes: 1 << 20 });
    const liveRead = await readAll(live.read(START));
    const doneRead = await readAll(done.read(START));
    await live.close();
    await done.close();
    // Assess
    expect(liveRead.lines).toEqual(LOG);
    expect(liveRead.end).toMatchObject({ offset: bytes(TEXT).length, lines: 3, midLine: false });
    expect(liveRead.end.heldBytes).toBe(bytes(partial).length - bytes(TEXT).length);
    expect(doneRead.lines).toHaveLength(4);
    expect(doneRead.end).toMatchObject({
      offset: bytes(partial).length,
      lines: 4,
      midLine: true,
      heldBytes: 0,
    });
  });

  it("reads a plain file of many read chunks whole: lines across chunk ends, one longer than a chunk, the last held back", async () => {
    // Prepare: 1.5 MiB (the plain file is read 256 KiB at a time into one reused buffer) of numbered lines of
    // varied length, so lines cross every chunk end; a 300 KiB line spans a whole chunk without a line feed; the
    // last line is unterminated (held back: the file may still be being written)
    const lines: string[] = [];
    for (let n = 0; lines.join("\n").length < 1_500_000; n++) {
      lines.push(
        n === 2000 ? `long ${"x".repeat(300 * 1024)} end` : `line ${n} ${"abcdefghij".repeat(n % 37)}`,
      );
    }
    const partial = "being written";
    await writeFile(join(dir, "big.log"), `${lines.join("\n")}\n${partial}`);
    // Act
    const input = await fileInput(join(dir, "big.log"), { maxLineBytes: 1 << 20 });
    const read = await readAll(input.read(START));
    await input.close();
    // Assess
    expect(read.lines).toEqual(lines);
    expect(read.end).toMatchObject({ lines: lines.length, midLine: false, heldBytes: partial.length });
  });

  it("reads a plain file from an offset, with line numbers going on, and tells a file shorter than the offset", async () => {
    // Prepare
    const path = join(dir, "access.log");
    await writeFile(path, TEXT);
    const second = bytes(`${LOG[0]}\n`).length;
    // Act
    const input = await fileInput(path, { maxLineBytes: 1 << 20 });
    const rest = await readAll(input.read({ offset: second, lines: 1, skipRestOfLine: false }));
    const beyond = await readAll(input.read({ offset: 10_000, lines: 50, skipRestOfLine: false }));
    await input.close();
    // Assess
    expect(rest.lines).toEqual(LOG.slice(1));
    expect(rest.end).toMatchObject({ offset: bytes(TEXT).length, lines: 2, shorter: false });
    expect(beyond.lines).toEqual([]);
    expect(beyond.end).toMatchObject({ offset: 10_000, lines: 0, shorter: true });
  });

  it("fails for a missing file and a directory with messages that name the path", async () => {
    // Prepare
    const missing = join(dir, "nope.log");
    // Act / Assess
    await expect(fileInput(missing, { maxLineBytes: 1024 })).rejects.toThrow(
      `input file "${missing}" does not exist`,
    );
    await expect(fileInput(dir, { maxLineBytes: 1024 })).rejects.toThrow(
      `input "${dir}" is a directory, not a log file`,
    );
  });

  it("reports corrupt gzip data by input name without echoing content", async () => {
    // Prepare: a gzip member cut short
    const path = join(dir, "broken.gz");
    const gz = gzipSync(TEXT);
    await writeFile(path, gz.subarray(0, gz.length - 10));
    const input = await fileInput(path, { maxLineBytes: 1 << 20 });
    // Act
    const reading = readAll(input.read(START));
    // Assess
    await expect(reading).rejects.toThrow('cannot read input "broken.gz": corrupt or truncated gzip data');
    await expect(reading).rejects.not.toThrow(/203\.0\.113/);
    await input.close();
  });
});

/** The first two lines of a log, compressed with bzip2 and zstd (test/fixtures/compressed/README.md). */
const COMPRESSED = new URL("../../../fixtures/compressed/", import.meta.url);

describe("fileInput, bzip2 and zstd", () => {
  it.each([
    ["access.log.bz2", "bzip2"],
    ["two-streams.log.bz2", "bzip2"],
    ["access.log.zst", "zstd"],
    ["two-frames.log.zst", "zstd"],
  ])(
    "reads %s as the same lines and stream as the plain log, by its magic bytes whatever its name",
    async (fixture, kind) => {
      // Prepare: the compressed file under a plain log's name, and the plain log
      const path = join(dir, "renamed.log");
      await writeFile(path, await readFile(new URL(fixture, COMPRESSED)));
      await writeFile(join(dir, "plain.log"), `${LOG.slice(0, 2).join("\n")}\n`);
      // Act
      const input = await fileInput(path, { maxLineBytes: 1 << 20 });
      const plain = await fileInput(join(dir, "plain.log"), { maxLineBytes: 1 << 20 });
      const head = await input.head();
      const plainHead = await plain.head();
      const read = await readAll(input.read(START));
      await input.close();
      await plain.close();
      // Assess
      expect(input.kind).toBe(kind);
      expect(read.lines).toEqual(LOG.slice(0, 2));
      expect(head?.idAt(1)).toBe(plainHead?.idAt(1));
    },
  );

  it.each([
    ["access.log.bz2", "bzip2"],
    ["access.log.zst", "zstd"],
  ])(
    "reports %s cut short as corrupt %s data, by input name, without echoing content",
    async (fixture, kind) => {
      // Prepare
      const bytes = await readFile(new URL(fixture, COMPRESSED));
      const path = join(dir, `cut-${fixture}`);
      await writeFile(path, bytes.subarray(0, bytes.length - 12));
      const input = await fileInput(path, { maxLineBytes: 1 << 20 });
      // Act
      const reading = readAll(input.read(START));
      // Assess
      await expect(reading).rejects.toThrow(
        `cannot read input "cut-${fixture}": corrupt or truncated ${kind} data`,
      );
      await expect(reading).rejects.not.toThrow(/203\.0\.113/);
      await input.close();
    },
  );
});

describe("contentFrom", () => {
  it("drops the bytes before the offset even when chunks split anywhere", async () => {
    // Prepare
    const all = bytes(TEXT);
    const cut = bytes(`${LOG[0]}\n`).length;
    // Act
    const read = await readAll(
      contentFrom(
        chunksOf(all.subarray(0, 7), all.subarray(7, cut + 3), all.subarray(cut + 3)),
        0,
        { offset: cut, lines: 1, skipRestOfLine: false },
        true,
        1 << 20,
      ),
    );
    // Assess
    expect(read.lines).toEqual(LOG.slice(1));
    expect(read.end.offset).toBe(all.length);
  });

  it("skips the rest of a line the checkpoint ended inside (it was counted as it was), then reads on", async () => {
    // Prepare: the checkpoint ended 10 bytes into the second line
    const all = bytes(TEXT);
    const inside = bytes(`${LOG[0]}\n`).length + 10;
    // Act
    const read = await readAll(
      contentFrom(chunksOf(all), 0, { offset: inside, lines: 2, skipRestOfLine: true }, true, 1 << 20),
    );
    const stillInside = await readAll(
      contentFrom(
        chunksOf(all.subarray(0, inside + 5)),
        0,
        { offset: inside, lines: 2, skipRestOfLine: true },
        false,
        1 << 20,
      ),
    );
    // Assess
    expect(read.lines).toEqual([LOG[2]]);
    expect(read.end).toMatchObject({ offset: all.length, lines: 1, midLine: false });
    expect(stillInside.lines).toEqual([]);
    expect(stillInside.end).toMatchObject({ offset: inside + 5, lines: 0, midLine: true });
  });

  it("hands out a too-long unterminated line of a growing input rather than holding it whole", async () => {
    // Prepare: 3 KiB without a terminator, with a 1 KiB line limit
    const long = "x".repeat(3072);
    // Act
    const read = contentFrom(chunksOf(long.slice(0, 1500), long.slice(1500)), 0, START, false, 1024);
    let handedOut = 0;
    for await (const chunk of read.chunks) handedOut += chunk.length;
    // Assess
    expect(handedOut).toBe(3072);
    expect(read.end()).toMatchObject({ offset: 3072, lines: 1, midLine: true, heldBytes: 0 });
  });
});

describe("stream heads", () => {
  it("start the identity at the first access line: W3C headers and blank lines do not tell logs apart", () => {
    // Prepare: two CloudFront-like logs with the same header lines and different first records
    const header = "#Version: 1.0\n#Fields: date time c-ip\n\n";
    const one = streamHead(bytes(`${header}2026-11-20 10:00:00 203.0.113.1\n`), {
      ended: true,
      complete: true,
    });
    const two = streamHead(bytes(`${header}2026-11-20 10:00:01 203.0.113.2\n`), {
      ended: true,
      complete: true,
    });
    // Act / Assess
    expect(one?.baseLevel).toBe(4);
    expect(one?.idAt(4)).not.toBe(two?.idAt(4));
    expect(one?.idAt(3)).toBe(two?.idAt(3));
  });

  it("keep a growing log's id as it grows, and wait while its first line is incomplete", () => {
    // Prepare / Act
    const early = streamHead(bytes(`${LOG[0]}\n`), { ended: true, complete: false });
    const grown = streamHead(bytes(TEXT), { ended: true, complete: false });
    const unfinished = streamHead(bytes(LOG[0] ?? ""), { ended: true, complete: false });
    const finishedPipe = streamHead(bytes(LOG[0] ?? ""), { ended: true, complete: true });
    // Assess
    expect(grown?.idAt(1)).toBe(early?.idAt(1));
    expect(unfinished).toBeNull();
    expect(finishedPipe?.idAt(1)).toMatch(/^[0-9a-f]{16}$/);
    expect(streamIdOfContent(bytes(TEXT))).toBe(grown?.idAt(1));
  });

  it("mark each line of the first 16 KiB, chained, so a copy agrees line for line and another log parts at its first different line", () => {
    // Prepare
    const other = `${LOG[0]}\n${LOG[2]}\n${LOG[1]}\n`;
    const a = streamHead(bytes(TEXT), { ended: true, complete: true });
    const b = streamHead(bytes(other), { ended: true, complete: true });
    const big = streamHead(bytes(`${"x".repeat(100)}\n`.repeat(400)), { ended: true, complete: true });
    // Act
    const aMarks = a?.marksUpTo(Number.MAX_SAFE_INTEGER) ?? [];
    const bMarks = b?.marksUpTo(Number.MAX_SAFE_INTEGER) ?? [];
    // Assess
    expect(aMarks).toHaveLength(3);
    expect(bMarks[0]).toBe(aMarks[0]);
    expect(bMarks[1]).not.toBe(aMarks[1]);
    expect(a?.marksUpTo(bytes(`${LOG[0]}\n`).length)).toEqual(aMarks.slice(0, 1));
    expect(big?.marksUpTo(Number.MAX_SAFE_INTEGER)).toHaveLength(Math.floor((16 * 1024) / 101));
  });
});

describe("streamInput", () => {
  it("reads standard input once: the head is buffered, then the rest follows it", async () => {
    // Prepare: gzip magic split over two chunks is the adapter's business (gzip.ts); here the head is 64 KiB
    const lines = Array.from({ length: 2000 }, (_, i) => `${LOG[0]} #${i}`);
    const input = streamInput(
      chunksOf(`${lines.slice(0, 1000).join("\n")}\n`, `${lines.slice(1000).join("\n")}\n`),
      {
        complete: true,
        maxLineBytes: 1 << 20,
      },
    );
    // Act
    const head = await input.head();
    const read = await readAll(input.read(START));
    // Assess
    expect(head?.idAt(1)).toMatch(/^[0-9a-f]{16}$/);
    expect(read.lines).toEqual(lines);
    expect(() => input.read(START)).toThrow(/read only once/);
  });
});
