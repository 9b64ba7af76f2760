import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileInput, readFileRange } from "../../../../functions/adapters/input/resumable-input.ts";
import { splitLineBatches } from "../../../../functions/core/ingest/lines.ts";

/**
 * A shard of a plain file is read by the thread that ingests it (adapters/input/resumable-input.ts
 * `readFileRange`, through the descriptor the file was opened with): it must hand over exactly the bytes
 * `[offset, end)`, whatever the range, in chunks the line splitter can take even though one buffer is reused;
 * and a file cut back below `end` while it was ingested is an error, never a shard with lines missing.
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-range-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  // Copied as they come: the reader reuses its buffer for the next chunk.
  for await (const chunk of chunks) parts.push(new Uint8Array(chunk));
  return new Uint8Array(Buffer.concat(parts));
}

describe("readFileRange", () => {
  it("gives the bytes [offset, end) of the opened file, for every range of a small file", async () => {
    // Prepare
    const text = "a\nbb\r\nccc\n\né€😀\nlast";
    const bytes = new TextEncoder().encode(text);
    const path = join(dir, "small.log");
    await writeFile(path, bytes);
    const input = await fileInput(path, { maxLineBytes: 1024 });
    try {
      const source = input.rangeSource;
      expect(source).toBeDefined();
      for (let offset = 0; offset <= bytes.length; offset++) {
        for (let end = offset; end <= bytes.length; end++) {
          // Act
          const got = await collect(readFileRange(source as { fd: number }, offset, end));

          // Assess
          expect(
            Buffer.from(got).equals(Buffer.from(bytes.subarray(offset, end))),
            `[${offset}, ${end})`,
          ).toBe(true);
        }
      }
    } finally {
      await input.close();
    }
  });

  it("a range of many chunks splits into the same lines as the whole file (one buffer reused between reads)", async () => {
    // Prepare: 800 KB of lines of every length, so lines cross the 256 KiB reads
    const lines: string[] = [];
    for (let i = 0, length = 0; length < 800_000; i++) {
      lines.push(`${i} ${"x".repeat((i * 7919) % 3000)}`);
      length += (lines.at(-1) as string).length + 1;
    }
    const text = `${lines.join("\n")}\n`;
    const path = join(dir, "large.log");
    await writeFile(path, text);
    const input = await fileInput(path, { maxLineBytes: 1 << 20 });
    try {
      // Act
      const got: string[] = [];
      const chunks = readFileRange(input.rangeSource as { fd: number }, 0, Buffer.byteLength(text));
      for await (const batch of splitLineBatches(chunks, 1 << 20)) got.push(...batch.map((l) => l.text));

      // Assess
      expect(got.length).toBe(lines.length);
      expect(got).toEqual(lines);
    } finally {
      await input.close();
    }
  });

  it("a file cut back below the range's end while it is ingested: an error naming where it ends", async () => {
    // Prepare
    const path = join(dir, "cut.log");
    await writeFile(path, "one\ntwo\nthree\n");
    const input = await fileInput(path, { maxLineBytes: 1024 });
    try {
      await truncate(path, 6);

      // Act
      const reading = collect(readFileRange(input.rangeSource as { fd: number }, 4, 14));

      // Assess
      await expect(reading).rejects.toThrow(/ends at byte 6, before byte 14 .*cut back/);
    } finally {
      await input.close();
    }
  });

  it("only a plain file can be read by range: a compressed one is read once, in order", async () => {
    // Prepare
    const path = join(dir, "access.log.1.gz");
    await writeFile(path, gzipSync("one\ntwo\n"));

    // Act
    const input = await fileInput(path, { maxLineBytes: 1024 });

    // Assess
    expect(input.kind).toBe("gzip");
    expect(input.rangeSource).toBeUndefined();
    await input.close();
  });
});
