import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore, TEMP_PREFIX } from "../../../../functions/adapters/local/object-store.ts";
import type { ObjectInfo } from "../../../../functions/ports/object-store.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-store-"));
  root = join(dir, "lake");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keys(store: LocalObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of store.list(prefix)) out.push(info.key);
  return out;
}

describe("LocalObjectStore basics", () => {
  it("stores, replaces and reads objects, and answers null for a missing one", async () => {
    // Prepare
    const store = new LocalObjectStore(root);
    // Act
    await store.put("events/dt=2026-11-20/a-0000.parquet", bytes("one"));
    await store.put("events/dt=2026-11-20/a-0000.parquet", bytes("two"));
    // Assess
    expect(text(await store.get("events/dt=2026-11-20/a-0000.parquet"))).toBe("two");
    expect(await store.get("events/dt=2026-11-20/missing.parquet")).toBeNull();
    expect(await store.get("events")).toBeNull(); // a folder is not an object
  });

  it("creates files 0600 and folders 0700, the root included", async () => {
    // Prepare
    const store = new LocalObjectStore(root);
    // Act
    await store.put("security/dt=2026-11-20/hour=13/x.parquet", bytes("secret"));
    await store.putIfAbsent("salts/dt=2026-11-20/salt.json", bytes("{}"));
    // Assess
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(root)).toBe(0o700);
    expect(await mode(join(root, "security"))).toBe(0o700);
    expect(await mode(join(root, "security/dt=2026-11-20/hour=13"))).toBe(0o700);
    expect(await mode(join(root, "security/dt=2026-11-20/hour=13/x.parquet"))).toBe(0o600);
    expect(await mode(join(root, "salts/dt=2026-11-20/salt.json"))).toBe(0o600);
  });

  it("deletes objects, ignores missing ones, and removes the folders left empty but not the root", async () => {
    // Prepare
    const store = new LocalObjectStore(root);
    await store.put("stats/pages/dt=2026-11-20/p.parquet", bytes("x"));
    await store.put("stats/keep.txt", bytes("y"));
    // Act
    await store.delete("stats/pages/dt=2026-11-20/p.parquet");
    await store.delete("stats/pages/dt=2026-11-20/p.parquet");
    await store.delete("nothing/here");
    // Assess
    expect(await readdir(join(root, "stats"))).toEqual(["keep.txt"]);
    await store.delete("stats/keep.txt");
    expect(await readdir(root)).toEqual([]);
  });

  it.each([
    ["../outside", /'\.' or '\.\.' segment/],
    ["events/../../outside", /'\.' or '\.\.' segment/],
    ["./a", /'\.' or '\.\.' segment/],
    ["/etc/passwd", /absolute/],
    ["a\\b", /backslash/],
    ["a\0b", /NUL/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["", /empty/],
    ["C:/x", /drive letter/],
    [`a/${TEMP_PREFIX}x`, /reserved/],
  ])("refuses the key %j", async (key, why) => {
    // Prepare
    const store = new LocalObjectStore(root);
    // Act / Assess
    await expect(store.put(key, bytes("x"))).rejects.toThrow(why);
    await expect(store.get(key)).rejects.toThrow(/invalid object key/);
    await expect(store.delete(key)).rejects.toThrow(/invalid object key/);
    expect(await readdir(dir)).toEqual([]); // nothing was written anywhere
  });

  it("refuses a list prefix that climbs out of the root", async () => {
    // Prepare
    const store = new LocalObjectStore(root);
    // Act
    const listing = keys(store, "../");
    // Assess
    await expect(listing).rejects.toThrow(/invalid object key prefix/);
  });
});

describe("LocalObjectStore atomicity", () => {
  it("never shows a reader a partly written object", async () => {
    // Prepare: two 1 MiB versions written over each other while readers poll
    const store = new LocalObjectStore(root);
    const a = Buffer.alloc(1 << 20, 0x61);
    const b = Buffer.alloc(1 << 20, 0x62);
    await store.put("k", a);
    let writing = true;
    const seen = new Set<string>();
    const readers = Array.from({ length: 3 }, async () => {
      while (writing) {
        const got = await store.get("k");
        const whole = got === null ? null : Buffer.from(got.buffer, got.byteOffset, got.byteLength);
        seen.add(whole?.equals(a) ? "a" : whole?.equals(b) ? "b" : "partial");
      }
    });
    // Act
    for (let i = 0; i < 20; i++) await store.put("k", i % 2 === 0 ? b : a);
    writing = false;
    await Promise.all(readers);
    // Assess
    expect(seen.has("partial")).toBe(false);
    expect(seen.size).toBeGreaterThan(0);
  });

  it("lets exactly one of many racing putIfAbsent calls (two store instances) win, keeping the winner's bytes", async () => {
    // Prepare
    const first = new LocalObjectStore(root);
    const second = new LocalObjectStore(root);
    // Act
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 === 0 ? first : second).putIfAbsent("salts/x", bytes(`body-${i}`)),
      ),
    );
    // Assess
    const winners = results.flatMap((won, i) => (won ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(text(await first.get("salts/x"))).toBe(`body-${winners[0]}`);
    expect(await first.putIfAbsent("salts/x", bytes("late"))).toBe(false);
    expect(text(await second.get("salts/x"))).toBe(`body-${winners[0]}`);
    expect((await readdir(join(root, "salts"))).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  });
});

// The same listing whether the folders are read through libuv's pool or, on an ingest thread, in synchronous calls.
describe.each([
  ["through libuv's pool", {}],
  ["on the calling thread (inThread)", { inThread: true }],
])("LocalObjectStore.list %s", (_mode, options) => {
  it("lists recursively in key order, where a folder's keys sort as S3 would sort them", async () => {
    // Prepare: '-' (0x2d) and '.' (0x2e) sort before '/' (0x2f), '0' (0x30) after it
    const store = new LocalObjectStore(root, options);
    const all = ["a-b", "a.b", "a/x", "a/y/z", "a0", "b", "events/dt=2026-11-20/p-0001.parquet"];
    for (const key of [...all].reverse()) await store.put(key, bytes(key));
    // Act
    const listed = await keys(store, "");
    // Assess
    expect(listed).toEqual([...all].sort());
    expect(listed).toEqual(all);
  });

  it("filters by prefix, including a prefix that ends inside a name", async () => {
    // Prepare
    const store = new LocalObjectStore(root, options);
    for (const key of [
      "events/dt=2026-11-19/a",
      "events/dt=2026-11-20/b",
      "events/dt=2026-12-01/c",
      "eventsx/d",
    ]) {
      await store.put(key, bytes("x"));
    }
    // Act / Assess
    expect(await keys(store, "events/dt=2026-11")).toEqual([
      "events/dt=2026-11-19/a",
      "events/dt=2026-11-20/b",
    ]);
    expect(await keys(store, "events/dt=2026-11-20/")).toEqual(["events/dt=2026-11-20/b"]);
    expect(await keys(store, "events")).toEqual([
      "events/dt=2026-11-19/a",
      "events/dt=2026-11-20/b",
      "events/dt=2026-12-01/c",
      "eventsx/d",
    ]);
    expect(await keys(store, "events/dt=2026-11-20/b")).toEqual(["events/dt=2026-11-20/b"]);
    expect(await keys(store, "nothing/")).toEqual([]);
  });

  it("reports size and modification time, and skips temporary files, empty folders and symbolic links", async () => {
    // Prepare
    const store = new LocalObjectStore(root, options);
    const before = Date.now();
    await store.put("z/obj", bytes("12345"));
    await writeFile(join(root, "z", `${TEMP_PREFIX}abandoned`), "partial");
    await mkdir(join(root, "z", "empty"));
    await symlink(join(root, "z", "obj"), join(root, "z", "link"));
    // Act
    const infos: ObjectInfo[] = [];
    for await (const info of store.list("z/")) infos.push(info);
    // Assess
    expect(infos.map((i) => [i.key, i.size])).toEqual([["z/obj", 5]]);
    expect(infos[0]?.lastModified).toBeGreaterThanOrEqual(before - 2000);
    expect(infos[0]?.lastModified).toBeLessThanOrEqual(Date.now() + 2000);
  });
});

describe("LocalObjectStore making folders (through libuv's pool)", () => {
  it("makes a folder a delete removed, again, and fails naming the key with no temporary file left when it cannot", async () => {
    // Prepare: an object written, then deleted (which removes the folders it leaves empty)
    const store = new LocalObjectStore(root);
    await store.put("security/dt=2026-11-20/hour=13/a.parquet", bytes("a"));
    await store.delete("security/dt=2026-11-20/hour=13/a.parquet");
    const folderLeft = existsSync(join(root, "security/dt=2026-11-20/hour=13"));
    await store.put("events/dt=2026-11-20", bytes("a file, not a folder"));

    // Act
    await store.put("security/dt=2026-11-20/hour=13/b.parquet", bytes("b"));
    await store.put("security/dt=2026-11-20/hour=13/c.parquet", bytes("c"));
    const refused = await store
      .put("events/dt=2026-11-20/a-0000.parquet", bytes("x"))
      .catch((e: unknown) => e);

    // Assess
    expect(folderLeft).toBe(false);
    expect(await keys(store, "security/")).toEqual([
      "security/dt=2026-11-20/hour=13/b.parquet",
      "security/dt=2026-11-20/hour=13/c.parquet",
    ]);
    expect((await stat(join(root, "security/dt=2026-11-20/hour=13"))).mode & 0o777).toBe(0o700);
    expect(String(refused)).toMatch(/events\/dt=2026-11-20\/a-0000\.parquet/);
    expect((await readdir(join(root, "events"))).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  });
});

describe("LocalObjectStore writing on the calling thread (an ingest shard's thread)", () => {
  it("writes the same objects, 0600 in 0700 folders, and leaves no temporary file", async () => {
    // Prepare
    const inThread = new LocalObjectStore(root, { inThread: true });
    const plain = new LocalObjectStore(root);
    // Act: a new object, a replaced one, and one in a folder that does not exist yet
    await inThread.put("security/dt=2026-11-20/hour=13/x.parquet", bytes("one"));
    await inThread.put("security/dt=2026-11-20/hour=13/x.parquet", bytes("two"));
    await inThread.put("events/dt=2026-11-20/a-0000.parquet", new Uint8Array(300_000).fill(7));
    // Assess: read back through a plain store
    expect(text(await plain.get("security/dt=2026-11-20/hour=13/x.parquet"))).toBe("two");
    expect((await plain.get("events/dt=2026-11-20/a-0000.parquet"))?.every((b) => b === 7)).toBe(true);
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(join(root, "security/dt=2026-11-20/hour=13"))).toBe(0o700);
    expect(await mode(join(root, "security/dt=2026-11-20/hour=13/x.parquet"))).toBe(0o600);
    const names = await readdir(join(root, "security/dt=2026-11-20/hour=13"));
    expect(names).toEqual(["x.parquet"]);
  });

  it("makes a folder again that a delete removed after an earlier object was written into it", async () => {
    // Prepare: an object written, then deleted (which removes the folders it leaves empty)
    const inThread = new LocalObjectStore(root, { inThread: true });
    const synchronous = new LocalObjectStore(root, { synchronous: true });
    await inThread.put("security/dt=2026-11-20/hour=13/a.parquet", bytes("a"));
    await inThread.delete("security/dt=2026-11-20/hour=13/a.parquet");
    const folderLeft = existsSync(join(root, "security/dt=2026-11-20/hour=13"));
    // Act: the next objects of that folder, through both stores that write on the calling thread
    await inThread.put("security/dt=2026-11-20/hour=13/b.parquet", bytes("b"));
    await synchronous.delete("security/dt=2026-11-20/hour=13/b.parquet");
    await synchronous.put("security/dt=2026-11-20/hour=13/c.parquet", bytes("c"));
    // Assess
    expect(folderLeft).toBe(false);
    expect(await keys(inThread, "security/")).toEqual(["security/dt=2026-11-20/hour=13/c.parquet"]);
    expect(text(await inThread.get("security/dt=2026-11-20/hour=13/c.parquet"))).toBe("c");
  });

  it("fails naming the key, and leaves no temporary file, when the folder cannot be made", async () => {
    // Prepare: a file where the object's folder would be
    const store = new LocalObjectStore(root, { inThread: true });
    await store.put("events/dt=2026-11-20", bytes("a file, not a folder"));
    // Act / Assess
    await expect(store.put("events/dt=2026-11-20/a-0000.parquet", bytes("x"))).rejects.toThrow(
      /events\/dt=2026-11-20\/a-0000\.parquet/,
    );
    expect((await readdir(join(root, "events"))).filter((n) => n.startsWith(TEMP_PREFIX))).toEqual([]);
  });

  it("synchronous: put and putIfAbsent have the object in place when they return, before any turn of the event loop", async () => {
    // Prepare: the checkpoints' and salts' store (apps/ingest/local.ts), and one that flushes through libuv's pool
    const synchronous = new LocalObjectStore(root, { synchronous: true });
    const pooled = new LocalObjectStore(root, { inThread: true });
    // Act: each call made, its object looked for before its promise is awaited
    const put = synchronous.put("checkpoints/streams/a.json", bytes("{}"));
    const afterPut = readdirSync(join(root, "checkpoints/streams"));
    const created = synchronous.putIfAbsent("salts/2026-11-20.json", bytes("salt one"));
    const afterCreate = readdirSync(join(root, "salts"));
    const again = synchronous.putIfAbsent("salts/2026-11-20.json", bytes("salt two"));
    const pooledPut = pooled.put("checkpoints/streams/b.json", bytes("{}"));
    const pooledAtReturn = existsSync(join(root, "checkpoints/streams/b.json"));
    await Promise.all([put, pooledPut]);
    // Assess: only the synchronous store's objects were there (no temporary file left); the second putIfAbsent
    // lost, the first object kept; get reads them back
    expect(afterPut).toEqual(["a.json"]);
    expect(afterCreate).toEqual(["2026-11-20.json"]);
    expect(pooledAtReturn).toBe(false);
    expect([await created, await again]).toEqual([true, false]);
    expect(text(await synchronous.get("salts/2026-11-20.json"))).toBe("salt one");
    expect(text(await synchronous.get("checkpoints/streams/a.json"))).toBe("{}");
    expect(await synchronous.get("checkpoints/streams/missing.json")).toBeNull();
    expect(readdirSync(join(root, "salts"))).toEqual(["2026-11-20.json"]);
  });
});
