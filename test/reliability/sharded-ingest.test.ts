import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileInput } from "../../functions/adapters/input/resumable-input.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { type LocalLogsieve, localCheckpointBook, openLocal } from "../../functions/apps/ingest/local.ts";
import { workerSharding } from "../../functions/apps/ingest/shard-pool.ts";
import { ingestResumable } from "../../functions/core/ingest/resume.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import type { ObjectStore } from "../../functions/ports/object-store.ts";
import { objectHashes } from "../helpers/object-hashes.ts";

/**
 * Sharded ingest (core/ingest/shards.ts, apps/ingest/shard-pool.ts): a file larger than one shard is cut by content
 * offset and its shards ingested on worker threads. The reference is always the same file ingested in one piece
 * (a shard larger than the file, so the code path of an unsharded run): the sharded lake must hold the same
 * security and rejects rows and, once aggregated, the same stats/ rows; the same shard size must give the same
 * objects (keys and bytes) on one thread or several; a sharded run stopped in the middle and run again must hold
 * every line once.
 */

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SITE = "example.com";
/** Small shards and parts, so ~0.7 MB of log makes ten shards, each writing several partitions. */
const SHARD = 64 * 1024;
const config = { sites: [SITE], ingest: { rowsPerPart: 1000 } };

let dir: string;
let log: string;
let lineCount: number;
let reference: LakeRows;

interface LakeRows {
  readonly security: readonly string[];
  readonly rejects: readonly string[];
  readonly events: number;
  readonly stats: readonly string[];
}

async function lake(
  name: string,
  shards: { bytes: number; threads: number },
  salts?: string,
): Promise<LocalLogsieve> {
  const lakeDir = join(dir, name);
  if (salts !== undefined) await cp(join(dir, salts, "salts"), join(lakeDir, "salts"), { recursive: true });
  return openLocal({ lakeDir, config, clock: new FixedClock(NOW), shards });
}

/**
 * Every row of a zone but its `input_id`, each as canonical JSON with its partition, sorted: the rows whatever
 * objects hold them.
 */
async function rowsOf(store: LocalObjectStore, zone: string): Promise<string[]> {
  const rows: string[] = [];
  for await (const info of store.list(`${zone}/`)) {
    if (!info.key.endsWith(".parquet")) continue;
    const body = (await store.get(info.key)) as Uint8Array;
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const partition = info.key.slice(0, info.key.lastIndexOf("/") + 1);
    for (const row of (await parquetReadObjects({ file })) as Record<string, unknown>[]) {
      // The input id names the shard a row came from (its key's id): the one column that tells shards apart.
      if (zone === "security") expect(row.input_id).toMatch(/^[0-9a-f]{16}-at\d+$/);
      delete row.input_id;
      rows.push(JSON.stringify([partition, row], (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    }
  }
  return rows.sort();
}

async function lakeRows(logsieve: LocalLogsieve): Promise<LakeRows> {
  await aggregateDays({
    lakeDir: logsieve.lakeDir,
    days: "all",
    config: logsieve.config,
    store: logsieve.store,
    clock: logsieve.clock,
  });
  return {
    security: await rowsOf(logsieve.store, "security"),
    rejects: await rowsOf(logsieve.store, "rejects"),
    events: (await rowsOf(logsieve.store, "events")).length,
    stats: await rowsOf(logsieve.store, "stats"),
  };
}

function failingAfter(store: ObjectStore, allowed: number): ObjectStore {
  let puts = 0;
  return {
    put: async (key, body, options) => {
      if (key.endsWith(".parquet") && ++puts > allowed) throw new Error("injected: the process died here");
      await store.put(key, body, options);
    },
    putIfAbsent: (key, body, options) => store.putIfAbsent(key, body, options),
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-shards-"));
  const lines = [
    ...generateSampleLog({
      seed: 31,
      lines: 3000,
      startMs: NOW - 40 * HOUR,
      spanMs: 36 * HOUR,
      clients: 400,
      malformedShare: 0.01,
    }),
  ];
  lineCount = lines.length;
  log = join(dir, "access.log");
  await writeFile(log, lines.map((l) => `${l}\n`).join(""));
  const onePiece = await lake("one-piece", { bytes: 1 << 30, threads: 2 });
  const summary = await onePiece.ingestFile(log);
  expect(summary.lines + summary.skipped.blank + summary.skipped.directive).toBe(lineCount);
  reference = await lakeRows(onePiece);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sharded ingest", () => {
  it("reference: the file is more than eight shards, and the one-piece lake holds every line", async () => {
    expect((await readFile(log)).length).toBeGreaterThan(8 * SHARD);
    expect(reference.security.length + reference.rejects.length).toBe(lineCount);
    expect(reference.stats.length).toBeGreaterThan(0);
  });

  it("in shards on worker threads: the same security and rejects rows and the same stats/ as in one piece", async () => {
    // Act
    const sharded = await lake("sharded", { bytes: SHARD, threads: 2 });
    const summary = await sharded.ingestFile(log);
    const rows = await lakeRows(sharded);

    // Assess: the objects are the shards' (keys at offsets other than 0), the rows those of one piece
    const keys = Object.keys(await objectHashes(sharded.store));
    const offsets = new Set(keys.map((key) => /-at(\d+)-\d+\.parquet$/.exec(key)?.[1]));
    expect(offsets.size).toBeGreaterThan(8);
    expect(summary.lines + summary.skipped.blank).toBe(lineCount);
    expect(summary.resume.to).toBe((await readFile(log)).length);
    expect(rows).toEqual(reference);
  }, 180_000);

  it("the same shard size gives the same objects, keys and bytes, on one thread, two or three workers", async () => {
    // Prepare: the same day salts in every lake, so events/ can be compared byte for byte
    const inThread = await lake("threads-1", { bytes: SHARD, threads: 1 });
    await inThread.ingestFile(log);
    const expected = await objectHashes(inThread.store);

    // Act
    const results: Record<string, string>[] = [];
    for (const threads of [2, 3]) {
      const other = await lake(`threads-${threads}`, { bytes: SHARD, threads }, "threads-1");
      await other.ingestFile(log);
      results.push(await objectHashes(other.store));
    }

    // Assess
    expect(Object.keys(expected).length).toBeGreaterThan(20);
    for (const objects of results) expect(objects).toEqual(expected);
  }, 180_000);

  it("a gzip file is decompressed once and sharded: the same rows as the plain file in one piece", async () => {
    // Prepare
    const gz = join(dir, "access.log.1.gz");
    await writeFile(gz, gzipSync(await readFile(log)));

    // Act
    const sharded = await lake("gzip", { bytes: SHARD, threads: 2 });
    await sharded.ingestFile(gz);

    // Assess
    expect(await lakeRows(sharded)).toEqual(reference);
  }, 180_000);

  it.each([
    ["the same shard size", SHARD],
    ["another shard size", SHARD * 3],
  ])(
    "a sharded run stopped after some objects, run again with %s: every line once",
    async (_name, retryShard) => {
      // Prepare
      const name = `crash-${retryShard}`;
      const first = await lake(name, { bytes: SHARD, threads: 2 });
      const store = new LocalObjectStore(first.lakeDir);
      const input = await fileInput(log, { maxLineBytes: first.config.ingest.maxLineBytes });

      // Act: the run dies after storing 12 objects (several shards have written some of theirs), then runs again
      const stopped = ingestResumable(
        input,
        { sharding: workerSharding({ shardBytes: SHARD, threads: 2, configSource: { config } }) },
        { ...first.deps, store: failingAfter(store, 12) },
        localCheckpointBook(store, first.clock),
      );
      await expect(stopped).rejects.toThrow(/injected/);
      await input.close();
      const written = Object.keys(await objectHashes(first.store)).length;
      const again = await lake(name, { bytes: retryShard, threads: 2 });
      const retry = await again.ingestFile(log);

      // Assess
      expect(written).toBeGreaterThanOrEqual(12);
      expect(retry.resume.recovered).toBe(true);
      expect(retry.resume.skippedLines).toBe(0);
      expect(await lakeRows(again)).toEqual(reference);
    },
    180_000,
  );
});
