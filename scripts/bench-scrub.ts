/**
 * The scrubber alone: CPU µs per request target and per referrer, without the ingest memo, over the distinct
 * targets and referrers of a combined-format log (what the memo would scrub once each), and over every line's
 * target (what a log of unique targets costs).
 *
 *   npx tsx scripts/bench-scrub.ts --generate      # bench-out/scrub-500k.log and scrub-500k-unique.log
 *   npx tsx scripts/bench-scrub.ts bench-out/scrub-500k.log [--lines 200000] [--runs 5]
 *
 * `--generate` writes two 500,000-line logs: the bench generator's day (functions/apps/demo/sample-log.ts, seed
 * 20261101, 40,000 clients, varied agents), and the same lines with every target made unique (`?utm_source=news&
 * utm_campaign=cN&page=<line>`), so the ingest memo never hits. Measuring prints the best of --runs for each set
 * (the machine is shared) and the share of paths the scrubber returns unchanged. Figures: docs/BENCHMARKS.md
 * ("Scrubbing").
 */
import { createWriteStream, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { generateSampleLog } from "../functions/apps/demo/sample-log.ts";
import { referrerHost, type ScrubOptions, scrubTarget } from "../functions/core/scrub/scrub.ts";

if (process.argv.includes("--generate")) {
  await mkdir("bench-out", { recursive: true });
  const plain = createWriteStream("bench-out/scrub-500k.log");
  const unique = createWriteStream("bench-out/scrub-500k-unique.log");
  let n = 0;
  for (const line of generateSampleLog({
    seed: 20261101,
    lines: 500_000,
    startMs: Date.UTC(2026, 10, 1),
    spanMs: 20 * 3_600_000,
    clients: 40_000,
    malformedShare: 0.001,
    varietyOfAgents: true,
  })) {
    n++;
    plain.write(`${line}\n`);
    unique.write(
      `${line.replace(/"(GET|POST|HEAD) (\S+) /, (_m, method: string, target: string) => `"${method} ${target}${target.includes("?") ? "&" : "?"}utm_source=news&utm_campaign=c${n % 97}&page=${n} `)}\n`,
    );
  }
  await Promise.all([plain, unique].map((s) => new Promise((done) => s.end(done))));
  console.log(`wrote bench-out/scrub-500k.log and bench-out/scrub-500k-unique.log (${n} lines each)`);
  process.exit(0);
}

const path = process.argv[2];
if (path === undefined)
  throw new Error("usage: bench-scrub.ts --generate | <combined log> [--lines N] [--runs N]");
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const limit = option("lines", 200_000);
const runs = option("runs", 5);

const LINE = /^\S+ \S+ \S+ \[[^\]]+\] "(?:[A-Z]+ )?(\S*)[^"]*" \d{3} \S+ "([^"]*)"/;
const targets: string[] = [];
const referrers: string[] = [];
for (const line of readFileSync(path, "utf8").split("\n", limit)) {
  const m = LINE.exec(line);
  if (m === null) continue;
  targets.push(m[1] as string);
  referrers.push(m[2] as string);
}
const distinctTargets = [...new Set(targets)];
const distinctReferrers = [...new Set(referrers)];
// allowedPaths is ignored by scrubbers that predate it, so this script measures before and after alike.
const options = { allowedParams: new Set<string>(), allowedPaths: null, keepClickIds: false } as ScrubOptions;

function cpuMicros(work: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    work();
    const used = process.cpuUsage(start);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

let sink = 0;
const perTarget = (list: readonly string[]) =>
  cpuMicros(() => {
    for (const t of list) sink += scrubTarget(t, options).path.length;
  }) / list.length;
const perReferrer = (list: readonly string[]) =>
  cpuMicros(() => {
    for (const r of list) sink += referrerHost(r)?.length ?? 0;
  }) / list.length;

let unchanged = 0;
for (const t of distinctTargets) {
  const q = t.indexOf("?");
  const p = q < 0 ? t : t.slice(0, q);
  if (scrubTarget(p, options).path === p) unchanged++;
}

console.log(
  JSON.stringify(
    {
      log: path,
      lines: targets.length,
      distinctTargets: distinctTargets.length,
      distinctReferrers: distinctReferrers.length,
      pathsUnchanged: `${((unchanged / distinctTargets.length) * 100).toFixed(1)} %`,
      usPerDistinctTarget: Number(perTarget(distinctTargets).toFixed(3)),
      usPerLineTarget: Number(perTarget(targets).toFixed(3)),
      usPerDistinctReferrer: Number(perReferrer(distinctReferrers).toFixed(3)),
      runs,
      load: (await import("node:os")).loadavg().map((l) => l.toFixed(1)),
    },
    null,
    1,
  ),
);
if (sink < 0) console.log(sink);
