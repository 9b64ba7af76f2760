/**
 * Before/after of `ingest()` on a shared machine: two source trees' pipelines loaded into one process and run in
 * alternating order over the same lines, CPU µs per line. Interleaving in one process takes most of the machine's
 * load out of the comparison (both builds see the same load at nearly the same time), which separate CLI runs
 * under a load average of 15 cannot.
 *
 *   git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   npx tsx scripts/bench-ingest-ab.ts bench-out/access-1m.log /tmp/before . [--lines 300000] [--rounds 8]
 *
 * Each tree brings its own core (pipeline, configuration, enricher: what a change to ingestion touches); the
 * Parquet encoder (on the main thread), the geo database and a store that keeps nothing come from this tree, the
 * same for both. The combined format is forced (no detection) and every day's salt is a fixed one.
 */
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadGeoLookup } from "../functions/adapters/geo/mmdb-geo.ts";
import { ParquetEncoder } from "../functions/adapters/parquet/parquet-encoder.ts";
import type { RawLine } from "../functions/core/ingest/lines.ts";
import { linesOf, NullStore } from "./bench-inputs.ts";

const [logPath, treeA, treeB] = process.argv.slice(2);
if (logPath === undefined || treeA === undefined || treeB === undefined)
  throw new Error("usage: bench-ingest-ab.ts <log> <tree A> <tree B> [--lines N] [--rounds N]");
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const lineLimit = option("lines", 300_000);
const rounds = option("rounds", 8);

/** Where a tree keeps its ingest pipeline, newest layout first (core/pipeline.ts until issue 13). */
const PIPELINE_PATHS = ["functions/core/ingest/pipeline.ts", "functions/core/pipeline.ts"];

const lines = linesOf(logPath, lineLimit);

const geo = await loadGeoLookup({});
const salt = new Uint8Array(32).fill(7);
const salts = { saltForDay: async () => salt, destroyExpired: async () => [] };

async function* batches(): AsyncIterable<readonly RawLine[]> {
  for (let i = 0; i < lines.length; i += 1000) yield lines.slice(i, i + 1000);
}

/** One tree's `ingest()` over the lines, wired as described above. */
async function loadTree(tree: string): Promise<() => Promise<void>> {
  const root = resolve(tree);
  const pipeline = PIPELINE_PATHS.map((p) => join(root, p)).find((p) => existsSync(p));
  if (pipeline === undefined)
    throw new Error(`${tree}: no ingest pipeline at ${PIPELINE_PATHS.join(" or ")}`);
  const load = (path: string) => import(pathToFileURL(path).href);
  const { ingest } = await load(pipeline);
  const { parseConfig } = await load(join(root, "functions/core/config.ts"));
  const { createEnricher } = await load(join(root, "functions/core/enrich/enrich.ts"));
  const config = parseConfig({});
  return async () => {
    await ingest(
      { inputId: "ab", lines: batches(), format: "combined" },
      {
        config,
        enrich: createEnricher(geo),
        salts,
        store: new NullStore(),
        encoder: new ParquetEncoder(),
        clock: { now: () => 0 },
      },
    );
  };
}

const runs = [
  { name: treeA, run: await loadTree(treeA), us: [] as number[] },
  { name: treeB, run: await loadTree(treeB), us: [] as number[] },
];
for (const side of runs) await side.run(); // warm-up: compiles and fills the caches, as in a long run
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? runs : [...runs].reverse()) {
    const cpu0 = process.cpuUsage();
    await side.run();
    const cpu = process.cpuUsage(cpu0);
    side.us.push((cpu.user + cpu.system) / lines.length);
  }
}
for (const side of runs) {
  const sorted = [...side.us].sort((a, b) => a - b);
  console.log(
    `${side.name}: CPU µs per line ${side.us.map((u) => u.toFixed(2)).join(" ")}; median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)}, best ${sorted[0]?.toFixed(2)}`,
  );
}
console.log(
  `${lines.length.toLocaleString("en")} lines, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
