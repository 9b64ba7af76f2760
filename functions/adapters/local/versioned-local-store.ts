import { chmod, stat } from "node:fs/promises";
import type { ObjectInfo, PutOptions } from "../../ports/object-store.ts";
import {
  type DeleteVersionOutcome,
  LegalHoldError,
  type LegalHoldStatus,
  NULL_VERSION,
  type ObjectVersion,
  type VersionedStore,
} from "../../ports/versioned-store.ts";
import { LocalObjectStore } from "./object-store.ts";

/**
 * The local lake seen as a versioned store: one version per key (id `"null"`, like an unversioned S3 bucket),
 * and legal holds as file permissions.
 *
 * - A version is under a legal hold when its file is read-only (no write bit: 0400). `putLegalHold(ON)` makes it
 *   so, `putLegalHold(OFF)` gives the owner back write permission (0600, the lake's mode).
 * - A held file is never deleted or overwritten through this store: `deleteVersion` answers `denied` (as S3 does
 *   with AccessDenied), `put`/`delete` throw a {@link LegalHoldError}. (The file system alone would not refuse:
 *   unlinking needs write permission on the folder, not on the file.)
 * - The registry of active holds is the incidents' manifests in `evidence/incident=<ID>/manifest.json` (see
 *   core/hold): the sweeper keeps everything of an incident whose manifest has no release record, held or not.
 */

const HELD_MODE = 0o400;
const FREE_MODE = 0o600;
const WRITE_BITS = 0o222;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export class VersionedLocalStore implements VersionedStore {
  readonly supportsLegalHold = true;
  readonly objects: LocalObjectStore;

  constructor(objectsOrRoot: LocalObjectStore | string) {
    this.objects = typeof objectsOrRoot === "string" ? new LocalObjectStore(objectsOrRoot) : objectsOrRoot;
  }

  get root(): string {
    return this.objects.root;
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<void> {
    await this.refuseIfHeld(key, "overwrite");
    await this.objects.put(key, body, options);
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean> {
    return this.objects.putIfAbsent(key, body, options);
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.objects.get(key);
  }

  list(prefix: string): AsyncIterable<ObjectInfo> {
    return this.objects.list(prefix);
  }

  async delete(key: string): Promise<void> {
    await this.refuseIfHeld(key, "delete");
    await this.objects.delete(key);
  }

  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    for await (const info of this.objects.list(prefix)) {
      yield {
        key: info.key,
        versionId: NULL_VERSION,
        lastModified: info.lastModified,
        isDeleteMarker: false,
        isLatest: true,
        size: info.size,
      };
    }
  }

  async deleteVersion(key: string, versionId: string): Promise<DeleteVersionOutcome> {
    if (versionId !== NULL_VERSION) return "missing";
    const mode = await this.modeOf(key);
    if (mode === null) return "missing";
    if ((mode & WRITE_BITS) === 0) return "denied";
    await this.objects.delete(key);
    return "deleted";
  }

  async getLegalHold(key: string, versionId: string): Promise<LegalHoldStatus> {
    if (versionId !== NULL_VERSION) return "OFF";
    const mode = await this.modeOf(key);
    return mode !== null && (mode & WRITE_BITS) === 0 ? "ON" : "OFF";
  }

  async putLegalHold(key: string, versionId: string, status: LegalHoldStatus): Promise<void> {
    if (versionId !== NULL_VERSION) throw new Error(`local lake: no version ${versionId} of "${key}"`);
    try {
      await chmod(this.objects.pathOf(key), status === "ON" ? HELD_MODE : FREE_MODE);
    } catch (error) {
      throw new Error(`local lake: cannot set the legal hold of "${key}" (${codeOf(error) ?? "error"})`, {
        cause: error,
      });
    }
  }

  async putWithLegalHold(
    key: string,
    body: Uint8Array,
    options?: { contentType?: string },
  ): Promise<{ versionId: string }> {
    await this.refuseIfHeld(key, "overwrite");
    await this.objects.put(key, body, options);
    await this.putLegalHold(key, NULL_VERSION, "ON");
    return { versionId: NULL_VERSION };
  }

  async copyWithLegalHold(
    sourceKey: string,
    destinationKey: string,
    sourceVersionId?: string,
  ): Promise<{ versionId: string }> {
    if (sourceVersionId !== undefined && sourceVersionId !== NULL_VERSION) {
      throw new Error(`local lake: no version ${sourceVersionId} of "${sourceKey}"`);
    }
    const body = await this.objects.get(sourceKey);
    if (body === null) throw new Error(`local lake: cannot copy "${sourceKey}": no such object`);
    return this.putWithLegalHold(destinationKey, body);
  }

  /** The file's permission bits, or null when there is no such object. */
  private async modeOf(key: string): Promise<number | null> {
    try {
      const info = await stat(this.objects.pathOf(key));
      return info.isFile() ? info.mode & 0o777 : null;
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw error;
    }
  }

  private async refuseIfHeld(key: string, what: "overwrite" | "delete"): Promise<void> {
    if ((await this.getLegalHold(key, NULL_VERSION)) === "ON") {
      throw new LegalHoldError(`cannot ${what} "${key}": it is under a legal hold`, key);
    }
  }
}
