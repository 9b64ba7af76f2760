import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog, seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { createEnricher } from "../../functions/core/enrich/enrich.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { NO_GEO } from "../../functions/ports/geo.ts";
import {
  digestZones,
  errorText,
  type IngestEnvironment,
  ingestOnce,
  ingestWithRetries,
  randomSchedule,
} from "../helpers/fault-schedules.ts";
import { type Fault, type FaultKind, FaultyStore } from "../helpers/faulty-store.ts";

/**
 * The storage-fault schedules again, through the real local store (temporary file, fsync, rename) and the real
 * Parquet encoder, followed by the aggregation job:
 * - the lake already holds another input of the same days, ingested and aggregated (so compaction has work);
 * - the input under test is ingested under a random fault schedule and retried until it succeeds; between a
 *   failed attempt and its retry the aggregation job runs half the time, over the half-written lake;
 * - then the aggregation job runs under faults of its own (failed, throttled and landed-but-unanswered store
 *   calls: list, get, put of the compaction manifest, delete), rerun until it succeeds.
 * The oracle ingests both inputs without faults and aggregates once: events/, security/, rejects/ and stats/ must be
 * byte-identical to it. After every failed attempt, every Parquet object a reader can list must read completely.
 */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SCHEDULES = 8;
const SEED = 4_242;
const ZONES = ["security", "events", "rejects", "stats"] as const;
const INGEST_ZONES = ["security", "events", "rejects"] as const;

const env: IngestEnvironment = {
  config: parseConfig({ sites: ["example.com"], ingest: { rowsPerPart: 1000 } }),
  enrich: createEnricher(NO_GEO),
  encoder: new ParquetEncoder(),
  clock: new FixedClock(NOW),
};

function logBytes(seed: number, lines: number): Uint8Array {
  const text = [
    ...generateSampleLog({
      seed,
      lines,
      startMs: NOW - 40 * 3_600_000,
      spanMs: 30 * 3_600_000,
      clients: 120,
      malformedShare: 0.02,
    }),
  ];
  return new TextEncoder().encode(`${text.join("\n")}\n`);
}

/** The input already in the lake, and the one ingested under faults (over 1.5 × rowsPerPart: several parts). */
const OTHER = { inputId: "other", bytes: logBytes(11, 300) };
const UNDER_TEST = { inputId: "under-test", bytes: logBytes(12, 1700) };

/** The same salt bytes in every lake, so every lake's visitor ids agree with the oracle's. */
const saltRandom = (size: number) => new Uint8Array(size).fill(42);

let dir: string;
let baseLake: string;
let oracle: Map<string, string>;
/** Store operations of the oracle's ingest and of its aggregation: the range the fault schedules aim into. */
let ingestOperations: number;
let aggregationOperations: number;

async function aggregate(lakeDir: string, store?: FaultyStore): Promise<void> {
  await aggregateDays({
    lakeDir,
    days: "all",
    config: env.config,
    clock: env.clock,
    ...(store === undefined ? {} : { store }),
  });
}

/** Every visible Parquet object of the zones, read in full: a partial object fails here. */
async function unreadableObjects(store: LocalObjectStore): Promise<string[]> {
  const bad: string[] = [];
  for (const zone of ZONES) {
    for await (const info of store.list(`${zone}/`)) {
      if (!info.key.endsWith(".parquet")) continue;
      const body = await store.get(info.key);
      try {
        if (body === null) throw new Error("vanished");
        const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
        await parquetReadObjects({ file });
      } catch {
        bad.push(info.key);
      }
    }
  }
  return bad;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-faults-local-"));
  baseLake = join(dir, "base");
  await ingestOnce({
    store: new LocalObjectStore(baseLake),
    input: OTHER.bytes,
    inputId: OTHER.inputId,
    env,
    saltRandom,
  });
  await aggregate(baseLake);
  // The oracle's runs are counted as they go (a FaultyStore without faults), so the operations need no
  // second, identical ingest and aggregation of their own.
  const oracleLake = join(dir, "oracle");
  await cp(baseLake, oracleLake, { recursive: true });
  const store = new LocalObjectStore(oracleLake);
  const ingestProbe = new FaultyStore(store);
  await ingestOnce({
    store: ingestProbe,
    input: UNDER_TEST.bytes,
    inputId: UNDER_TEST.inputId,
    env,
    saltRandom,
  });
  ingestOperations = ingestProbe.operations;
  const aggregationProbe = new FaultyStore(store);
  await aggregate(oracleLake, aggregationProbe);
  aggregationOperations = aggregationProbe.operations;
  oracle = await digestZones(store, ZONES);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("local store and Parquet under storage faults, then aggregation", () => {
  it("ends byte-identical to a fault-free ingest and aggregation, with no partial object ever visible", async () => {
    // Prepare
    const random = seededRandom(SEED);
    const violations: string[] = [];
    const injected: Record<FaultKind, number> = { fail: 0, throttle: 0, landed: 0, hang: 0 };
    const figures = { attempts: 0, failedAttempts: 0, aggregationsBetween: 0, aggregationFailures: 0 };

    // Act
    for (let n = 0; n < SCHEDULES; n++) {
      const lakeDir = join(dir, `lake-${n}`);
      await cp(baseLake, lakeDir, { recursive: true });
      const local = new LocalObjectStore(lakeDir);
      const schedule = randomSchedule(random, ingestOperations);
      const store = new FaultyStore(local, schedule.faults);
      const aggregateBetween = random() < 0.5;
      const result = await ingestWithRetries({
        store,
        input: UNDER_TEST.bytes,
        inputId: UNDER_TEST.inputId,
        env,
        schedule,
        saltRandom,
        zones: INGEST_ZONES,
        afterFailure: async () => {
          const bad = await unreadableObjects(local);
          if (bad.length > 0) violations.push(`schedule ${n}: partial objects visible: ${bad.join(", ")}`);
          if (aggregateBetween) {
            figures.aggregationsBetween++;
            await aggregate(lakeDir);
          }
        },
      });
      // The aggregation job under faults of its own (no hangs: an abandoned job would keep DuckDB open).
      const aggregationFaults: Fault[] = [1, 2].map(() => ({
        at: Math.floor(random() * aggregationOperations),
        kind: (["fail", "throttle", "landed"] as const)[Math.floor(random() * 3)] ?? "fail",
        count: 1 + Math.floor(random() * 3),
        afterItems: Math.floor(random() * 3),
      }));
      const aggregationStore = new FaultyStore(local, aggregationFaults);
      for (let attempt = 1; ; attempt++) {
        try {
          await aggregate(lakeDir, aggregationStore);
          break;
        } catch (error) {
          figures.aggregationFailures++;
          if (attempt >= 8) throw error;
          if (/\d+\.\d+\.\d+\.\d+/.test(errorText(error))) {
            violations.push(`schedule ${n}: aggregation error with an address`);
          }
        }
      }

      // Assess (collected)
      const final = await digestZones(local, ZONES);
      const differing = [...new Set([...final.keys(), ...oracle.keys()])].filter(
        (key) => final.get(key) !== oracle.get(key),
      );
      if (differing.length > 0) {
        violations.push(
          `schedule ${n} (seed ${SEED}, ${JSON.stringify(schedule)}, aggregation between attempts ${aggregateBetween}, aggregation faults ${JSON.stringify(aggregationFaults)}): differs from the oracle: ${differing.join(", ")}`,
        );
      }
      for (const kind of Object.keys(injected) as FaultKind[]) {
        injected[kind] += store.injected[kind] + aggregationStore.injected[kind];
      }
      figures.attempts += result.attempts;
      figures.failedAttempts += result.failedAttempts;
      await rm(lakeDir, { recursive: true, force: true });
    }
    console.info(
      `storage faults (local store, Parquet, aggregation): ${SCHEDULES} schedules, injected ${JSON.stringify(injected)}, ${JSON.stringify(figures)}`,
    );

    // Assess
    expect(violations).toEqual([]);
    expect(figures.failedAttempts).toBeGreaterThanOrEqual(SCHEDULES / 2);
    expect(figures.aggregationsBetween).toBeGreaterThan(0);
    expect(figures.aggregationFailures).toBeGreaterThan(0);
    expect([...oracle.keys()].filter((k) => k.startsWith("stats/")).length).toBeGreaterThanOrEqual(10);
  }, 240_000);
});
