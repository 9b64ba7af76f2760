import { describe, expect, it } from "vitest";
import { generateSampleLog, seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { createEnricher } from "../../functions/core/enrich/enrich.ts";
import type { IngestSummary } from "../../functions/core/ingest/pipeline.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { NO_GEO } from "../../functions/ports/geo.ts";
import {
  cheapJsonLinesEncoder,
  digestZones,
  type IngestEnvironment,
  ingestOnce,
  ingestWithRetries,
  randomSchedule,
} from "../helpers/fault-schedules.ts";
import { type FaultKind, FaultyStore } from "../helpers/faulty-store.ts";
import { decodeJsonLines, MemoryObjectStore } from "../helpers/memory-store.ts";

/**
 * Storage faults at the object-store port, over 1,000 random schedules (seeded): the Nth operation fails, S3
 * throttles (503 SlowDown) for a few operations, a write lands but its answer is lost, a call hangs and the
 * invocation times out mid-batch (its writes may land later, as zombies). The ingest is retried as a whole with the
 * same input id, as SQS redelivers a failed message, sometimes in the same warm sandbox, sometimes in a new one;
 * a quarter of the inputs are delivered once more after they succeeded.
 *
 * The oracle is a fault-free ingest of the same input with the same daily salts. After the retries, the lake must
 * equal it object for object and byte for byte: no event lost, none counted twice. After every failed attempt,
 * every object a reader can see must already be the oracle's object under that key (never a partial one).
 * In-memory store and a JSON-lines encoder, so 1,000 schedules take seconds; test/reliability/storage-faults-local
 * does the same through the real local store and Parquet, and aggregates.
 */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const SCHEDULES = 1000;
const SEED = 20_261_121;
const DATA_ZONES = ["security", "events", "rejects"] as const;
/**
 * Input sizes and how often each is picked: mostly small (fast), one above 1.5 × rowsPerPart so a partition is
 * written in several parts and stale parts are cleaned up (the paths a failure in the middle can disturb).
 */
const INPUT_SIZES = [80, 200, 400, 1600] as const;
const INPUT_WEIGHTS = [0.35, 0.3, 0.23, 0.12] as const;

function pickInput(random: () => number): number {
  let roll = random();
  for (const [i, weight] of INPUT_WEIGHTS.entries()) {
    if (roll < weight) return i;
    roll -= weight;
  }
  return INPUT_WEIGHTS.length - 1;
}

const env: IngestEnvironment = {
  config: parseConfig({ sites: ["example.com"], ingest: { rowsPerPart: 1000 } }),
  enrich: createEnricher(NO_GEO),
  encoder: cheapJsonLinesEncoder,
  clock: new FixedClock(NOW),
};

const inputs = INPUT_SIZES.map((lines, i) => {
  const text = [
    ...generateSampleLog({
      seed: 100 + i,
      lines,
      startMs: NOW - 60 * 3_600_000,
      spanMs: 50 * 3_600_000,
      clients: 150,
      malformedShare: 0.02,
    }),
  ];
  return {
    inputId: `input${i}`,
    bytes: new TextEncoder().encode(`${text.join("\n")}\n`),
    addresses: new Set(text.map((line) => line.split(" ")[0] ?? "").filter((a) => /[.:]/.test(a))),
  };
});

interface Oracle {
  readonly digest: Map<string, string>;
  readonly summary: IngestSummary;
  /** Rows per events/ object. */
  readonly eventRows: Map<string, number>;
}

async function eventRowCounts(store: MemoryObjectStore): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const key of store.keys("events/")) counts.set(key, decodeJsonLines(await store.get(key)).length);
  return counts;
}

/**
 * Event rows lost and rows counted twice, object by object: an events/ object of the oracle that is missing or
 * has other bytes counts its rows as lost; one the oracle lacks, or with other bytes, counts its rows as extra.
 */
function compareRows(
  oracle: Oracle,
  final: Map<string, string>,
  finalRows: Map<string, number>,
): { lost: number; twice: number } {
  let lost = 0;
  let twice = 0;
  for (const [key, rows] of oracle.eventRows) if (final.get(key) !== oracle.digest.get(key)) lost += rows;
  for (const [key, rows] of finalRows) if (final.get(key) !== oracle.digest.get(key)) twice += rows;
  return { lost, twice };
}

const oracles = new Map<string, Oracle>();

/** The fault-free ingest of the same input with the same salts (copied from the lake under test). */
async function oracleFor(inputIndex: number, lake: MemoryObjectStore): Promise<Oracle> {
  const salts = await digestZones(lake, ["salts"]);
  const cacheKey = `${inputIndex}:${JSON.stringify([...salts])}`;
  const cached = oracles.get(cacheKey);
  if (cached !== undefined) return cached;
  const input = inputs[inputIndex];
  if (input === undefined) throw new Error("no such input");
  const store = new MemoryObjectStore(() => NOW);
  for (const key of lake.keys("salts/")) {
    const body = await lake.get(key);
    if (body !== null) await store.put(key, body);
  }
  const summary = await ingestOnce({ store, input: input.bytes, inputId: input.inputId, env });
  const oracle = {
    digest: await digestZones(store, DATA_ZONES),
    summary,
    eventRows: await eventRowCounts(store),
  };
  oracles.set(cacheKey, oracle);
  return oracle;
}

describe("ingest under storage faults, retried as SQS redelivers", () => {
  it("loses no event, counts none twice and shows no partial object over 1,000 random fault schedules", async () => {
    // Prepare: how many store operations one clean run of each input makes (schedules aim inside that range).
    const operationsPerRun: number[] = [];
    for (const input of inputs) {
      const probe = new FaultyStore(new MemoryObjectStore(() => NOW));
      await ingestOnce({ store: probe, input: input.bytes, inputId: input.inputId, env });
      operationsPerRun.push(probe.operations);
    }
    const random = seededRandom(SEED);
    const violations: string[] = [];
    const injected: Record<FaultKind, number> = { fail: 0, throttle: 0, landed: 0, hang: 0 };
    const totals = {
      attempts: 0,
      failedAttempts: 0,
      timeouts: 0,
      zombies: 0,
      duplicates: 0,
      lost: 0,
      twice: 0,
    };
    const totals2 = { schedulesHit: 0, maxAttempts: 0, partialSeen: 0, events: 0 };
    const started = performance.now();
    const cpuStarted = process.cpuUsage();

    // Act
    for (let n = 0; n < SCHEDULES; n++) {
      const inputIndex = pickInput(random);
      const input = inputs[inputIndex];
      if (input === undefined) throw new Error("no such input");
      const schedule = randomSchedule(random, operationsPerRun[inputIndex] ?? 50);
      const lake = new MemoryObjectStore(() => NOW);
      const store = new FaultyStore(lake, schedule.faults);
      let saltCalls = 0;
      // Every new salt differs from the last: a retry that made a second salt would change visitor ids. The k-th
      // salt is the same in every schedule, so schedules whose salts were made at the same call share an oracle.
      const saltRandom = (size: number) => new Uint8Array(size).fill(++saltCalls % 251);
      const result = await ingestWithRetries({
        store,
        input: input.bytes,
        inputId: input.inputId,
        env,
        schedule,
        saltRandom,
        zones: DATA_ZONES,
      });
      const oracle = await oracleFor(inputIndex, lake);

      // Assess (collected, so one report names every failing schedule)
      const where = `schedule ${n} (seed ${SEED}, input ${inputIndex}, faults ${JSON.stringify(schedule.faults)}, zombies ${schedule.zombies})`;
      const final = await digestZones(lake, DATA_ZONES);
      const rows = compareRows(oracle, final, await eventRowCounts(lake));
      totals.lost += rows.lost;
      totals.twice += rows.twice;
      if (rows.lost > 0 || rows.twice > 0)
        violations.push(`${where}: ${rows.lost} lost, ${rows.twice} twice`);
      const extra = [...final.keys()].filter((k) => !oracle.digest.has(k));
      const missing = [...oracle.digest.keys()].filter((k) => !final.has(k));
      const differing = [...final].filter(([k, h]) => oracle.digest.has(k) && oracle.digest.get(k) !== h);
      if (extra.length + missing.length + differing.length > 0) {
        violations.push(
          `${where}: lake differs from the oracle: extra ${extra.join(",")}; missing ${missing.join(",")}; differing ${differing.map(([k]) => k).join(",")}`,
        );
      }
      for (const seen of result.afterFailures) {
        const partial = [...seen].filter(([k, h]) => oracle.digest.get(k) !== h);
        totals2.partialSeen += partial.length;
        if (partial.length > 0) {
          violations.push(
            `${where}: after a failed attempt readers saw ${partial.map(([k]) => k).join(",")}`,
          );
        }
      }
      const { summary } = result;
      const accounted =
        summary.accepted + summary.rejected.total + summary.skipped.blank + summary.skipped.directive;
      if (JSON.stringify(summary) !== JSON.stringify(oracle.summary) || accounted !== oracle.summary.lines) {
        violations.push(
          `${where}: summary ${JSON.stringify(summary)} ≠ oracle ${JSON.stringify(oracle.summary)}`,
        );
      }
      for (const error of result.errors) {
        for (const address of input.addresses) {
          if (error.includes(address)) violations.push(`${where}: an error names a client address: ${error}`);
        }
      }
      for (const kind of Object.keys(injected) as FaultKind[]) injected[kind] += store.injected[kind];
      totals.attempts += result.attempts;
      totals.failedAttempts += result.failedAttempts;
      totals.timeouts += result.timeouts;
      totals.zombies += result.zombiesLanded;
      totals.duplicates += schedule.duplicateDelivery ? 1 : 0;
      totals2.schedulesHit += result.failedAttempts > 0 ? 1 : 0;
      totals2.maxAttempts = Math.max(totals2.maxAttempts, result.attempts);
      totals2.events += summary.events;
    }
    const cpu = process.cpuUsage(cpuStarted);
    console.info(
      `storage faults (memory): ${SCHEDULES} schedules, ${totals2.schedulesHit} hit by a fault, injected ${JSON.stringify(injected)}, ` +
        `${JSON.stringify(totals)}, max attempts ${totals2.maxAttempts}, events checked ${totals2.events}, ` +
        `partial objects seen ${totals2.partialSeen}, oracles ${oracles.size}, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`,
    );

    // Assess
    expect(violations.slice(0, 5)).toEqual([]);
    expect(totals.lost).toBe(0);
    expect(totals.twice).toBe(0);
    // The schedules really struck: every kind of fault, most schedules, timeouts with zombie writes.
    expect(totals2.schedulesHit).toBeGreaterThan(SCHEDULES * 0.6);
    for (const kind of Object.keys(injected) as FaultKind[]) expect(injected[kind]).toBeGreaterThan(100);
    expect(totals.timeouts).toBeGreaterThan(100);
    expect(totals.zombies).toBeGreaterThan(20);
    expect(totals.duplicates).toBeGreaterThan(150);
  }, 180_000);
});
