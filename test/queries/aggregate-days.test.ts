import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { ROLLUPS } from "../../functions/core/aggregate/rollups.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { EVENTS_SCHEMA } from "../../functions/core/zones.ts";
import type { ObjectStore } from "../../functions/ports/object-store.ts";
import { type Event, tempLake, writeEvents, writeEventsByDay, writeParquet } from "./support/fixture-lake.ts";
import { DAYS, generateEvents } from "./support/generate.ts";
import * as reference from "./support/reference.ts";

/**
 * The aggregation job on a real folder: idempotence (byte-identical stats), compaction that never counts an
 * input twice, recovery from interrupted runs, and the replacement or removal of a day's partition.
 */

const config = parseConfig({});
const all = generateEvents();
const day = DAYS[0];
const ofDay = all.filter((e) => new Date(e.ts).toISOString().startsWith(day));
const inputA = ofDay.slice(0, 80);
const inputB = ofDay.slice(80, 150);
const inputC = ofDay.slice(150);
const lakes: string[] = [];

afterEach(() => {
  for (const lake of lakes.splice(0)) rmSync(lake, { recursive: true, force: true });
});

function newLake(): string {
  const lake = tempLake();
  lakes.push(lake);
  return lake;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Every object under stats/ with the SHA-256 of its bytes. */
function statsDigest(lake: string): Record<string, string> {
  const root = join(lake, "stats");
  return Object.fromEntries(
    files(root).map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(root, f)))
        .digest("hex"),
    ]),
  );
}

async function eventCount(lake: string): Promise<number> {
  const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
  try {
    const result = await engine.query("SELECT count(*) AS n FROM events WHERE dt = ?", [
      { type: "date", value: day },
    ]);
    return Number(result.rows[0]?.n);
  } finally {
    await engine.close();
  }
}

async function totalsOf(lake: string) {
  const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
  try {
    const result = await engine.query(
      "SELECT * EXCLUDE (dt) FROM stats_totals WHERE dt = ? ORDER BY site = '(other)', site",
      [{ type: "date", value: day }],
    );
    return result.rows.map((r) => ({ ...r }));
  } finally {
    await engine.close();
  }
}

const eventsDir = (lake: string) => join(lake, "events", `dt=${day}`);

describe("aggregateDays", () => {
  it("writes stats whose bytes depend only on the events: reruns and other file splits give the same bytes", async () => {
    // Prepare: the same rows, split into objects differently in two lakes
    const first = newLake();
    const second = newLake();
    await writeEventsByDay(first, "aaaa", all, 70);
    await writeEventsByDay(second, "bbbb", all.slice(0, 100), 1000);
    await writeEventsByDay(second, "cccc", all.slice(100), 33);

    // Act
    const summary = await aggregateDays({ lakeDir: first, days: "all", config });
    const once = statsDigest(first);
    await aggregateDays({ lakeDir: first, days: "all", config });
    const twice = statsDigest(first);
    await aggregateDays({ lakeDir: second, days: [...DAYS], config });

    // Assess
    expect(summary.days.map((d) => [d.day, d.outcome])).toEqual(DAYS.map((d) => [d, "aggregated"]));
    expect(Object.keys(once)).toHaveLength(ROLLUPS.length * 2); // every rollup × 2 days
    expect(twice).toEqual(once);
    expect(statsDigest(second)).toEqual(once);
    expect(await totalsOf(first)).toEqual(reference.totals(all, day, config.k));
  });

  it("compacts a day's small objects into one, keeping every row once", async () => {
    // Prepare
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB.slice(0, 30), 0);
    await writeEvents(lake, day, "bbbb", inputB.slice(30), 1);

    // Act
    const summary = await aggregateDays({ lakeDir: lake, days: [day], config });

    // Assess
    expect(summary.days[0]?.compaction).toEqual({ action: "rewrite", objectsBefore: 3, objectsAfter: 1 });
    const names = files(eventsDir(lake));
    expect(names.filter((n) => n.endsWith(".parquet"))).toEqual([
      expect.stringMatching(/^compacted-[0-9a-f]{32}\.parquet$/),
    ]);
    expect(names.filter((n) => n.endsWith(".json"))).toEqual([
      expect.stringMatching(/^_compacted-[0-9a-f]{32}\.json$/),
    ]);
    expect(await eventCount(lake)).toBe(inputA.length + inputB.length);
    expect(await totalsOf(lake)).toEqual(reference.totals([...inputA, ...inputB], day, config.k));
    // The compacted object has the zone's columns, in order, with its types (timestamps in milliseconds).
    const compacted = names.find((n) => n.startsWith("compacted-")) ?? "";
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
    try {
      const schema = await engine.query(
        `SELECT name, type, logical_type FROM parquet_schema('${join(eventsDir(lake), compacted)}') WHERE name <> 'duckdb_schema'`,
      );
      expect(schema.rows.map((r) => r.name)).toEqual(EVENTS_SCHEMA.columns.map((c) => c.name));
      const physical = {
        string: "BYTE_ARRAY",
        int32: "INT32",
        int64: "INT64",
        double: "DOUBLE",
        boolean: "BOOLEAN",
        timestamp_ms: "INT64",
      };
      expect(schema.rows.map((r) => r.type)).toEqual(EVENTS_SCHEMA.columns.map((c) => physical[c.type]));
      expect(String(schema.rows[0]?.logical_type)).toMatch(/MILLIS=MilliSeconds/);
    } finally {
      await engine.close();
    }
  });

  it("compacts objects written before the property columns existed: their properties read as NULL", async () => {
    // Prepare: an old object (no prop_* columns), compacted alone, then a new object beside it.
    const lake = newLake();
    const oldSchema = {
      ...EVENTS_SCHEMA,
      columns: EVENTS_SCHEMA.columns.filter((c) => !c.name.startsWith("prop_")),
    };
    await writeParquet(join(eventsDir(lake), "aaaa-0000.parquet"), oldSchema, inputA);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const withProps = inputB.map((e, i) => ({
      ...e,
      prop_key_1: i % 2 === 0 ? "plan" : null,
      prop_value_1: "pro",
    }));
    await writeEvents(lake, day, "bbbb", withProps);

    // Act
    await aggregateDays({ lakeDir: lake, days: [day], config });

    // Assess: every row once, the old rows without properties, the new ones with theirs.
    expect(await eventCount(lake)).toBe(inputA.length + inputB.length);
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
    try {
      const keys = await engine.query("SELECT count(prop_key_1) AS n FROM events");
      expect(Number(keys.rows[0]?.n)).toBe(withProps.filter((e) => e.prop_key_1 !== null).length);
    } finally {
      await engine.close();
    }
  });

  it("ingesting the same input again leaves events and stats byte-identical", async () => {
    // Prepare: compacted A+B, then A delivered again (the writer overwrites a-0000 with the same bytes)
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB);
    const spare = newLake();
    const againKey = await writeEvents(spare, day, "aaaa", inputA);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const stats = statsDigest(lake);
    const compacted = files(eventsDir(lake));
    copyFileSync(join(spare, againKey), join(lake, againKey));

    // Act
    const summary = await aggregateDays({ lakeDir: lake, days: [day], config });

    // Assess
    expect(summary.days[0]?.compaction.action).toBe("cleanup");
    expect(files(eventsDir(lake))).toEqual(compacted);
    expect(statsDigest(lake)).toEqual(stats);
    expect(await eventCount(lake)).toBe(inputA.length + inputB.length);
  });

  it("an input ingested again with other content replaces its rows instead of adding them", async () => {
    // Prepare: compacted A+B; A comes again with fewer rows (e.g. a corrected log)
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const correctedA = inputA.slice(0, 50);
    await writeEvents(lake, day, "aaaa", correctedA);
    const fresh = newLake();
    await writeEvents(fresh, day, "aaaa", correctedA);
    await writeEvents(fresh, day, "bbbb", inputB);

    // Act
    await aggregateDays({ lakeDir: lake, days: [day], config });
    await aggregateDays({ lakeDir: fresh, days: [day], config });

    // Assess
    expect(await eventCount(lake)).toBe(correctedA.length + inputB.length);
    expect(statsDigest(lake)).toEqual(statsDigest(fresh));
    expect(files(eventsDir(lake)).filter((n) => n.endsWith(".parquet"))).toHaveLength(1);
  });

  it("late data for a day already compacted is added once", async () => {
    // Prepare
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    await writeEvents(lake, day, "cccc", inputC);

    // Act
    await aggregateDays({ lakeDir: lake, days: [day], config });

    // Assess
    expect(await eventCount(lake)).toBe(inputA.length + inputB.length + inputC.length);
    expect(await totalsOf(lake)).toEqual(reference.totals([...inputA, ...inputB, ...inputC], day, config.k));
  });

  it("recovers from a run interrupted after writing a compacted object: nothing counted twice", async () => {
    // Prepare: compacted {A,B} saved aside; then C arrives and a rewrite makes {A,B,C}; the old compacted
    // object comes back, as if that rewrite had stopped before deleting it, and so does C's small object.
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const saved = newLake();
    for (const name of files(eventsDir(lake))) copyFileSync(join(eventsDir(lake), name), join(saved, name));
    const cKey = await writeEvents(lake, day, "cccc", inputC);
    const cBytes = readFileSync(join(lake, cKey));
    await aggregateDays({ lakeDir: lake, days: [day], config });
    for (const name of files(saved)) copyFileSync(join(saved, name), join(eventsDir(lake), name));
    writeFileSync(join(lake, cKey), cBytes);
    // A manifest whose object never appeared (stopped before the rename).
    writeFileSync(join(eventsDir(lake), `_compacted-${"e".repeat(32)}.json`), "{}");
    expect(files(eventsDir(lake)).filter((n) => n.endsWith(".parquet"))).toHaveLength(3);

    // Act
    await aggregateDays({ lakeDir: lake, days: [day], config });

    // Assess
    expect(await eventCount(lake)).toBe(inputA.length + inputB.length + inputC.length);
    expect(files(eventsDir(lake)).filter((n) => n.endsWith(".parquet"))).toHaveLength(1);
    expect(files(eventsDir(lake)).filter((n) => n.endsWith(".json"))).toHaveLength(1);
  });

  it("takes a small object rewritten while it was being compacted in its new version, never both", async () => {
    // Prepare: a store that lets ingestion rewrite A (with other rows) right after compaction read it
    const lake = newLake();
    const aKey = await writeEvents(lake, day, "aaaa", inputA);
    await writeEvents(lake, day, "bbbb", inputB);
    const newer = newLake();
    await writeEvents(newer, day, "aaaa", inputA.slice(0, 20));
    const local = new LocalObjectStore(lake);
    let rewritten = false;
    const racing: ObjectStore = {
      put: (k, b, o) => local.put(k, b, o),
      putIfAbsent: (k, b, o) => local.putIfAbsent(k, b, o),
      list: (p) => local.list(p),
      delete: (k) => local.delete(k),
      async get(key) {
        const body = await local.get(key);
        if (key === aKey && !rewritten) {
          rewritten = true;
          copyFileSync(join(newer, aKey), join(lake, aKey));
        }
        return body;
      },
    };

    // Act
    const summary = await aggregateDays({ lakeDir: lake, days: [day], config, store: racing });

    // Assess: the stale description was noticed, and the day compacted from what is there now
    expect(rewritten).toBe(true);
    expect(summary.days[0]?.compaction).toMatchObject({ action: "rewrite", objectsAfter: 1 });
    expect(await eventCount(lake)).toBe(20 + inputB.length);
    expect(await totalsOf(lake)).toEqual(
      reference.totals([...inputA.slice(0, 20), ...inputB], day, config.k),
    );
  });

  it("removes the stats of a day whose events are gone, and anything else in a rewritten partition", async () => {
    // Prepare
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const stray = join(lake, "stats", "pages", `dt=${day}`, "20260301_000000_abc.parquet");
    copyFileSync(join(lake, "stats", "pages", `dt=${day}`, `pages-${day}.parquet`), stray);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const strayGone = !existsSync(stray);
    rmSync(join(lake, "events"), { recursive: true });

    // Act
    const summary = await aggregateDays({
      lakeDir: lake,
      days: [day],
      config,
      clock: { now: () => Date.parse(`${day}T12:00:00Z`) },
    });

    // Assess
    expect(strayGone).toBe(true);
    expect(summary.days[0]?.outcome).toBe("removed");
    expect(files(join(lake, "stats"))).toEqual([]);
  });

  it("keeps the stats of a day whose events expired (stats outlive events)", async () => {
    // Prepare
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const before = statsDigest(lake);
    rmSync(join(lake, "events"), { recursive: true });
    const muchLater = Date.parse(`${day}T00:00:00Z`) + (config.retention.eventsDays + 2) * 86_400_000;

    // Act
    const summary = await aggregateDays({
      lakeDir: lake,
      days: [day],
      config,
      clock: { now: () => muchLater },
    });

    // Assess
    expect(summary.days[0]?.outcome).toBe("kept");
    expect(statsDigest(lake)).toEqual(before);
  });

  it("refuses a day that is not YYYY-MM-DD before touching anything", async () => {
    const lake = newLake();
    await expect(aggregateDays({ lakeDir: lake, days: ["2026-13-01"], config })).rejects.toThrow(/not a day/);
  });

  it("writes stats files readable only by their owner, like the rest of the lake", async () => {
    const lake = newLake();
    await writeEvents(lake, day, "aaaa", inputA as Event[]);
    await aggregateDays({ lakeDir: lake, days: [day], config });
    const mode = statSync(join(lake, "stats", "totals", `dt=${day}`, `totals-${day}.parquet`)).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
