import { Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AWS_ENV } from "../../../../functions/runtime/env.ts";

/**
 * The ingest Lambda against mocked S3 and SQS clients: S3 notifications in SQS messages → objects read →
 * security rows to the raw bucket, anonymized events to the analytics bucket → touched days to the
 * aggregate queue; a bad message is reported as exactly that one batch item failure.
 */

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
// The mocks replace the client classes' send for the whole process, which the next test file shares.
afterAll(() => {
  s3.restore();
  sqs.restore();
  for (const name of Object.keys(ENV)) delete process.env[name];
});

const LOG = [
  '203.0.113.45 - - [20/Nov/2026:10:00:01 +0000] "GET /pricing?utm_source=news HTTP/1.1" 200 5120 "https://www.google.com/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"',
  '2001:db8:1234:5678::9 - - [20/Nov/2026:11:00:02 +0000] "GET / HTTP/1.1" 200 900 "-" "curl/8.5.0"',
  "not a log line",
].join("\n");

function s3Notification(key: string): string {
  return JSON.stringify({
    Records: [
      {
        eventName: "ObjectCreated:Put",
        s3: {
          bucket: { name: "raw-bucket" },
          object: { key: encodeURIComponent(key), versionId: "v1", size: LOG.length },
        },
      },
    ],
  });
}

function sqsRecord(id: string, body: string): SQSRecord {
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

let handler: (
  event: SQSEvent,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const ENV = {
  [AWS_ENV.rawBucket]: "raw-bucket",
  [AWS_ENV.analyticsBucket]: "analytics-bucket",
  [AWS_ENV.config]: JSON.stringify({ sites: ["example.com"] }),
  [AWS_ENV.aggregateQueueUrl]: "https://sqs.eu-central-1.amazonaws.com/123456789012/aggregate",
};

beforeAll(async () => {
  // The Lambda reads its environment as deployed; set for this file only (the process runs other files after it).
  Object.assign(process.env, ENV);
  ({ handler } = (await import("../../../../functions/apps/ingest/handler.ts")) as unknown as {
    handler: typeof handler;
  });
});

beforeEach(() => {
  s3.reset();
  sqs.reset();
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no such key", $metadata: {} }));
  s3.on(GetObjectCommand, { Bucket: "raw-bucket", Key: "incoming/site=example.com/access.log" }).callsFake(
    () => ({
      // The SDK returns a Node Readable in Lambda; the adapter reads it as an async iterable of chunks.
      Body: Readable.from([Buffer.from(LOG)]) as never,
      VersionId: "v1",
    }),
  );
  s3.on(PutObjectCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe("ingest handler", () => {
  it("writes the full record to the raw bucket and only anonymized events to the analytics bucket", async () => {
    // Act
    const response = await handler(
      { Records: [sqsRecord("m1", s3Notification("incoming/site=example.com/access.log"))] },
      {} as Context,
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const security = puts.filter((p) => p.Key?.startsWith("security/"));
    const events = puts.filter((p) => p.Key?.startsWith("events/"));
    const rejects = puts.filter((p) => p.Key?.startsWith("rejects/"));
    expect(security.every((p) => p.Bucket === "raw-bucket")).toBe(true);
    expect(rejects.every((p) => p.Bucket === "raw-bucket")).toBe(true);
    expect(events.every((p) => p.Bucket === "analytics-bucket")).toBe(true);
    expect(security.map((p) => p.Key)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^security\/dt=2026-11-20\/hour=10\//)]),
    );
    expect(events).toHaveLength(1);
    const body = events[0]?.Body as Uint8Array;
    const rows = await parquetReadObjects({
      file: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    });
    const text = JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(rows).toHaveLength(2);
    expect(text).not.toContain("203.0.113.45");
    expect(text).not.toContain("2001:db8:1234:5678::9");
    expect(text).toContain("203.0.113.0/24");
    expect(text).toContain("2001:db8:1234::/48");
    expect(rows.map((r) => r.site)).toEqual(["example.com", "example.com"]);
    // One request per touched day to the FIFO aggregate queue, the day as message group.
    const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(
      sent.map((e) => [
        e.MessageGroupId,
        JSON.parse(e.MessageBody ?? "{}").day,
        JSON.parse(e.MessageBody ?? "{}").why,
      ]),
    ).toEqual([["2026-11-20", "2026-11-20", "ingest"]]);
  });

  it("reports exactly the failing message of a batch, and still ingests the others", async () => {
    // Prepare
    const event: SQSEvent = {
      Records: [
        sqsRecord("ok-1", s3Notification("incoming/site=example.com/access.log")),
        sqsRecord("bad", "{ this is not json"),
        sqsRecord("missing", s3Notification("incoming/site=example.com/gone.log")),
        sqsRecord("test-event", JSON.stringify({ Event: "s3:TestEvent" })),
      ],
    };
    // Act
    const response = await handler(event, {} as Context);
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["bad", "missing"]);
    expect(s3.commandCalls(PutObjectCommand).some((c) => c.args[0].input.Key?.startsWith("events/"))).toBe(
      true,
    );
  });

  it("logs one error line per failed record, naming the object and the error, with no address in it", async () => {
    // Prepare: an ALB-style key that holds a load balancer node's address, missing from the bucket; a bad message
    const address = "203.0.113.45";
    const key = `incoming/alb/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/2026/11/20/123456789012_elasticloadbalancing_eu-central-1_app.web.50dc6c495c0c9188_20261120T1000Z_${address}_2et2e1mx.log.gz`;
    const written: string[] = [];
    const capture =
      (stream: NodeJS.WriteStream) =>
      (original: NodeJS.WriteStream["write"]): NodeJS.WriteStream["write"] =>
        ((chunk: unknown, ...rest: unknown[]) => {
          written.push(String(chunk));
          return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
        }) as NodeJS.WriteStream["write"];
    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    process.stdout.write = capture(process.stdout)(stdoutWrite);
    process.stderr.write = capture(process.stderr)(stderrWrite);

    // Act
    let response: Awaited<ReturnType<typeof handler>>;
    try {
      response = await handler(
        {
          Records: [
            sqsRecord("ok", s3Notification("incoming/site=example.com/access.log")),
            sqsRecord("gone", s3Notification(key)),
            sqsRecord("bad", "{ this is not json"),
          ],
        },
        {} as Context,
      );
    } finally {
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
    }

    // Assess: one "record failed" line per failure, the key redacted, the error named
    const failures = written
      .flatMap((text) => text.split("\n"))
      .filter((line) => line.includes('"record failed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["bad", "gone"]);
    expect(failures.map((f) => [f.level, f.messageId]).sort()).toEqual([
      ["ERROR", "bad"],
      ["ERROR", "gone"],
    ]);
    const gone = failures.find((f) => f.messageId === "gone");
    expect(gone?.key).toEqual(expect.stringContaining("_20261120T1000Z_[address]"));
    expect(gone?.key).toEqual(expect.stringMatching(/^incoming\/alb\/AWSLogs\/123456789012\//));
    expect(gone?.error).toMatchObject({ name: "NoSuchKey" });
    expect(failures.find((f) => f.messageId === "bad")?.error).toMatchObject({ name: expect.any(String) });
    // Positive control: the address was in what the handler was given, and is in no line it wrote.
    expect(key).toContain(address);
    expect(written.join("")).not.toContain(address);
  });
});
