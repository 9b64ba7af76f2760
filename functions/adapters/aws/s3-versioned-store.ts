import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectInfo, PutOptions } from "../../ports/object-store.ts";
import {
  type DeleteVersionOutcome,
  type LegalHoldStatus,
  NULL_VERSION,
  type ObjectVersion,
  type VersionedStore,
} from "../../ports/versioned-store.ts";

/**
 * One S3 bucket as a {@link VersionedStore}. On the raw bucket (Object Lock, versioned) it deletes versions and
 * reads, places and lifts legal holds; on the analytics bucket (unversioned, no Object Lock) every key has the one
 * version `"null"` and no hold can exist (`objectLock: false`: no legal-hold call is made at all).
 *
 * - Deletes name the version and never set `BypassGovernanceRetention`: a held version stays, and S3's refusal
 *   (AccessDenied) is returned as the outcome `denied`, not thrown, so one held version does not stop a sweep.
 * - Listing follows `KeyMarker`/`VersionIdMarker` across pages; within a page versions and delete markers are
 *   merged into key order, newest first.
 * - `putIfAbsent` is a conditional write (`If-None-Match: *`).
 */

export interface S3VersionedStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** True for a bucket with Object Lock enabled (legal holds possible). */
  readonly objectLock: boolean;
  /** Keys per list page (tests use small pages); S3's maximum and default is 1000. */
  readonly pageSize?: number;
  /**
   * Objects written under `prefix` get Object Lock compliance-mode retention for `days` from `now()`: nobody, the
   * account's root user included, can delete that version or shorten the date before it passes. For the legal-hold
   * audit trail (the bucket policy allows retention nowhere else).
   */
  readonly complianceRetention?: {
    readonly prefix: string;
    readonly days: number;
    readonly now: () => number;
  };
}

function nameOf(error: unknown): string {
  const e = error as { name?: unknown; Code?: unknown } | null;
  if (typeof e?.name === "string" && e.name !== "Error") return e.name;
  if (typeof e?.Code === "string") return e.Code;
  return "Error";
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

const MISSING = new Set(["NoSuchKey", "NoSuchVersion", "NotFound"]);

export class S3VersionedStore implements VersionedStore {
  readonly supportsLegalHold: boolean;
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly pageSize: number | undefined;
  private readonly retention: S3VersionedStoreOptions["complianceRetention"];

  constructor(options: S3VersionedStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.supportsLegalHold = options.objectLock;
    this.pageSize = options.pageSize;
    this.retention = options.complianceRetention;
  }

  /** The Object Lock retention headers of a new object under the retained prefix; none elsewhere. */
  private retentionOf(key: string): { ObjectLockMode?: "COMPLIANCE"; ObjectLockRetainUntilDate?: Date } {
    const r = this.retention;
    if (r === undefined || !key.startsWith(r.prefix)) return {};
    return {
      ObjectLockMode: "COMPLIANCE",
      ObjectLockRetainUntilDate: new Date(r.now() + r.days * 86_400_000),
    };
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options?.contentType,
        ...this.retentionOf(key),
      }),
    );
  }

  async putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options?.contentType,
          IfNoneMatch: "*",
          ...this.retentionOf(key),
        }),
      );
      return true;
    } catch (error) {
      const name = nameOf(error);
      if (name === "PreconditionFailed" || statusOf(error) === 412) return false;
      // A concurrent conditional write to the same key: the other writer wins.
      if (name === "ConditionalRequestConflict" || statusOf(error) === 409) return false;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (out.Body === undefined) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (MISSING.has(nameOf(error)) || statusOf(error) === 404) return null;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: token,
          MaxKeys: this.pageSize,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
          MaxKeys: this.pageSize,
        }),
      );
      const versions: ObjectVersion[] = [];
      for (const v of page.Versions ?? []) {
        if (v.Key === undefined) continue;
        versions.push({
          key: v.Key,
          versionId: v.VersionId ?? NULL_VERSION,
          lastModified: v.LastModified?.getTime() ?? 0,
          isDeleteMarker: false,
          isLatest: v.IsLatest ?? false,
          size: v.Size ?? 0,
        });
      }
      for (const m of page.DeleteMarkers ?? []) {
        if (m.Key === undefined) continue;
        versions.push({
          key: m.Key,
          versionId: m.VersionId ?? NULL_VERSION,
          lastModified: m.LastModified?.getTime() ?? 0,
          isDeleteMarker: true,
          isLatest: m.IsLatest ?? false,
          size: 0,
        });
      }
      versions.sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : b.lastModified - a.lastModified));
      yield* versions;
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionIdMarker = page.NextVersionIdMarker;
      if (keyMarker === undefined) return;
    }
  }

  async deleteVersion(key: string, versionId: string): Promise<DeleteVersionOutcome> {
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      );
      return "deleted";
    } catch (error) {
      const name = nameOf(error);
      if (name === "AccessDenied" || statusOf(error) === 403) return "denied";
      if (MISSING.has(name) || statusOf(error) === 404) return "missing";
      throw error;
    }
  }

  async getLegalHold(key: string, versionId: string): Promise<LegalHoldStatus> {
    if (!this.supportsLegalHold) return "OFF";
    try {
      const out = await this.client.send(
        new GetObjectLegalHoldCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      );
      return out.LegalHold?.Status === "ON" ? "ON" : "OFF";
    } catch (error) {
      const name = nameOf(error);
      // No hold was ever placed on this version, or the version is gone: nothing holds it.
      if (name === "NoSuchObjectLockConfiguration" || MISSING.has(name)) return "OFF";
      throw error;
    }
  }

  async putLegalHold(key: string, versionId: string, status: LegalHoldStatus): Promise<void> {
    if (!this.supportsLegalHold)
      throw new Error(`bucket ${this.bucket} has no Object Lock: no legal hold possible`);
    await this.client.send(
      new PutObjectLegalHoldCommand({
        Bucket: this.bucket,
        Key: key,
        VersionId: versionId,
        LegalHold: { Status: status },
      }),
    );
  }

  async putWithLegalHold(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string },
  ): Promise<{ versionId: string }> {
    if (!this.supportsLegalHold)
      throw new Error(`bucket ${this.bucket} has no Object Lock: no legal hold possible`);
    const out = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options?.contentType,
        ObjectLockLegalHoldStatus: "ON",
      }),
    );
    return { versionId: out.VersionId ?? NULL_VERSION };
  }

  async copyWithLegalHold(
    sourceKey: string,
    destinationKey: string,
    sourceVersionId?: string,
  ): Promise<{ versionId: string }> {
    if (!this.supportsLegalHold)
      throw new Error(`bucket ${this.bucket} has no Object Lock: no legal hold possible`);
    const source = `${this.bucket}/${sourceKey.split("/").map(encodeURIComponent).join("/")}`;
    const out = await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: destinationKey,
        CopySource:
          sourceVersionId === undefined
            ? source
            : `${source}?versionId=${encodeURIComponent(sourceVersionId)}`,
        ObjectLockLegalHoldStatus: "ON",
      }),
    );
    return { versionId: out.VersionId ?? NULL_VERSION };
  }
}
