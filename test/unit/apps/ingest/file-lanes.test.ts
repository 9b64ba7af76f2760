import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../../../functions/adapters/local/object-store.ts";
import { generateSampleLog } from "../../../../functions/apps/demo/sample-log.ts";
import {
  ingestSideBySide,
  type LaneFile,
  LaneQueue,
  sideBySidePlan,
} from "../../../../functions/apps/ingest/file-lanes.ts";
import { localCheckpointBook, openLocal } from "../../../../functions/apps/ingest/local.ts";
import { lockKey } from "../../../../functions/core/ingest/checkpoint.ts";
import { StreamBusyError } from "../../../../functions/core/ingest/checkpoint-book.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";

const MIB = 1024 * 1024;
const SHARD = 32 * MIB;

describe("which files an ingest reads side by side", () => {
  const plan = (sizes: Record<string, number>, files = Object.keys(sizes), threads = 2) =>
    sideBySidePlan(files, new Map(Object.entries(sizes)), { threads, shardBytes: SHARD });

  it("files of at most a shard, largest first; larger files one by one, in the order given", () => {
    const result = plan({ "a.log": 3 * MIB, "big.log": 40 * MIB, "b.log": 9 * MIB, "c.log": 5 * MIB });
    expect(result.oneByOne).toEqual([1]);
    expect(result.sideBySide).toEqual([2, 3, 0]);
  });

  it("none on one thread, for a single small file, or for small files of a quarter of a shard in all", () => {
    expect(plan({ "a.log": 9 * MIB, "b.log": 9 * MIB }, undefined, 1).sideBySide).toEqual([]);
    expect(plan({ "a.log": 9 * MIB, "big.log": 40 * MIB }).sideBySide).toEqual([]);
    expect(plan({ "a.log": 4 * MIB, "b.log": 4 * MIB }).sideBySide).toEqual([]);
    expect(plan({ "a.log": 4 * MIB, "b.log": 4 * MIB + 1 }).sideBySide).toEqual([1, 0]);
  });

  it("standard input is read on its own, in its place among the others", () => {
    const result = plan({ "a.log": 9 * MIB, "b.log": 9 * MIB }, ["a.log", "-", "b.log"]);
    expect(result.oneByOne).toEqual([1]);
    expect(result.sideBySide).toEqual([0, 2]);
  });
});

describe("the files two lanes read at once", () => {
  const files = (...mib: number[]): LaneFile[] =>
    mib.map((size, index) => ({ path: `f${index}.log`, index, bytes: size * MIB }));
  /** Two lanes that each read their file until told it is done: the order files are handed out and what was read together. */
  async function handOut(queue: LaneQueue, lanes = 2) {
    const order: number[] = [];
    const together: number[][] = [];
    const reading = new Set<number>();
    const lane = async () => {
      for (let file = await queue.take(); file !== undefined; file = await queue.take()) {
        order.push(file.index);
        reading.add(file.index);
        together.push([...reading].sort((a, b) => a - b));
        // A file is read for a few turns, longer the larger it is.
        for (let turn = 0; turn < file.bytes / MIB; turn++)
          await new Promise((resolve) => setImmediate(resolve));
        reading.delete(file.index);
        queue.done(file);
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    return { order, together };
  }

  it("puts small files beside the largest, not the next largest, when both would hold more than a shard", async () => {
    // Prepare: largest first, as the plan orders them (vhosts' largest: 31.6 and 18.3 MiB, then smaller)
    const queue = new LaneQueue(files(31, 18, 1, 1, 1), SHARD);

    // Act
    const { order, together } = await handOut(queue);

    // Assess: the 18 MiB file never runs beside the 31 MiB one; the small ones do; every file once
    expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(order.slice(0, 2)).toEqual([0, 2]);
    expect(together).not.toContainEqual([0, 1]);
    expect(together).toContainEqual([0, 2]);
  });

  it("reads files that do not fit two by two one at a time, and each file alone even when larger than the budget", async () => {
    const { together } = await handOut(new LaneQueue(files(25, 25, 25), SHARD));
    expect(together).toEqual([[0], [1], [2]]);
    const alone = await handOut(new LaneQueue(files(40, 2), SHARD));
    expect(alone.order).toEqual([0, 1]);
    expect(alone.together).toEqual([[0], [1]]);
  });

  it("hands out nothing more once stopped, and lanes waiting for room end", async () => {
    const queue = new LaneQueue(files(20, 20, 5), SHARD);
    const first = await queue.take();
    const second = await queue.take();
    const waiting = queue.take();
    queue.stop();
    expect([first?.index, second?.index]).toEqual([0, 2]);
    expect(await waiting).toBeUndefined();
  });
});

describe("local stream locks of this process", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-locks-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const STREAM = "00112233445566778899aabbccddeeff";
  const lockOf = (acquiredAt: number, pid = process.pid) =>
    new TextEncoder().encode(
      JSON.stringify({ owner: "x-1", host: hostname(), pid, acquiredAt, expiresAt: Date.now() + 3_600_000 }),
    );

  it("a lock with this process's id taken before it started is an earlier process's: taken over at once", async () => {
    // A container's command often has the same process id every time it starts; the run killed before left this.
    const store = new LocalObjectStore(dir);
    await store.put(lockKey(STREAM), lockOf(Date.now() - 86_400_000));
    const lock = await localCheckpointBook(store, new FixedClock(Date.now())).acquire(STREAM);
    expect(lock.stream).toBe(STREAM);
    await lock.release();
  });

  it("a lock another thread of this process holds is waited for; another live process's is refused", async () => {
    const store = new LocalObjectStore(dir);
    await store.put(lockKey(STREAM), lockOf(Date.now()));
    const book = localCheckpointBook(store, new FixedClock(Date.now()));
    let taken = false;
    const waiting = book.acquire(STREAM).then((lock) => {
      taken = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(taken).toBe(false);
    await store.delete(lockKey(STREAM)); // the other thread released it
    const lock = await waiting;
    expect(lock.stream).toBe(STREAM);
    await lock.release();

    // The parent process (alive, another id): refused with who holds it.
    await store.put(lockKey(STREAM), lockOf(Date.now(), process.ppid));
    const busy = await book.acquire(STREAM).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(StreamBusyError);
  });

  it("the locks of a thread that died are released by owner: a reader waiting for one takes it, other locks stay", async () => {
    // Prepare: a worker's book (its owner chosen by the thread that starts it) holding two streams, another thread's
    // one, and a third reader of this process waiting for one of the worker's
    const store = new LocalObjectStore(dir);
    const clock = new FixedClock(Date.now());
    const other = "ffeeddccbbaa99887766554433221100";
    const third = "0f0e0d0c0b0a09080706050403020100";
    const worker = localCheckpointBook(store, clock, "lane-worker-1");
    await worker.acquire(STREAM);
    await worker.acquire(third);
    const alive = await localCheckpointBook(store, clock).acquire(other);
    let taken = false;
    const waiting = localCheckpointBook(store, clock)
      .acquire(STREAM)
      .then((lock) => {
        taken = true;
        return lock;
      });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const before = taken;

    // Act: the worker is gone without releasing anything; the thread that started it releases its locks
    const released = await localCheckpointBook(store, clock).releaseLocksOf("lane-worker-1");

    // Assess
    expect(before).toBe(false);
    expect(released.sort()).toEqual([third, STREAM].sort());
    const lock = await waiting;
    expect(lock.stream).toBe(STREAM);
    expect(await store.get(lockKey(other))).not.toBeNull();
    expect(await store.get(lockKey(third))).toBeNull();
    await lock.release();
    await alive.release();
  });
});

describe("files side by side, one of them failing", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-lanes-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the files being read finish and are stored; then the first failure is the command's", async () => {
    // Prepare: three logs, the second gone by the time it is read (deleted after the command checked it).
    const now = Date.now();
    const paths = [0, 1, 2].map((k) => join(dir, `site-${k}.access.log`));
    for (const [k, path] of paths.entries()) {
      const lines = generateSampleLog({
        seed: 40 + k,
        lines: 300,
        startMs: now - 6 * 3_600_000,
        spanMs: 3_600_000,
        clients: 30,
        malformedShare: 0,
      });
      await writeFile(path, `${[...lines].join("\n")}\n`);
    }
    await rm(paths[1] as string);
    const logsieve = await openLocal({ lakeDir: join(dir, "lake"), shards: { threads: 2 } });
    const done: number[] = [];

    // Act
    const result = await ingestSideBySide(
      logsieve,
      paths.map((path, index) => ({ path, index, bytes: 30_000 })),
      {
        threads: 2,
        shardBytes: SHARD,
        configSource: {},
        formatSpec: undefined,
        formatOption: undefined,
        site: undefined,
      },
      (index) => done.push(index),
    ).catch((error: unknown) => error);

    // Assess: the missing file is the error, named; what was being read when it failed was stored whole.
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain("site-1.access.log");
    expect(done).not.toContain(1);
    expect(done).toContain(0);
    const stored = [];
    for await (const object of logsieve.store.list("security/")) stored.push(object.key);
    expect(stored.length).toBeGreaterThan(0);
    for (const index of done) {
      const again = await logsieve.ingestFile(paths[index] as string);
      expect(again.resume.status).toBe("already-read");
    }
  }, 60_000);
});
