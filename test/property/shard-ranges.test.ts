import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchInputId } from "../../functions/core/ingest/checkpoint.ts";
import type { IngestDeps } from "../../functions/core/ingest/pipeline.ts";
import type { IngestSummary } from "../../functions/core/ingest/run.ts";
import {
  type BatchContent,
  ingestBatch,
  type RangeSource,
  type Sharding,
  type ShardJob,
} from "../../functions/core/ingest/shards.ts";

/**
 * A batch cut into shards (core/ingest/shards.ts `ingestBatch`), the cut alone: a shard is the lines that start in
 * `[from + k·S, from + (k+1)·S)` of the content, numbered on from the lines before it. A shard of a plain file is
 * handed to its thread as a byte range (`startRange`) that the thread reads itself; any other shard as pushed bytes.
 * Both must give every line of the batch to exactly one shard, whole, with the number of lines before it right — a
 * range that ends one byte early or late, or starts a line late, loses or doubles the line at its boundary.
 *
 * The executor here records what it is handed and ingests nothing; the lines are checked against the rule written
 * out independently below (a line's start, `from + k·S`), not against the code under test.
 */

const encoder = new TextEncoder();
const LF = 10;

/** A shard as handed over: where it starts, the lines before it, its bytes (read from the range, or pushed). */
interface Handed {
  readonly job: ShardJob;
  readonly bytes: Uint8Array;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function summaryOf(inputId: string): IngestSummary {
  return {
    inputId,
    format: "combined",
    formatDetected: false,
    detection: null,
    lines: 0,
    accepted: 0,
    rejected: { total: 0, byReason: {} },
    skipped: { blank: 0, directive: 0 },
    dropped: { total: 0, byReason: {} },
    events: 0,
    securityRows: 0,
    bytes: 0,
    eventDays: [],
    objectsWritten: 0,
    partitions: [],
    fieldsDirective: null,
  } as IngestSummary;
}

/**
 * Sharding whose executor records each shard: by range (reading `[offset, end)` of `file`, as a worker reads the
 * file) or by pushed bytes. `file` holds the whole input; `source` names it.
 */
function recording(
  shardBytes: number,
  file: Uint8Array | null,
  handed: Handed[],
  ranges: number[][],
): Sharding {
  return {
    shardBytes,
    open(context) {
      return {
        start(job) {
          const pushed: Uint8Array[] = [];
          let end: () => void = () => undefined;
          const done = new Promise<void>((resolve) => {
            end = resolve;
          });
          return {
            push(bytes) {
              pushed.push(new Uint8Array(bytes));
              return undefined;
            },
            end() {
              handed.push({ job, bytes: concat(pushed) });
              end();
            },
            result: done.then(() => summaryOf(job.inputId)),
          };
        },
        ...(file === null || context.source === undefined
          ? {}
          : {
              async startRange(job: ShardJob, end: number) {
                ranges.push([job.offset, end]);
                handed.push({ job, bytes: file.slice(job.offset, end) });
                return summaryOf(job.inputId);
              },
            }),
        async close() {},
      };
    },
  };
}

/** `bytes` in chunks of the sizes given, with the line feeds in the chunks handed out so far (as an input counts them). */
function chunked(
  bytes: Uint8Array,
  sizes: readonly number[],
): { chunks: AsyncIterable<Uint8Array>; linesHandedOut: () => number } {
  let handedOut = 0;
  async function* chunks(): AsyncIterable<Uint8Array> {
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const size = Math.max(1, sizes[i % sizes.length] as number);
      const chunk = bytes.slice(at, at + size);
      handedOut += chunk.filter((byte) => byte === LF).length;
      yield chunk;
      at += size;
    }
  }
  return { chunks: chunks(), linesHandedOut: () => handedOut };
}

/** Cuts `file[from..]` (the batch) with the code under test; returns what each shard was handed. */
async function cut(
  file: Uint8Array,
  from: { offset: number; lines: number },
  shardBytes: number,
  sizes: readonly number[],
  byRange: boolean,
): Promise<{ handed: Handed[]; ranges: number[][] }> {
  const handed: Handed[] = [];
  const ranges: number[][] = [];
  const source: RangeSource = { fd: -1 };
  const content: BatchContent = {
    stream: "0123456789abcdef",
    offset: from.offset,
    lines: from.lines,
    skipRestOfLine: false,
    ...chunked(file.subarray(from.offset), sizes),
    ...(byRange ? { source } : {}),
    format: "combined",
    site: undefined,
    onProgress: undefined,
    prime: [],
    beforeFirstPart: undefined,
    afterInterruptedRun: false,
  };
  const deps = { config: { ingest: { maxLineBytes: 1 << 20 } } } as unknown as IngestDeps;
  const result = await ingestBatch(
    content,
    deps,
    recording(shardBytes, byRange ? file : null, handed, ranges),
  );
  expect([...result.written.keys()]).toEqual(handed.map((h) => h.job.inputId));
  return { handed, ranges };
}

/** The rule, written out: the lines of `file[from..]` by the shard they start in, each with its starting offset. */
function expectedShards(
  file: Uint8Array,
  from: { offset: number; lines: number },
  shardBytes: number,
): { offset: number; linesBefore: number; bytes: Uint8Array }[] {
  const shards = new Map<number, { offset: number; linesBefore: number; parts: Uint8Array[] }>();
  let lines = from.lines;
  for (let start = from.offset; start < file.length; ) {
    const lf = file.indexOf(LF, start);
    const end = lf === -1 ? file.length : lf + 1;
    const k = Math.floor((start - from.offset) / shardBytes);
    let shard = shards.get(k);
    if (shard === undefined) {
      shard = { offset: start, linesBefore: lines, parts: [] };
      shards.set(k, shard);
    }
    shard.parts.push(file.subarray(start, end));
    lines++;
    start = end;
  }
  return [...shards.values()].map((s) => ({
    offset: s.offset,
    linesBefore: s.linesBefore,
    bytes: concat(s.parts),
  }));
}

/** Lines before `offset` and whether a line starts at or after `offset + shardBytes` (else one piece, not cut). */
function isCut(file: Uint8Array, offset: number, shardBytes: number): boolean {
  for (let i = offset; i < file.length - 1; i++) {
    if (file[i] === LF && i + 1 >= offset + shardBytes) return true;
  }
  return false;
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function check(
  got: Handed[],
  file: Uint8Array,
  from: { offset: number; lines: number },
  shardBytes: number,
): void {
  const expected = expectedShards(file, from, shardBytes);
  expect(
    got.map((h) => ({ offset: h.job.offset, linesBefore: h.job.linesBefore, text: text(h.bytes) })),
  ).toEqual(expected.map((e) => ({ offset: e.offset, linesBefore: e.linesBefore, text: text(e.bytes) })));
  got.forEach((h, index) => {
    expect(h.job.index).toBe(index);
    expect(h.job.inputId).toBe(batchInputId("0123456789abcdef", h.job.offset));
    expect(h.job.atStart).toBe(h.job.offset === 0);
  });
}

/** A log whose lines put a line start, an LF, a CR of a CRLF, a long line, a blank line at every bound. */
function awkwardLog(shardBytes: number): Uint8Array {
  let out = "";
  const line = (length: number, end = "\n") => {
    out += `${"x".repeat(Math.max(0, length - end.length))}${end}`;
  };
  const padTo = (position: number) => {
    while (out.length < position - 6) line(Math.min(5, position - 6 - out.length) + 1);
    if (out.length < position) line(position - out.length);
  };
  let bound = shardBytes;
  // 1. a line starts exactly at the bound (the LF before it at bound − 1)
  padTo(bound);
  line(3);
  // 2. the LF of a line exactly at the bound: the line belongs to the shard before
  bound += shardBytes;
  padTo(bound + 1);
  line(4);
  // 3. a CRLF line whose CR is at bound − 1 and LF at the bound
  bound += shardBytes;
  padTo(bound - 3);
  line(4, "\r\n");
  line(2);
  // 4. a line longer than a shard across two bounds: the shard between them is empty
  bound += shardBytes;
  padTo(bound - 2);
  line(shardBytes * 2 + 3);
  line(2);
  // 5. blank lines on both sides of a bound
  bound += 3 * shardBytes;
  padTo(bound - 1);
  out += "\n\n\n";
  line(3);
  // 6. a last line without its LF
  out += "end";
  return encoder.encode(out);
}

describe("a batch cut into shards: every line once, whole, numbered, by range or by pushed bytes", () => {
  it("at every awkward bound (a line starting on it, an LF on it, CR|LF across it, a line longer than a shard, blank lines)", async () => {
    for (const shardBytes of [16, 17, 31, 64]) {
      const file = awkwardLog(shardBytes);
      for (const sizes of [[file.length], [1], [7, 3, 64], [shardBytes], [shardBytes - 1, shardBytes + 1]]) {
        for (const byRange of [true, false]) {
          // Act
          const { handed, ranges } = await cut(file, { offset: 0, lines: 0 }, shardBytes, sizes, byRange);

          // Assess: the rule's shards, and the ranges tile the batch without gap or overlap
          check(handed, file, { offset: 0, lines: 0 }, shardBytes);
          if (byRange) {
            expect(ranges.length).toBe(handed.length);
            expect(ranges[0]?.[0]).toBe(0);
            for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.[0]).toBe(ranges[i - 1]?.[1]);
            expect(ranges.at(-1)?.[1]).toBe(file.length);
          } else expect(ranges).toEqual([]);
        }
      }
    }
  });

  it("random logs, shard sizes, batch starts and chunkings: ranges and pushed bytes give the rule's shards", async () => {
    const lineArb = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom("", "\r", "é€", "😀", "x".repeat(45)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineArb, fc.constantFrom("\n", "\r\n", "\n\n")), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.nat({ max: 1000 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }),
        async (parts, trailing, shardBytes, startAt, sizes) => {
          // Prepare: the batch starts at a line start (a checkpoint's offset)
          let body = parts.map(([l, t]) => l + t).join("");
          if (!trailing) body = body.replace(/\r?\n$/, "");
          const file = encoder.encode(body);
          const starts = [0];
          for (let i = 0; i < file.length - 1; i++) if (file[i] === LF) starts.push(i + 1);
          const offset = starts[startAt % starts.length] as number;
          const lines = starts.indexOf(offset);
          // A batch whose lines all start in its first shard is ingested in one piece: not this test's subject.
          fc.pre(isCut(file, offset, shardBytes));

          for (const byRange of [true, false]) {
            // Act
            const { handed } = await cut(file, { offset, lines }, shardBytes, sizes, byRange);

            // Assess
            check(handed, file, { offset, lines }, shardBytes);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
