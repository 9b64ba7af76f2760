import { AthenaClient, GetQueryExecutionCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { scheduledDays } from "../../../../functions/apps/aggregate/aws.ts";
import { ROLLUPS } from "../../../../functions/core/aggregate/rollups.ts";
import { AWS_ENV } from "../../../../functions/runtime/env.ts";

/**
 * The aggregate Lambda against mocked Athena and S3: each touched day's rollups are UNLOADed from the same
 * SELECT texts DuckDB runs, into emptied stats partitions; a bad message is exactly one batch item failure.
 */

const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);

type Handler = (
  event: unknown,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] } | undefined>;
let handler: Handler;

function record(id: string, body: string): SQSRecord {
  return {
    messageId: id,
    body,
    receiptHandle: id,
    attributes: {} as SQSRecord["attributes"],
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:eu-central-1:1:agg",
    awsRegion: "eu-central-1",
  };
}

beforeAll(async () => {
  process.env[AWS_ENV.analyticsBucket] = "analytics-bucket";
  process.env[AWS_ENV.athenaWorkgroup] = "logsieve-pipeline";
  process.env[AWS_ENV.glueDatabase] = "logsieve";
  process.env[AWS_ENV.queriesDir] = `${process.cwd()}/queries`;
  ({ handler } = (await import("../../../../functions/apps/aggregate/handler.ts")) as unknown as {
    handler: Handler;
  });
});

beforeEach(() => {
  athena.reset();
  s3.reset();
  let n = 0;
  athena.on(StartQueryExecutionCommand).callsFake(() => ({ QueryExecutionId: `q${++n}` }));
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents:
      input.Prefix === "stats/pages/dt=2026-11-20/"
        ? [{ Key: "stats/pages/dt=2026-11-20/old.parquet", Size: 10 }]
        : [],
  }));
  s3.on(DeleteObjectCommand).resolves({});
  s3.on(GetObjectCommand).rejects(Object.assign(new Error("no such key"), { name: "NoSuchKey" }));
  s3.on(PutObjectCommand).resolves({});
});

describe("aggregate handler", () => {
  it("UNLOADs every rollup of each touched day into its emptied partition, with the day and k as parameters", async () => {
    // Act
    const response = await handler(
      { Records: [record("m1", JSON.stringify({ days: ["2026-11-20"] }))] } as SQSEvent,
      {} as Context,
    );

    // Assess
    expect(response?.batchItemFailures).toEqual([]);
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(ROLLUPS.length);
    for (const [i, rollup] of ROLLUPS.entries()) {
      expect(starts[i]?.QueryString).toMatch(/^UNLOAD \(/);
      expect(starts[i]?.QueryString).toContain(`TO 's3://analytics-bucket/stats/${rollup}/dt=2026-11-20/'`);
      // The day (once per scan of the events: four times for the properties' four columns), then k (from the
      // configuration: default 5) for the fold into (other) that happens before storing.
      const days = rollup === "props" ? 4 : 1;
      // totals judges people, prefixes and unique clients (three comparisons per side of the fold), the others two.
      const ks = rollup === "totals" ? 6 : 4;
      expect(starts[i]?.ExecutionParameters).toEqual([
        ...Array(days).fill("'2026-11-20'"),
        ...Array(ks).fill("5"),
      ]);
      expect(starts[i]?.WorkGroup).toBe("logsieve-pipeline");
    }
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      "stats/pages/dt=2026-11-20/old.parquet",
    ]);
    // The configured goals are written first, for the goals rollup to join (none configured: an empty table).
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      "goals/goals.parquet",
    ]);
  });

  it("reports only the malformed message as failed", async () => {
    // Act
    const response = await handler(
      {
        Records: [
          record("good", JSON.stringify({ days: ["2026-11-21"] })),
          record("bad", JSON.stringify({ day: 1 })),
        ],
      } as SQSEvent,
      {} as Context,
    );
    // Assess
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: "bad" }]);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(ROLLUPS.length);
  });

  it("recomputes yesterday and today on the hourly schedule", async () => {
    // Prepare
    expect(scheduledDays(Date.UTC(2026, 0, 1, 0, 30))).toEqual(["2025-12-31", "2026-01-01"]);
    // Act
    await handler({ source: "aws.events", "detail-type": "Scheduled Event" }, {} as Context);
    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(2 * ROLLUPS.length);
  });
});
