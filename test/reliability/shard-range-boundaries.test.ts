import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileInput } from "../../functions/adapters/input/resumable-input.ts";
import type { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { type LocalLogsieve, localCheckpointBook, openLocal } from "../../functions/apps/ingest/local.ts";
import { workerSharding } from "../../functions/apps/ingest/shard-pool.ts";
import { ingestResumable } from "../../functions/core/ingest/resume.ts";
import type { Sharding } from "../../functions/core/ingest/shards.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { objectHashes } from "../helpers/object-hashes.ts";

/**
 * A plain file's shards are read by the threads that ingest them, each its byte range of the file
 * (core/ingest/shards.ts cuts, apps/ingest/shard-pool.ts and adapters/input/resumable-input.ts `readFileRange`
 * read). The log here is built so that its shard bounds fall on every awkward place — a line starting on the bound,
 * the LF of a line on it, CR and LF on both sides of it, a multi-byte character across it, a line longer than a
 * shard over two bounds (a shard with no line), blank lines and a malformed line on it — and every line must be in
 * the lake exactly once under its own line number (security/ for records, rejects/ for the rest), on two workers
 * and on one thread; and the objects must be those of the same log read as pushed bytes (its gzip copy: the
 * reader decompresses it and hands each shard its bytes), key for key and byte for byte.
 */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SITE = "example.com";
const SHARD = 64 * 1024;
const config = { sites: [SITE], ingest: { rowsPerPart: 1000, maxLineBytes: 32 * 1024 } };

let dir: string;
let log: string;
/** Line numbers (1-based) of the lines that are not blank: each must be in the lake once. */
let expectedLineNumbers: number[];
/** Where each shard's first line starts, by the rule (a line belongs to the shard where it starts). */
let expectedShardStarts: number[];

/** The start of line `i` up to its path's pad. */
function headOf(i: number): string {
  const minute = String(i % 60).padStart(2, "0");
  const hour = String(8 + ((i >> 6) % 3)).padStart(2, "0");
  return `198.51.100.${i % 200} - - [21/Nov/2026:${hour}:${minute}:07 +0000] "GET /p/${i}/`;
}

const headBytes = (i: number): number => Buffer.byteLength(headOf(i));

/** A combined log line of exactly `length` bytes (terminator included), its path padded. */
function lineOf(i: number, length: number, end = "\n", pad = "x"): string {
  const head = headOf(i);
  const tail = ` HTTP/1.1" 200 ${i % 900} "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"${end}`;
  const padBytes = length - Buffer.byteLength(head) - Buffer.byteLength(tail);
  if (padBytes < 0) throw new Error(`a line of ${length} bytes is too short for line ${i}`);
  const unit = Buffer.byteLength(pad);
  return `${head}${pad.repeat(Math.floor(padBytes / unit))}${"y".repeat(padBytes % unit)}${tail}`;
}

/** Appends whole lines until the log is exactly `position` bytes long. */
function fill(out: string[], size: { bytes: number; lines: number }, position: number): void {
  const push = (text: string) => {
    out.push(text);
    size.bytes += Buffer.byteLength(text);
    size.lines++;
  };
  const MIN = 260;
  while (position - size.bytes >= 2 * MIN + 80) push(lineOf(size.lines, MIN + (size.lines % 80)));
  const rest = position - size.bytes;
  if (rest < MIN) throw new Error(`cannot fill ${rest} bytes with whole lines`);
  if (rest >= 2 * MIN) {
    push(lineOf(size.lines, Math.floor(rest / 2)));
    push(lineOf(size.lines, rest - Math.floor(rest / 2)));
  } else push(lineOf(size.lines, rest));
}

function awkwardLog(): string[] {
  const out: string[] = [];
  const size = { bytes: 0, lines: 0 };
  const push = (text: string) => {
    out.push(text);
    size.bytes += Buffer.byteLength(text);
    size.lines++;
  };
  let bound = SHARD;
  // 1. a line starts exactly on the bound
  fill(out, size, bound);
  push(lineOf(size.lines, 300));
  // 2. the LF of a line is the bound's byte: the line belongs to the shard before
  bound += SHARD;
  fill(out, size, bound - 299);
  push(lineOf(size.lines, 300));
  // 3. CR right before the bound, LF on it
  bound += SHARD;
  fill(out, size, bound - 299);
  // (a malformed line, kept in rejects/ with its text)
  push(`not a log line ${"x".repeat(300 - 17)}\r\n`);
  // 4. a two-byte character across the bound (its first byte before, its second on it): the line's pad is "é"s,
  //    the 51st of them starts at bound − 1
  bound += SHARD;
  fill(out, size, bound - 1 - headBytes(7) - 2 * 50);
  push(lineOf(7, 600, "\n", "é"));
  // 5. a line longer than a shard over two bounds (the shard between them has no line), rejected as too long
  bound += SHARD;
  fill(out, size, bound - 700);
  push(lineOf(size.lines, SHARD + 1400));
  bound += 2 * SHARD;
  // 6. blank lines on both sides of a bound, then a malformed line starting on the next one
  fill(out, size, bound - 1);
  push("\n");
  push("\n");
  push("\n");
  bound += SHARD;
  fill(out, size, bound);
  push("this is not a log line\n");
  // 7. more shards of ordinary lines (a plain file's last line without LF would be held back as being written)
  fill(out, size, bound + 3 * SHARD + 123);
  return out;
}

async function lake(name: string, threads: number, salts?: string): Promise<LocalLogsieve> {
  const lakeDir = join(dir, name);
  if (salts !== undefined) await cp(join(dir, salts, "salts"), join(lakeDir, "salts"), { recursive: true });
  return openLocal({ lakeDir, config, clock: new FixedClock(NOW), shards: { bytes: SHARD, threads } });
}

/** The line numbers in a zone's rows, sorted (one per row). */
async function lineNumbers(store: LocalObjectStore, zone: string): Promise<number[]> {
  const numbers: number[] = [];
  for await (const info of store.list(`${zone}/`)) {
    if (!info.key.endsWith(".parquet")) continue;
    const body = (await store.get(info.key)) as Uint8Array;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    for (const row of (await parquetReadObjects({ file, columns: ["line_no"] })) as { line_no: unknown }[]) {
      numbers.push(Number(row.line_no));
    }
  }
  return numbers.sort((a, b) => a - b);
}

async function everyLineOnce(logsieve: LocalLogsieve): Promise<void> {
  const numbers = [
    ...(await lineNumbers(logsieve.store, "security")),
    ...(await lineNumbers(logsieve.store, "rejects")),
  ].sort((a, b) => a - b);
  expect(numbers.length).toBe(expectedLineNumbers.length);
  expect(numbers).toEqual(expectedLineNumbers);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-range-bounds-"));
  const lines = awkwardLog();
  const bytes = Buffer.from(lines.join(""));
  log = join(dir, "access.log");
  await writeFile(log, bytes);
  expectedLineNumbers = lines.flatMap((line, i) => (line === "\n" ? [] : [i + 1]));
  expectedShardStarts = [];
  let start = 0;
  for (const line of lines) {
    const k = Math.floor(start / SHARD);
    if (expectedShardStarts.length === 0 || Math.floor((expectedShardStarts.at(-1) as number) / SHARD) < k) {
      expectedShardStarts.push(start);
    }
    start += Buffer.byteLength(line);
  }
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("shards read by their own threads, bounds at every awkward place", () => {
  it("the log puts its bounds where intended", async () => {
    const bytes = await readFile(log);
    const byteAt = (offset: number) => bytes[offset];
    expect(byteAt(SHARD - 1)).toBe(10); // 1. a line starts on the bound
    expect(byteAt(2 * SHARD)).toBe(10); // 2. an LF on the bound
    expect([byteAt(3 * SHARD - 1), byteAt(3 * SHARD)]).toEqual([13, 10]); // 3. CR | LF
    expect(bytes.subarray(4 * SHARD - 1, 4 * SHARD + 1).toString()).toBe("é"); // 4. é across the bound
    expect(expectedShardStarts.map((s) => Math.floor(s / SHARD))).not.toContain(5); // 5. an empty shard
    expect(bytes.subarray(7 * SHARD - 1, 7 * SHARD + 2).toString()).toBe("\n\n\n"); // 6. blank lines
    expect(bytes.subarray(8 * SHARD, 8 * SHARD + 4).toString()).toBe("this");
    expect(expectedShardStarts.length).toBeGreaterThanOrEqual(10);
  });

  it("two workers, each reading its ranges of the file: every line once, the ranges those of the rule", async () => {
    // Prepare: the executor's ranges recorded on their way to the workers
    const logsieve = await lake("two-workers", 2);
    const inner = workerSharding({ shardBytes: SHARD, threads: 2, configSource: { config } });
    const ranges: [number, number][] = [];
    const recording: Sharding = {
      shardBytes: SHARD,
      open(context) {
        const executor = inner.open(context);
        const startRange = executor.startRange;
        return {
          start: (job) => executor.start(job),
          ...(startRange === undefined
            ? {}
            : {
                startRange: (job, end) => {
                  ranges.push([job.offset, end]);
                  return startRange(job, end);
                },
              }),
          close: () => executor.close(),
        };
      },
    };
    const input = await fileInput(log, { maxLineBytes: config.ingest.maxLineBytes });

    // Act
    try {
      await ingestResumable(
        input,
        { sharding: recording },
        logsieve.deps,
        localCheckpointBook(logsieve.store, logsieve.clock),
      );
    } finally {
      await input.close();
    }

    // Assess
    expect(ranges.map(([from]) => from)).toEqual(expectedShardStarts);
    expect(ranges.map(([, end]) => end)).toEqual([
      ...expectedShardStarts.slice(1),
      (await readFile(log)).length,
    ]);
    await everyLineOnce(logsieve);
  }, 180_000);

  it("one thread (no worker) reading the ranges itself, and its gzip copy read as pushed bytes: every line once, the same objects", async () => {
    // Act
    const inThread = await lake("one-thread", 1, "two-workers");
    await inThread.ingestFile(log);
    const gz = join(dir, "access.log.1.gz");
    await writeFile(gz, gzipSync(await readFile(log)));
    const pushed = await lake("gzip", 2, "two-workers");
    await pushed.ingestFile(gz);

    // Assess
    await everyLineOnce(inThread);
    await everyLineOnce(pushed);
    const expected = await objectHashes((await lake("two-workers", 2)).store);
    expect(Object.keys(expected).length).toBeGreaterThan(20);
    expect(await objectHashes(inThread.store)).toEqual(expected);
    expect(await objectHashes(pushed.store)).toEqual(expected);
  }, 180_000);
});
