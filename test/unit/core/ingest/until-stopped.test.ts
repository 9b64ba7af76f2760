import { describe, expect, it } from "vitest";
import { untilStopped } from "../../../../functions/core/ingest/shards.ts";

/**
 * `untilStopped` (core/ingest/shards.ts): the chunks of a shard being read, which end in the batch's stop error as
 * soon as the batch is stopped — a stopped batch must not go on reading and ingesting a shard whose objects it will
 * throw away (and must not store them after it has failed).
 */

async function* chunksOf(count: number, read: number[]): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) {
    read.push(i);
    yield new Uint8Array([i]);
  }
}

describe("untilStopped", () => {
  it("hands every chunk over, in order, while the batch runs", async () => {
    const read: number[] = [];
    const got: number[] = [];
    for await (const chunk of untilStopped(chunksOf(5, read), () => undefined)) got.push(chunk[0] as number);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it("ends in the stop error at the first chunk after the batch was stopped, and reads no further", async () => {
    const read: number[] = [];
    const got: number[] = [];
    const stop = new Error("the batch was stopped");
    let stopped: Error | undefined;
    const reading = (async () => {
      for await (const chunk of untilStopped(chunksOf(10, read), () => stopped)) {
        got.push(chunk[0] as number);
        if (got.length === 3) stopped = stop;
      }
    })();
    await expect(reading).rejects.toBe(stop);
    expect(got).toEqual([0, 1, 2]);
    // The chunk read when the stop was seen is not handed over, and nothing after it is read.
    expect(read).toEqual([0, 1, 2, 3]);
  });
});
