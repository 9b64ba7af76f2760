import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { parquetReadObjects } from "hyparquet";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { composeAwsIngest, ingestObject } from "../../../../functions/apps/ingest/aws.ts";
import { AWS_ENV } from "../../../../functions/runtime/env.ts";

/**
 * On AWS, the configuration's `formats` choose by object key prefix (issue 18): an object under the prefix is read with
 * the operator's nginx format, another one is detected; the summary says which and why.
 */

const s3 = mockClient(S3Client);
// The mock replaces the client class's send for the whole process, which the next test file shares.
afterAll(() => s3.restore());
const FORMATS = new URL("../../../fixtures/formats/", import.meta.url);
const nginxFormat = readFileSync(new URL("nginx-1115.format", FORMATS), "utf8");
const nginxLog = readFileSync(new URL("nginx-1115.log", FORMATS));
const combinedLog = Buffer.from(
  '203.0.113.45 - - [20/Nov/2026:10:00:01 +0000] "GET / HTTP/1.1" 200 900 "-" "curl/8.5.0"\n',
);

function env(config: unknown) {
  return {
    [AWS_ENV.rawBucket]: "raw-bucket",
    [AWS_ENV.analyticsBucket]: "analytics-bucket",
    [AWS_ENV.config]: JSON.stringify(config),
  };
}

beforeEach(() => {
  s3.reset();
  // Nothing else exists yet (the day salts are created on first need).
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no such key", $metadata: {} }));
  s3.on(GetObjectCommand, { Key: "incoming/site=example.com/nginx/a.log" }).callsFake(() => ({
    Body: Readable.from([nginxLog]) as never,
    VersionId: "v1",
  }));
  s3.on(GetObjectCommand, { Key: "incoming/site=example.com/other/b.log" }).callsFake(() => ({
    Body: Readable.from([combinedLog]) as never,
    VersionId: "v1",
  }));
  s3.on(PutObjectCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
});

describe("ingest on AWS with configured formats", () => {
  it("reads an object under a configured key prefix with that format, and detects the others", async () => {
    // Prepare
    const rt = await composeAwsIngest(
      env({
        sites: ["example.com"],
        trustedProxies: ["127.0.0.1"],
        formats: [{ prefix: "incoming/site=example.com/nginx/", nginx: nginxFormat }],
      }),
      { s3: new S3Client({}) },
    );

    // Act
    const configured = await ingestObject(rt, {
      bucket: "raw-bucket",
      key: "incoming/site=example.com/nginx/a.log",
      versionId: "v1",
      eTag: undefined,
      size: nginxLog.length,
    });
    const detected = await ingestObject(rt, {
      bucket: "raw-bucket",
      key: "incoming/site=example.com/other/b.log",
      versionId: "v1",
      eTag: undefined,
      size: combinedLog.length,
    });

    // Assess
    expect(configured).toMatchObject({
      format: "nginx",
      formatFrom: "formats[0]",
      detection: null,
      accepted: 3,
    });
    expect(detected).toMatchObject({
      format: "combined",
      formatFrom: "detection",
      detection: { matched: 1, considered: 1 },
      accepted: 1,
    });
    // The local proxy is trusted: the security rows hold the forwarded clients.
    const security = s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .filter((p) => p.Key?.startsWith("security/"));
    const clients: unknown[] = [];
    for (const put of security) {
      const body = put.Body as Uint8Array;
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      const rows = await parquetReadObjects({ file, columns: ["client_ip", "format"] });
      clients.push(...rows.filter((r) => r.format === "nginx").map((r) => r.client_ip));
    }
    expect(clients.sort()).toEqual(["127.0.0.1", "198.51.100.7", "198.51.100.7"]);
  });
});
