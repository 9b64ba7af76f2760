/**
 * `npm run bench`: logsieve ingest against GoAccess on the same generated logs, then aggregation on DuckDB.
 *
 *   npm run bench -- [--sizes 1m,4m] [--repeat 2] [--keep] [--logs-only]
 *
 * 1. Generates seeded combined-format logs with functions/apps/demo/sample-log.ts (a million lines a day: 1 M is one
 *    day, 4 M four days; ~40,000 clients a day on IPv4 and IPv6 with varied browsers, Zipf pages, crawlers,
 *    scanners, a login brute force, campaigns, 0.1 % malformed lines) into bench-out/ once; later runs reuse them.
 * 2. For each size, in one run and alternately: the real `logsieve ingest` as a child process on a fresh lake (the
 *    full pipeline: parse, enrich, truncate, hash, security/ and events/ as Parquet), and
 *    `goaccess --no-global-config --log-format=COMBINED --no-progress -o <file>.json`. Each child runs under
 *    /usr/bin/time, which gives wall time, CPU time (user + system, all threads) and peak RSS. With `--repeat n`,
 *    the 1 M comparison runs n times and the best wall time of each counts (the machine is shared; CPU time is the
 *    steadier figure and is printed beside it).
 * 3. Aggregates every ingested day of each lake on DuckDB (functions/apps/aggregate/local.ts) in this
 *    process and reports seconds per day.
 *
 * Results are printed and written to bench-out/bench-results.json. Targets (issue 8, benchmarks, never tests):
 * ingest ≥ 2× GoAccess lines/s on 1 M lines; peak RSS ≤ 512 MB at 4 M and within 10 % of 1 M; 4 M lines in at
 * most 4.4× the time of 1 M; one day of 1 M events aggregated in ≤ 5 s. Figures: docs/BENCHMARKS.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { aggregateDays } from "../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../functions/apps/demo/sample-log.ts";
import { parseConfig } from "../functions/core/config.ts";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, "bench-out");
const DAY_MS = 86_400_000;
/** Bump when the generator or its settings change: cached logs are then generated again. */
const LOG_VERSION = 2;

interface LogSpec {
  readonly name: string;
  readonly lines: number;
  readonly days: number;
}
const SIZES: Record<string, LogSpec> = {
  "1m": { name: "1m", lines: 1_000_000, days: 1 },
  "4m": { name: "4m", lines: 4_000_000, days: 4 },
};

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const sizes = (option("sizes") ?? "1m,4m").split(",").map((s) => {
  const spec = SIZES[s.trim()];
  if (spec === undefined)
    throw new Error(`--sizes: unknown size ${s} (use ${Object.keys(SIZES).join(", ")})`);
  return spec;
});
const repeat = Math.max(1, Number(option("repeat") ?? "1"));
const keepLakes = process.argv.includes("--keep");
/** Only generate the logs (for before/after runs of one command on the same input); run nothing. */
const logsOnly = process.argv.includes("--logs-only");

// ---------------------------------------------------------------------------------------------------------------
// Logs

function logPath(spec: LogSpec): string {
  return join(OUT, `access-${spec.name}.log`);
}

const LINES_PER_DAY = 1_000_000;

/**
 * The generator's settings for one day of a log: a million lines of 2026-11-01 plus `day`, UTC, from a seed per day
 * (the 1 M log is day 0; the 4 M log is days 0 to 3, so its first day is the 1 M log). Days are generated one by one,
 * and `spanMs` is longer than a day because asset requests do not move the generator's clock (a page view brings
 * 0–2 assets): a million lines then cover 00:00 to about 21:30 of their day.
 */
function dayOptions(day: number) {
  return {
    seed: 20261101 + day,
    lines: LINES_PER_DAY,
    startMs: Date.UTC(2026, 10, 1) + day * DAY_MS,
    spanMs: 40 * 3_600_000,
    clients: 40_000,
    malformedShare: 0.001,
    varietyOfAgents: true,
  } as const;
}

async function ensureLog(spec: LogSpec): Promise<void> {
  const path = logPath(spec);
  const marker = `${path}.json`;
  const days = Array.from({ length: spec.lines / LINES_PER_DAY }, (_, day) => dayOptions(day));
  const wanted = JSON.stringify({ version: LOG_VERSION, days });
  if (existsSync(path) && existsSync(marker) && (await readFile(marker, "utf8")) === wanted) return;
  process.stdout.write(`generating ${path} (${spec.lines.toLocaleString("en")} lines)... `);
  const started = performance.now();
  const out = createWriteStream(path);
  let buffer: string[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const text = `${buffer.join("\n")}\n`;
    buffer = [];
    if (!out.write(text)) await new Promise<void>((done) => out.once("drain", () => done()));
  };
  for (const day of days) {
    for (const line of generateSampleLog(day)) {
      buffer.push(line);
      if (buffer.length === 20_000) await flush();
    }
  }
  await flush();
  await new Promise<void>((done, fail) => out.end((error?: Error | null) => (error ? fail(error) : done())));
  // The last line must still be on the last day (otherwise "one day" would not be one day).
  const lastDay = new Date(days.at(-1)?.startMs ?? 0).getUTCDate();
  const tail = await lastBytes(path, 4096);
  const match = /\[(\d{2})\/\w{3}\/\d{4}:(\d{2}:\d{2})[^\n]*\n?$/.exec(tail);
  if (match === null || Number(match[1]) !== lastDay)
    throw new Error(`${path}: the last day's lines spill into the next day (check the generator settings)`);
  console.log(`(last line at ${match[2]} of day ${lastDay})`);
  await writeFile(marker, wanted);
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function lastBytes(path: string, count: number): Promise<string> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(count, size));
    await handle.read(buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString("latin1");
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Children under /usr/bin/time

interface Measured {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly stdout: string;
}

async function timed(command: string, args: readonly string[]): Promise<Measured> {
  const timeFile = join(OUT, ".time.txt");
  const child = spawn("/usr/bin/time", ["-o", timeFile, "-f", "%e %U %S %M", command, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((done) => child.on("close", done));
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}\n${stderr.slice(-2000)}`);
  const fields = (await readFile(timeFile, "utf8")).trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
  const [wall, user, system, rssKb] = fields as [number, number, number, number];
  return { wallSeconds: wall, cpuSeconds: user + system, peakRssMb: rssKb / 1024, stdout };
}

interface IngestRun extends Measured {
  readonly lake: string;
  readonly eventDays: readonly string[];
  readonly accepted: number;
  readonly rejected: number;
  readonly objects: number;
}

async function runLogsieve(spec: LogSpec): Promise<IngestRun> {
  const lake = join(OUT, `lake-${spec.name}`);
  await rm(lake, { recursive: true, force: true });
  const measured = await timed(process.execPath, [
    join(ROOT, "bin/logsieve.js"),
    "--lake",
    lake,
    "ingest",
    "--json",
    logPath(spec),
  ]);
  const summary = JSON.parse(measured.stdout) as {
    files: { eventDays: string[]; accepted: number; rejected: { total: number }; objectsWritten: number }[];
  };
  const file = summary.files[0];
  if (file === undefined) throw new Error("logsieve ingest printed no summary");
  return {
    ...measured,
    lake,
    eventDays: file.eventDays,
    accepted: file.accepted,
    rejected: file.rejected.total,
    objects: file.objectsWritten,
  };
}

async function runGoaccess(spec: LogSpec): Promise<Measured> {
  const report = join(OUT, `goaccess-${spec.name}.json`);
  return timed("goaccess", [
    "--no-global-config",
    "--log-format=COMBINED",
    "--no-progress",
    "-o",
    report,
    logPath(spec),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregation

interface AggregationRun {
  readonly days: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly secondsPerDay: number;
  readonly eventsPerDay: number;
}

async function aggregate(run: IngestRun): Promise<AggregationRun> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = await aggregateDays({ lakeDir: run.lake, days: run.eventDays, config: parseConfig({}) });
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const events = summary.days.reduce((sum, d) => sum + d.events, 0);
  return {
    days: summary.days.length,
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    secondsPerDay: wallSeconds / Math.max(1, summary.days.length),
    eventsPerDay: events / Math.max(1, summary.days.length),
  };
}

// ---------------------------------------------------------------------------------------------------------------

function goaccessVersion(): string {
  const result = spawnSync("goaccess", ["--version"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      "goaccess is not installed: apt-get install -y goaccess (the benchmark compares against it)",
    );
  }
  return result.stdout.split("\n")[0]?.trim() ?? "goaccess";
}

const fmt = (n: number, digits = 1): string =>
  n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const rate = (lines: number, seconds: number): string =>
  `${Math.round(lines / seconds).toLocaleString("en")}/s`;

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    goaccess: goaccessVersion(),
    loadBefore: loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(
    `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGb} GB, node ${machine.node}, ${machine.goaccess}, load ${machine.loadBefore.join(" ")}`,
  );
  for (const spec of sizes) await ensureLog(spec);
  if (logsOnly) {
    for (const spec of sizes) console.log(logPath(spec));
    return;
  }

  const results: Record<string, unknown> = { machine, sizes: {} };
  const bySize: Record<string, { logsieve: IngestRun; goaccess: Measured; aggregation: AggregationRun }> = {};
  for (const spec of sizes) {
    const bytes = (await stat(logPath(spec))).size;
    const runs = spec.name === "1m" ? repeat : 1;
    let best: IngestRun | undefined;
    let bestGoaccess: Measured | undefined;
    const all: { logsieve: Measured; goaccess: Measured }[] = [];
    for (let i = 0; i < runs; i++) {
      const logsieve = await runLogsieve(spec);
      const goaccess = await runGoaccess(spec);
      all.push({ logsieve, goaccess });
      console.log(
        `${spec.name} run ${i + 1}: logsieve ${fmt(logsieve.wallSeconds)} s wall, ${fmt(logsieve.cpuSeconds)} s CPU, ${Math.round(logsieve.peakRssMb)} MB; ` +
          `goaccess ${fmt(goaccess.wallSeconds)} s wall, ${fmt(goaccess.cpuSeconds)} s CPU, ${Math.round(goaccess.peakRssMb)} MB (load ${loadavg()[0]?.toFixed(2)})`,
      );
      if (best === undefined || logsieve.wallSeconds < best.wallSeconds) best = logsieve;
      if (bestGoaccess === undefined || goaccess.wallSeconds < bestGoaccess.wallSeconds)
        bestGoaccess = goaccess;
    }
    const logsieve = best as IngestRun;
    const goaccess = bestGoaccess as Measured;
    const aggregation = await aggregate(logsieve);
    bySize[spec.name] = { logsieve, goaccess, aggregation };
    (results.sizes as Record<string, unknown>)[spec.name] = {
      lines: spec.lines,
      bytes,
      days: spec.days,
      runs: all.map((r) => ({
        logsieve: { wall: r.logsieve.wallSeconds, cpu: r.logsieve.cpuSeconds, rssMb: r.logsieve.peakRssMb },
        goaccess: { wall: r.goaccess.wallSeconds, cpu: r.goaccess.cpuSeconds, rssMb: r.goaccess.peakRssMb },
      })),
      logsieve: {
        wallSeconds: logsieve.wallSeconds,
        cpuSeconds: logsieve.cpuSeconds,
        peakRssMb: logsieve.peakRssMb,
        linesPerSecond: spec.lines / logsieve.wallSeconds,
        accepted: logsieve.accepted,
        rejected: logsieve.rejected,
        objects: logsieve.objects,
      },
      goaccess: {
        wallSeconds: goaccess.wallSeconds,
        cpuSeconds: goaccess.cpuSeconds,
        peakRssMb: goaccess.peakRssMb,
        linesPerSecond: spec.lines / goaccess.wallSeconds,
      },
      ratio: goaccess.wallSeconds / logsieve.wallSeconds,
      cpuRatio: goaccess.cpuSeconds / logsieve.cpuSeconds,
      aggregation,
    };
    if (!keepLakes) await rm(logsieve.lake, { recursive: true, force: true });
  }

  console.log(
    "\n                     lines    logsieve wall  lines/s     CPU s  peak RSS   goaccess wall  lines/s     CPU s   ratio (CPU ratio)",
  );
  for (const spec of sizes) {
    const r = bySize[spec.name];
    if (r === undefined) continue;
    console.log(
      `${spec.name.padEnd(6)} ${spec.lines.toLocaleString("en").padStart(17)}  ${fmt(r.logsieve.wallSeconds).padStart(12)} s  ${rate(spec.lines, r.logsieve.wallSeconds).padStart(9)}  ${fmt(r.logsieve.cpuSeconds).padStart(6)}  ${`${Math.round(r.logsieve.peakRssMb)} MB`.padStart(8)}  ${fmt(r.goaccess.wallSeconds).padStart(12)} s  ${rate(spec.lines, r.goaccess.wallSeconds).padStart(9)}  ${fmt(r.goaccess.cpuSeconds).padStart(6)}   ${fmt(r.goaccess.wallSeconds / r.logsieve.wallSeconds, 2)}× (${fmt(r.goaccess.cpuSeconds / r.logsieve.cpuSeconds, 2)}×)`,
    );
  }
  const one = bySize["1m"];
  const four = bySize["4m"];
  const checks: string[] = [];
  if (one !== undefined) {
    const ratio = one.goaccess.wallSeconds / one.logsieve.wallSeconds;
    checks.push(`ingest ≥ 2× GoAccess on 1 M lines: ${fmt(ratio, 2)}× ${ratio >= 2 ? "ok" : "MISSED"}`);
    checks.push(
      `one day of ${Math.round(one.aggregation.eventsPerDay).toLocaleString("en")} events aggregated in ${fmt(one.aggregation.secondsPerDay, 2)} s (${fmt(one.aggregation.cpuSeconds, 1)} s CPU) ${one.aggregation.secondsPerDay <= 5 ? "ok" : "MISSED"} (≤ 5 s)`,
    );
  }
  if (four !== undefined) {
    checks.push(
      `peak RSS at 4 M: ${Math.round(four.logsieve.peakRssMb)} MB ${four.logsieve.peakRssMb <= 512 ? "ok" : "MISSED"} (≤ 512 MB)`,
    );
    checks.push(
      `4 M aggregation: ${four.aggregation.days} days in ${fmt(four.aggregation.wallSeconds, 1)} s (${fmt(four.aggregation.secondsPerDay, 2)} s per day)`,
    );
  }
  if (one !== undefined && four !== undefined) {
    const growth = four.logsieve.peakRssMb / one.logsieve.peakRssMb - 1;
    checks.push(
      `peak RSS 4 M vs 1 M: ${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)} % ${Math.abs(growth) <= 0.1 ? "ok" : "MISSED"} (within 10 %)`,
    );
    const timeRatio = four.logsieve.wallSeconds / one.logsieve.wallSeconds;
    const cpuRatio = four.logsieve.cpuSeconds / one.logsieve.cpuSeconds;
    checks.push(
      `4 M / 1 M time: ${fmt(timeRatio, 2)}× wall, ${fmt(cpuRatio, 2)}× CPU ${timeRatio <= 4.4 ? "ok" : "MISSED"} (≤ 4.4×)`,
    );
  }
  console.log(`\n${checks.join("\n")}`);
  results.checks = checks;
  results.loadAfter = loadavg().map((l) => Number(l.toFixed(2)));
  await writeFile(join(OUT, "bench-results.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\nload after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; results in bench-out/bench-results.json`,
  );
}

await main();
