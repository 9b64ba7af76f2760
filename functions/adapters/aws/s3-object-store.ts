import { createHash } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../ports/object-store.ts";
import { checkObjectKey, checkObjectKeyPrefix } from "../local/object-store.ts";

export interface S3ObjectStoreOptions {
  /** A configured client: region, credentials, and for S3-compatible stores `endpoint` and `forcePathStyle`. */
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix of the lake inside the bucket (e.g. `lake/`); a missing final `/` is added. Default: none. */
  readonly prefix?: string;
  /**
   * How each upload proves its integrity: `sha256` (default) sends `x-amz-checksum-sha256`, which S3 verifies
   * and keeps; `md5` sends `Content-MD5`, for S3-compatible stores without the checksum headers.
   */
  readonly checksum?: "sha256" | "md5";
}

/** What an S3 failure carries as `cause`: the service's error code and status, never a body. */
export interface S3ErrorCause {
  readonly code: string;
  readonly httpStatusCode: number | undefined;
  readonly requestId: string | undefined;
}

/** An S3 call that failed; the message names the operation and the key, `cause` holds the S3 error code. */
export class S3ObjectStoreError extends Error {
  override readonly cause: S3ErrorCause;
  constructor(
    readonly operation: string,
    readonly key: string,
    cause: S3ErrorCause,
  ) {
    const status = cause.httpStatusCode === undefined ? "" : ` (HTTP ${cause.httpStatusCode})`;
    super(`S3 ${operation} "${key}" failed: ${cause.code}${status}`);
    this.name = "S3ObjectStoreError";
    this.cause = cause;
  }
}

/** Attempts of a conditional put that S3 answers 409 ConditionalRequestConflict (another write in flight). */
const CONFLICT_ATTEMPTS = 4;

/**
 * The object store on S3 or an S3-compatible endpoint. Objects are encrypted with the bucket's default encryption
 * (SSE-KMS with the storage stack's key): no key id is named here, so the bucket's policy decides.
 * - `put` is a single PutObject (S3 replaces objects atomically) with an integrity checksum S3 verifies.
 * - `putIfAbsent` is a PutObject with `If-None-Match: *`: 412 PreconditionFailed means the object exists (false);
 *   409 ConditionalRequestConflict (a concurrent conditional write) is retried a few times.
 * - `get` maps NoSuchKey (404) to null; `list` pages through ListObjectsV2 lazily, in S3's key order;
 *   `delete` is DeleteObject (a delete marker on versioned buckets; the sweeper removes versions).
 * Keys are checked with the same rules as the local store, so a lake moves between the two unchanged.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly checksum: "sha256" | "md5";

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    const prefix = options.prefix ?? "";
    if (prefix !== "") checkObjectKeyPrefix(prefix);
    this.prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.checksum = options.checksum ?? "sha256";
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    const input = this.putInput(key, body, options);
    try {
      await this.client.send(new PutObjectCommand(input));
    } catch (error) {
      throw s3Error("put", key, error);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    const input: PutObjectCommandInput = { ...this.putInput(key, body, options), IfNoneMatch: "*" };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand(input));
        return true;
      } catch (error) {
        const { code, httpStatusCode } = describe(error);
        if (code === "PreconditionFailed" || httpStatusCode === 412) return false;
        const conflict = code === "ConditionalRequestConflict" || httpStatusCode === 409;
        if (!conflict || attempt >= CONFLICT_ATTEMPTS) throw s3Error("putIfAbsent", key, error);
        await new Promise((done) => setTimeout(done, 50 * 2 ** attempt));
      }
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkObjectKey(key);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      if (out.Body === undefined) return new Uint8Array(0);
      return await out.Body.transformToByteArray();
    } catch (error) {
      const { code, httpStatusCode } = describe(error);
      if (code === "NoSuchKey" || code === "NotFound" || httpStatusCode === 404) return null;
      throw s3Error("get", key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix !== "") checkObjectKeyPrefix(prefix);
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw s3Error("list", prefix, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.prefix)) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified?.getTime() ?? 0,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (error) {
      const { code, httpStatusCode } = describe(error);
      if (code === "NoSuchKey" || httpStatusCode === 404) return;
      throw s3Error("delete", key, error);
    }
  }

  private putInput(key: string, body: Uint8Array, options: PutOptions | undefined): PutObjectCommandInput {
    checkObjectKey(key);
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: this.prefix + key,
      Body: body,
      ContentLength: body.byteLength,
      ContentType: options?.contentType ?? "application/octet-stream",
    };
    if (this.checksum === "md5")
      return { ...input, ContentMD5: createHash("md5").update(body).digest("base64") };
    return { ...input, ChecksumSHA256: createHash("sha256").update(body).digest("base64") };
  }
}

function describe(error: unknown): S3ErrorCause {
  const e = error as {
    name?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: number; requestId?: string };
  } | null;
  const code = typeof e?.Code === "string" ? e.Code : typeof e?.name === "string" ? e.name : "UnknownError";
  return { code, httpStatusCode: e?.$metadata?.httpStatusCode, requestId: e?.$metadata?.requestId };
}

function s3Error(operation: string, key: string, error: unknown): S3ObjectStoreError {
  return new S3ObjectStoreError(operation, key, describe(error));
}
