import { describe, expect, it } from "vitest";
import {
  batchInputId,
  checkpointKey,
  compareMarks,
  decodeCheckpoint,
  encodeCheckpoint,
  fresh,
  lockKey,
} from "../../../../functions/core/ingest/checkpoint.ts";
import {
  CheckpointBook,
  type LockSettings,
  StreamBusyError,
} from "../../../../functions/core/ingest/checkpoint-book.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import { MemoryObjectStore } from "../../../helpers/memory-store.ts";

const STREAM = "0123456789abcdef";
const settings = (owner: string, extra: Partial<LockSettings> = {}): LockSettings => ({
  owner,
  host: "test-host",
  pid: 4242,
  leaseMs: 60_000,
  ...extra,
});

describe("checkpoints as stored", () => {
  it("round-trip, and a damaged one is an error naming its key and what to do (never a silent restart)", () => {
    // Prepare
    const checkpoint = {
      ...fresh(STREAM, { named: false, level: 1, offset: 120, lines: 3 }),
      marks: [STREAM],
    };
    const key = checkpointKey(STREAM);
    // Act
    const back = decodeCheckpoint(key, encodeCheckpoint(checkpoint));
    const notJson = () => decodeCheckpoint(key, new TextEncoder().encode("{"));
    const wrongField = () =>
      decodeCheckpoint(key, encodeCheckpoint({ ...checkpoint, offset: -1 } as typeof checkpoint));
    // Assess
    expect(back).toEqual(checkpoint);
    expect(key).toBe("checkpoints/0123456789abcdef.json");
    expect(notJson).toThrow(/checkpoints\/0123456789abcdef\.json is not JSON; move it away/);
    expect(wrongField).toThrow(/is damaged \(offset\)/);
  });

  it("name a batch's objects after the stream and the offset it starts at", () => {
    expect(batchInputId(STREAM, 0)).toBe("0123456789abcdef-at0");
    expect(batchInputId(STREAM, 671_647)).toBe("0123456789abcdef-at671647");
  });

  it("compare marks over the lines both have: agreement, or the first line that differs", () => {
    expect(compareMarks(["a", "b"], ["a", "b", "c"])).toEqual({ agree: true });
    expect(compareMarks(["a", "b", "c"], ["a"])).toEqual({ agree: true });
    expect(compareMarks(["a", "x", "c"], ["a", "b", "c"])).toEqual({ agree: false, line: 2 });
    expect(compareMarks([], ["a"])).toEqual({ agree: true });
  });
});

describe("stream locks", () => {
  it("in one process: a second reader waits for the first to finish rather than failing", async () => {
    // Prepare
    const book = new CheckpointBook(new MemoryObjectStore(), new FixedClock(0), settings("p1"));
    const order: string[] = [];
    // Act
    const first = await book.acquire(STREAM);
    const second = book.acquire(STREAM).then((lock) => {
      order.push("second acquired");
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    order.push("first releases");
    await first.release();
    await (await second).release();
    // Assess
    expect(order).toEqual(["first releases", "second acquired"]);
  });

  it("across processes: a live holder makes the other fail with who holds it; a gone one is taken over", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const clock = new FixedClock(1_000);
    const holder = new CheckpointBook(store, clock, settings("p1"));
    const other = new CheckpointBook(store, clock, settings("p2", { pid: 5151 }));
    const sameHostDead = new CheckpointBook(store, clock, settings("p3", { isAlive: () => false }));
    // Act
    await holder.acquire(STREAM); // never released: the process was killed
    const busy = await other.acquire(STREAM).catch((error: unknown) => error);
    const takenOver = await sameHostDead.acquire(STREAM);
    // Assess
    expect(busy).toBeInstanceOf(StreamBusyError);
    expect((busy as Error).message).toMatch(/process 4242 on test-host/);
    expect(takenOver.stream).toBe(STREAM);
    await takenOver.release();
    expect(store.keys()).toEqual([]);
  });

  it("another thread of this process (isThisProcess): its lock is waited for, then taken, never refused", async () => {
    // Prepare: two books of one process, as two threads of `logsieve ingest` reading files side by side have.
    const store = new MemoryObjectStore();
    const clock = new FixedClock(1_000);
    const sameProcess = { isThisProcess: (holder: { pid: number }) => holder.pid === 4242 };
    const first = new CheckpointBook(store, clock, settings("thread-1", sameProcess));
    const second = new CheckpointBook(store, clock, settings("thread-2", sameProcess));
    const held = await first.acquire(STREAM);
    // Act
    let taken = false;
    const waiting = second.acquire(STREAM).then((lock) => {
      taken = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const takenWhileHeld = taken;
    await held.release();
    const lock = await waiting;
    // Assess
    expect(takenWhileHeld).toBe(false);
    expect(lock.stream).toBe(STREAM);
    await lock.release();
    expect(store.keys()).toEqual([]);
  });

  it("a lock whose lease ran out is taken over (a Lambda that timed out cannot be asked)", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const clock = new FixedClock(0);
    await new CheckpointBook(store, clock, settings("lambda-a")).acquire(STREAM);
    const later = new CheckpointBook(store, clock, settings("lambda-b"));
    // Act
    clock.set(59_999);
    const tooEarly = await later.acquire(STREAM).catch((error: unknown) => error);
    clock.set(60_000);
    const lock = await later.acquire(STREAM);
    // Assess
    expect(tooEarly).toBeInstanceOf(StreamBusyError);
    expect(lock.stream).toBe(STREAM);
  });

  it("a create whose answer was lost (the store wrote it, the caller got an error) is this run's lock", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const lossy = Object.assign(Object.create(store) as MemoryObjectStore, {
      putIfAbsent: async (key: string, body: Uint8Array) => {
        await store.putIfAbsent(key, body);
        throw new Error("socket hang up");
      },
    });
    const book = new CheckpointBook(lossy, new FixedClock(0), settings("p1"));
    // Act
    const lock = await book.acquire(STREAM);
    // Assess
    expect(store.keys()).toEqual([lockKey(STREAM)]);
    await lock.release();
    expect(store.keys()).toEqual([]);
  });
});
