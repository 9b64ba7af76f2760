/**
 * The Parquet writer's CPU per line on a real log, apart from the rest of ingestion: the value calls the pipeline
 * makes (`RowSink.string`, `number`...) for the first lines of a log are recorded once, part by part as ingest()
 * opens parts, then replayed into two trees' `ParquetPart` (functions/adapters/parquet/parquet-encoder.ts and
 * their own packages/parquet-writer) in alternating order; each full row group is kept and then encoded with
 * `encodeRowGroups`. Prints CPU µs per log line for "push" (the values into column batches) and "encode", and the
 * sha256 of everything encoded (row groups and their metadata): two trees that write the same bytes print the same.
 * Row groups are kept as if encoded on another thread (each in a batch of its own); `--push-only` keeps none, so a
 * part refills its batch as it does when it encodes in its own thread (the command with one thread).
 *
 *   git archive <commit> | tar -x -C /tmp/before   # and a node_modules of links whose @logsieve/parquet-writer is
 *                                                  # its own packages/ (see the worktree trap in the helpers' notes)
 *   npx tsx scripts/bench-parquet-values.ts bench-out/week-1m.log /tmp/before . [--lines 200000] [--rounds 10]
 *       [--push-only | --encode-only]
 *
 * The pipeline that produces the values (parse, enrichment, rows) is this tree's; the combined format is forced and
 * every day's salt is a fixed one.
 */
import { createHash } from "node:crypto";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { BatchData, EncodedRowGroups, TableSpec, WriteOptions } from "@logsieve/parquet-writer";
import { loadGeoLookup } from "../functions/adapters/geo/mmdb-geo.ts";
import { parseConfig } from "../functions/core/config.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import type { RawLine } from "../functions/core/ingest/lines.ts";
import { ingest } from "../functions/core/ingest/pipeline.ts";
import type { RowSink, TableEncoder, TablePart, TableSchema } from "../functions/ports/table-encoder.ts";
import { linesOf, NullStore } from "./bench-inputs.ts";

const [logPath, treeA, treeB] = process.argv.slice(2);
if (logPath === undefined || treeA === undefined || treeB === undefined)
  throw new Error("usage: bench-parquet-values.ts <log> <tree A> <tree B> [--lines N] [--rounds N]");
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const lineLimit = option("lines", 200_000);
const rounds = option("rounds", 10);
const pushOnly = process.argv.includes("--push-only");
const encodeOnly = process.argv.includes("--encode-only");

const lines = linesOf(logPath, lineLimit);

/** One part's value calls: a kind per call (0 = end of row, 1 string, 2 number, 3 bigint, 4 boolean) and its value. */
interface RecordedPart {
  readonly schema: TableSchema;
  readonly expectedRows: number | undefined;
  readonly kinds: number[];
  readonly values: unknown[];
}
const recorded: RecordedPart[] = [];

class Recorder implements TablePart, RowSink {
  rows = 0;
  readonly bytesHeld = 0;
  constructor(private readonly part: RecordedPart) {}
  add(): void {
    throw new Error("bench-parquet-values records value calls only");
  }
  get sink(): RowSink {
    return this;
  }
  private call(kind: number, value: unknown): RowSink {
    this.part.kinds.push(kind);
    this.part.values.push(value);
    return this;
  }
  string(value: string | null): RowSink {
    return this.call(1, value);
  }
  number(value: number | null): RowSink {
    return this.call(2, value);
  }
  bigint(value: bigint | null): RowSink {
    return this.call(3, value);
  }
  boolean(value: boolean | null): RowSink {
    return this.call(4, value);
  }
  end(): void {
    this.call(0, undefined);
    this.rows++;
  }
  async finish(): Promise<Uint8Array> {
    return new Uint8Array(0);
  }
}

const recordingEncoder: TableEncoder = {
  extension: "parquet",
  encode: () => new Uint8Array(0),
  startPart(schema, expectedRows) {
    const part: RecordedPart = { schema, expectedRows, kinds: [], values: [] };
    recorded.push(part);
    return new Recorder(part);
  },
};
const salt = new Uint8Array(32).fill(7);
async function* batches(): AsyncIterable<readonly RawLine[]> {
  for (let i = 0; i < lines.length; i += 1000) yield lines.slice(i, i + 1000);
}
await ingest(
  { inputId: "bench", lines: batches(), format: "combined" },
  {
    config: parseConfig({}),
    enrich: createEnricher(await loadGeoLookup({})),
    salts: { saltForDay: async () => salt, destroyExpired: async () => [] },
    store: new NullStore(),
    encoder: recordingEncoder,
    clock: { now: () => 0 },
  },
);
const parts = recorded.map((part) => ({ ...part, kindArray: Uint8Array.from(part.kinds) }));
const calls = parts.reduce((sum, part) => sum + part.kinds.length, 0);
console.log(`${lines.length} lines recorded: ${parts.length} parts, ${calls} value calls`);

/** What a tree gives this script: its Parquet adapter and its writer's `encodeRowGroups`. */
interface Tree {
  readonly name: string;
  readonly encoder: { tableOf(schema: TableSchema): TableSpec };
  readonly options: WriteOptions;
  readonly startPart: (
    table: TableSpec,
    expectedRows: number | undefined,
    encodeGroup: (data: BatchData, atStart: boolean) => EncodedRowGroups | Promise<EncodedRowGroups>,
  ) => TablePart & { readonly sink: RowSink & { end(): void } };
  readonly encodeRowGroups: (
    table: TableSpec,
    data: BatchData,
    options: WriteOptions,
    atStart: boolean,
  ) => EncodedRowGroups;
}

async function loadTree(dir: string): Promise<Tree> {
  const root = resolve(dir);
  const adapter = await import(
    pathToFileURL(join(root, "functions/adapters/parquet/parquet-encoder.ts")).href
  );
  const writer = await import(pathToFileURL(join(root, "packages/parquet-writer/src/index.ts")).href);
  return {
    name: dir,
    encoder: new adapter.ParquetEncoder(),
    options: adapter.parquetWriteOptions({}),
    startPart: (table, expectedRows, encodeGroup) =>
      new adapter.ParquetPart(table, adapter.parquetWriteOptions({}), expectedRows, encodeGroup),
    encodeRowGroups: writer.encodeRowGroups,
  };
}

interface Kept {
  readonly table: TableSpec;
  readonly data: BatchData;
  readonly atStart: boolean;
}

/** The recorded calls into the tree's parts; full row groups kept (unless pushing only). CPU µs per line. */
async function push(tree: Tree, keep: boolean): Promise<{ kept: Kept[]; us: number }> {
  const kept: Kept[] = [];
  const start = process.cpuUsage();
  for (const part of parts) {
    const table = tree.encoder.tableOf(part.schema);
    const target = tree.startPart(table, part.expectedRows, (data, atStart) => {
      // A stand-in for the encoded row groups: one byte, so the part places the next ones after the file's start.
      const standIn = {
        table: table.name,
        rows: data.rows,
        atStart,
        bytes: new Uint8Array(1),
        rowGroups: [],
      };
      if (!keep) return standIn;
      kept.push({ table, data, atStart });
      // "Encoded elsewhere", as by the encoder's worker: a part that reuses its batch (fifth round) then takes a
      // fresh one for the next row group instead of refilling the arrays the kept data views.
      return Promise.resolve(standIn);
    });
    const sink = target.sink;
    const { kindArray, values } = part;
    for (let i = 0; i < kindArray.length; i++) {
      switch (kindArray[i]) {
        case 0:
          sink.end();
          break;
        case 1:
          sink.string(values[i] as string | null);
          break;
        case 2:
          sink.number(values[i] as number | null);
          break;
        case 3:
          sink.bigint(values[i] as bigint | null);
          break;
        case 4:
          sink.boolean(values[i] as boolean | null);
          break;
      }
    }
    await target.finish();
  }
  const cpu = process.cpuUsage(start);
  return { kept, us: (cpu.user + cpu.system) / lines.length };
}

/** The kept row groups encoded; CPU µs per line and the sha256 of the bytes and metadata. */
function encode(tree: Tree, kept: readonly Kept[]): { us: number; digest: string } {
  const start = process.cpuUsage();
  const encoded = kept.map((k) => tree.encodeRowGroups(k.table, k.data, tree.options, k.atStart));
  const cpu = process.cpuUsage(start);
  const hash = createHash("sha256");
  for (const group of encoded) {
    hash.update(group.bytes);
    hash.update(
      JSON.stringify(group.rowGroups, (_key, value) =>
        value instanceof Uint8Array ? Array.from(value) : typeof value === "bigint" ? String(value) : value,
      ),
    );
  }
  return { us: (cpu.user + cpu.system) / lines.length, digest: hash.digest("hex").slice(0, 16) };
}

const trees = [await loadTree(treeA), await loadTree(treeB)];
const keptOnce: (Kept[] | undefined)[] = [];
const results = trees.map(() => ({ push: [] as number[], encode: [] as number[] }));
for (let round = 0; round <= rounds; round++) {
  for (const t of round % 2 === 0 ? [0, 1] : [1, 0]) {
    const tree = trees[t] as Tree;
    let pushUs = 0;
    let kept = keptOnce[t];
    if (!encodeOnly || kept === undefined) {
      const pushed = await push(tree, !pushOnly);
      pushUs = pushed.us;
      kept = pushed.kept;
      if (encodeOnly) keptOnce[t] = kept;
    }
    const encoded = pushOnly ? { us: 0, digest: "-" } : encode(tree, kept);
    // Round 0 warms both trees up and is not counted.
    if (round > 0) {
      if (!encodeOnly) results[t]?.push.push(pushUs);
      if (!pushOnly) results[t]?.encode.push(encoded.us);
    }
    console.log(
      `round ${round} ${t === 0 ? "A" : "B"}: push ${pushUs.toFixed(3)}, encode ${encoded.us.toFixed(3)} µs/line, ` +
        `sha256 ${encoded.digest} (load ${loadavg()[0]?.toFixed(2)})`,
    );
  }
}
const median = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : ([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number);
results.forEach((r, t) => {
  console.log(
    `${t === 0 ? "A" : "B"} ${trees[t]?.name}: push median ${median(r.push).toFixed(3)}, ` +
      `encode median ${median(r.encode).toFixed(3)} µs/line`,
  );
});
