import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/** Output chunk size of the decompressor: large chunks mean fewer async steps per line downstream. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** True when `head` starts with the gzip magic bytes 1f 8b. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Wraps a reading failure so the message names the input (never its content) and keeps the cause. */
export function readError(name: string, error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const what = typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error";
  const corrupt = typeof code === "string" && code.startsWith("Z_");
  return new Error(
    `cannot read input "${name}": ${corrupt ? "corrupt or truncated gzip data" : "read failed"} (${what})`,
    {
      cause: error,
    },
  );
}

/**
 * The bytes of a stream, gunzipped when it starts with the gzip magic bytes (one member or several concatenated,
 * as `cat a.gz b.gz` or rotated logs give), as they are otherwise. Errors name `name`, never the data.
 */
export async function* maybeGunzip(
  chunks: AsyncIterable<Uint8Array>,
  name: string,
): AsyncIterable<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  // Peek until two bytes are in hand (a chunk may hold a single byte).
  const head: Uint8Array[] = [];
  let headBytes = 0;
  try {
    while (headBytes < 2) {
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

  if (!isGzip(first)) {
    if (first.length > 0) yield first;
    try {
      for await (const chunk of rest) yield chunk;
    } catch (error) {
      throw readError(name, error);
    }
    return;
  }

  async function* raw(): AsyncIterable<Uint8Array> {
    yield first;
    yield* rest;
  }
  const gunzip = pipeline(
    Readable.from(raw(), { objectMode: false }),
    createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
    () => {
      // Errors reach the consumer through the gunzip stream's iterator.
    },
  );
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } catch (error) {
    throw readError(name, error);
  }
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
