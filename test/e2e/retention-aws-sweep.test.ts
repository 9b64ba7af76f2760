import {
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { composeAwsSweep } from "../../functions/apps/sweep/aws.ts";
import { sweepHandler } from "../../functions/apps/sweep/handler.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";

/** The hourly sweep function as deployed: environment → two buckets → one sweep, with S3 mocked. */

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const NOW = Date.UTC(2026, 10, 20, 12);
const DAY = 86_400_000;
const env = {
  [AWS_ENV.rawBucket]: "raw",
  [AWS_ENV.analyticsBucket]: "analytics",
  [AWS_ENV.config]: JSON.stringify({ retention: { eventsDays: 30 } }),
  AWS_LAMBDA_FUNCTION_NAME: "logsieve-sweep",
};

function runtime() {
  const rt = composeAwsSweep(env, new S3Client({}));
  return { ...rt, clock: new FixedClock(NOW) };
}

describe("sweep handler on AWS", () => {
  it("deletes expired versions in the bucket of their zone, asks holds only of the raw bucket, records the run", async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    s3.on(ListObjectVersionsCommand, { Bucket: "raw", Prefix: "security/" }).resolves({
      IsTruncated: false,
      Versions: [
        {
          Key: "security/dt=2026-11-12/hour=01/a-0000.parquet",
          VersionId: "r1",
          IsLatest: true,
          LastModified: new Date(NOW - 8 * DAY),
          Size: 9,
        },
        {
          Key: "security/dt=2026-11-20/hour=01/b-0000.parquet",
          VersionId: "r2",
          IsLatest: true,
          LastModified: new Date(NOW),
          Size: 9,
        },
      ],
    });
    s3.on(ListObjectVersionsCommand, { Bucket: "analytics", Prefix: "events/" }).resolves({
      IsTruncated: false,
      Versions: [
        // 31 days: past the configured 30 days
        {
          Key: "events/dt=2026-10-20/c-0000.parquet",
          VersionId: "null",
          IsLatest: true,
          LastModified: new Date(NOW - 31 * DAY),
          Size: 9,
        },
      ],
    });
    s3.on(GetObjectLegalHoldCommand).rejects(
      Object.assign(new Error("none"), {
        name: "NoSuchObjectLockConfiguration",
        $metadata: { httpStatusCode: 404 },
      }),
    );
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(PutObjectCommand).resolves({});

    // Act
    const result = await sweepHandler({ "detail-type": "Scheduled Event" }, runtime());

    // Assess
    expect(result).toMatchObject({ deleted: 2, skipped: 0, errors: 0 });
    expect(
      s3
        .commandCalls(DeleteObjectCommand)
        .map((c) => [c.args[0].input.Bucket, c.args[0].input.Key, c.args[0].input.VersionId]),
    ).toEqual([
      ["raw", "security/dt=2026-11-12/hour=01/a-0000.parquet", "r1"],
      ["analytics", "events/dt=2026-10-20/c-0000.parquet", "null"],
    ]);
    expect(s3.commandCalls(GetObjectLegalHoldCommand).every((c) => c.args[0].input.Bucket === "raw")).toBe(
      true,
    );
    const record = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(record?.Bucket).toBe("raw");
    expect(record?.Key).toMatch(/^evidence\/audit\/sweeps\/dt=2026-11-20\//);
    expect(record?.IfNoneMatch).toBe("*");
    expect(JSON.parse(new TextDecoder().decode(record?.Body as Uint8Array)).by).toBe("logsieve-sweep");
  });

  it("fails the invocation when a version could not be deleted, after sweeping the rest", async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    s3.on(ListObjectVersionsCommand, { Bucket: "raw", Prefix: "rejects/" }).resolves({
      IsTruncated: false,
      Versions: ["01", "02"].map((h) => ({
        Key: `rejects/dt=2026-11-01/hour=${h}/r-0000.parquet`,
        VersionId: `v${h}`,
        IsLatest: true,
        LastModified: new Date(NOW - 19 * DAY),
        Size: 1,
      })),
    });
    s3.on(GetObjectLegalHoldCommand).resolves({ LegalHold: { Status: "OFF" } });
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(DeleteObjectCommand, { Key: "rejects/dt=2026-11-01/hour=01/r-0000.parquet" }).rejects(
      Object.assign(new Error("We encountered an internal error"), {
        name: "InternalError",
        $metadata: { httpStatusCode: 500 },
      }),
    );
    s3.on(PutObjectCommand).resolves({});

    // Act
    const run = sweepHandler({}, runtime());

    // Assess
    await expect(run).rejects.toThrow("sweep finished with 1 error(s); deleted 1, held 0");
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(2);
  });

  it("names the missing environment variable on a cold start without it", () => {
    // Prepare
    const incomplete = { [AWS_ENV.rawBucket]: "raw" };

    // Act / Assess
    expect(() => composeAwsSweep(incomplete, new S3Client({}))).toThrow(AWS_ENV.analyticsBucket);
  });
});
