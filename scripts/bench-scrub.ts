/**
 * The scrubber alone: CPU µs per request target and per referrer, without the ingest memo, over the distinct
 * targets and referrers of a combined-format log (what the memo would scrub once each), and over every line's
 * target (what a log of unique targets costs).
 *
 *   npx tsx scripts/bench-scrub.ts bench-out/scrub-500k.log [--lines 200000] [--runs 5]
 *
 * Prints the best of --runs for each set (the machine is shared) and the share of targets whose path took the fast
 * path (returned unchanged after one scan). Figures: docs/BENCHMARKS.md ("Scrubbing").
 */
import { readFileSync } from "node:fs";
import { referrerHost, type ScrubOptions, scrubTarget } from "../functions/core/scrub/scrub.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: bench-scrub.ts <combined log> [--lines N] [--runs N]");
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
