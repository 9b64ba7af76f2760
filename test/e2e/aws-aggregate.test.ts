import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOCK_MARGIN_MS, dayStateKey } from "../../functions/core/aggregate/requests.ts";
import { ROLLUPS } from "../../functions/core/aggregate/rollups.ts";
import { type BatchRecord, type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * Aggregation at volume, with the bundles of cdk.out on the stand-ins: 200 log files for the same two days arrive at
 * once; ingestion sends one request per file and day to the FIFO aggregate queue (the day is the message group);
 * the aggregate function works on each day once per batch at most, never on one day in two invocations at once,
 * and acknowledges requests an earlier recompute already covered. stats/ ends byte-identical to a sequential run,
 * and nothing reaches a dead-letter queue.
 */

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let raw: string;
let analytics: string;

/**
 * The aggregation interval of this deployment. A day is recomputed from ingestion at most once per interval, and
 * the stand-ins' clock follows the wall clock: an hour (the default is 15 minutes) keeps the burst below, which
 * takes a few minutes of wall time on a loaded machine, inside one interval, so "once" is exact, not a race.
 */
const INTERVAL_MINUTES = 60;

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0 Safari/537.36";

/** One file: `lines` page views on each of the two days, from visitors on many networks. */
function logFile(file: number, days: readonly [string, string], lines = 5): Buffer {
  const out: string[] = [];
  for (const [d, day] of days.entries()) {
    const [y, m, dd] = day.split("-");
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
      Number(m) - 1
    ];
    for (let i = 0; i < lines; i++) {
      const ip = `10.${(file * 7 + i) % 250}.${(file + i * 3 + d) % 250}.${(i % 200) + 1}`;
      const time = `${dd}/${month}/${y}:${String((file + i) % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00 +0000`;
      out.push(
        `${ip} - - [${time}] "GET /p${(file + i) % 4} HTTP/1.1" 200 ${100 + i} "https://ref${i % 3}.example/" "${UA}"`,
      );
    }
  }
  return Buffer.from(`${out.join("\n")}\n`);
}

interface DayLog {
  readonly day: string;
  readonly recomputed: boolean;
  readonly deferred: boolean;
  readonly covered: number;
  readonly requests: number;
}

/** The aggregate function's "aggregated" log entries (one per day per batch) of the given invocations. */
function dayLogs(batches: readonly BatchRecord[]): DayLog[] {
  return batches
    .filter((b) => b.functionLogicalId === stack.fn("Aggregate").logicalId)
    .flatMap((b) => b.result.logs.split("\n"))
    .filter((line) => line.startsWith("{") && line.includes('"message":"aggregated"'))
    .map((line) => JSON.parse(line) as DayLog);
}

/** The bodies under stats/ of the days, by rollup and day (names differ between runs: Athena names its files). */
function statsSnapshot(days: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const day of days) {
    for (const rollup of ROLLUPS) {
      out[`${rollup}/${day}`] = aws.s3
        .keys(analytics, `stats/${rollup}/dt=${day}/`)
        .map((k) =>
          createHash("sha256")
            .update(aws.s3.get(analytics, k) as Buffer)
            .digest("hex"),
        )
        .sort();
    }
  }
  return out;
}

function groupsOverlap(batches: readonly BatchRecord[]): string[] {
  const clashes: string[] = [];
  for (const [i, a] of batches.entries()) {
    for (const b of batches.slice(i + 1)) {
      const shared = a.groups.filter((g) => b.groups.includes(g));
      if (shared.length > 0 && a.startedAt < b.endedAt && b.startedAt < a.endedAt)
        clashes.push(shared.join(","));
    }
  }
  return clashes;
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: {
      context: {
        "logsieve:sites": "example.com",
        "logsieve:aggregateIntervalMinutes": String(INTERVAL_MINUTES),
      },
    },
  }));
  raw = stack.nameOf("RawBucket");
  analytics = stack.nameOf("AnalyticsBucket");
  aws.clock.advance(Date.UTC(2026, 10, 21, 6) - aws.clock.now());
}, 300_000);

afterAll(async () => {
  await stop?.();
});

describe("200 file notifications for the same two days", () => {
  const days = ["2026-11-19", "2026-11-20"] as const;
  let batches: BatchRecord[];
  let burst: Record<string, string[]>;
  let deferred: string[];

  it("arriving at once: each day recomputed once, in one batch, never twice at once, nothing to a DLQ", async () => {
    // Prepare
    for (let file = 0; file < 200; file++) {
      aws.s3.put(raw, `incoming/site=example.com/web${file % 4}/access-${file}.log`, logFile(file, days));
    }

    const queue = stack.nameOf("AggregateQueue");
    const processedBefore = aws.sqs.deletedCount(queue);
    const sendsBefore = aws.sqs.sendsAnsweredCount(queue);
    const duplicatesBefore = aws.sqs.duplicatesCount(queue);

    // Act: ingestion and aggregation run side by side, as their event source mappings do
    const unloadsBefore = new Set(aws.athena.executions.keys());
    const startedAt = Date.now();
    batches = await stack.pump();
    const wallMs = Date.now() - startedAt;

    // Assess
    const aggregate = batches.filter((b) => b.functionLogicalId === stack.fn("Aggregate").logicalId);
    const ingest = batches.filter((b) => b.functionLogicalId === stack.fn("Ingest").logicalId);
    const logs = dayLogs(aggregate);
    const recomputes = Object.fromEntries(
      days.map((d) => [d, logs.filter((l) => l.day === d && l.recomputed).length]),
    );
    const batchesWithDay = Object.fromEntries(
      days.map((d) => [d, aggregate.filter((b) => b.groups.includes(d)).length]),
    );
    // What Athena ran, not what the function logged: the UNLOADs into each day's stats/ during the burst (by their
    // target; an empty result writes no object).
    const unloads = [...aws.athena.executions.values()].filter(
      (e) => e.kind === "unload" && !unloadsBefore.has(e.id),
    );
    const unloadsOfDay = Object.fromEntries(
      days.map((d) => [d, unloads.filter((e) => e.sql.includes(`/dt=${d}/'`)).length]),
    );
    console.log(
      `200 files → ${ingest.length} ingest invocations, ${aggregate.length} aggregate batches ` +
        `(batches holding each day: ${JSON.stringify(batchesWithDay)}), recomputes per day: ${JSON.stringify(recomputes)}, ` +
        `requests acknowledged as covered: ${logs.reduce((s, l) => s + l.covered, 0)}, ` +
        `deferred: ${logs.filter((l) => l.deferred).reduce((s, l) => s + l.requests, 0)}, UNLOADs per day: ${JSON.stringify(unloadsOfDay)}, ` +
        `Athena bytes scanned: ${unloads.reduce((s, e) => s + e.dataScannedBytes, 0)}, wall ${Math.round(wallMs / 1000)} s`,
    );
    expect(wallMs).toBeLessThan(INTERVAL_MINUTES * 60_000);
    expect(batches.every((b) => b.result.ok && b.failedMessageIds.length === 0)).toBe(true);
    // Every request the queue took reached the function (two files finishing in the same millisecond send the
    // same request, which the FIFO queue's deduplication keeps once).
    const accepted = aws.sqs.deletedCount(queue) - processedBefore;
    expect(logs.reduce((s, l) => s + l.requests, 0)).toBe(accepted);
    // A burst, not a trickle: every file's ingestion sent its two requests (200 files × 2 days), and each was either
    // kept as a message or answered as a duplicate of one (same day, same millisecond: how many depends on the
    // machine's speed, so no bound on it here; the equalities are what say nothing was lost).
    expect(aws.sqs.sendsAnsweredCount(queue) - sendsBefore).toBe(400);
    expect(accepted + aws.sqs.duplicatesCount(queue) - duplicatesBefore).toBe(400);
    // Each batch worked on each of its days once (one log entry per day per batch) ...
    for (const batch of aggregate) {
      const entries = dayLogs([batch]).map((l) => l.day);
      expect(entries.sort(), `days logged by batch ${batch.messageIds[0]}`).toEqual([...batch.groups].sort());
    }
    // ... and each day was recomputed once in all (the other batches' requests covered or deferred), which is
    // what Athena ran: one UNLOAD per rollup into each day; no two batches of one day ran at the same time.
    expect(recomputes).toEqual({ [days[0]]: 1, [days[1]]: 1 });
    expect(unloadsOfDay).toEqual({ [days[0]]: ROLLUPS.length, [days[1]]: ROLLUPS.length });
    expect(unloads).toHaveLength(2 * ROLLUPS.length);
    for (const day of days) expect(batchesWithDay[day]).toBeGreaterThan(1);
    expect(groupsOverlap(aggregate)).toEqual([]);
    expect(unloads.every((e) => e.state === "SUCCEEDED")).toBe(true);
    expect(aws.sqs.messages(stack.nameOf("AggregateDlq"))).toEqual([]);
    expect(aws.sqs.messages(stack.nameOf("IngestDlq"))).toEqual([]);
    // Requests that came after a recompute within the interval were deferred: their days are pending.
    deferred = [...new Set(logs.filter((l) => l.deferred).map((l) => l.day))].sort();
    expect(
      aws.s3
        .keys(analytics, "events/_pending/")
        .map((k) => k.slice(19, 29))
        .sort(),
    ).toEqual(deferred);
  }, 900_000);

  it("the catch-up one interval later recomputes the deferred days and clears them", async () => {
    // Prepare
    aws.clock.advance(INTERVAL_MINUTES * 60_000);

    // Act
    const [fired] = await stack.fireSchedule("AggregateCatchUp");
    const catchUp = dayLogs(await stack.pump({ only: ["Pipeline/Aggregate"] }));
    burst = statsSnapshot(days);

    // Assess: today (21 Nov) and every deferred day, each recomputed once
    expect(fired?.ok, JSON.stringify(fired?.error)).toBe(true);
    expect(
      catchUp
        .filter((l) => l.recomputed)
        .map((l) => l.day)
        .sort(),
    ).toEqual([...deferred, "2026-11-21"].sort());
    expect(aws.s3.keys(analytics, "events/_pending/")).toEqual([]);
  }, 900_000);

  it("leaves stats/ byte-identical to a sequential run (one request at a time, each day recomputed afresh)", async () => {
    // Prepare: forget what was aggregated, then one request per day, one batch at a time
    for (const day of days) aws.s3.put(analytics, dayStateKey(day), Buffer.from("{}"));
    const queue = stack.nameOf("AggregateQueue");
    for (const day of days) {
      aws.sqs.send(queue, JSON.stringify({ day, sentAt: aws.clock.now(), why: "ingest" }), {
        groupId: day,
        deduplicationId: `sequential-${day}`,
      });
      // Act
      await stack.pump({ only: ["Pipeline/Aggregate"] });
    }

    // Assess
    const sequential = statsSnapshot(days);
    expect(Object.values(sequential).filter((bodies) => bodies.length === 1).length).toBeGreaterThanOrEqual(
      16,
    );
    expect(sequential).toEqual(burst);
  }, 900_000);
});

describe("coalescing", () => {
  const days = ["2026-11-17", "2026-11-18"] as const;

  it("requests sent before a recompute started are acknowledged without work: one recompute per day for 60 files", async () => {
    // Prepare: ingestion of 60 files first, so all 120 requests wait in the queue ...
    for (let file = 0; file < 60; file++) {
      aws.s3.put(raw, `incoming/site=example.com/late/access-${file}.log`, logFile(file + 1000, days));
    }
    const queue = stack.nameOf("AggregateQueue");
    const sendsBefore = aws.sqs.sendsAnsweredCount(queue);
    const duplicatesBefore = aws.sqs.duplicatesCount(queue);
    await stack.pump({ only: ["Pipeline/Ingest"] });
    const waiting = aws.sqs.messages(queue).length;
    // ... and the aggregate function starts more than the clock margin after the last one was sent.
    aws.clock.advance(CLOCK_MARGIN_MS + 1000);

    // Act
    const batches = await stack.pump({ only: ["Pipeline/Aggregate"] });

    // Assess
    const logs = dayLogs(batches);
    console.log(
      `coalescing: ${waiting} requests waiting → ${batches.length} batches, ` +
        `recomputes: ${logs.filter((l) => l.recomputed).length}, acknowledged as covered: ${logs.reduce((s, l) => s + l.covered, 0)}`,
    );
    // All 120 requests (60 files × 2 days) were sent; those that share a day and a millisecond are one message
    // (how many depends on the machine's speed: an exact count here was a flaky test), the rest wait.
    expect(aws.sqs.sendsAnsweredCount(queue) - sendsBefore).toBe(120);
    expect(waiting + aws.sqs.duplicatesCount(queue) - duplicatesBefore).toBe(120);
    expect(waiting).toBeGreaterThan(days.length);
    for (const day of days) expect(logs.filter((l) => l.day === day && l.recomputed)).toHaveLength(1);
    // Every request was either in the batch that recomputed its day or acknowledged as covered by that recompute.
    const inRecomputes = logs.filter((l) => l.recomputed).reduce((s, l) => s + l.requests, 0);
    expect(logs.reduce((s, l) => s + l.covered, 0) + inRecomputes).toBe(waiting);
    for (const rollup of ["totals", "pages"]) {
      for (const day of days) expect(aws.s3.keys(analytics, `stats/${rollup}/dt=${day}/`)).toHaveLength(1);
    }
  }, 900_000);

  it("the catch-up goes through the queue in its day's group, and one recompute serves it and ingestion", async () => {
    // Prepare: an hour later the catch-up fires (today, 21 Nov), and a file for today arrives before the aggregate
    // function gets to the requests.
    aws.clock.advance(3_600_000);
    const [fired] = await stack.fireSchedule("AggregateCatchUp");
    aws.s3.put(
      raw,
      "incoming/site=example.com/web9/access-late.log",
      logFile(5000, ["2026-11-21", "2026-11-21"]),
    );
    await stack.pump({ only: ["Pipeline/Ingest"] });

    // Act
    const batches = await stack.pump({ only: ["Pipeline/Aggregate"] });

    // Assess: one entry for the day; its two requests (catch-up and ingestion) served by one recompute.
    const logs = dayLogs(batches);
    expect(fired?.ok, JSON.stringify(fired?.error)).toBe(true);
    expect(logs.map((l) => [l.day, l.requests, l.recomputed])).toEqual([["2026-11-21", 2, true]]);
  }, 900_000);
});
