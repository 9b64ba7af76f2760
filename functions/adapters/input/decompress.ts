import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress as ZstdDecompress } from "fzstd";
import unbzip2Stream from "unbzip2-stream";

/**
 * Compressed inputs, recognized by their first bytes (never by a file name or an object key): gzip (Node's zlib;
 * several members concatenated, as `cat a.gz b.gz` or rotated logs give), bzip2 (unbzip2-stream, MIT; several
 * streams concatenated, as pbzip2 writes) and zstd (fzstd, MIT; several frames). Node 20's zlib has neither bzip2
 * nor zstd. Anything else passes through as it is.
 */

export type Compression = "gzip" | "bzip2" | "zstd";

/** Output chunk size of the gzip decompressor: large chunks mean fewer async steps per line downstream. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** Bytes needed to recognize every format below. */
const MAGIC_BYTES = 4;

/** The compression `head` starts with, by magic bytes; null for anything else (a plain log). */
export function compressionOf(head: Uint8Array): Compression | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  // "BZh" and the block size digit 1-9.
  if (
    head.length >= 4 &&
    head[0] === 0x42 &&
    head[1] === 0x5a &&
    head[2] === 0x68 &&
    (head[3] as number) >= 0x31 &&
    (head[3] as number) <= 0x39
  )
    return "bzip2";
  // The zstd frame magic number 0xFD2FB528, little-endian.
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return "zstd";
  return null;
}

/** True when `head` starts with the gzip magic bytes 1f 8b. */
export function isGzip(head: Uint8Array): boolean {
  return compressionOf(head) === "gzip";
}

/** Wraps a reading failure so the message names the input (never its content) and keeps the cause. */
export function readError(name: string, error: unknown, compression: Compression | null = null): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const what = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
  // A system error (ENOENT, EIO, …) is a failed read; zlib's Z_* codes and the decoders' own errors are bad data.
  const systemError = typeof code === "string" && !code.startsWith("Z_");
  const why =
    compression !== null && !systemError ? `corrupt or truncated ${compression} data` : "read failed";
  return new Error(`cannot read input "${name}": ${why} (${what})`, { cause: error });
}

/**
 * The bytes of a stream, decompressed when they start with the magic bytes of gzip, bzip2 or zstd, as they are
 * otherwise. Errors name `name`, never the data.
 */
export async function* maybeDecompress(
  chunks: AsyncIterable<Uint8Array>,
  name: string,
): AsyncIterable<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  // Peek until the magic bytes are in hand (a chunk may hold a single byte).
  const head: Uint8Array[] = [];
  let headBytes = 0;
  try {
    while (headBytes < MAGIC_BYTES) {
      const next = await it.next();
      if (next.done) break;
      if (next.value.length === 0) continue;
      head.push(next.value);
      headBytes += next.value.length;
    }
  } catch (error) {
    throw readError(name, error);
  }
  const first = head.length === 1 ? (head[0] as Uint8Array) : concatBytes(head, headBytes);
  const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => it };
  async function* raw(): AsyncIterable<Uint8Array> {
    if (first.length > 0) yield first;
    yield* rest;
  }

  const compression = compressionOf(first);
  const decompressed =
    compression === "gzip"
      ? gunzip(raw())
      : compression === "bzip2"
        ? bunzip2(raw())
        : compression === "zstd"
          ? unzstd(raw())
          : raw();
  try {
    for await (const chunk of decompressed) yield chunk;
  } catch (error) {
    throw readError(name, error, compression);
  }
}

function gunzip(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return pipeline(
    Readable.from(source, { objectMode: false }),
    createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
    () => {
      // Errors reach the consumer through the gunzip stream's iterator.
    },
  ) as AsyncIterable<Uint8Array>;
}

/**
 * bzip2 through unbzip2-stream (a classic `through` stream). It decodes synchronously inside `write` and `end`, so
 * the input is pulled one chunk at a time and what came out is handed on before the next chunk is read.
 */
async function* bunzip2(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const decoder = unbzip2Stream();
  const ready: Uint8Array[] = [];
  let failure: unknown = null;
  let ended = false;
  decoder.on("data", (chunk: Uint8Array) => ready.push(chunk));
  decoder.on("error", (error: unknown) => {
    failure ??= error;
  });
  decoder.on("end", () => {
    ended = true;
  });
  for await (const chunk of source) {
    decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (failure !== null) throw failure;
    while (ready.length > 0) yield ready.shift() as Uint8Array;
  }
  decoder.end();
  if (failure !== null) throw failure;
  while (ready.length > 0) yield ready.shift() as Uint8Array;
  if (!ended) throw new Error("the bzip2 stream ended early");
}

/** zstd through fzstd's streaming decompressor. Its output may reuse its window, so each chunk is copied. */
async function* unzstd(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const ready: Uint8Array[] = [];
  const decoder = new ZstdDecompress((data) => {
    if (data.length > 0) ready.push(data.slice());
  });
  for await (const chunk of source) {
    decoder.push(chunk);
    while (ready.length > 0) yield ready.shift() as Uint8Array;
  }
  decoder.push(new Uint8Array(0), true);
  while (ready.length > 0) yield ready.shift() as Uint8Array;
}

function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
