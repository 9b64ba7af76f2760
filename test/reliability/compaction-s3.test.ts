import { createHash } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import { parquetReadObjects } from "hyparquet";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { S3EventsCompactor } from "../../functions/apps/aggregate/s3-compaction.ts";
import { EVENTS_SCHEMA } from "../../functions/core/zones.ts";
import { type Standins, startStandins } from "../standins/index.ts";

/**
 * Compaction of events/ on S3 (functions/apps/aggregate/s3-compaction.ts) against the S3 stand-in: objects before
 * and after, rows equal; and a run that stops at any write or delete (the stand-in refuses that call, as a
 * throttle, a timeout or a crash would end it) loses no row — the next run, or the check every recompute makes
 * first, leaves each row exactly once.
 */

const BUCKET = "analytics";
const DAY = "2026-11-20";
const KEY = "AKIDCOMPACTOR";
let aws: Standins;
let compactor: S3EventsCompactor;
const encoder = new ParquetEncoder();

function events(input: string, count: number, salt = 0): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: Date.UTC(2026, 10, 20, i % 24, i % 60) + salt,
    site: "example.com",
    source: "log",
    event_name: "pageview",
    method: "GET",
    path: `/${input}/${i}`,
    query: null,
    status: 200,
    bytes: 100 + i,
    is_asset: false,
    referrer_host: i % 2 === 0 ? "ref.example" : null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: "DE",
    browser: "Firefox",
    browser_major: "120",
    os: "Linux",
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: BigInt(1000 + i),
    ip_prefix: "198.51.100.0/24",
    consent_tier: "statistics",
    consent_reason: "default",
  }));
}

/** Writes inputs as ingestion names them: `<inputId>-NNNN.parquet`, `parts` parts each. */
function ingestInputs(count: number, rowsPerInput: number, parts = 1, first = 0): void {
  for (let i = first; i < first + count; i++) {
    const input = `input${String(i).padStart(2, "0")}`;
    const rows = events(input, rowsPerInput);
    const perPart = Math.ceil(rows.length / parts);
    for (let p = 0; p < parts; p++) {
      const body = encoder.encode(EVENTS_SCHEMA, rows.slice(p * perPart, (p + 1) * perPart));
      aws.s3.put(BUCKET, `events/dt=${DAY}/${input}-${String(p).padStart(4, "0")}.parquet`, body);
    }
  }
}

/** Every visible row of the day (what Athena reads: names not starting with _), as comparable strings, sorted. */
async function visibleRows(): Promise<string[]> {
  const out: string[] = [];
  for (const object of aws.s3.currentObjects(BUCKET, `events/dt=${DAY}/`)) {
    const name = object.key.slice(object.key.lastIndexOf("/") + 1);
    if (name.startsWith("_")) continue;
    const bytes = aws.s3.get(BUCKET, object.key) as Buffer;
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const rows = await parquetReadObjects({ file: buffer, columns: ["ts", "path", "bytes", "visitor_id"] });
    for (const r of rows)
      out.push(
        `${Number(r.ts instanceof Date ? r.ts.getTime() : r.ts)}|${r.path}|${r.bytes}|${r.visitor_id}`,
      );
  }
  return out.sort();
}

/**
 * Inputs whose rows make large objects quickly: each path is 1,000 random hex characters (Snappy cannot shrink
 * them much), so 6,000 rows are about 6 MB, more than one 5 MiB part of a multipart upload.
 */
function ingestWideInputs(inputs: readonly [string, number][], seed: number): void {
  let state = seed;
  const random = (): string => {
    let out = "";
    while (out.length < 1000) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out += state.toString(16).padStart(8, "0");
    }
    return out.slice(0, 1000);
  };
  for (const [input, count] of inputs) {
    const rows = events(input, count).map((row) => ({ ...row, path: `/${input}/${random()}` }));
    aws.s3.put(BUCKET, `events/dt=${DAY}/${input}-0000.parquet`, encoder.encode(EVENTS_SCHEMA, rows));
  }
}

function parquetObjects(): number {
  return aws.s3.keys(BUCKET, `events/dt=${DAY}/`).filter((k) => k.endsWith(".parquet")).length;
}

const MUTATING = [
  "PutObject",
  "DeleteObject",
  "CreateMultipartUpload",
  "UploadPart",
  "CompleteMultipartUpload",
];

function mutatingCalls(): string[] {
  return aws.requests
    .filter((r) => r.accessKeyId === KEY && MUTATING.includes(r.action))
    .map((r) => r.action);
}

beforeEach(async () => {
  aws = await startStandins();
  aws.s3.createBucket(BUCKET, { kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/analytics" });
  compactor = new S3EventsCompactor({
    client: new S3Client(aws.clientConfig("s3", KEY)),
    bucket: BUCKET,
    encoder,
  });
});

afterEach(async () => {
  await aws.stop();
});

describe("compaction of events/ on S3", () => {
  it("turns a day's small objects into one, every row once (objects before and after, rows equal)", async () => {
    // Prepare: 30 inputs, some in two parts
    ingestInputs(20, 150);
    ingestInputs(10, 90, 2, 20);
    const before = await visibleRows();
    const objectsBefore = parquetObjects();

    // Act
    const summary = await compactor.compact(DAY, "full");
    const again = await compactor.compact(DAY, "full");

    // Assess
    console.log(
      `compaction on the S3 stand-in: ${objectsBefore} → ${parquetObjects()} objects, ${before.length} rows before and after`,
    );
    expect(summary).toMatchObject({
      action: "rewrite",
      objectsBefore: 40,
      objectsAfter: 1,
      rowsChanged: false,
    });
    expect(await visibleRows()).toEqual(before);
    expect(again.action).toBe("none");
    expect(aws.s3.keys(BUCKET, `events/dt=${DAY}/_compacted-`)).toHaveLength(1);
  });

  it("an interrupted run at any write or delete loses nothing: the recompute's check, then the next run, finish it", async () => {
    // Prepare: how many writes and deletes a whole run makes
    ingestInputs(6, 40);
    ingestInputs(2, 30, 3, 6);
    const expected = await visibleRows();
    await compactor.compact(DAY, "full");
    const calls = mutatingCalls().length;
    expect(calls).toBe(2 + 12); // manifest, compacted object, then 12 small objects deleted

    for (let failAt = 0; failAt < calls; failAt++) {
      // Prepare: a fresh day, and the failAt-th write or delete of the run refused
      await aws.stop();
      aws = await startStandins();
      aws.s3.createBucket(BUCKET, { kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/analytics" });
      compactor = new S3EventsCompactor({
        client: new S3Client(aws.clientConfig("s3", KEY)),
        bucket: BUCKET,
        encoder,
      });
      ingestInputs(6, 40);
      ingestInputs(2, 30, 3, 6);
      const deny = aws.deny({
        service: "s3",
        action: ["PutObject", "DeleteObject"],
        accessKeyId: KEY,
        skip: failAt,
        times: 1,
        // Not retried by the SDK: the run ends there, as a crash or a timeout would end it.
        code: "AccessDenied",
        status: 403,
      });

      // Act: the run stops at the refused call
      const failed = await compactor.compact(DAY, "full").then(
        () => "finished",
        () => "stopped",
      );
      deny.remove();
      // What a recompute does before reading the day: clear any row visible twice.
      await compactor.compact(DAY, "overlaps");
      const afterCheck = await visibleRows();
      await compactor.compact(DAY, "full");

      // Assess
      expect(failed, `call ${failAt}`).toBe("stopped");
      expect(afterCheck, `rows after the check, stopped at call ${failAt}`).toEqual(expected);
      expect(await visibleRows(), `rows after the next run, stopped at call ${failAt}`).toEqual(expected);
      expect(parquetObjects(), `objects after the next run, stopped at call ${failAt}`).toBe(1);
    }
  });

  it("an input ingested again with other bytes replaces its rows in the compacted object (newer truth)", async () => {
    // Prepare
    ingestInputs(5, 50);
    await compactor.compact(DAY, "full");
    const changed = events("input02", 70, 1);
    aws.s3.put(BUCKET, `events/dt=${DAY}/input02-0000.parquet`, encoder.encode(EVENTS_SCHEMA, changed));

    // Act: the recompute's check sees input02 twice (compacted and small) and rewrites
    const check = await compactor.compact(DAY, "overlaps");

    // Assess
    const rows = await visibleRows();
    expect(check).toMatchObject({ action: "rewrite", rowsChanged: true, objectsAfter: 1 });
    expect(rows).toHaveLength(4 * 50 + 70);
    expect(rows.filter((r) => r.includes("|/input02/"))).toHaveLength(70);
  });

  it("the recompute's check reads nothing when no row is visible twice", async () => {
    // Prepare
    ingestInputs(8, 20);
    const before = aws.requests.length;

    // Act
    const check = await compactor.compact(DAY, "overlaps");

    // Assess: one listing, no object read
    const calls = aws.requests.slice(before).map((r) => r.action);
    expect(check).toMatchObject({ action: "none", objectsBefore: 8, objectsAfter: 8 });
    expect(calls).toEqual(["ListObjectsV2"]);
  });

  it("names the compacted object by its inputs: the same inputs always give the same name and bytes", async () => {
    // Prepare
    ingestInputs(4, 30);

    // Act
    await compactor.compact(DAY, "full");
    const first = aws.s3.keys(BUCKET, `events/dt=${DAY}/compacted-`);
    const firstBody = createHash("sha256")
      .update(aws.s3.get(BUCKET, first[0] as string) as Buffer)
      .digest("hex");
    await aws.stop();
    aws = await startStandins();
    aws.s3.createBucket(BUCKET);
    compactor = new S3EventsCompactor({
      client: new S3Client(aws.clientConfig("s3", KEY)),
      bucket: BUCKET,
      encoder,
    });
    ingestInputs(4, 30);
    await compactor.compact(DAY, "full");
    const second = aws.s3.keys(BUCKET, `events/dt=${DAY}/compacted-`);

    // Assess
    expect(second).toEqual(first);
    expect(
      createHash("sha256")
        .update(aws.s3.get(BUCKET, second[0] as string) as Buffer)
        .digest("hex"),
    ).toBe(firstBody);
  });

  it("a day over the maximum rows per object: several objects, each with its manifest, a large one in parts; stopped at any write or delete, nothing lost", async () => {
    // Prepare: one input of 6,000 wide rows (two 5 MiB parts), three small ones; objects of at most 8,000 rows
    const fresh = async (): Promise<void> => {
      await aws.stop();
      aws = await startStandins();
      aws.s3.createBucket(BUCKET, { kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/analytics" });
      compactor = new S3EventsCompactor({
        client: new S3Client(aws.clientConfig("s3", KEY)),
        bucket: BUCKET,
        // Row groups of 1,500 rows: the object's bytes come out as it is written, several parts of it.
        encoder: new ParquetEncoder({ rowGroupSize: 1500 }),
        maxRowsPerObject: 8000,
        partBytes: 5 * 1024 * 1024,
      });
      ingestWideInputs([["input00", 6000]], 7);
      ingestInputs(3, 100, 1, 1);
    };
    await fresh();
    const expected = await visibleRows();

    // Act: a whole run
    const summary = await compactor.compact(DAY, "full");
    const calls = mutatingCalls();
    const again = await compactor.compact(DAY, "full");

    // Assess: input00 (6,000 rows, at least half the maximum) alone, uploaded in parts; the rest in one object
    expect(summary).toMatchObject({
      action: "rewrite",
      objectsBefore: 4,
      objectsAfter: 2,
      objectsWritten: 2,
    });
    expect(again.action).toBe("none");
    expect(await visibleRows()).toEqual(expected);
    expect(aws.s3.keys(BUCKET, `events/dt=${DAY}/_compacted-`)).toHaveLength(2);
    expect(calls.filter((c) => c === "UploadPart").length).toBeGreaterThanOrEqual(2);
    expect(calls.filter((c) => c === "CompleteMultipartUpload")).toHaveLength(1);

    for (let failAt = 0; failAt < calls.length; failAt++) {
      // Prepare: a fresh day, and the failAt-th write or delete of the run refused
      await fresh();
      const deny = aws.deny({
        service: "s3",
        action: MUTATING,
        accessKeyId: KEY,
        skip: failAt,
        times: 1,
        code: "AccessDenied",
        status: 403,
      });

      // Act: the run stops at the refused call; the recompute's check, then the next run
      const failed = await compactor.compact(DAY, "full").then(
        () => "finished",
        () => "stopped",
      );
      deny.remove();
      await compactor.compact(DAY, "overlaps");
      const afterCheck = await visibleRows();
      await compactor.compact(DAY, "full");

      // Assess
      expect(failed, `call ${failAt} (${calls[failAt]})`).toBe("stopped");
      expect(afterCheck, `rows after the check, stopped at call ${failAt}`).toEqual(expected);
      expect(await visibleRows(), `rows after the next run, stopped at call ${failAt}`).toEqual(expected);
      expect(parquetObjects(), `objects after the next run, stopped at call ${failAt}`).toBe(2);
      expect(aws.s3.openUploads(BUCKET), `uploads left open, stopped at call ${failAt}`).toEqual([]);
    }
  }, 300_000);
});
