/**
 * `npx tsx scripts/soak-collect.ts [--duration 300] [--rate 10000]`: the collector soak of docs/RELIABILITY.md.
 * A flood of `--rate` events per second on one site (Matomo bulk requests of 50, a tenth as single requests), a quiet
 * site beside it and malformed requests, against startServe (what `logsieve serve` runs) on 127.0.0.1, for
 * `--duration` seconds (5 minutes by default); test/reliability/collector-load.test.ts runs the same for 20 s.
 * Prints the figures and the same checks the test makes; exits 1 when one fails.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLOOD_SITE, runSoak } from "../test/helpers/collector-soak.ts";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const durationSeconds = option("duration", 300);
const rate = option("rate", 10_000);
const perSecond = 200;
const burst = 1000;
const lakeDir = await mkdtemp(join(tmpdir(), "logsieve-soak-"));
try {
  const r = await runSoak({
    lakeDir,
    durationSeconds,
    floodEventsPerSecond: rate,
    singleShare: 0.1,
    quietEventsPerSecond: 5,
    perSecond,
    burst,
    malformedPerSecond: 20,
  });
  const floodStored = r.counters.stored - r.quiet.events;
  const limited = r.counters.rejected.byReason.rate_limited;
  const allowed = burst + perSecond * r.seconds;
  const growth = (r.heap.end - r.heap.baseline) / r.heap.baseline;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const checks: [string, boolean][] = [
    [`flood stored ${floodStored} ≤ burst + rate × time = ${Math.round(allowed)}`, floodStored <= allowed],
    [
      `flood events accounted: stored + rate_limited = ${floodStored + limited} = sent ${r.flood.events}`,
      floodStored + limited === r.flood.events,
    ],
    [`quiet site never refused (${r.quiet.refused} of ${r.quiet.events})`, r.quiet.refused === 0],
    [
      `every request answered (errors ${r.flood.errors + r.quiet.errors}, timeouts ${r.flood.timeouts})`,
      r.flood.errors + r.flood.timeouts + r.quiet.errors === 0,
    ],
    [
      `malformed requests got their status (${r.malformed.wrongStatus.length} wrong)`,
      r.malformed.wrongStatus.length === 0,
    ],
    [
      `requests counted by the collector ${r.counters.requests} = sent ${r.requestsSent}`,
      r.counters.requests === r.requestsSent,
    ],
    [
      "malformed requests counted by reason",
      Object.entries(r.malformed.byReason).every(
        ([reason, n]) =>
          r.counters.rejected.byReason[reason as keyof typeof r.counters.rejected.byReason] === n,
      ),
    ],
    [`heap growth ${(growth * 100).toFixed(1)} % < 10 %`, growth < 0.1],
    [
      `every stored event in the lake after shutdown (${r.lakeRows} rows, ${r.counters.stored} stored)`,
      r.lakeRows === r.counters.stored,
    ],
    [
      `log lines are JSON without an address (${r.logLines.invalid} invalid, ${r.logLines.withAddress} with an address)`,
      r.logLines.invalid + r.logLines.withAddress === 0,
    ],
  ];
  console.log(
    JSON.stringify(
      {
        site: FLOOD_SITE,
        seconds: Number(r.seconds.toFixed(1)),
        offered: {
          eventsPerSecond: Math.round(r.flood.events / r.seconds),
          requestsPerSecond: Math.round(r.flood.requests / r.seconds),
        },
        flood: r.flood,
        floodStored,
        rateLimited: limited,
        quiet: r.quiet,
        malformed: r.malformed.sent,
        requestsCounted: r.counters.requests,
        rejectedByReason: Object.fromEntries(
          Object.entries(r.counters.rejected.byReason).filter(([, n]) => n > 0),
        ),
        dropped: r.counters.dropped.total,
        heap: {
          baseline: mib(r.heap.baseline),
          end: mib(r.heap.end),
          max: mib(r.heap.max),
          growthPercent: Number((growth * 100).toFixed(2)),
        },
        rss: { first: mib(r.heap.samples[0]?.rss ?? 0), last: mib(r.heap.samples.at(-1)?.rss ?? 0) },
        cpu: { serverSeconds: r.serverCpuSeconds, loadSeconds: Number(r.loadCpuSeconds.toFixed(1)) },
        latencyMs: r.latency,
        logLines: r.logLines,
        lakeRows: r.lakeRows,
      },
      null,
      1,
    ),
  );
  for (const [what, ok] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await rm(lakeDir, { recursive: true, force: true });
}
