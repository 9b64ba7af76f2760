import { createHash } from "node:crypto";

/**
 * Input identities. Output object keys derive from them (zones.ts `objectKey`), so the same input ingested twice
 * writes the same keys and overwrites instead of double-counting. An id is 16 lower-case hex characters (the first
 * 64 bits of a SHA-256), short enough for object keys and, at the volumes of one lake, free of collisions in
 * practice (2^32 inputs before a collision becomes likely).
 */

const ID_HEX_CHARS = 16;

/** Bytes of a file's start that go into its id: enough to tell rotated log files apart. */
export const FILE_ID_PREFIX_BYTES = 64 * 1024;

function shortHex(hash: ReturnType<typeof createHash>): string {
  return hash.digest("hex").slice(0, ID_HEX_CHARS);
}

/**
 * The id of an S3 object version: `bucket`, `key` and the version id (or the ETag when the bucket is not
 * versioned), NUL-separated so different splits cannot collide.
 */
export function s3InputId(bucket: string, key: string, versionOrEtag: string): string {
  return shortHex(createHash("sha256").update(`s3\0${bucket}\0${key}\0${versionOrEtag}`, "utf8"));
}

/**
 * The id of a local file from its content, wherever it lies: its size (8 bytes, big-endian) followed by its first
 * 64 KiB as stored (compressed bytes for a .gz). The same file copied elsewhere gets the same id; a log that grew
 * since the last run gets a new one (its size changed), so its rows are written again under new keys.
 */
export function fileInputId(sizeBytes: number, head: Uint8Array): string {
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(sizeBytes));
  return shortHex(
    createHash("sha256").update("file\0").update(size).update(head.subarray(0, FILE_ID_PREFIX_BYTES)),
  );
}

/** Checks an id given by a caller (stdin, the collector's batch id): it ends up in object keys. */
export function checkInputId(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id)) {
    throw new Error(
      "an input id is 1 to 64 characters, letters, digits, '-' or '_', starting with a letter or digit (it becomes part of object keys)",
    );
  }
  return id;
}
