import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";
import { maybeDecompress } from "./decompress.ts";

/**
 * The bytes of an S3 GetObject body as chunks, decompressed when they start with the magic bytes of gzip, bzip2 or
 * zstd (CloudFront and ALB deliver `.gz` objects; a plain object is passed through). `name` (the object key) is used in errors.
 * Accepts what the SDK returns in Node (a Readable with the SDK stream mixin), a web ReadableStream, or bytes.
 */
export function s3BodyChunks(
  body: GetObjectCommandOutput["Body"] | Uint8Array,
  name: string,
): AsyncIterable<Uint8Array> {
  if (body === undefined || body === null) throw new Error(`object "${name}" has no body`);
  return maybeDecompress(bodyBytes(body, name), name);
}

async function* bodyBytes(body: unknown, name: string): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    for await (const chunk of body as AsyncIterable<unknown>) yield toBytes(chunk);
    return;
  }
  if (typeof (body as ReadableStream<unknown>).getReader === "function") {
    const reader = (body as ReadableStream<unknown>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield toBytes(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (typeof (body as Blob).arrayBuffer === "function") {
    yield new Uint8Array(await (body as Blob).arrayBuffer());
    return;
  }
  throw new Error(`object "${name}" has a body of an unsupported kind`);
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === "string") return new TextEncoder().encode(chunk);
  throw new Error("an object body yielded something other than bytes");
}
