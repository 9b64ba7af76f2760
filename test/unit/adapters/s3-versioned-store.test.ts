import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { S3VersionedStore } from "../../../functions/adapters/aws/s3-versioned-store.ts";
import { parseConfig } from "../../../functions/core/config.ts";
import { retentionRules } from "../../../functions/core/retention/rules.ts";
import { sweep } from "../../../functions/core/retention/sweep.ts";
import type { ObjectVersion } from "../../../functions/ports/versioned-store.ts";

const s3 = mockClient(S3Client);
// The mock replaces the client class's send for the whole process, which the next test file shares.
afterAll(() => s3.restore());
afterEach(() => s3.reset());

const BUCKET = "raw-bucket";
const NOW = Date.UTC(2026, 10, 20, 12);
const OLD = new Date(NOW - 9 * 24 * 3_600_000);

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

const store = (objectLock = true) =>
  new S3VersionedStore({ client: new S3Client({}), bucket: BUCKET, objectLock });

async function collect(iterable: AsyncIterable<ObjectVersion>): Promise<ObjectVersion[]> {
  const out: ObjectVersion[] = [];
  for await (const v of iterable) out.push(v);
  return out;
}

describe("S3VersionedStore", () => {
  it("lists versions and delete markers across pages with the key and version markers", async () => {
    // Prepare
    s3.on(ListObjectVersionsCommand, { Bucket: BUCKET, Prefix: "security/", KeyMarker: undefined }).resolves({
      IsTruncated: true,
      NextKeyMarker: "security/b",
      NextVersionIdMarker: "vb1",
      Versions: [
        { Key: "security/a", VersionId: "va1", IsLatest: false, LastModified: new Date(1000), Size: 5 },
        { Key: "security/b", VersionId: "vb1", IsLatest: true, LastModified: new Date(3000), Size: 7 },
      ],
      DeleteMarkers: [{ Key: "security/a", VersionId: "va2", IsLatest: true, LastModified: new Date(2000) }],
    });
    s3.on(ListObjectVersionsCommand, { KeyMarker: "security/b", VersionIdMarker: "vb1" }).resolves({
      IsTruncated: false,
      Versions: [
        { Key: "security/c", VersionId: "vc1", IsLatest: true, LastModified: new Date(4000), Size: 1 },
      ],
    });

    // Act
    const versions = await collect(store().listVersions("security/"));

    // Assess
    expect(versions.map((v) => [v.key, v.versionId, v.isDeleteMarker, v.isLatest, v.lastModified])).toEqual([
      ["security/a", "va2", true, true, 2000],
      ["security/a", "va1", false, false, 1000],
      ["security/b", "vb1", false, true, 3000],
      ["security/c", "vc1", false, true, 4000],
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
  });

  it("deletes a version by its id and never bypasses governance retention", async () => {
    // Prepare
    s3.on(DeleteObjectCommand).resolves({});

    // Act
    const outcome = await store().deleteVersion("security/a", "va1");

    // Assess
    expect(outcome).toBe("deleted");
    const input = s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input;
    expect(input).toEqual({ Bucket: BUCKET, Key: "security/a", VersionId: "va1" });
    expect(input).not.toHaveProperty("BypassGovernanceRetention");
  });

  it("answers denied for AccessDenied and missing for a vanished version, and throws anything else", async () => {
    // Prepare
    s3.on(DeleteObjectCommand, { Key: "held" }).rejects(s3Error("AccessDenied", 403));
    s3.on(DeleteObjectCommand, { Key: "gone" }).rejects(s3Error("NoSuchVersion", 404));
    s3.on(DeleteObjectCommand, { Key: "broken" }).rejects(s3Error("InternalError", 500));

    // Act / Assess
    expect(await store().deleteVersion("held", "v")).toBe("denied");
    expect(await store().deleteVersion("gone", "v")).toBe("missing");
    await expect(store().deleteVersion("broken", "v")).rejects.toThrow("InternalError");
  });

  it("reads, places and lifts legal holds, and treats a version without any as OFF", async () => {
    // Prepare
    s3.on(GetObjectLegalHoldCommand, { Key: "on" }).resolves({ LegalHold: { Status: "ON" } });
    s3.on(GetObjectLegalHoldCommand, { Key: "never" }).rejects(s3Error("NoSuchObjectLockConfiguration", 404));
    s3.on(PutObjectLegalHoldCommand).resolves({});

    // Act
    const on = await store().getLegalHold("on", "v1");
    const never = await store().getLegalHold("never", "v1");
    await store().putLegalHold("on", "v1", "OFF");
    const unlocked = await store(false).getLegalHold("on", "v1");

    // Assess
    expect([on, never, unlocked]).toEqual(["ON", "OFF", "OFF"]);
    expect(s3.commandCalls(PutObjectLegalHoldCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: "on",
      VersionId: "v1",
      LegalHold: { Status: "OFF" },
    });
    expect(s3.commandCalls(GetObjectLegalHoldCommand)).toHaveLength(2); // none for the bucket without Object Lock
  });

  it("writes and copies evidence with the legal hold ON and returns the new version id", async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({ VersionId: "new-1" });
    s3.on(CopyObjectCommand).resolves({ VersionId: "new-2" });

    // Act
    const put = await store().putWithLegalHold("evidence/incident=A/records.parquet", new Uint8Array([1]));
    const copy = await store().copyWithLegalHold(
      "security/dt=2026-11-20/hour=01/a b.parquet",
      "evidence/incident=A/a.parquet",
      "v 9",
    );

    // Assess
    expect([put.versionId, copy.versionId]).toEqual(["new-1", "new-2"]);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.ObjectLockLegalHoldStatus).toBe("ON");
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: "evidence/incident=A/a.parquet",
      CopySource: `${BUCKET}/security/dt%3D2026-11-20/hour%3D01/a%20b.parquet?versionId=v%209`,
      ObjectLockLegalHoldStatus: "ON",
    });
  });

  it("writes only if absent, answering false when S3 says the key exists", async () => {
    // Prepare
    s3.on(PutObjectCommand, { Key: "taken" }).rejects(s3Error("PreconditionFailed", 412));
    s3.on(PutObjectCommand, { Key: "free" }).resolves({});

    // Act
    const taken = await store().putIfAbsent("taken", new Uint8Array([1]));
    const free = await store().putIfAbsent("free", new Uint8Array([1]));

    // Assess
    expect([taken, free]).toEqual([false, true]);
    expect(s3.commandCalls(PutObjectCommand).every((c) => c.args[0].input.IfNoneMatch === "*")).toBe(true);
  });

  it("under the sweeper: skips and reports a held version, counts an AccessDenied as held, deletes the rest", async () => {
    // Prepare: three expired versions of the security zone; one held, one refused (held meanwhile)
    const key = (h: string) => `security/dt=2026-11-11/hour=${h}/x-0000.parquet`;
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    s3.on(ListObjectVersionsCommand, { Prefix: "security/" }).resolves({
      IsTruncated: false,
      Versions: ["01", "02", "03"].map((h) => ({
        Key: key(h),
        VersionId: `v${h}`,
        IsLatest: true,
        LastModified: OLD,
        Size: 1,
      })),
    });
    s3.on(GetObjectLegalHoldCommand).rejects(s3Error("NoSuchObjectLockConfiguration", 404));
    s3.on(GetObjectLegalHoldCommand, { Key: key("01") }).resolves({ LegalHold: { Status: "ON" } });
    s3.on(GetObjectLegalHoldCommand, { Key: key("02") })
      .rejectsOnce(s3Error("NoSuchObjectLockConfiguration", 404))
      .resolves({ LegalHold: { Status: "ON" } });
    s3.on(DeleteObjectCommand).resolves({});
    s3.on(DeleteObjectCommand, { Key: key("02") }).rejects(s3Error("AccessDenied", 403));
    s3.on(PutObjectCommand).resolves({ VersionId: "rec" });
    const raw = store();

    // Act
    const report = await sweep(
      { storeFor: () => raw, rules: retentionRules(parseConfig({}).retention) },
      { now: NOW },
    );

    // Assess
    expect(report.deleted.security).toBe(1);
    expect(report.skippedHeld.security).toBe(2);
    expect(report.keys.skippedHeld.map((s) => s.key)).toEqual([key("01"), key("02")]);
    expect(report.errors).toEqual([]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      key("02"),
      key("03"),
    ]);
  });
});
