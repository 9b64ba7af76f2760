import { createReadStream, readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { basename } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { HEAD_BYTES } from "../../core/ingest/checkpoint.ts";
import { contentFrom } from "../../core/ingest/ranges.ts";
import type { ResumableInput, StreamHead } from "../../core/ingest/resume.ts";
import type { RangeReader, RangeSource } from "../../core/ingest/shards.ts";
import { type Compression, compressionOf, maybeDecompress, readError } from "./decompress.ts";
import { streamHead } from "./stream-head.ts";

/**
 * Inputs that can be read from a checkpoint's offset (core/ingest/resume.ts): a plain file (sought to the offset,
 * its unfinished last line held back: the server may be writing it), or a byte stream read once — standard input,
 * a compressed file (gzip, bzip2, zstd) decompressed, an S3 object body — whose bytes before the offset are read and
 * dropped. Offsets count content bytes: what a compressed file decompresses to, so `access.log` and
 * `access.log.2.gz` agree.
 */

/** Read size for files: large chunks mean fewer async steps per line downstream. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Read size of a plain file's content (one buffer reused, {@link readReusing}). The main thread of a sharded ingest
 * reads the whole file this way to cut it, one read per turn of its event loop, and it also ingests shards itself,
 * one 256 KiB chunk of its own per turn: with reads of 256 KiB the cut advanced no faster than the main thread's
 * own ingest, so a worker that finished its shard waited for the next one to be cut (on `elastic` 1 M, 0.2–0.6 s
 * per shard). 2 MiB per read keeps the cut eight times ahead of it; the buffer is 1.75 MiB more (docs/BENCHMARKS.md,
 * seventh round).
 */
const CONTENT_READ_BYTES = 2 * 1024 * 1024;
/** What a content read's buffer holds beyond the bytes the file had when the read began. */
const SMALL_READ_SLACK = 64 * 1024;

/** The byte-range reader every resumable input uses (pure, in core/ingest/ranges.ts). */
export { contentFrom };

export interface ResumableOptions {
  /** Lines longer than this are not held back whole while their end is awaited (config ingest.maxLineBytes). */
  readonly maxLineBytes: number;
  /** The stream's id when the caller names it (`--input-id`), else null (identity from content). */
  readonly namedStream?: string | null;
  /**
   * A plain file's content read by synchronous reads on the reading thread, a turn of its event loop after each
   * (see {@link readHere}). For a thread that reads its own file while other threads read theirs (`logsieve ingest`
   * of several files, apps/ingest/file-lanes.ts); by default reads go through libuv's pool.
   */
  readonly readHere?: boolean;
}

/**
 * A stream read once (stdin, an S3 body, a decompressed file). `complete`: it will not grow once it ends, so an
 * unterminated last line is read as it is (true for all three; a file that may still grow is {@link fileInput}).
 */
export function streamInput(
  chunks: AsyncIterable<Uint8Array>,
  options: ResumableOptions & { readonly complete: boolean },
): ResumableInput {
  const source = chunks[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  let ended = false;
  let headOf: StreamHead | null | undefined;
  let reading = false;

  const fill = async (): Promise<void> => {
    while (!ended && bufferedBytes < HEAD_BYTES) {
      const next = await source.next();
      if (next.done === true) ended = true;
      else if (next.value.length > 0) {
        buffered.push(next.value);
        bufferedBytes += next.value.length;
      }
    }
  };

  async function* all(): AsyncIterable<Uint8Array> {
    yield* buffered.splice(0);
    for (let next = await source.next(); next.done !== true; next = await source.next()) yield next.value;
  }

  return {
    complete: options.complete,
    namedStream: options.namedStream ?? null,
    async head() {
      if (headOf !== undefined) return headOf;
      await fill();
      headOf = streamHead(concat(buffered, Math.min(bufferedBytes, HEAD_BYTES)), {
        ended: ended && bufferedBytes <= HEAD_BYTES,
        complete: options.complete,
      });
      return headOf;
    },
    read(from) {
      if (reading) throw new Error("a stream input can be read only once");
      reading = true;
      return contentFrom(all(), 0, from, options.complete, options.maxLineBytes);
    },
  };
}

export interface FileInput extends ResumableInput {
  /** How it is stored: "plain", or its compression (recognized by its magic bytes). */
  readonly kind: "plain" | Compression;
  /** Size as stored (compressed for gzip) when it was opened. */
  readonly storedSize: number;
  /** Device and inode of the file that was opened (a path may point elsewhere by the time it is read). */
  readonly device: number;
  readonly inode: number;
  close(): Promise<void>;
}

/**
 * A local file, opened once (rotation between opening and reading cannot swap it). A compressed file (gzip, bzip2,
 * zstd: by its magic bytes) is read as a complete stream; a plain file may still grow, so its last line is read
 * only once it is terminated.
 * Errors name the path, never the content.
 */
export async function fileInput(path: string, options: ResumableOptions): Promise<FileInput> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new Error(`input "${path}" is a directory, not a log file`);
    if (!info.isFile())
      throw new Error(`input "${path}" is not a regular file (pipe it to stdin with '-' instead)`);
    const magic = new Uint8Array(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    const base = {
      storedSize: info.size,
      device: info.dev,
      inode: info.ino,
      close: () => handle.close(),
    };
    const streamOf = (start: number): AsyncIterable<Uint8Array> =>
      createReadStream("", { fd: handle, start, autoClose: false, highWaterMark: READ_CHUNK_BYTES });
    const compression = compressionOf(magic.subarray(0, bytesRead));
    if (compression !== null) {
      const input = streamInput(maybeDecompress(streamOf(0), basename(path)), { ...options, complete: true });
      return { ...input, ...base, kind: compression };
    }
    return { ...plainFileInput(handle, options), ...base, kind: "plain" };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw openError(path, error);
  }
}

/**
 * A plain file through a handle already open (`ingest --follow` keeps reading a rotated file through its handle):
 * the head is read with positioned reads, the content from an offset is sought to, and the unfinished last line is
 * held back. The handle stays open.
 */
export function plainFileInput(handle: FileHandle, options: ResumableOptions): ResumableInput {
  return {
    complete: false,
    namedStream: options.namedStream ?? null,
    // Shards of a large batch are read through the same descriptor by the threads that ingest them.
    rangeSource: { fd: handle.fd },
    async head() {
      const buffer = new Uint8Array(HEAD_BYTES + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const read = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (read.bytesRead === 0) break;
        filled += read.bytesRead;
      }
      return streamHead(buffer.subarray(0, Math.min(filled, HEAD_BYTES)), {
        ended: filled <= HEAD_BYTES,
        complete: false,
      });
    },
    read(from) {
      // A plain file is sought to the offset: its first lines were compared with the checkpoint's marks.
      let shorter = false;
      async function* sought(): AsyncIterable<Uint8Array> {
        const { size } = await handle.stat();
        if (size < from.offset) {
          shorter = true;
          return;
        }
        yield* options.readHere === true
          ? readHere(handle.fd, from.offset)
          : readReusing(handle, from.offset, size - from.offset);
      }
      const content = contentFrom(sought(), from.offset, from, false, options.maxLineBytes);
      return { ...content, end: () => ({ ...content.end(), shorter }) };
    },
  };
}

/**
 * A plain file's bytes from `start` to its end (as it is when each read is made), read into one buffer reused for
 * every chunk: each chunk is a view of it, valid until the next is asked for (contentFrom, core/ingest/ranges.ts, and
 * the batch's cutting, core/ingest/shards.ts, copy what they keep; the line splitter copies what it keeps). The main
 * thread reads a whole file this way to count its lines and cut it into shards, ahead of their ingestion; a fresh
 * buffer per read (a read stream's) left garbage that only a collection freed, and the main thread's malloc
 * arena grew with it (docs/BENCHMARKS.md, sixth round). Asynchronous reads, as a read stream's: the event loop goes
 * on meanwhile.
 */
async function* readReusing(handle: FileHandle, start: number, expected: number): AsyncIterable<Uint8Array> {
  // No larger than what there is to read (`ingest --follow` reads a few new lines each time), with room for a line
  // or two written meanwhile; a file that grew more is read on in more reads.
  const buffer = new Uint8Array(Math.min(CONTENT_READ_BYTES, expected + SMALL_READ_SLACK));
  for (let position = start; ; ) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * A plain file's bytes from `start` to its end (as it is when each read is made), by synchronous reads on this
 * thread into one reused buffer of 256 KiB, with a turn of the event loop after each chunk. Read through the pool
 * ({@link readReusing}), each file of the `vhosts` bench log took a 2 MiB buffer of its own and its reads waited in
 * the pool behind the other thread's flushes: the same time (50 files of 20,000 lines: 7.4–8.3 s either way), but
 * 10–19 MiB more peak memory (docs/BENCHMARKS.md, eleventh round). The turn lets the thread answer its messages
 * (the main thread hands files out).
 */
async function* readHere(fd: number, start: number): AsyncIterable<Uint8Array> {
  const buffer = new Uint8Array(RANGE_READ_BYTES);
  for (let position = start; ; ) {
    const bytesRead = readSync(fd, buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
    await nextTurn();
  }
}

/** How much a shard's thread reads at a time from a plain file ({@link readFileRange}). */
const RANGE_READ_BYTES = 256 * 1024;

/**
 * The bytes `[offset, end)` of a plain file opened by {@link plainFileInput}, read by positioned reads through its
 * descriptor (any thread of the process may: descriptors are the process's), in chunks of one buffer reused for
 * each read — the line splitter copies what it keeps of a chunk before asking for the next
 * (core/ingest/lines.ts). The reads are synchronous, on the reading thread itself: asynchronous ones waited in
 * libuv's pool of four threads, which the whole process shares, behind the main thread's writes and fsyncs of the
 * lake (two workers on 1 M lines: 5–6 s idle between them, against 2.5–4 s with these reads; docs/BENCHMARKS.md).
 * A worker has nothing else to do meanwhile; on one thread, a read of 256 KiB from the page cache blocks it for
 * well under a millisecond. The batch's reader has read these bytes already, so a file that now ends before `end`
 * was cut back while it was being ingested: an error, never fewer lines.
 */
export const readFileRange: RangeReader = async function* (
  source: RangeSource,
  offset: number,
  end: number,
): AsyncIterable<Uint8Array> {
  const buffer = new Uint8Array(Math.min(RANGE_READ_BYTES, Math.max(0, end - offset)));
  for (let position = offset; position < end; ) {
    const wanted = Math.min(buffer.length, end - position);
    const bytesRead = readSync(source.fd, buffer, 0, wanted, position);
    if (bytesRead === 0) {
      throw new Error(
        `the input file ends at byte ${position.toLocaleString("en")}, before byte ${end.toLocaleString("en")} it held when it was read: it was cut back during the ingest`,
      );
    }
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
};

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

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    if (offset >= total) break;
    const piece = part.subarray(0, total - offset);
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
