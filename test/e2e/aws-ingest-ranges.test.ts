import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BatchRecord, type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * A file larger than one invocation reads, through the ingest bundle of cdk.out on the stand-ins, deployed with
 * ranges of 1 MiB (`-c logsieve:ingestRangeMiB=1`): the notification reads the first range, each range sends the
 * next one to the ingest queue, each is an input of its own, and together they read every line exactly once —
 * plain (ranged GETs from the byte before each range) and gzip (inflated from the start, skipped to the range).
 */

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let raw: string;
const LINES = 16_000;

/** About 3.6 MB of time-ordered combined log, every line valid and for example.com; `tag` makes it another log. */
function log(tag: string): Buffer {
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const second = Math.floor((i * 86_399) / LINES);
    const time = [Math.floor(second / 3600), Math.floor(second / 60) % 60, second % 60]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
    const padding = "x".repeat(i % 97);
    out.push(
      `10.${i % 250}.${(i >> 8) % 250}.${(i % 200) + 1} - - [20/Nov/2026:${time} +0000] "GET /${tag}/${i % 300}?q=${padding} HTTP/1.1" 200 ${i % 5000} "https://ref.example/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"`,
    );
  }
  return Buffer.from(`${out.join("\n")}\n`);
}

/** The "ingested" log entries of the ingest invocations, in order: one per range read. */
function ingested(
  batches: readonly BatchRecord[],
): { lines: number; events: number; continued: boolean; stream: string }[] {
  return batches
    .flatMap((b) => b.result.logs.split("\n"))
    .filter((line) => line.includes('"message":"ingested"'))
    .map((line) => JSON.parse(line) as { lines: number; events: number; continued: boolean; stream: string })
    .map(({ lines, events, continued, stream }) => ({ lines, events, continued, stream }));
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com", "logsieve:ingestRangeMiB": "1" } },
  }));
  raw = stack.nameOf("RawBucket");
  aws.clock.advance(Date.UTC(2026, 10, 21, 6) - aws.clock.now());
}, 300_000);

afterAll(async () => {
  await stop?.();
});

describe("a file read in byte ranges by the ingest bundle", () => {
  const RANGE = 1024 * 1024;

  for (const [kind, key, tag] of [
    ["plain", "incoming/site=example.com/web1/big.log.1", "plain"],
    ["gzip", "incoming/site=example.com/web1/big.log.2.gz", "gzip"],
  ] as const) {
    it(`${kind}: one invocation per range, chained through the queue, every line exactly once`, async () => {
      // Prepare
      const body = log(tag);
      const objectsBefore = aws.s3.keys(stack.nameOf("AnalyticsBucket"), "events/").length;

      // Act
      aws.s3.put(raw, key, kind === "gzip" ? gzipSync(body) : body);
      const units = ingested(await stack.pump({ only: ["Pipeline/Ingest"] }));

      // Assess: ranges of at least 1 MiB each (the lines starting in it), each but the last continued through the
      // queue, lines and events adding up to the file's; each range a batch of the one stream, with objects of its own.
      const read = units.filter((u) => u.lines > 0);
      expect(read.length).toBeGreaterThanOrEqual(2);
      expect(read.length).toBeLessThanOrEqual(Math.ceil(body.length / RANGE));
      expect(read.slice(0, -1).every((u) => u.continued)).toBe(true);
      expect(units.at(-1)?.continued).toBe(false);
      expect(new Set(units.map((u) => u.stream)).size).toBe(1);
      expect(read.reduce((s, u) => s + u.lines, 0)).toBe(LINES);
      expect(read.reduce((s, u) => s + u.events, 0)).toBe(LINES);
      expect(
        aws.s3.keys(stack.nameOf("AnalyticsBucket"), "events/").length - objectsBefore,
      ).toBeGreaterThanOrEqual(read.length);
      expect(aws.sqs.messages(stack.nameOf("IngestDlq"))).toEqual([]);
    }, 600_000);
  }

  it("the same log shipped again under another key is read on from its checkpoint: nothing counted twice", async () => {
    // Act
    aws.s3.put(raw, "incoming/site=example.com/web2/copy-of-big.log", log("plain"));
    const units = ingested(await stack.pump({ only: ["Pipeline/Ingest"] }));

    // Assess
    expect(units.reduce((s, u) => s + u.lines, 0)).toBe(0);
  }, 600_000);
});
