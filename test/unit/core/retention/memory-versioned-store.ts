import type { ObjectInfo, PutOptions } from "../../../../functions/ports/object-store.ts";
import {
  type DeleteVersionOutcome,
  type LegalHoldStatus,
  NULL_VERSION,
  type ObjectVersion,
  type VersionedStore,
} from "../../../../functions/ports/versioned-store.ts";

/**
 * An in-memory versioned bucket for tests, behaving like S3 with Object Lock where it matters to the sweeper:
 * overwrites add versions, `delete` adds a delete marker, a held version cannot be deleted (`denied`), deleting a
 * missing version is `missing`. `failNext` injects one failure into the next call of an operation.
 */

interface StoredVersion {
  versionId: string;
  lastModified: number;
  isDeleteMarker: boolean;
  body: Uint8Array;
  hold: LegalHoldStatus;
}

export type Operation = "deleteVersion" | "getLegalHold" | "listVersions" | "put" | "putIfAbsent";

export class MemoryVersionedStore implements VersionedStore {
  readonly supportsLegalHold: boolean;
  private readonly keys = new Map<string, StoredVersion[]>(); // newest first
  private sequence = 0;
  private readonly failures = new Map<Operation, { error: Error; afterCalls: number }>();
  readonly calls: Record<Operation, number> = {
    deleteVersion: 0,
    getLegalHold: 0,
    listVersions: 0,
    put: 0,
    putIfAbsent: 0,
  };

  constructor(
    private readonly now: () => number,
    options: { versioned?: boolean; objectLock?: boolean } = {},
  ) {
    this.versioned = options.versioned ?? true;
    this.supportsLegalHold = options.objectLock ?? true;
  }

  private readonly versioned: boolean;

  /** The next call number `afterCalls + 1` of `op` throws `error` (once). */
  failAfter(op: Operation, afterCalls: number, error: Error): void {
    this.failures.set(op, { error, afterCalls: this.calls[op] + afterCalls });
  }

  private tick(op: Operation): void {
    this.calls[op]++;
    const failure = this.failures.get(op);
    if (failure !== undefined && this.calls[op] > failure.afterCalls) {
      this.failures.delete(op);
      throw failure.error;
    }
  }

  /** Adds a version with a given time (test setup). */
  seed(
    key: string,
    lastModified: number,
    body: Uint8Array = new Uint8Array([1]),
    hold: LegalHoldStatus = "OFF",
  ) {
    return this.addVersion(key, { lastModified, isDeleteMarker: false, body, hold });
  }

  private addVersion(key: string, v: Omit<StoredVersion, "versionId">): string {
    const versionId = this.versioned ? `v${String(++this.sequence).padStart(6, "0")}` : NULL_VERSION;
    const list = this.keys.get(key) ?? [];
    const fresh = { ...v, versionId };
    if (this.versioned) list.unshift(fresh);
    else list.splice(0, list.length, fresh);
    this.keys.set(key, list);
    return versionId;
  }

  /** Every stored version of a key (newest first), for assertions. */
  versionsOf(key: string): readonly StoredVersion[] {
    return this.keys.get(key) ?? [];
  }

  allKeys(): string[] {
    return [...this.keys.keys()].filter((k) => (this.keys.get(k)?.length ?? 0) > 0).sort();
  }

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    this.tick("put");
    this.addVersion(key, {
      lastModified: this.now(),
      isDeleteMarker: false,
      body: body.slice(),
      hold: "OFF",
    });
  }

  async putIfAbsent(key: string, body: Uint8Array, _options?: PutOptions): Promise<boolean> {
    this.tick("putIfAbsent");
    const latest = this.keys.get(key)?.[0];
    if (latest !== undefined && !latest.isDeleteMarker) return false;
    this.addVersion(key, {
      lastModified: this.now(),
      isDeleteMarker: false,
      body: body.slice(),
      hold: "OFF",
    });
    return true;
  }

  async get(key: string): Promise<Uint8Array | null> {
    const latest = this.keys.get(key)?.[0];
    return latest === undefined || latest.isDeleteMarker ? null : latest.body.slice();
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for (const key of this.allKeys()) {
      if (!key.startsWith(prefix)) continue;
      const latest = this.keys.get(key)?.[0];
      if (latest === undefined || latest.isDeleteMarker) continue;
      yield { key, size: latest.body.byteLength, lastModified: latest.lastModified };
    }
  }

  async delete(key: string): Promise<void> {
    if (this.versioned) {
      this.addVersion(key, {
        lastModified: this.now(),
        isDeleteMarker: true,
        body: new Uint8Array(),
        hold: "OFF",
      });
    } else {
      this.keys.delete(key);
    }
  }

  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    this.tick("listVersions");
    const snapshot: ObjectVersion[] = [];
    for (const key of this.allKeys()) {
      if (!key.startsWith(prefix)) continue;
      (this.keys.get(key) ?? []).forEach((v, i) => {
        snapshot.push({
          key,
          versionId: v.versionId,
          lastModified: v.lastModified,
          isDeleteMarker: v.isDeleteMarker,
          isLatest: i === 0,
          size: v.body.byteLength,
        });
      });
    }
    yield* snapshot;
  }

  async deleteVersion(key: string, versionId: string): Promise<DeleteVersionOutcome> {
    this.tick("deleteVersion");
    const list = this.keys.get(key) ?? [];
    const index = list.findIndex((v) => v.versionId === versionId);
    if (index < 0) return "missing";
    if (list[index]?.hold === "ON") return "denied";
    list.splice(index, 1);
    if (list.length === 0) this.keys.delete(key);
    return "deleted";
  }

  async getLegalHold(key: string, versionId: string): Promise<LegalHoldStatus> {
    this.tick("getLegalHold");
    return this.keys.get(key)?.find((v) => v.versionId === versionId)?.hold ?? "OFF";
  }

  async putLegalHold(key: string, versionId: string, status: LegalHoldStatus): Promise<void> {
    const version = this.keys.get(key)?.find((v) => v.versionId === versionId);
    if (version === undefined) throw new Error(`no version ${versionId} of ${key}`);
    version.hold = status;
  }

  async putWithLegalHold(key: string, body: Uint8Array): Promise<{ versionId: string }> {
    this.tick("put");
    const versionId = this.addVersion(key, {
      lastModified: this.now(),
      isDeleteMarker: false,
      body: body.slice(),
      hold: "ON",
    });
    return { versionId };
  }

  async copyWithLegalHold(sourceKey: string, destinationKey: string): Promise<{ versionId: string }> {
    const body = await this.get(sourceKey);
    if (body === null) throw new Error(`no object ${sourceKey}`);
    return this.putWithLegalHold(destinationKey, body);
  }
}
