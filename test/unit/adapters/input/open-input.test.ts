import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openLocalInput } from "../../../../functions/adapters/input/open-input.ts";
import { type RawLine, splitLines } from "../../../../functions/core/ingest/lines.ts";

/** The same two lines as LOG, compressed with bzip2 and zstd (README.md there). */
const COMPRESSED = new URL("../../../fixtures/compressed/", import.meta.url);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-input-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(chunks: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: RawLine[] = [];
  for await (const line of splitLines(chunks, 1 << 20)) out.push(line);
  return out.map((l) => l.text);
}

const LOG = [
  '203.0.113.9 - - [20/Nov/2026:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5"',
  '2001:db8::7 - - [20/Nov/2026:13:55:37 +0000] "GET /é HTTP/1.1" 404 0 "-" "Mozilla/5.0"',
];

describe("openLocalInput", () => {
  it("reads a gzip file and the same log uncompressed as the same lines", async () => {
    // Prepare
    const text = `${LOG.join("\n")}\n`;
    await writeFile(join(dir, "access.log"), text);
    await writeFile(join(dir, "access.log.gz"), gzipSync(text));
    // Act
    const plain = await openLocalInput(join(dir, "access.log"));
    const gz = await openLocalInput(join(dir, "access.log.gz"));
    // Assess
    expect(await lines(plain.chunks)).toEqual(LOG);
    expect(await lines(gz.chunks)).toEqual(LOG);
  });

  it("detects gzip by its magic bytes, not by the file name, and reads every member of a multi-member gzip", async () => {
    // Prepare: two gzip members concatenated (as `cat a.gz b.gz`), named like a plain log
    const path = join(dir, "rotated.log");
    await writeFile(path, Buffer.concat([gzipSync(`${LOG[0]}\n`), gzipSync(`${LOG[1]}\n`)]));
    // Act
    const input = await openLocalInput(path);
    // Assess
    expect(await lines(input.chunks)).toEqual(LOG);
  });

  it("reads a CRLF file without carriage returns in the lines", async () => {
    // Prepare
    const path = join(dir, "windows.log");
    await writeFile(path, `${LOG.join("\r\n")}\r\n`);
    // Act
    const input = await openLocalInput(path);
    // Assess
    expect(await lines(input.chunks)).toEqual(LOG);
  });

  it("gives the same content the same 16-hex id from any path, and other content another id", async () => {
    // Prepare
    const text = `${LOG.join("\n")}\n`;
    await mkdir(join(dir, "elsewhere"));
    await writeFile(join(dir, "a.log"), text);
    await writeFile(join(dir, "elsewhere", "b.log"), text);
    await writeFile(join(dir, "c.log"), `${text}one more line\n`);
    // Act
    const a = await openLocalInput(join(dir, "a.log"));
    const b = await openLocalInput(join(dir, "elsewhere", "b.log"));
    const c = await openLocalInput(join(dir, "c.log"));
    // Assess
    expect(a.inputId).toMatch(/^[0-9a-f]{16}$/);
    expect(b.inputId).toBe(a.inputId);
    expect(c.inputId).not.toBe(a.inputId);
    expect(a.name).toBe("a.log");
    expect(a.sizeBytes).toBe(Buffer.byteLength(text));
  });

  it("derives the id from the size and the first 64 KiB of the stored bytes", async () => {
    // Prepare: two files that differ only after the first 64 KiB but have the same size
    const head = "x".repeat(64 * 1024);
    await writeFile(join(dir, "one.log"), `${head}AAAA\n`);
    await writeFile(join(dir, "two.log"), `${head}BBBB\n`);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(head.length + 5));
    const expected = createHash("sha256")
      .update("file\0")
      .update(size)
      .update(head)
      .digest("hex")
      .slice(0, 16);
    // Act
    const one = await openLocalInput(join(dir, "one.log"));
    const two = await openLocalInput(join(dir, "two.log"));
    // Assess
    expect(one.inputId).toBe(expected);
    expect(two.inputId).toBe(expected);
  });

  it("fails for a missing file with a message that names the path and says it does not exist", async () => {
    // Prepare
    const path = join(dir, "nope.log");
    // Act
    const opening = openLocalInput(path);
    // Assess
    await expect(opening).rejects.toThrow(`input file "${path}" does not exist`);
  });

  it("fails for a directory with a clear message", async () => {
    // Prepare / Act
    const opening = openLocalInput(dir);
    // Assess
    await expect(opening).rejects.toThrow(`input "${dir}" is a directory, not a log file`);
  });

  it("reports corrupt gzip data by input name without echoing content", async () => {
    // Prepare: a gzip member cut short
    const path = join(dir, "broken.gz");
    const gz = gzipSync(`${LOG.join("\n")}\n`);
    await writeFile(path, gz.subarray(0, gz.length - 10));
    const input = await openLocalInput(path);
    // Act
    const reading = lines(input.chunks);
    // Assess
    await expect(reading).rejects.toThrow('cannot read input "broken.gz": corrupt or truncated gzip data');
    await expect(reading).rejects.not.toThrow(/203\.0\.113/);
  });

  it.each([
    ["access.log.bz2", "bzip2"],
    ["two-streams.log.bz2", "bzip2, one stream per line"],
    ["access.log.zst", "zstd"],
    ["two-frames.log.zst", "zstd, one frame per line"],
  ])("reads %s (%s), recognized by its magic bytes whatever its name", async (fixture) => {
    // Prepare: the compressed file under a plain log's name
    const path = join(dir, "renamed.log");
    await writeFile(path, await readFile(new URL(fixture, COMPRESSED)));
    // Act
    const input = await openLocalInput(path);
    // Assess
    expect(await lines(input.chunks)).toEqual(LOG);
  });

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
      const input = await openLocalInput(path);
      // Act
      const reading = lines(input.chunks);
      // Assess
      await expect(reading).rejects.toThrow(
        `cannot read input "cut-${fixture}": corrupt or truncated ${kind} data`,
      );
      await expect(reading).rejects.not.toThrow(/203\.0\.113/);
    },
  );

  it("reads bzip2 from stdin, its magic bytes split over chunks", async () => {
    // Prepare
    const bz = await readFile(new URL("access.log.bz2", COMPRESSED));
    async function* stdin(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < bz.length; i += 3) yield bz.subarray(i, i + 3);
    }
    // Act
    const input = await openLocalInput("-", { stdinId: "bz-stdin", stdin: stdin() });
    // Assess
    expect(await lines(input.chunks)).toEqual(LOG);
  });

  it("reads stdin ('-') with the id the caller gives, gzip or not", async () => {
    // Prepare
    async function* stdin(): AsyncIterable<Uint8Array> {
      const gz = gzipSync(`${LOG.join("\n")}\n`);
      yield gz.subarray(0, 1); // the magic bytes split over two chunks
      yield gz.subarray(1);
    }
    // Act
    const input = await openLocalInput("-", { stdinId: "access-2026-11-20", stdin: stdin() });
    // Assess
    expect(input).toMatchObject({ inputId: "access-2026-11-20", name: "stdin", sizeBytes: null });
    expect(await lines(input.chunks)).toEqual(LOG);
  });

  it("gives stdin without an id a one-off id, and refuses an id unfit for object keys", async () => {
    // Prepare
    async function* empty(): AsyncIterable<Uint8Array> {}
    // Act
    const first = await openLocalInput("-", { stdin: empty() });
    const second = await openLocalInput("-", { stdin: empty() });
    const badId = openLocalInput("-", { stdinId: "../x", stdin: empty() });
    // Assess
    expect(first.inputId).toMatch(/^stdin-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(second.inputId).not.toBe(first.inputId);
    await expect(badId).rejects.toThrow(/input id is 1 to 64 characters/);
  });
});
