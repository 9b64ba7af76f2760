import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

/**
 * Shipping a rotated log file into `incoming/` of the raw bucket from any host (outside AWS too): the AWS SDK with
 * credentials from its usual chain (environment, profile or SSO, instance or task role), the LogShipper policy
 * being all they need.
 *
 * - The key names the file by its content (its size and first 64 KiB), so the same file shipped twice has the
 *   same key, and the upload is conditional (`If-None-Match: *`): a second attempt is refused by S3 and reported as
 *   already shipped, without uploading it again. (Ingestion would not count it twice either: it knows a log by its
 *   first lines and reads on from its checkpoint, core/ingest/resume.ts.)
 * - Files above 8 MiB go up in parts (S3 multipart upload, what `aws s3 cp` does above its threshold), which with
 *   the raw bucket's SSE-KMS needs kms:GenerateDataKey and kms:Decrypt through S3 (both in LogShipper).
 * - Only whole, rotated files: a file still being written would be shipped again once it grew, under another id.
 */

/** The S3 client of `logsieve ship`: credentials from the SDK's usual chain, the region given or the profile's. */
export function s3Client(region: string | undefined): S3Client {
  return new S3Client(region === undefined ? {} : { region });
}

export interface ShipTarget {
  readonly client: S3Client;
  readonly bucket: string;
  /** The site the log is for, when its format names no host (combined, common): `incoming/site=<site>/`. */
  readonly site?: string;
  /** Which machine it comes from: a path segment of the key. */
  readonly host: string;
}

export interface ShippedFile {
  readonly path: string;
  readonly key: string;
  readonly bytes: number;
  readonly outcome: "shipped" | "already-shipped";
  /** Parts of the multipart upload (1 for a single PutObject). */
  readonly parts: number;
}

/** Multipart above this size, in parts of this size (the AWS CLI's defaults). */
export const PART_BYTES = 8 * 1024 * 1024;

const SAFE_SEGMENT = /[^A-Za-z0-9._-]+/g;

/** The object key a file is shipped under: `incoming/[site=<site>/]<host>/<content id>-<file name>`. */
export function shipKey(target: Pick<ShipTarget, "site" | "host">, fileId: string, fileName: string): string {
  const name = fileName.replace(SAFE_SEGMENT, "_").slice(0, 120) || "log";
  const host = target.host.replace(SAFE_SEGMENT, "_").slice(0, 64) || "host";
  const site = target.site === undefined ? "" : `site=${target.site.toLowerCase()}/`;
  return `incoming/${site}${host}/${fileId}-${name}`;
}

/** Bytes of a file's start that go into its id: enough to tell rotated logs apart. */
const ID_HEAD_BYTES = 64 * 1024;

/** The content id of a file: 64 bits of the SHA-256 of its size and its first 64 KiB. */
export async function fileId(path: string): Promise<{ id: string; size: number; modifiedMs: number }> {
  const info = await stat(path);
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(Math.min(info.size, ID_HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(info.size));
    const id = createHash("sha256").update("ship\0").update(size).update(head).digest("hex").slice(0, 16);
    return { id, size: info.size, modifiedMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}

export async function shipFile(target: ShipTarget, path: string): Promise<ShippedFile> {
  const { id, size } = await fileId(path);
  const key = shipKey(target, id, basename(path));
  const parts = Math.max(1, Math.ceil(size / PART_BYTES));
  const upload = new Upload({
    client: target.client,
    params: {
      Bucket: target.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
      ContentType: path.endsWith(".gz") ? "application/gzip" : "text/plain",
      IfNoneMatch: "*",
    },
    partSize: PART_BYTES,
    queueSize: 4,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
    return { path, key, bytes: size, outcome: "shipped", parts };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
    if (e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412) {
      return { path, key, bytes: size, outcome: "already-shipped", parts };
    }
    throw error;
  }
}
