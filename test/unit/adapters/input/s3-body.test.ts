import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { s3BodyChunks } from "../../../../functions/adapters/input/s3-body.ts";

async function text(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

describe("s3BodyChunks", () => {
  it("gunzips a gzip body and passes a plain body through, from a Node stream or a web stream", async () => {
    // Prepare
    const log = "line one\nline two\n";
    const nodeGz = Readable.from([gzipSync(log)]);
    const webPlain = new Blob([log]).stream();
    // Act
    const fromGz = await text(s3BodyChunks(nodeGz as never, "k.gz"));
    const fromPlain = await text(s3BodyChunks(webPlain as never, "k.log"));
    const fromBytes = await text(s3BodyChunks(new TextEncoder().encode(log), "k"));
    // Assess
    expect(fromGz).toBe(log);
    expect(fromPlain).toBe(log);
    expect(fromBytes).toBe(log);
  });

  it("fails on a missing body, naming the key", async () => {
    // Prepare / Act
    const reading = () => s3BodyChunks(undefined, "incoming/x.gz");
    // Assess
    expect(reading).toThrow('object "incoming/x.gz" has no body');
  });
});
