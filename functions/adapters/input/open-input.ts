import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import { maybeDecompress, readError } from "./decompress.ts";
import { checkInputId, FILE_ID_PREFIX_BYTES, fileInputId } from "./input-id.ts";

export interface LocalInput {
  /** The input's bytes, decompressed when it is gzip, bzip2 or zstd (detected by its magic bytes, not its name). */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Identity for object keys: from the file's content, or the id the caller gave for stdin. */
  readonly inputId: string;
  /** For messages: the file's base name, or "stdin". */
  readonly name: string;
  /** Size as stored (compressed size for a .gz), or null for stdin. */
  readonly sizeBytes: number | null;
}

export interface OpenInputOptions {
  /**
   * For `-` (stdin): the input id to use, e.g. the name of the log being piped in plus its date; 1–64 of
   * `[A-Za-z0-9_-]`. Stdin cannot be read twice, so its id cannot come from its content before the content is
   * consumed: the caller names it, and re-running with the same id overwrites the earlier run's objects.
   * Without one, stdin gets a one-off id (`stdin-<UTC time>-<random>`), and piping the same log in twice counts
   * it twice.
   */
  readonly stdinId?: string;
  /** Stdin stream, for tests; defaults to `process.stdin`. */
  readonly stdin?: AsyncIterable<Uint8Array>;
}

/** Read size for files: large chunks mean fewer async steps per line downstream. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Opens a local log file, or stdin for `-`, for reading. Gzip, bzip2 and zstd are decompressed on the fly (decompress.ts).
 * A missing path, a directory or an unreadable file fails here, before anything is read, with a message naming
 * the path. The file's input id is computed from its size and first 64 KiB, so the same content has the same id
 * from any path.
 */
export async function openLocalInput(
  pathOrDash: string,
  options: OpenInputOptions = {},
): Promise<LocalInput> {
  if (pathOrDash === "-") {
    const stdin = options.stdin ?? (process.stdin as AsyncIterable<Uint8Array>);
    const inputId = options.stdinId !== undefined ? checkInputId(options.stdinId) : oneOffStdinId();
    return { chunks: maybeDecompress(stdin, "stdin"), inputId, name: "stdin", sizeBytes: null };
  }

  const path = pathOrDash;
  let size: number;
  let head: Uint8Array;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new Error(`input "${path}" is a directory, not a log file`);
    if (!info.isFile())
      throw new Error(`input "${path}" is not a regular file (pipe it to stdin with '-' instead)`);
    const handle = await open(path, "r");
    try {
      const buffer = new Uint8Array(FILE_ID_PREFIX_BYTES);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      head = buffer.subarray(0, filled);
      size = (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw openError(path, error);
  }

  const name = basename(path);
  return {
    chunks: maybeDecompress(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), name),
    inputId: fileInputId(size, head),
    name,
    sizeBytes: size,
  };
}

/** `stdin-20261120T135536Z-1a2b3c`: unique per run, so nothing is overwritten (nor deduplicated). */
function oneOffStdinId(): string {
  const time = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `stdin-${time}-${randomBytes(3).toString("hex")}`;
}

function openError(path: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") return new Error(`input file "${path}" does not exist`, { cause: error });
  if (code === "EACCES" || code === "EPERM") {
    return new Error(`input file "${path}" cannot be read: permission denied`, { cause: error });
  }
  if (code === "EISDIR") return new Error(`input "${path}" is a directory, not a log file`, { cause: error });
  if (error instanceof Error && error.message.startsWith("input ")) return error;
  return readError(path, error);
}
