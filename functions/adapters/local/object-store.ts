import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import {
  closeSync,
  fsync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  opendir,
  readFile,
  rename,
  rmdir,
  unlink,
} from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { ObjectInfo, ObjectStore, PutOptions } from "../../ports/object-store.ts";

/** Files being written carry this prefix until they are complete; `list` never shows them. */
export const TEMP_PREFIX = ".logsieve-tmp-";

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * The object store over a local folder (the embedded default's lake, `.logsieve/lake/`).
 *
 * - Writes are atomic: the bytes go to a temporary file in the target's folder, are flushed to disk (fsync), and
 *   the file is renamed over the key, so a reader sees the old object or the new one, never a part, and a crash
 *   leaves no half-written object (at worst a stray temporary file, which `list` ignores).
 * - `putIfAbsent` hard-links the finished temporary file to the key: `link` fails when the name exists, so of two
 *   racing writers (threads, processes, hosts on one NFS share) exactly one wins, and the object is complete
 *   the moment it appears. It needs a file system with hard links (every local Linux/macOS one does).
 * - The lake holds personal data: files are created 0600 and folders 0700 (the umask can only narrow them).
 * - Keys are `/`-separated paths below the root; a key that could leave the root (`..`, absolute, backslash,
 *   NUL, empty segments) is refused with an error naming the rule broken.
 * - `list` walks folders depth-first in key order, holding one folder's entries at a time, never the whole tree.
 *   Key order is JavaScript string order (UTF-16), which equals S3's byte order for the ASCII keys of the lake.
 *   Symbolic links are not followed (nor listed).
 * - `delete` also removes folders it leaves empty, up to the root, so expired partitions do not pile up.
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  private readonly inThread: boolean;
  private readonly synchronous: boolean;

  /**
   * `inThread`: `put` makes the folder, creates and writes the temporary file and renames it with synchronous calls,
   * on the calling thread; only the flush (fsync) goes to libuv's pool, and the thread goes on meanwhile. For a
   * thread whose work is CPU-bound anyway (an ingest shard): each asynchronous step of a put is a hand-over to
   * libuv's pool and back (futex and epoll calls: ≈ 30 per put, which took more system time than the writes
   * themselves, docs/BENCHMARKS.md, sixth round), while a flush waited for on the thread stopped it ≈ 0.35 ms per
   * object (698 objects on `elastic`: ≈ 0.2 s of each thread, seventh round). Not for a server's thread, which must
   * not stop for a disk. Same files, same atomicity: the rename follows the flush.
   *
   * `synchronous`: `put`, `putIfAbsent` and `get` in synchronous calls on the calling thread, the flush included,
   * so the object is in place (or read) when the call returns, without waiting for the pool (`list` and `delete`
   * stay asynchronous). For small objects that ingest threads wait for — the checkpoint, whose intent must be stored
   * before a partition's first part, and the day salts: through the pool each call queued behind the parts'
   * flushes and took one turn of the thread per step, 38–125 ms a checkpoint write for ≈ 0.3 ms of flush
   * (docs/BENCHMARKS.md, eighth round).
   */
  constructor(
    rootDir: string,
    options: { readonly inThread?: boolean; readonly synchronous?: boolean } = {},
  ) {
    this.root = resolve(rootDir);
    this.synchronous = options.synchronous === true;
    this.inThread = this.synchronous || options.inThread === true;
  }

  async put(key: string, body: Uint8Array, _options?: PutOptions): Promise<void> {
    const path = this.pathOf(key);
    if (this.synchronous) {
      const temp = this.writeTempSync(key, path, body);
      try {
        renameSync(temp, path);
      } catch (error) {
        removeQuietly(temp);
        throw storeError("put", key, error);
      }
      return;
    }
    if (this.inThread) return this.putInThread(key, path, body);
    const temp = await this.writeTemp(key, path, body);
    try {
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw storeError("put", key, error);
    }
  }

  async putIfAbsent(key: string, body: Uint8Array, _options?: PutOptions): Promise<boolean> {
    const path = this.pathOf(key);
    if (this.synchronous) {
      const temp = this.writeTempSync(key, path, body);
      try {
        linkSync(temp, path);
        return true;
      } catch (error) {
        if (codeOf(error) === "EEXIST") return false;
        throw storeError("putIfAbsent", key, error);
      } finally {
        removeQuietly(temp);
      }
    }
    const temp = await this.writeTemp(key, path, body);
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if (codeOf(error) === "EEXIST") return false;
      throw storeError("putIfAbsent", key, error);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const path = this.pathOf(key);
    try {
      const data = this.synchronous ? readFileSync(path) : await readFile(path);
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return null;
      throw storeError("get", key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkObjectKeyPrefix(prefix);
    const cut = prefix.lastIndexOf("/");
    const dirKey = cut === -1 ? "" : prefix.slice(0, cut + 1); // "" or "a/b/"
    const namePrefix = prefix.slice(cut + 1);
    yield* this.walk(dirKey, namePrefix);
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw storeError("delete", key, error);
    }
    // Remove the folders this left empty; stop at the first that is not (ENOTEMPTY) or is gone.
    for (let dir = dirname(path); dir !== this.root && dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  /** The file path of a key, after checking that the key stays inside the root. */
  pathOf(key: string): string {
    checkObjectKey(key);
    return join(this.root, ...key.split("/"));
  }

  /** `put` in synchronous calls but the flush: the same temporary file, fsync and rename. */
  private async putInThread(key: string, path: string, body: Uint8Array): Promise<void> {
    const temp = tempPathFor(path);
    const fd = createAndWriteSync(key, temp, body);
    try {
      await flushed(fd);
      closeSync(fd);
    } catch (error) {
      closeQuietly(fd);
      removeQuietly(temp);
      throw storeError("write", key, error);
    }
    try {
      renameSync(temp, path);
    } catch (error) {
      removeQuietly(temp);
      throw storeError("put", key, error);
    }
  }

  /** {@link writeTemp} in synchronous calls, the flush included. */
  private writeTempSync(key: string, path: string, body: Uint8Array): string {
    const temp = tempPathFor(path);
    const fd = createAndWriteSync(key, temp, body);
    try {
      fsyncSync(fd);
      closeSync(fd);
    } catch (error) {
      closeQuietly(fd);
      removeQuietly(temp);
      throw storeError("write", key, error);
    }
    return temp;
  }

  /**
   * Writes `body` to a fresh temporary file next to `path`, flushed to disk; returns its path. The folder is made
   * only when the create finds it missing, as {@link createSync} does: a `mkdir` of a folder that is there was one
   * more round trip through libuv's pool per object (1,500 objects of 60 small logs: ≈ 0.17 s of the thread,
   * docs/BENCHMARKS.md, twelfth round).
   */
  private async writeTemp(key: string, path: string, body: Uint8Array): Promise<string> {
    const temp = tempPathFor(path);
    let handle: FileHandle | undefined;
    try {
      handle = await createTemp(temp);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return temp;
    } catch (error) {
      if (handle !== undefined) await unlink(temp).catch(() => undefined);
      throw storeError("write", key, error);
    }
  }

  /** Objects below the folder `dirKey` ("" or ending in "/") whose next segment starts with `namePrefix`. */
  private async *walk(dirKey: string, namePrefix: string): AsyncIterable<ObjectInfo> {
    const dirPath = dirKey === "" ? this.root : join(this.root, ...dirKey.slice(0, -1).split("/"));
    const entries: { sortKey: string; name: string; isDir: boolean }[] = [];
    let dir: Iterable<Dirent> | AsyncIterable<Dirent>;
    try {
      // On an ingest thread, a folder read at once (a partition's: a few names) rather than through libuv's pool,
      // where each step queued behind the parts' flushes: a shard's end lists every partition it wrote, for stale
      // parts (docs/BENCHMARKS.md, eighth round).
      dir = this.inThread ? readdirSync(dirPath, { withFileTypes: true }) : await opendir(dirPath);
    } catch (error) {
      const code = codeOf(error);
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw storeError("list", dirKey, error);
    }
    for await (const entry of dir) {
      const name = entry.name;
      if (!name.startsWith(namePrefix) || name.startsWith(TEMP_PREFIX)) continue;
      if (entry.isDirectory()) entries.push({ sortKey: `${name}/`, name, isDir: true });
      else if (entry.isFile()) entries.push({ sortKey: name, name, isDir: false });
    }
    // A folder sorts as "name/": every key inside it then falls exactly where S3 would list it among its siblings.
    entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const entry of entries) {
      const key = `${dirKey}${entry.name}`;
      if (entry.isDir) {
        yield* this.walk(`${key}/`, "");
        continue;
      }
      try {
        const path = join(dirPath, entry.name);
        const info = this.inThread ? lstatSync(path) : await lstat(path);
        if (info.isFile()) yield { key, size: info.size, lastModified: Math.floor(info.mtimeMs) };
      } catch (error) {
        if (codeOf(error) !== "ENOENT") throw storeError("list", key, error); // deleted meanwhile: skip it
      }
    }
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function storeError(operation: string, key: string, error: unknown): Error {
  return new Error(`local object store: ${operation} "${key}" failed (${codeOf(error) ?? "error"})`, {
    cause: error,
  });
}

/** Why a key is unfit, or null. Keys are `/`-separated segments; no segment may climb, hide or be empty. */
function keyProblem(key: string, isPrefix: boolean): string | null {
  if (key.includes("\0")) return "contains a NUL character";
  if (key.includes("\\")) return "contains a backslash";
  if (key.startsWith("/")) return "is absolute (starts with '/')";
  if (/^[A-Za-z]:/.test(key)) return "starts with a drive letter";
  const segments = key.split("/");
  // A prefix may end in "/" (all objects in a folder) or in a partial segment.
  if (isPrefix && segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  for (const segment of segments) {
    if (segment === "") return "has an empty segment ('//' or a trailing '/')";
    if (segment === "." || segment === "..") return "has a '.' or '..' segment";
    if (segment.startsWith(TEMP_PREFIX)) {
      return `has a name starting with ${TEMP_PREFIX}, which is reserved for files being written`;
    }
  }
  return null;
}

/**
 * Throws unless `key` is a lake object key: `/`-separated segments, none empty, `.`, `..` or reserved, no NUL,
 * no backslash, not absolute. Shared by the S3 store so a lake moves between the two unchanged.
 */
export function checkObjectKey(key: string): void {
  if (key === "") throw new Error("invalid object key: it is empty");
  const problem = keyProblem(key, false);
  if (problem !== null) throw new Error(`invalid object key ${JSON.stringify(key)}: it ${problem}`);
}

/** Throws unless `prefix` is "" or a key prefix (it may end in "/" or inside a segment). */
export function checkObjectKeyPrefix(prefix: string): void {
  if (prefix === "") return;
  const problem = keyProblem(prefix, true);
  if (problem !== null) throw new Error(`invalid object key prefix ${JSON.stringify(prefix)}: it ${problem}`);
}

/** A fresh temporary file's path next to `path` (in the same folder: the rename that publishes it stays atomic). */
function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${randomBytes(8).toString("hex")}`);
}

/**
 * Creates `temp` and writes `body` into it, in synchronous calls; returns the open file (not yet flushed). The folder
 * is made only when the create finds it missing: most parts go to a folder made for an earlier part, and a `mkdir`
 * of a folder that is there was one more call per object (638 of 739 on `elastic`, docs/BENCHMARKS.md, ninth round).
 * A concurrent delete may remove the (empty) folder between mkdir and open: tried again once. On failure the
 * temporary file is gone and the error names the key.
 */
function createAndWriteSync(key: string, temp: string, body: Uint8Array): number {
  let fd: number | undefined;
  try {
    fd = createSync(temp);
    writeAllSync(fd, body);
    return fd;
  } catch (error) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(temp);
    throw storeError("write", key, error);
  }
}

/** Creates `temp` (which must not exist), making its folder when it is missing. */
function createSync(temp: string): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(temp, "wx", FILE_MODE);
    } catch (error) {
      if (codeOf(error) !== "ENOENT" || attempt === 2) throw error;
      mkdirSync(dirname(temp), { recursive: true, mode: DIR_MODE });
    }
  }
}

/**
 * {@link createSync} through libuv's pool: creates `temp` (which must not exist), making its folder when it is
 * missing. A concurrent delete may remove the (empty) folder between mkdir and open: tried again.
 */
async function createTemp(temp: string): Promise<FileHandle> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(temp, "wx", FILE_MODE);
    } catch (error) {
      if (codeOf(error) !== "ENOENT" || attempt === 2) throw error;
      await mkdir(dirname(temp), { recursive: true, mode: DIR_MODE });
    }
  }
}

function writeAllSync(fd: number, body: Uint8Array): void {
  for (let at = 0; at < body.byteLength; ) at += writeSync(fd, body, at);
}

/** Closes a file after a failure, which the error reported already (a second failure would hide it). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closed already, or failing as the file did: the first error is the one reported.
  }
}

/** Removes a temporary file, if it is there. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}

/** The file's data flushed to disk (fsync in libuv's pool: the calling thread goes on meanwhile). */
function flushed(fd: number): Promise<void> {
  return new Promise((done, fail) => {
    fsync(fd, (error) => {
      if (error === null) done();
      else fail(error);
    });
  });
}
