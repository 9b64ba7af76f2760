import { type Dirent, lstatSync, readdirSync, type Stats } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ObjectInfo, PutOptions } from "../../ports/object-store.ts";
import {
  type DeleteVersionOutcome,
  LegalHoldError,
  type LegalHoldStatus,
  NULL_VERSION,
  type ObjectVersion,
  type VersionedStore,
} from "../../ports/versioned-store.ts";
import { LocalObjectStore, TEMP_PREFIX } from "./object-store.ts";

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

  /**
   * The lake's files below `prefix` in key order, as LocalObjectStore.list walks them (temporary files and
   * symbolic links left out), but read with synchronous calls: the sweeper lists every zone every hour, and one
   * thread-pool round trip per folder and file made that the whole cost of a sweep. One folder's entries are held
   * at a time, never the whole tree.
   */
  async *listVersions(prefix: string): AsyncIterable<ObjectVersion> {
    this.objects.pathOf(prefix === "" ? "x" : prefix.endsWith("/") ? `${prefix}x` : prefix); // checks the prefix
    const cut = prefix.lastIndexOf("/");
    yield* this.walkSync(cut === -1 ? "" : prefix.slice(0, cut + 1), prefix.slice(cut + 1));
  }

  private *walkSync(dirKey: string, namePrefix: string): Generator<ObjectVersion> {
    const dirPath = dirKey === "" ? this.root : join(this.root, ...dirKey.slice(0, -1).split("/"));
    let entries: Dirent[];
    try {
      entries = readdirSync(dirPath, { withFileTypes: true });
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw error;
    }
    const listed = entries
      .filter(
        (e) =>
          e.name.startsWith(namePrefix) && !e.name.startsWith(TEMP_PREFIX) && (e.isDirectory() || e.isFile()),
      )
      .map((e) => ({
        name: e.name,
        isDir: e.isDirectory(),
        sortKey: e.isDirectory() ? `${e.name}/` : e.name,
      }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const entry of listed) {
      const key = `${dirKey}${entry.name}`;
      if (entry.isDir) {
        yield* this.walkSync(`${key}/`, "");
        continue;
      }
      let info: Stats;
      try {
        info = lstatSync(join(dirPath, entry.name));
      } catch (error) {
        if (codeOf(error) === "ENOENT") continue; // deleted meanwhile
        throw error;
      }
      if (!info.isFile()) continue;
      yield {
        key,
        versionId: NULL_VERSION,
        lastModified: Math.floor(info.mtimeMs),
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
