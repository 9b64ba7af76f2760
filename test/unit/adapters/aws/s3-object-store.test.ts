import { createHash } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { S3ObjectStore, S3ObjectStoreError } from "../../../../functions/adapters/aws/s3-object-store.ts";
import type { ObjectInfo } from "../../../../functions/ports/object-store.ts";

const s3 = mockClient(S3Client);
// The mock replaces the client class's send for the whole process, which the next test file shares.
afterAll(() => s3.restore());
afterEach(() => {
  s3.reset();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status, requestId: "REQ123" },
    message: `${name} message from the service`,
  });
}

function newStore(options: { prefix?: string; checksum?: "sha256" | "md5" } = {}): S3ObjectStore {
  return new S3ObjectStore({
    client: new S3Client({ region: "eu-central-1" }),
    bucket: "lake-bucket",
    ...options,
  });
}

describe("S3ObjectStore.put", () => {
  it("writes one PutObject under the prefix, with a SHA-256 checksum and no hard-coded encryption key", async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    const body = bytes("parquet bytes");
    // Act
    await newStore({ prefix: "lake" }).put("events/dt=2026-11-20/a-0000.parquet", body, {
      contentType: "application/vnd.apache.parquet",
    });
    // Assess
    const calls = s3.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toMatchObject({
      Bucket: "lake-bucket",
      Key: "lake/events/dt=2026-11-20/a-0000.parquet",
      Body: body,
      ContentType: "application/vnd.apache.parquet",
      ChecksumSHA256: createHash("sha256").update("parquet bytes").digest("base64"),
    });
    expect(input?.ServerSideEncryption).toBeUndefined();
    expect(input?.SSEKMSKeyId).toBeUndefined();
    expect(input?.IfNoneMatch).toBeUndefined();
  });

  it("sends Content-MD5 instead when configured for an S3-compatible store", async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    await newStore({ checksum: "md5" }).put("k", bytes("abc"));
    // Assess
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.ContentMD5).toBe(createHash("md5").update("abc").digest("base64"));
    expect(input?.ChecksumSHA256).toBeUndefined();
    expect(input?.Key).toBe("k");
  });
});

describe("S3ObjectStore.putIfAbsent", () => {
  it("sends If-None-Match: * and answers true when S3 accepts", async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});
    // Act
    const won = await newStore().putIfAbsent("salts/dt=2026-11-20/salt.json", bytes("{}"));
    // Assess
    expect(won).toBe(true);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.IfNoneMatch).toBe("*");
  });

  it("answers false when the object exists (412 PreconditionFailed)", async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(serviceError("PreconditionFailed", 412));
    // Act
    const won = await newStore().putIfAbsent("salts/dt=2026-11-20/salt.json", bytes("{}"));
    // Assess
    expect(won).toBe(false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it("retries a 409 ConditionalRequestConflict, then reports the outcome", async () => {
    // Prepare
    s3.on(PutObjectCommand)
      .rejectsOnce(serviceError("ConditionalRequestConflict", 409))
      .rejectsOnce(serviceError("PreconditionFailed", 412));
    // Act
    const won = await newStore().putIfAbsent("salts/x", bytes("{}"));
    // Assess
    expect(won).toBe(false);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });
});

describe("S3ObjectStore.get", () => {
  it("returns the object's bytes", async () => {
    // Prepare
    s3.on(GetObjectCommand, { Bucket: "lake-bucket", Key: "p/stats/x.parquet" }).resolves({
      Body: { transformToByteArray: async () => bytes("content") } as never,
    });
    // Act
    const got = await newStore({ prefix: "p/" }).get("stats/x.parquet");
    // Assess
    expect(new TextDecoder().decode(got ?? undefined)).toBe("content");
  });

  it("returns null for a missing object (NoSuchKey)", async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
    );
    // Act
    const got = await newStore().get("salts/dt=2026-11-20/salt.json");
    // Assess
    expect(got).toBeNull();
  });
});

describe("S3ObjectStore.list", () => {
  it("pages through ListObjectsV2 (3 pages) and gives keys relative to the prefix", async () => {
    // Prepare
    const at = new Date(Date.UTC(2026, 10, 20, 12));
    const page = (keys: string[]) =>
      keys.map((k) => ({ Key: `lake/${k}`, Size: k.length, LastModified: at }));
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: page(["events/dt=2026-11-20/a", "events/dt=2026-11-20/b"]),
      IsTruncated: true,
      NextContinuationToken: "t1",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "t1" }).resolves({
      Contents: page(["events/dt=2026-11-20/c"]),
      IsTruncated: true,
      NextContinuationToken: "t2",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "t2" }).resolves({
      Contents: page(["events/dt=2026-11-20/d"]),
      IsTruncated: false,
    });
    // Act
    const listed: ObjectInfo[] = [];
    for await (const info of newStore({ prefix: "lake/" }).list("events/dt=2026-11-20/")) listed.push(info);
    // Assess
    expect(listed.map((i) => i.key)).toEqual([
      "events/dt=2026-11-20/a",
      "events/dt=2026-11-20/b",
      "events/dt=2026-11-20/c",
      "events/dt=2026-11-20/d",
    ]);
    expect(listed[0]).toEqual({ key: "events/dt=2026-11-20/a", size: 22, lastModified: at.getTime() });
    const calls = s3.commandCalls(ListObjectsV2Command);
    expect(calls.map((c) => c.args[0].input.Prefix)).toEqual(Array(3).fill("lake/events/dt=2026-11-20/"));
  });

  it("yields nothing for an empty listing", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0, IsTruncated: false });
    // Act
    const listed: ObjectInfo[] = [];
    for await (const info of newStore().list("nothing/")) listed.push(info);
    // Assess
    expect(listed).toEqual([]);
  });
});

describe("S3ObjectStore.delete", () => {
  it("sends DeleteObject for the prefixed key", async () => {
    // Prepare
    s3.on(DeleteObjectCommand).resolves({});
    // Act
    await newStore({ prefix: "lake/" }).delete("security/dt=2026-11-13/hour=09/x.parquet");
    // Assess
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: "lake-bucket",
      Key: "lake/security/dt=2026-11-13/hour=09/x.parquet",
    });
  });
});

describe("S3ObjectStore errors", () => {
  it("names the operation and key, carries the S3 code as cause, and never the body", async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(serviceError("AccessDenied", 403));
    const secret = "203.0.113.77 secret row";
    // Act
    const error = await newStore()
      .put("security/dt=2026-11-20/hour=13/x.parquet", bytes(secret))
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(S3ObjectStoreError);
    const e = error as S3ObjectStoreError;
    expect(e.message).toBe(
      'S3 put "security/dt=2026-11-20/hour=13/x.parquet" failed: AccessDenied (HTTP 403)',
    );
    expect(e.cause).toEqual({ code: "AccessDenied", httpStatusCode: 403, requestId: "REQ123" });
    expect(JSON.stringify({ ...e, message: e.message, cause: e.cause })).not.toContain("203.0.113.77");
  });

  it.each([
    ["get", (s: S3ObjectStore) => s.get("k"), GetObjectCommand],
    ["delete", (s: S3ObjectStore) => s.delete("k"), DeleteObjectCommand],
    ["putIfAbsent", (s: S3ObjectStore) => s.putIfAbsent("k", bytes("x")), PutObjectCommand],
  ] as const)("maps other failures of %s to an error with the code", async (operation, call, command) => {
    // Prepare
    s3.on(command as typeof GetObjectCommand).rejects(serviceError("SlowDown", 503));
    // Act
    const error = await call(newStore()).catch((e: unknown) => e);
    // Assess
    expect((error as Error).message).toBe(`S3 ${operation} "k" failed: SlowDown (HTTP 503)`);
    expect((error as S3ObjectStoreError).cause.code).toBe("SlowDown");
  });

  it("maps a failed listing to an error naming the prefix", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).rejects(serviceError("NoSuchBucket", 404));
    // Act
    const listing = (async () => {
      for await (const _ of newStore().list("events/")) {
        // drain
      }
    })();
    // Assess
    await expect(listing).rejects.toThrow('S3 list "events/" failed: NoSuchBucket (HTTP 404)');
  });

  it("refuses keys that the local store would refuse too", async () => {
    // Prepare
    const store = newStore();
    // Act / Assess
    await expect(store.put("../x", bytes("x"))).rejects.toThrow(/invalid object key/);
    await expect(store.get("/abs")).rejects.toThrow(/invalid object key/);
    expect(s3.calls()).toHaveLength(0);
  });
});
