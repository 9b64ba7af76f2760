import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BatchingEventSink,
  parquetBatchWriter,
  threadedLocalLakeSink,
} from "../../functions/adapters/local/event-sink.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { NO_EVENT_PROPS } from "../../functions/core/ingest/rows.ts";
import type { EventRow } from "../../functions/core/types.ts";
import { EventSinkUnavailableError } from "../../functions/ports/event-sink.ts";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../functions/ports/object-store.ts";
import { readZone } from "./collector-harness.ts";

/**
 * The local event sink over a real lake folder: batches become Parquet objects in events/ with the batch id in
 * the key; size and age trigger a write; a failed write loses nothing and double-counts nothing (a batch keeps
 * its id, so a retry overwrites); shutdown drains; memory is bounded.
 */

const DAY_1 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY_2 = Date.UTC(2026, 10, 21, 9, 0, 0);

function row(n: number, ts = DAY_1): EventRow {
  return {
    ts,
    site: "example.com",
    source: "collector",
    event_name: "pageview",
    method: null,
    path: `/page/${n}`,
    query: null,
    status: null,
    bytes: 0,
    is_asset: false,
    referrer_host: null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: "DE",
    browser: "Firefox",
    browser_major: "133",
    os: "Linux",
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: BigInt(n) * 1_000_000_007n - 9_000_000_000_000_000_000n,
    ip_prefix: "203.0.113.0/24",
    consent_tier: "statistics",
    consent_reason: "granted_statistics",
    ...NO_EVENT_PROPS,
  };
}

/** A store that fails the next `failures` puts (optionally only for keys matching a pattern). */
class FlakyStore implements ObjectStore {
  failures = 0;
  match: RegExp = /.*/;
  puts = 0;
  constructor(private readonly inner: ObjectStore) {}
  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    this.puts++;
    if (this.failures > 0 && this.match.test(key)) {
      this.failures--;
      throw new Error(`local object store: put "${key}" failed (EIO)`);
    }
    await this.inner.put(key, body, options);
  }
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.inner.putIfAbsent(key, body, options);
  }
  get(key: string): Promise<Uint8Array | null> {
    return this.inner.get(key);
  }
  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("local event sink", () => {
  let dir: string;
  let store: FlakyStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-sink-"));
    store = new FlakyStore(new LocalObjectStore(dir));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const sinkWith = (options: Partial<ConstructorParameters<typeof BatchingEventSink>[0]> = {}) =>
    new BatchingEventSink({
      writer: parquetBatchWriter(store, new ParquetEncoder()),
      batchIdPrefix: "ctest-abc",
      maxBatchAgeMs: 60_000,
      retryInitialMs: 10,
      retryMaxMs: 40,
      ...options,
    });

  it("writes a batch per maxBatchRows rows, one Parquet object per batch and day, the batch id in the key", async () => {
    // Prepare
    const sink = sinkWith({ maxBatchRows: 3 });
    // Act
    for (let n = 1; n <= 7; n++) await sink.write([row(n, n === 7 ? DAY_2 : DAY_1)]);
    await sink.flush();
    // Assess
    const objects = await readZone(dir, "events");
    expect(objects.map((o) => [o.key, o.rows.length])).toEqual([
      ["events/dt=2026-11-20/ctest-abc-000001-0000.parquet", 3],
      ["events/dt=2026-11-20/ctest-abc-000002-0000.parquet", 3],
      ["events/dt=2026-11-21/ctest-abc-000003-0000.parquet", 1],
    ]);
    expect(objects[0]?.rows[0]).toMatchObject({
      path: "/page/1",
      visitor_id: row(1).visitor_id,
      ip_prefix: "203.0.113.0/24",
    });
    expect(sink.stats()).toEqual({ received: 7, written: 7, pending: 0, batches: 3, failedAttempts: 0 });
  });

  it("writes a batch once its first row is maxBatchAgeMs old, without being asked", async () => {
    // Prepare
    const sink = sinkWith({ maxBatchAgeMs: 50 });
    // Act
    await sink.write([row(1), row(2)]);
    await until(() => sink.stats().written === 2);
    // Assess
    expect((await readZone(dir, "events")).flatMap((o) => o.rows)).toHaveLength(2);
    await sink.close();
  });

  it("keeps the rows of a failed write and retries them under the same keys: nothing lost, nothing twice", async () => {
    // Prepare: the lake fails the next two writes.
    const sink = sinkWith({ maxBatchRows: 100 });
    store.failures = 2;
    await sink.write([row(1), row(2), row(3)]);
    // Act
    const firstFlush = sink.flush();
    // Assess
    await expect(firstFlush).rejects.toThrow(/EIO/);
    expect(sink.stats()).toMatchObject({ received: 3, written: 0, pending: 3, failedAttempts: 1 });
    await expect(sink.flush()).rejects.toThrow(/EIO/);
    await sink.flush();
    const objects = await readZone(dir, "events");
    expect(objects.map((o) => o.key)).toEqual(["events/dt=2026-11-20/ctest-abc-000001-0000.parquet"]);
    expect(objects[0]?.rows.map((r) => r.path)).toEqual(["/page/1", "/page/2", "/page/3"]);
    expect(sink.stats()).toMatchObject({ written: 3, pending: 0, failedAttempts: 2 });
  });

  it("rewrites a batch that failed half way (one of its days written) without duplicating the written day", async () => {
    // Prepare: a batch over two days; the second day's object fails once.
    const sink = sinkWith();
    store.failures = 1;
    store.match = /dt=2026-11-21/;
    await sink.write([row(1, DAY_1), row(2, DAY_2), row(3, DAY_1)]);
    // Act
    await expect(sink.flush()).rejects.toThrow(/EIO/);
    await sink.flush();
    // Assess
    const objects = await readZone(dir, "events");
    expect(objects.map((o) => [o.key, o.rows.map((r) => r.path)])).toEqual([
      ["events/dt=2026-11-20/ctest-abc-000001-0000.parquet", ["/page/1", "/page/3"]],
      ["events/dt=2026-11-21/ctest-abc-000001-0000.parquet", ["/page/2"]],
    ]);
  });

  it("retries in the background after a failed timed write", async () => {
    // Prepare
    const sink = sinkWith({ maxBatchAgeMs: 20 });
    store.failures = 3;
    // Act
    await sink.write([row(1)]);
    await until(() => sink.stats().written === 1);
    // Assess
    expect(sink.stats().failedAttempts).toBe(3);
    expect((await readZone(dir, "events")).flatMap((o) => o.rows)).toHaveLength(1);
  });

  it("drains everything on close, retrying failures, and takes nothing afterwards", async () => {
    // Prepare
    const sink = sinkWith({ maxBatchRows: 2 });
    store.failures = 4;
    for (let n = 1; n <= 5; n++) await sink.write([row(n)]);
    // Act
    await sink.close();
    // Assess
    expect((await readZone(dir, "events")).flatMap((o) => o.rows.map((r) => r.path)).sort()).toEqual(
      ["/page/1", "/page/2", "/page/3", "/page/4", "/page/5"].sort(),
    );
    await expect(sink.write([row(6)])).rejects.toBeInstanceOf(EventSinkUnavailableError);
  });

  it("gives up draining after drainTimeoutMs, saying how many events are unwritten (and nothing else)", async () => {
    // Prepare
    const sink = sinkWith({ drainTimeoutMs: 100 });
    store.failures = Number.POSITIVE_INFINITY;
    await sink.write([row(1), row(2)]);
    // Act / Assess
    await expect(sink.close()).rejects.toThrow("event sink: 2 events could not be written before shutdown");
  });

  it("refuses rows beyond maxPendingRows while the lake is failing, so memory stays bounded", async () => {
    // Prepare
    const sink = sinkWith({ maxPendingRows: 3, maxBatchRows: 2 });
    store.failures = Number.POSITIVE_INFINITY;
    await sink.write([row(1), row(2), row(3)]);
    // Act / Assess
    await expect(sink.write([row(4)])).rejects.toBeInstanceOf(EventSinkUnavailableError);
    expect(sink.stats().pending).toBe(3);
  });

  it("runs the same sink in a worker thread: rows handed over return at once and reach the lake", async () => {
    // Prepare
    const sink = threadedLocalLakeSink(dir, { maxBatchRows: 4, maxBatchAgeMs: 60_000 });
    // Act
    for (let n = 1; n <= 10; n++) await sink.write([row(n)]);
    await sink.flush();
    const flushed = sink.stats();
    await sink.close();
    // Assess
    expect(flushed).toMatchObject({ received: 10, written: 10, pending: 0, batches: 3 });
    const objects = await readZone(dir, "events");
    expect(objects.map((o) => o.rows.length)).toEqual([4, 4, 2]);
    expect(
      objects.every((o) =>
        /^events\/dt=2026-11-20\/c\d{8}T\d{6}Z-[0-9a-f]{8}-\d{6}-0000\.parquet$/.test(o.key),
      ),
    ).toBe(true);
    await expect(sink.write([row(11)])).rejects.toBeInstanceOf(EventSinkUnavailableError);
  });
});
