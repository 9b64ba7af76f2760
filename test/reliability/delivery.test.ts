import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { streamIdOfContent } from "../../functions/adapters/input/stream-head.ts";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog, seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { ROLLUPS } from "../../functions/core/aggregate/rollups.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import { digestZones } from "../helpers/fault-schedules.ts";
import { FakeS3, s3ServiceError } from "../helpers/s3-fake.ts";

/**
 * At-least-once delivery. S3 notifications reach the ingest function through SQS, which delivers every message at
 * least once: twice, five times, in any order, in any batch. Two paths are covered:
 *
 * - The ingest Lambda handler (functions/apps/ingest/handler.ts, middy + Powertools batch) against an in-memory S3
 *   behind aws-sdk-client-mock: duplicates and shuffles, a batch in which one message fails (exactly that one is
 *   reported, the others are written), its redrive. The analytics bucket's events/ are then aggregated by the
 *   aggregation job on a local copy (DuckDB), so `stats/` is compared byte for byte. Every line the handler logs
 *   (Powertools, captured from stdout) is one JSON object and names no client address.
 * - The local path (openLocal().ingestFile + aggregateDays, what `logsieve ingest` and `logsieve aggregate` do):
 *   files delivered again and again, also from other paths, with the aggregation job running between deliveries,
 *   so compaction meets re-delivered inputs.
 */

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const RAW = "raw-bucket";
const ANALYTICS = "analytics-bucket";
const OBJECTS = 10;
const config = parseConfig({ sites: ["example.com"] });

type Handler = (
  event: SQSEvent,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
let handler: Handler;
let dir: string;

function logLines(seed: number, lines: number): string[] {
  return [
    ...generateSampleLog({
      seed,
      lines,
      startMs: Date.UTC(2026, 10, 19, 18, 0, 0),
      spanMs: 12 * 3_600_000,
      clients: 80,
      malformedShare: 0.02,
    }),
  ];
}

const inputs = Array.from({ length: OBJECTS }, (_, i) => {
  const lines = logLines(500 + i, 150);
  return {
    key: `incoming/site=example.com/2026/11/20/access-${i}.log`,
    body: new TextEncoder().encode(`${lines.join("\n")}\n`),
    addresses: new Set(lines.map((l) => l.split(" ")[0] ?? "").filter((a) => /\d[.:]/.test(a))),
  };
});
const allAddresses = new Set(inputs.flatMap((i) => [...i.addresses]));

/** A fresh S3 with the raw objects and the two days' salts (the same salts in every scenario). */
function freshS3(): { fake: FakeS3; versions: string[] } {
  const fake = new FakeS3();
  fake.install(s3);
  const versions = inputs.map((input) => fake.putObject(RAW, input.key, input.body).versionId);
  for (const day of ["2026-11-19", "2026-11-20"]) {
    const salt = Buffer.alloc(32, day.endsWith("19") ? 19 : 20).toString("base64");
    fake.putObject(
      ANALYTICS,
      `salts/dt=${day}/salt.json`,
      new TextEncoder().encode(JSON.stringify({ createdAt: Date.now(), salt })),
    );
  }
  return { fake, versions };
}

function message(index: number, version: string, copy: number): SQSRecord {
  const input = inputs[index];
  if (input === undefined) throw new Error("no such input");
  return notification(input.key, version, input.body.byteLength, `m${index}-${copy}`);
}

/** The SQS message S3 sends for one object. */
function notification(key: string, version: string, size: number, id: string): SQSRecord {
  const body = JSON.stringify({
    Records: [
      {
        eventName: "ObjectCreated:Put",
        s3: {
          bucket: { name: RAW },
          object: { key: encodeURIComponent(key), versionId: version, size },
        },
      },
    ],
  });
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: {} as SQSRecord["attributes"],
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:ingest",
    awsRegion: "eu-central-1",
  };
}

const logLinesSeen: string[] = [];

/** Runs the handler on batches of up to 10 messages, capturing what it writes to stdout (Powertools' logs). */
async function deliver(records: readonly SQSRecord[]): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < records.length; i += 10) {
    const original = process.stdout.write.bind(process.stdout);
    let captured = "";
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return true;
    }) as typeof process.stdout.write;
    try {
      const response = await handler({ Records: records.slice(i, i + 10) }, {} as Context);
      failed.push(...response.batchItemFailures.map((f) => f.itemIdentifier));
    } finally {
      process.stdout.write = original;
    }
    logLinesSeen.push(...captured.split("\n").filter((l) => l.length > 0));
  }
  return failed;
}

/** stats/ computed by the aggregation job from the analytics bucket's events/, as key → SHA-256. */
async function statsOf(fake: FakeS3, name: string): Promise<Map<string, string>> {
  const lakeDir = join(dir, name);
  for (const key of fake.keys(ANALYTICS, "events/")) {
    const path = join(lakeDir, ...key.split("/"));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, fake.bucket(ANALYTICS).get(key)?.body ?? new Uint8Array());
  }
  await aggregateDays({ lakeDir, days: "all", config, clock: new FixedClock(NOW) });
  return digestZones(new LocalObjectStore(lakeDir), ["stats"]);
}

function digestBucket(fake: FakeS3, bucket: string, prefix: string): Map<string, string> {
  return new Map(
    fake.keys(bucket, prefix).map((key) => [
      key,
      createHash("sha256")
        .update(fake.bucket(bucket).get(key)?.body ?? new Uint8Array())
        .digest("hex"),
    ]),
  );
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

let baseline: { stats: Map<string, string>; events: Map<string, string>; security: Map<string, string> };
let baselineFake: FakeS3;

/** The offset after the n-th line of a log. */
function nthLineEnd(bytes: Uint8Array, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) at = bytes.indexOf(10, at + 1);
  return at + 1;
}

/** Rows in the analytics bucket's events/ (objects differ in how lines are split into parts, rows must not). */
function eventRows(fake: FakeS3): number {
  return fake
    .keys(ANALYTICS, "events/")
    .reduce(
      (n, key) => n + Number(parquetMetadata(toArrayBuffer(fake.bucket(ANALYTICS).get(key)?.body)).num_rows),
      0,
    );
}

function toArrayBuffer(bytes: Uint8Array | undefined): ArrayBuffer {
  const b = bytes ?? new Uint8Array();
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-delivery-"));
  process.env[AWS_ENV.rawBucket] = RAW;
  process.env[AWS_ENV.analyticsBucket] = ANALYTICS;
  process.env[AWS_ENV.config] = JSON.stringify({ sites: ["example.com"] });
  process.env[AWS_ENV.aggregateQueueUrl] = "https://sqs.eu-central-1.amazonaws.com/123456789012/aggregate";
  ({ handler } = (await import("../../functions/apps/ingest/handler.ts")) as unknown as { handler: Handler });
  // The baseline: every message delivered once, in order.
  s3.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  const { fake, versions } = freshS3();
  const failed = await deliver(versions.map((v, i) => message(i, v, 0)));
  if (failed.length > 0) throw new Error(`baseline delivery failed: ${failed.join(", ")}`);
  baselineFake = fake;
  baseline = {
    stats: await statsOf(fake, "baseline"),
    events: digestBucket(fake, ANALYTICS, "events/"),
    security: digestBucket(fake, RAW, "security/"),
  };
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  s3.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe("the ingest handler under at-least-once delivery", () => {
  it.each([2, 5])(
    "gives byte-identical stats/, events/ and security/ when every message arrives %i times, shuffled",
    async (copies) => {
      // Prepare
      const { fake, versions } = freshS3();
      const records = versions.flatMap((v, i) => Array.from({ length: copies }, (_, c) => message(i, v, c)));

      // Act
      const failed = await deliver(shuffled(records, seededRandom(copies)));
      const stats = await statsOf(fake, `copies-${copies}`);

      // Assess
      expect(failed).toEqual([]);
      expect(baseline.stats.size).toBe(ROLLUPS.length * 2); // every rollup × 2 days
      expect(stats).toEqual(baseline.stats);
      expect(digestBucket(fake, ANALYTICS, "events/")).toEqual(baseline.events);
      expect(digestBucket(fake, RAW, "security/")).toEqual(baseline.security);
      // Ingest asks the aggregate queue for each touched day (one request per file and day, in batches of 10).
      const days = sqs
        .commandCalls(SendMessageBatchCommand)
        .flatMap((c) => c.args[0].input.Entries ?? [])
        .map((entry) => (JSON.parse(entry.MessageBody ?? "{}") as { day: string }).day);
      expect(new Set(days)).toEqual(new Set(["2026-11-19", "2026-11-20"]));
    },
    120_000,
  );

  it.each([0, 3, 9])(
    "reports exactly message %i of a batch of 10 as failed when its ingest throws, and the redrive restores the totals",
    async (k) => {
      // Prepare: S3 throttles the second write of message k's input (its ingest fails half-way).
      const { fake, versions } = freshS3();
      // An object's parts are named after its stream (its content), not its key.
      const streamOf = (i: number) => streamIdOfContent(inputs[i]?.body ?? new Uint8Array()) ?? "";
      const poisoned = streamOf(k);
      let poisonedPuts = 0;
      fake.failPut = (_bucket, key) =>
        key.includes(poisoned) && ++poisonedPuts === 2
          ? s3ServiceError("SlowDown", 503, "Please reduce your request rate.")
          : undefined;
      const batch = versions.map((v, i) => message(i, v, 0));

      // Act
      const failed = await deliver(batch);
      const otherInputsWritten = versions
        .map((_v, i) => streamOf(i))
        .filter((id) => id !== poisoned)
        .every((id) => fake.keys(ANALYTICS, "events/").some((key) => key.includes(id)));
      fake.failPut = undefined;
      const redriven = await deliver([message(k, versions[k] ?? "", 1)]);
      const stats = await statsOf(fake, `redrive-${k}`);

      // Assess
      expect(poisonedPuts).toBeGreaterThanOrEqual(2);
      expect(failed).toEqual([`m${k}-0`]);
      expect(otherInputsWritten).toBe(true);
      expect(redriven).toEqual([]);
      expect(stats).toEqual(baseline.stats);
      expect(digestBucket(fake, ANALYTICS, "events/")).toEqual(baseline.events);
    },
    120_000,
  );

  it("gives the baseline's stats/ and events/ when logs come again under other keys, gzipped, and as a grown new version", async () => {
    // Prepare: object 2 was first shipped while it was being written (its first 60 lines), then whole under the same
    // key (a new version); objects 0 and 1 are uploaded again under other keys, object 1 compressed.
    const { fake, versions } = freshS3();
    const whole = inputs[2]?.body ?? new Uint8Array();
    const firstLines = whole.subarray(0, nthLineEnd(whole, 60));
    const early = fake.putObject(RAW, inputs[2]?.key ?? "", firstLines);
    const copyKey = "incoming/site=example.com/2026/11/20/copy-of-access-0.log";
    const copy = fake.putObject(RAW, copyKey, inputs[0]?.body ?? new Uint8Array());
    const gzKey = "incoming/site=example.com/2026/11/20/access-1.log.gz";
    const gz = fake.putObject(RAW, gzKey, gzipSync(inputs[1]?.body ?? new Uint8Array()));

    // Act
    const failedEarly = await deliver([
      notification(inputs[2]?.key ?? "", early.versionId, firstLines.length, "early"),
    ]);
    fake.putObject(RAW, inputs[2]?.key ?? "", whole); // the new version, whole
    const failed = await deliver([
      ...versions.map((v, i) => message(i, v, 0)),
      notification(copyKey, copy.versionId, copy.body.length, "copy"),
      notification(gzKey, gz.versionId, gz.body.length, "gz"),
    ]);
    const stats = await statsOf(fake, "re-uploads");

    // Assess
    expect([...failedEarly, ...failed]).toEqual([]);
    expect(stats).toEqual(baseline.stats);
    expect(eventRows(fake)).toBe(eventRows(baselineFake));
  }, 120_000);

  it("logs one JSON object per line and no client address, in all the deliveries above", () => {
    // Assess (runs last in this file: the lines were captured by every delivery before it)
    expect(logLinesSeen.length).toBeGreaterThanOrEqual(OBJECTS);
    for (const line of logLinesSeen) {
      const parsed = JSON.parse(line) as { message?: string };
      expect(typeof parsed.message).toBe("string");
      for (const address of allAddresses) expect(line).not.toContain(address);
    }
  });
});

describe("the local path under repeated delivery", () => {
  it("gives byte-identical stats/ when files arrive 1, 2 and 5 times, from other paths, aggregated in between", async () => {
    // Prepare: the files on disk, twice (a copy elsewhere is the same input).
    const files: string[] = [];
    for (const [i, input] of inputs.slice(0, 2).entries()) {
      for (const folder of ["a", "b"]) {
        const path = join(dir, "files", folder, `access-${i}.log`);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, input.body);
        if (folder === "a") files.push(path);
      }
    }
    const run = async (name: string, deliveries: readonly string[], aggregateEvery: number) => {
      const logsieve = await openLocal({
        lakeDir: join(dir, name),
        config: { sites: ["example.com"] },
        clock: new FixedClock(NOW),
      });
      for (const [n, file] of deliveries.entries()) {
        const summary = await logsieve.ingestFile(file);
        if ((n + 1) % aggregateEvery === 0) {
          await aggregateDays({
            lakeDir: logsieve.lakeDir,
            days: summary.eventDays,
            config,
            clock: logsieve.clock,
          });
        }
      }
      await aggregateDays({ lakeDir: logsieve.lakeDir, days: "all", config, clock: logsieve.clock });
      return digestZones(logsieve.store, ["stats", "security"]);
    };
    const random = seededRandom(77);
    const twice = shuffled([...files, ...files.map((f) => f.replace("/a/", "/b/"))], random);
    const fiveTimes = shuffled(
      files.flatMap((f) => [f, f, f.replace("/a/", "/b/"), f, f.replace("/a/", "/b/")]),
      random,
    );

    // Act
    const once = await run("local-once", files, files.length);
    const two = await run("local-twice", twice, 3);
    const five = await run("local-five", fiveTimes, 4);

    // Assess
    expect([...once.keys()].filter((k) => k.startsWith("stats/"))).toHaveLength(ROLLUPS.length * 2);
    expect(two).toEqual(once);
    expect(five).toEqual(once);
  }, 180_000);
});
