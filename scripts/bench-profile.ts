/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time per function and per source file, the top entries.
 *
 *   node --cpu-prof --cpu-prof-dir=bench-out/prof bin/logsieve.js --lake /tmp/lake ingest bench-out/access-200k.log
 *   npx tsx scripts/bench-profile.ts bench-out/prof/<file>.cpuprofile [--top 30] [--groups]
 *
 * `--groups` adds self time by pipeline stage (which source files count as which stage: STAGES below).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const path = process.argv[2];
if (path === undefined) throw new Error("usage: bench-profile.ts <file.cpuprofile> [--top N]");
const topAt = process.argv.indexOf("--top");
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 30;
const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const short = (url: string): string =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "npm:")
    .replace(/^.*\/work\/main\//, "");
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  const name = `${frame.functionName || "(anonymous)"} ${short(frame.url)}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const file = frame.url === "" ? frame.functionName : short(frame.url);
  byFile.set(file, (byFile.get(file) ?? 0) + us);
}
const print = (title: string, map: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
  }
};
/** Stages of the ingest pipeline by source file (first match wins). */
const STAGES: readonly [string, RegExp][] = [
  ["garbage collection", /^\(garbage collector\)$/],
  ["idle (waiting for I/O or the other thread)", /^\(idle\)$/],
  [
    "reading and splitting lines",
    /core\/ingest\/lines|node:internal\/fs|^read$|node:internal\/encoding|utf8Slice|^decode$/,
  ],
  ["parsing", /core\/parse\//],
  ["client address (parse, truncate)", /core\/anonymize\//],
  ["geolocation (mmdb)", /mmdb-lib|adapters\/geo\//],
  ["user agent and bots", /core\/enrich\/|ua-parser-js|isbot/],
  ["visitor id (HMAC)", /core\/identify\//],
  ["scrubbing (paths, queries, referrers)", /core\/scrub\//],
  [
    "pipeline, rows, partitioning",
    /core\/pipeline|core\/ingest\/(rows|partitioned-writer)|core\/consent|core\/zones/,
  ],
  ["collecting rows into columns", /parquet-writer\/src\/batch|^addRow$|utf8Write|node:buffer/],
  [
    "Parquet encoding and compression",
    /parquet-writer\/src\/|adapters\/parquet\/|^extract$|encodeUtf8String/,
  ],
  ["writing files", /adapters\/local\/object-store|^writev?$|^open|^close|^fsync|^rename/],
  ["module loading (tsx)", /node:internal\/modules|tsx\/dist|cjs-module-lexer|compileSourceTextModule|wasm/],
];

console.log(`${path}: ${(total / 1e6).toFixed(2)} s sampled`);
if (process.argv.includes("--groups")) {
  const byStage = new Map<string, number>();
  for (const [file, us] of byFile) {
    const stage = STAGES.find(([, pattern]) => pattern.test(file))?.[0] ?? "other";
    byStage.set(stage, (byStage.get(stage) ?? 0) + us);
  }
  print("self time by stage", byStage);
}
print("self time by function", byFunction);
print("self time by file", byFile);
