import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../../../functions/adapters/local/object-store.ts";
import {
  ObjectStoreSaltStore,
  saltKey,
} from "../../../../functions/adapters/salt/object-store-salt-store.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../../../functions/ports/object-store.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 9, 30); // 2026-11-20 09:30 UTC
const DAY = "2026-11-20";

/** A random source that gives 32 bytes of `n`, `n+1`, ... so every salt is known and different. */
function countingRandom(start = 1): (n: number) => Uint8Array {
  let next = start;
  return (n) => new Uint8Array(n).fill(next++);
}

/** An object store in memory that counts reads, for the cache tests. */
class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; at: number }>();
  gets = 0;
  constructor(private readonly clock: FixedClock) {}
  async put(key: string, body: Uint8Array, _o?: PutOptions): Promise<void> {
    this.objects.set(key, { body, at: this.clock.now() });
  }
  async putIfAbsent(key: string, body: Uint8Array, _o?: PutOptions): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, { body, at: this.clock.now() });
    return true;
  }
  async get(key: string): Promise<Uint8Array | null> {
    this.gets++;
    return this.objects.get(key)?.body ?? null;
  }
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of [...this.objects.keys()].sort()) {
      const o = this.objects.get(key);
      if (key.startsWith(prefix) && o) yield { key, size: o.body.length, lastModified: o.at };
    }
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-salt-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ObjectStoreSaltStore", () => {
  it("creates a 32-byte salt on first need, stored with its creation time, in a 0600 file", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new LocalObjectStore(join(dir, "lake"));
    const salts = new ObjectStoreSaltStore(store, clock, countingRandom(7));
    // Act
    const salt = await salts.saltForDay(DAY);
    // Assess
    expect(salt).toEqual(new Uint8Array(32).fill(7));
    const stored = JSON.parse(
      new TextDecoder().decode((await store.get("salts/dt=2026-11-20/salt.json")) ?? undefined),
    );
    expect(stored).toEqual({
      createdAt: T0,
      salt: Buffer.from(new Uint8Array(32).fill(7)).toString("base64"),
    });
    expect((await stat(join(dir, "lake", "salts", "dt=2026-11-20", "salt.json"))).mode & 0o777).toBe(0o600);
  });

  it("uses the default random source: 32 bytes that differ between days", async () => {
    // Prepare
    const salts = new ObjectStoreSaltStore(new MemoryStore(new FixedClock(T0)), new FixedClock(T0));
    // Act
    const a = await salts.saltForDay("2026-11-20");
    const b = await salts.saltForDay("2026-11-21");
    // Assess
    expect(a).toHaveLength(32);
    expect(b).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it("keeps the salt stable for 48 hours, in this process and in a fresh one", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new LocalObjectStore(join(dir, "lake"));
    const salts = new ObjectStoreSaltStore(store, clock, countingRandom(1));
    const first = await salts.saltForDay(DAY);
    // Act
    clock.advance(48 * HOUR - 1);
    const later = await salts.saltForDay(DAY);
    const fromAnotherProcess = await new ObjectStoreSaltStore(store, clock, countingRandom(100)).saltForDay(
      DAY,
    );
    // Assess
    expect(later).toEqual(first);
    expect(fromAnotherProcess).toEqual(first);
  });

  it("destroys a salt at exactly 48 hours, not a millisecond before, and creates a new one after", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new LocalObjectStore(join(dir, "lake"));
    const salts = new ObjectStoreSaltStore(store, clock, countingRandom(1));
    const original = await salts.saltForDay(DAY);
    // Act
    clock.set(T0 + 48 * HOUR - 1);
    const before = await salts.destroyExpired(48 * HOUR);
    const stillThere = await store.get(saltKey(DAY));
    clock.set(T0 + 48 * HOUR);
    const at = await salts.destroyExpired(48 * HOUR);
    const gone = await store.get(saltKey(DAY));
    const recreated = await salts.saltForDay(DAY);
    // Assess
    expect(before).toEqual([]);
    expect(stillThere).not.toBeNull();
    expect(at).toEqual([DAY]);
    expect(gone).toBeNull();
    expect(recreated).toEqual(new Uint8Array(32).fill(2));
    expect(recreated).not.toEqual(original);
  });

  it("treats a salt found expired on read as destroyed: deletes it and starts a new one", async () => {
    // Prepare: one process created the salt; another meets it 48 h later, before any sweep
    const clock = new FixedClock(T0);
    const store = new LocalObjectStore(join(dir, "lake"));
    await new ObjectStoreSaltStore(store, clock, countingRandom(1)).saltForDay(DAY);
    clock.advance(48 * HOUR);
    const late = new ObjectStoreSaltStore(store, clock, countingRandom(50));
    // Act
    const salt = await late.saltForDay(DAY);
    // Assess
    expect(salt).toEqual(new Uint8Array(32).fill(50));
    const stored = JSON.parse(new TextDecoder().decode((await store.get(saltKey(DAY))) ?? undefined));
    expect(stored.createdAt).toBe(T0 + 48 * HOUR);
  });

  it("drops a cached salt the moment it expires", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const salts = new ObjectStoreSaltStore(new MemoryStore(clock), clock, countingRandom(1));
    const first = await salts.saltForDay(DAY);
    // Act
    clock.advance(48 * HOUR);
    const next = await salts.saltForDay(DAY);
    // Assess
    expect(first).toEqual(new Uint8Array(32).fill(1));
    expect(next).toEqual(new Uint8Array(32).fill(2));
  });

  it("honours a shorter lifetime from the configuration", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const salts = new ObjectStoreSaltStore(new MemoryStore(clock), clock, countingRandom(1), {
      maxAgeMs: 24 * HOUR,
    });
    await salts.saltForDay(DAY);
    // Act
    clock.advance(24 * HOUR);
    const next = await salts.saltForDay(DAY);
    // Assess
    expect(next).toEqual(new Uint8Array(32).fill(2));
  });

  it("answers repeated calls from memory, without reading the store again", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new MemoryStore(clock);
    const salts = new ObjectStoreSaltStore(store, clock, countingRandom(1));
    // Act
    const all = await Promise.all(Array.from({ length: 500 }, () => salts.saltForDay(DAY)));
    for (let i = 0; i < 500; i++) await salts.saltForDay(DAY);
    // Assess
    expect(store.gets).toBe(1);
    expect(new Set(all).size).toBe(1);
  });

  it("forgets destroyed salts in the cache too", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const salts = new ObjectStoreSaltStore(new MemoryStore(clock), clock, countingRandom(1));
    await salts.saltForDay(DAY);
    clock.advance(30 * HOUR);
    // Act: an operator shortened the lifetime to 24 h; the sweep destroys it
    const destroyed = await salts.destroyExpired(24 * HOUR);
    const after = await salts.saltForDay(DAY);
    // Assess
    expect(destroyed).toEqual([DAY]);
    expect(after).toEqual(new Uint8Array(32).fill(2));
  });

  it("makes two ingesters racing over one lake agree on one salt", async () => {
    // Prepare: two store instances (two processes) with different random sources
    const clock = new FixedClock(T0);
    const root = join(dir, "lake");
    const a = new ObjectStoreSaltStore(new LocalObjectStore(root), clock, countingRandom(10));
    const b = new ObjectStoreSaltStore(new LocalObjectStore(root), clock, countingRandom(20));
    // Act
    const results = await Promise.all([
      a.saltForDay(DAY),
      b.saltForDay(DAY),
      a.saltForDay(DAY),
      b.saltForDay(DAY),
    ]);
    // Assess
    const [first] = results;
    for (const salt of results) expect(salt).toEqual(first);
    expect([10, 20]).toContain(first?.[0]);
  });

  it("destroys only expired days and lists them in order", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new MemoryStore(clock);
    const salts = new ObjectStoreSaltStore(store, clock, countingRandom(1));
    await salts.saltForDay("2026-11-19");
    await salts.saltForDay("2026-11-18");
    clock.advance(20 * HOUR);
    await salts.saltForDay("2026-11-20");
    clock.advance(28 * HOUR);
    // Act
    const destroyed = await salts.destroyExpired(48 * HOUR);
    // Assess
    expect(destroyed).toEqual(["2026-11-18", "2026-11-19"]);
    expect([...store.objects.keys()]).toEqual([saltKey("2026-11-20")]);
  });

  it("refuses a day that is not YYYY-MM-DD", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const salts = new ObjectStoreSaltStore(new MemoryStore(clock), clock);
    // Act / Assess
    await expect(salts.saltForDay("../x")).rejects.toThrow(/YYYY-MM-DD/);
  });

  it("refuses to use a salt object that is not a valid salt, naming its key", async () => {
    // Prepare
    const clock = new FixedClock(T0);
    const store = new MemoryStore(clock);
    await store.put(saltKey(DAY), new TextEncoder().encode('{"createdAt":1,"salt":"c2hvcnQ="}'));
    const salts = new ObjectStoreSaltStore(store, clock);
    // Act / Assess
    await expect(salts.saltForDay(DAY)).rejects.toThrow(
      `the salt object ${saltKey(DAY)} is not a valid salt`,
    );
  });
});
