import type { ObjectStore } from "./object-store.ts";

/**
 * Object storage seen version by version, with legal holds: what the sweeper and the legal-hold commands need.
 *
 * On S3 a bucket with Object Lock is versioned: overwriting or deleting a key leaves the older versions behind,
 * so deleting data means deleting versions, and a version under a legal hold cannot be deleted by anyone until
 * the hold is lifted. A bucket without versioning has exactly one version per key, whose id is `"null"`.
 * The local lake has one version per key too (`"null"`); a legal hold there is a read-only file (see
 * adapters/local/versioned-local-store.ts).
 *
 * It is an {@link ObjectStore} as well (latest versions), so manifests and audit events can be read and written
 * through the same wiring.
 */

/** The version id of a key in an unversioned store (S3's own spelling). */
export const NULL_VERSION = "null";

export interface ObjectVersion {
  readonly key: string;
  readonly versionId: string;
  /** When this version was written, epoch ms. */
  readonly lastModified: number;
  /** A delete marker holds no data; deleting it (by version id) makes the previous version current again. */
  readonly isDeleteMarker: boolean;
  /** True for the current version of its key. */
  readonly isLatest: boolean;
  /** Bytes; 0 for a delete marker. */
  readonly size: number;
}

export type LegalHoldStatus = "ON" | "OFF";

/**
 * What deleting one version did: `deleted`; `missing` (it was already gone: a rerun after a crash);
 * `denied` (the store refused: on S3 an Object Lock legal hold or a permission; locally a held file).
 */
export type DeleteVersionOutcome = "deleted" | "missing" | "denied";

export interface VersionedStore extends ObjectStore {
  /** True when the store can place legal holds (an Object Lock bucket, the local lake). */
  readonly supportsLegalHold: boolean;
  /** Every version (delete markers included) whose key starts with `prefix`: keys in order, newest version first. */
  listVersions(prefix: string): AsyncIterable<ObjectVersion>;
  /**
   * Permanently deletes one version. Never bypasses a retention or a hold. A refusal is an outcome, not an
   * exception, so one held version does not stop a sweep; other failures throw.
   */
  deleteVersion(key: string, versionId: string): Promise<DeleteVersionOutcome>;
  /** The legal hold of a version: `OFF` when none was ever placed, or the store cannot place holds. */
  getLegalHold(key: string, versionId: string): Promise<LegalHoldStatus>;
  /** Places (`ON`) or lifts (`OFF`) the legal hold of a version. Throws where the store cannot hold. */
  putLegalHold(key: string, versionId: string, status: LegalHoldStatus): Promise<void>;
  /** Writes a new object whose first version is under a legal hold; returns that version's id. */
  putWithLegalHold(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string },
  ): Promise<{ versionId: string }>;
  /** Copies an object (a given version, else the latest) to `destinationKey` under a legal hold. */
  copyWithLegalHold(
    sourceKey: string,
    destinationKey: string,
    sourceVersionId?: string,
  ): Promise<{ versionId: string }>;
}

/** The store refused to write over a version under a legal hold (the local lake keeps one version per key). */
export class LegalHoldError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
    this.name = "LegalHoldError";
  }
}
