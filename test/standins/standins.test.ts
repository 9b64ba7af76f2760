import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Upload } from "@aws-sdk/lib-storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Standins, startStandins } from "./index.ts";

/** The stand-ins answer the real SDK clients the way the services do, for every call the project makes. */

let aws: Standins;
let s3: S3Client;
const KEY_ARN = "arn:aws:kms:eu-central-1:111111111111:key/raw";

beforeAll(async () => {
  aws = await startStandins();
  aws.s3.createBucket("raw", {
    versioned: true,
    objectLock: true,
    kmsKeyArn: KEY_ARN,
    bucketKeyEnabled: true,
  });
  aws.s3.createBucket("analytics", { kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/analytics" });
  aws.s3.createBucket("landing");
  s3 = new S3Client(aws.clientConfig("s3"));
});

afterAll(async () => {
  await aws.stop();
});

const text = (s: string) => new TextEncoder().encode(s);

describe("S3 stand-in", () => {
  it("keeps versions, answers with the bucket's SSE-KMS key, and lists versions and delete markers", async () => {
    // Act
    const first = await s3.send(
      new PutObjectCommand({ Bucket: "raw", Key: "security/a b.txt", Body: text("one") }),
    );
    const second = await s3.send(
      new PutObjectCommand({ Bucket: "raw", Key: "security/a b.txt", Body: text("two") }),
    );
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: "raw", Key: "security/a b.txt" }));
    const old = await s3.send(
      new GetObjectCommand({ Bucket: "raw", Key: "security/a b.txt", VersionId: first.VersionId }),
    );
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: "raw", Prefix: "security/" }));
    const current = await s3.send(new ListObjectsV2Command({ Bucket: "raw", Prefix: "security/" }));

    // Assess
    expect(first.ServerSideEncryption).toBe("aws:kms");
    expect(first.SSEKMSKeyId).toBe(KEY_ARN);
    expect(first.VersionId).not.toBe(second.VersionId);
    expect(deleted.DeleteMarker).toBe(true);
    expect(await old.Body?.transformToString()).toBe("one");
    expect(listed.Versions?.map((v) => v.VersionId)).toEqual([second.VersionId, first.VersionId]);
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.IsLatest])).toEqual([["security/a b.txt", true]]);
    expect(current.Contents ?? []).toEqual([]);
  });

  it("refuses to delete a version under legal hold, and lets it go once the hold is lifted", async () => {
    // Prepare
    const put = await s3.send(
      new PutObjectCommand({ Bucket: "raw", Key: "evidence/incident=1/x", Body: text("x") }),
    );
    await s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: "raw",
        Key: "evidence/incident=1/x",
        VersionId: put.VersionId,
        LegalHold: { Status: "ON" },
      }),
    );

    // Act
    const refused = await s3
      .send(
        new DeleteObjectCommand({ Bucket: "raw", Key: "evidence/incident=1/x", VersionId: put.VersionId }),
      )
      .catch((error: { name: string }) => error.name);
    const hold = await s3.send(
      new GetObjectLegalHoldCommand({
        Bucket: "raw",
        Key: "evidence/incident=1/x",
        VersionId: put.VersionId,
      }),
    );
    await s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: "raw",
        Key: "evidence/incident=1/x",
        VersionId: put.VersionId,
        LegalHold: { Status: "OFF" },
      }),
    );
    await s3.send(
      new DeleteObjectCommand({ Bucket: "raw", Key: "evidence/incident=1/x", VersionId: put.VersionId }),
    );

    // Assess
    expect(refused).toBe("AccessDenied");
    expect(hold.LegalHold?.Status).toBe("ON");
    expect(aws.s3.versions("raw", "evidence/")).toEqual([]);
  });

  it("honours If-None-Match on puts and verifies checksums, streamed (aws-chunked) or not", async () => {
    // Act
    const created = await s3.send(
      new PutObjectCommand({ Bucket: "analytics", Key: "salts/d", Body: text("salt"), IfNoneMatch: "*" }),
    );
    const again = await s3
      .send(
        new PutObjectCommand({ Bucket: "analytics", Key: "salts/d", Body: text("other"), IfNoneMatch: "*" }),
      )
      .catch((error: { name: string; $metadata: { httpStatusCode: number } }) => [
        error.name,
        error.$metadata.httpStatusCode,
      ]);
    await s3.send(
      new PutObjectCommand({
        Bucket: "analytics",
        Key: "events/streamed",
        Body: Readable.from([Buffer.from("stream"), Buffer.from("ed")]),
        ContentLength: 8,
      }),
    );
    const wrong = await s3
      .send(
        new PutObjectCommand({
          Bucket: "analytics",
          Key: "events/bad",
          Body: text("abc"),
          ChecksumSHA256: createHash("sha256").update("abd").digest("base64"),
        }),
      )
      .catch((error: { name: string }) => error.name);

    // Assess
    expect(created.ETag).toBeDefined();
    expect(again).toEqual(["PreconditionFailed", 412]);
    expect(aws.s3.get("analytics", "salts/d")?.toString()).toBe("salt");
    expect(aws.s3.get("analytics", "events/streamed")?.toString()).toBe("streamed");
    expect(wrong).toBe("BadDigest");
  });

  it("assembles a multipart upload (lib-storage) and reads byte ranges back", async () => {
    // Prepare: 11 MiB, so three parts of 5, 5 and 1 MiB
    const body = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.write(`line ${i}\n`, i);

    // Act
    await new Upload({
      client: s3,
      params: { Bucket: "raw", Key: "incoming/site=example.com/big.log", Body: body },
      partSize: 5 * 1024 * 1024,
    }).done();
    const range = await s3.send(
      new GetObjectCommand({
        Bucket: "raw",
        Key: "incoming/site=example.com/big.log",
        Range: "bytes=8192-8201",
      }),
    );
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: "raw", Key: "incoming/site=example.com/big.log" }),
    );

    // Assess
    expect(aws.s3.get("raw", "incoming/site=example.com/big.log")?.equals(body)).toBe(true);
    expect(await range.Body?.transformToString()).toBe("line 8192\n");
    expect(range.ContentRange).toBe(`bytes 8192-8201/${body.length}`);
    expect(head.ETag).toMatch(/-3"$/);
    expect(aws.s3.openUploads("raw")).toEqual([]);
  });

  it("copies between buckets with the destination's encryption, and answers a deny rule with AccessDenied", async () => {
    // Prepare
    aws.s3.put("landing", "AWSLogs/1/elb.log.gz", text("alb"));
    const deny = aws.deny({ service: "s3", action: "GetObject", resource: "raw/incoming/" });

    // Act
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket: "raw",
        Key: "incoming/alb/elb.log.gz",
        CopySource: "landing/AWSLogs/1/elb.log.gz",
      }),
    );
    const refused = await s3
      .send(new GetObjectCommand({ Bucket: "raw", Key: "incoming/alb/elb.log.gz" }))
      .catch((error: { name: string }) => error.name);
    deny.remove();
    const allowed = await s3.send(new GetObjectCommand({ Bucket: "raw", Key: "incoming/alb/elb.log.gz" }));

    // Assess
    expect(copied.SSEKMSKeyId).toBe(KEY_ARN);
    expect(aws.s3.head("landing", "AWSLogs/1/elb.log.gz")?.sse.algorithm).toBe("AES256");
    expect(refused).toBe("AccessDenied");
    expect(deny.denied).toBe(1);
    expect(await allowed.Body?.transformToString()).toBe("alb");
  });
});

describe("SQS stand-in", () => {
  it("delivers a FIFO group in order, one batch in flight per group, and moves a message received too often to its DLQ", async () => {
    // Prepare
    aws.sqs.createQueue("dlq.fifo");
    const { url } = aws.sqs.createQueue("days.fifo", {
      visibilityTimeoutSeconds: 60,
      deadLetter: { queueName: "dlq.fifo", maxReceiveCount: 2 },
    });
    const sqs = new SQSClient(aws.clientConfig("sqs"));
    const ids: string[] = [];
    for (const [group, n] of [
      ["a", 1],
      ["a", 2],
      ["b", 1],
      ["a", 3],
    ] as const) {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: `${group}${n}`,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}${n}`,
        }),
      );
      ids.push(sent.MessageId as string);
    }
    const duplicate = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "a1",
        MessageGroupId: "a",
        MessageDeduplicationId: "a1",
      }),
    );

    // Act
    const first = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 2,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    for (const m of second.Messages ?? [])
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    const blocked = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    aws.clock.advance(61_000);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    for (const m of (again.Messages ?? []).slice(1)) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
    aws.clock.advance(61_000);
    const third = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));

    // Assess
    expect(duplicate.MessageId).toBe(ids[0]);
    expect(first.Messages?.map((m) => m.Body)).toEqual(["a1", "a2"]);
    expect(first.Messages?.[0]?.Attributes?.MessageGroupId).toBe("a");
    expect(second.Messages?.map((m) => m.Body)).toEqual(["b1"]);
    expect(blocked.Messages ?? []).toEqual([]);
    expect(again.Messages?.map((m) => m.Body)).toEqual(["a1", "a2", "a3"]);
    // a1 was received twice (its maxReceiveCount) and never deleted: the next receive moves it away.
    expect(third.Messages ?? []).toEqual([]);
    expect(aws.sqs.messages("dlq.fifo").map((m) => m.body)).toEqual(["a1"]);
    expect(aws.sqs.messages("days.fifo")).toEqual([]);
  });
});

describe("Athena, Firehose and STS stand-ins", () => {
  it("runs a SELECT with bound parameters and an UNLOAD that refuses a non-empty target, over files Firehose wrote", async () => {
    // Prepare
    const columns = [
      { name: "ts", type: "timestamp" },
      { name: "site", type: "string" },
      { name: "bytes", type: "bigint" },
    ];
    aws.firehose.registerStream({
      name: "events-stream",
      bucket: "analytics",
      prefix: "events/dt=!{partitionKeyFromQuery:dt}/",
      errorPrefix: "events/_errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
      fileExtension: ".parquet",
      columns,
    });
    aws.athena.registerTable({
      database: "logsieve",
      name: "events",
      location: "s3://analytics/events/",
      columns,
      partitionKeys: [{ name: "dt", type: "string" }],
      parameters: {},
    });
    aws.athena.registerWorkgroup({ name: "pipeline", outputLocation: "s3://analytics/results/" });
    const firehose = new FirehoseClient(aws.clientConfig("firehose"));
    const record = (ts: number, site: string, bytes: number) => ({
      Data: text(`${JSON.stringify({ ts, site, bytes, dt: new Date(ts).toISOString().slice(0, 10) })}\n`),
    });
    await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: "events-stream",
        Records: [
          record(Date.UTC(2026, 10, 20, 1), "a.example", 10),
          record(Date.UTC(2026, 10, 20, 2), "a.example", 5),
          record(Date.UTC(2026, 10, 21), "b.example", 7),
          { Data: text("not json") },
        ],
      }),
    );
    const written = await aws.firehose.flush();
    const athena = new AthenaClient(aws.clientConfig("athena"));
    const run = async (sql: string, params: string[]) => {
      const { QueryExecutionId } = await athena.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          WorkGroup: "pipeline",
          QueryExecutionContext: { Database: "logsieve" },
          ExecutionParameters: params,
        }),
      );
      await aws.athena.settled();
      const status = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      return { id: QueryExecutionId as string, status: status.QueryExecution?.Status };
    };

    // Act
    const select = await run(
      "SELECT site, sum(bytes) AS b, min(ts) AS first FROM events WHERE dt = ? GROUP BY site",
      ["'2026-11-20'"],
    );
    const rows = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: select.id }));
    const unload =
      "UNLOAD (SELECT site, count(*) AS n FROM events WHERE dt = ? GROUP BY site ORDER BY site) TO 's3://analytics/stats/x/dt=2026-11-20/' WITH (format = 'PARQUET', compression = 'SNAPPY')";
    const firstUnload = await run(unload, ["'2026-11-20'"]);
    const secondUnload = await run(unload, ["'2026-11-20'"]);

    // Assess
    expect(written.filter((k) => k.startsWith("events/dt=")).map((k) => k.slice(0, 20))).toEqual([
      "events/dt=2026-11-20",
      "events/dt=2026-11-21",
    ]);
    expect(written.some((k) => k.startsWith("events/_errors/processing-failed/"))).toBe(true);
    expect(select.status?.State).toBe("SUCCEEDED");
    expect(rows.ResultSet?.Rows?.map((r) => r.Data?.map((d) => d.VarCharValue))).toEqual([
      ["site", "b", "first"],
      ["a.example", "15", "2026-11-20 01:00:00.000"],
    ]);
    expect(firstUnload.status?.State).toBe("SUCCEEDED");
    expect(aws.s3.keys("analytics", "stats/x/dt=2026-11-20/")).toHaveLength(1);
    expect(secondUnload.status?.State).toBe("FAILED");
    expect(secondUnload.status?.StateChangeReason).toMatch(/HIVE_PATH_ALREADY_EXISTS/);
  });

  it("issues temporary keys for AssumeRole with session tags and knows whose they are", async () => {
    // Prepare
    const sts = new STSClient(aws.clientConfig("sts", "AKIDDASHBOARD"));

    // Act
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::111111111111:role/MarketingAnalyst",
        RoleSessionName: "alice",
        Tags: [{ Key: "group", Value: "marketing" }],
      }),
    );
    const credentials = assumed.Credentials;
    const asRole = new STSClient({
      ...aws.clientConfig("sts"),
      credentials: {
        accessKeyId: credentials?.AccessKeyId as string,
        secretAccessKey: credentials?.SecretAccessKey as string,
        sessionToken: credentials?.SessionToken as string,
      },
    });
    const identity = await asRole.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(identity.Arn).toBe("arn:aws:sts::111111111111:assumed-role/MarketingAnalyst/alice");
    expect(aws.sts.sessionOf(credentials?.AccessKeyId as string)).toMatchObject({
      roleArn: "arn:aws:iam::111111111111:role/MarketingAnalyst",
      tags: { group: "marketing" },
      assumedBy: "AKIDDASHBOARD",
    });
  });
});
