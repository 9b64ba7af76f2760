/**
 * `npm run bench`: logsieve ingest against GoAccess and a native floor (DuckDB) on the same logs in one run, the
 * Lambda path on the stand-ins, then aggregation on DuckDB. Targets of issue 20 (benchmarks, never tests).
 *
 *   npm run bench -- [--logs generated,week,agents,elastic,vhosts] [--sizes 1m,4m] [--repeat n] [--keep]
 *                    [--logs-only] [--no-lambda] [--lambda-lines 250000]
 *
 * 1. Logs, generated once into bench-out/ and reused (each with a `.json` of its settings):
 *    - `generated` (`generated-1m`, `generated-4m`): the project's sample log (functions/apps/demo/sample-log.ts), a
 *      million combined-format lines per UTC day, ~40,000 clients a day, ~2,000 distinct agents per 200,000 lines;
 *    - `week`: 1 M lines over seven days, 48,000 clients, twelve agents (scripts/bench-logs.ts, code that shares
 *      nothing with the sample log), like the log of issue 20's table;
 *    - `agents`: 1 M lines of one day, 250,000 clients, ~130,000 distinct agents (scripts/bench-logs.ts);
 *    - `elastic`: the real log ../shared/validation/logs/elastic_apache_logs.log written 100 times (1 M lines);
 *    - `vhosts`: a hoster's log folder, 200 files (bench-out/vhosts-1m/, one per virtual host), 1 M lines in all of
 *      one day, sizes by a power law (the largest ~170,000 lines, above 32 MiB, so it is cut into shards; most a few
 *      hundred lines), 60,000 clients shared by all hosts, 40 agents (scripts/bench-logs.ts).
 * 2. For each log, one after the other, each a child process under /usr/bin/time (wall time, user + system CPU of
 *    all threads, peak RSS): `logsieve ingest` on a fresh lake (the real CLI, built first by tools/build-cli.mjs as
 *    `npm ci` builds it), `goaccess --log-format=COMBINED -o
 *    <file>.json`, and the floor: scripts/bench-duckdb-floor.mjs (DuckDB, one regex per line → Parquet, as many
 *    threads as cores). A log of several files is given to each tool in one command, every path as an argument (no
 *    shell glob); its lines are the sum of its files'. GoAccess's report must count every line (a warning if not),
 *    DuckDB's rows too. With `--repeat n` each runs n times and the best wall time of each counts.
 * 3. The Lambda path: the ingest bundle from cdk.out (`cdk synth`, cached), in its own process on the stand-ins
 *    (test/standins/), no worker thread, fed the first `--lambda-lines` lines of the generated log as one object:
 *    lines per CPU-second, and lines per second at the CPU share the stack's memory buys on Lambda.
 * 4. Aggregation: every ingested day of the generated logs' lakes on DuckDB (functions/apps/aggregate/local.ts).
 *
 * Printed: each figure beside its target, GoAccess's and DuckDB's from the same run, CPU µs per line of each tool,
 * the load average at the start and the end; everything also in bench-out/bench-results.json. docs/BENCHMARKS.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { freshBundle } from "../bin/cli-bundle.js";
import { aggregateDays } from "../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../functions/apps/demo/sample-log.ts";
import { parseConfig } from "../functions/core/config.ts";
import {
  AGENTS_LOG,
  ensureGenerated,
  VHOSTS_LOG,
  vhostsFiles,
  WEEK_LOG,
  writeAgentsLog,
  writeRepeatedLog,
  writeVhostsLogs,
  writeWeekLog,
} from "./bench-logs.ts";
import { validationDir } from "./validation-dir.ts";

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
const withLambda = !process.argv.includes("--no-lambda");
const lambdaLines = Number(option("lambda-lines") ?? "250000");
const LOG_KINDS = ["generated", "week", "agents", "elastic", "vhosts"];
const logKinds = (option("logs") ?? LOG_KINDS.join(",")).split(",").map((k) => k.trim());
for (const kind of logKinds) {
  if (!LOG_KINDS.includes(kind)) throw new Error(`--logs: unknown log ${kind} (use ${LOG_KINDS.join(", ")})`);
}
/** Only read when the elastic log is generated (the folder is outside the repository). */
const elasticSource = (): string => join(validationDir(), "logs", "elastic_apache_logs.log");

/** One log of the bench: a name, its file or files, its line count (of all its files), and how to make it. */
interface BenchLog {
  readonly name: string;
  /** The file, or the folder of its files. */
  readonly where: string;
  /** Given to each tool in this order, all in one command. */
  readonly paths: readonly string[];
  readonly lines: number;
  readonly describe: string;
  /** Aggregation is measured on these (the project's own log, one day or four). */
  readonly aggregate: boolean;
  ensure(): Promise<void>;
}

function benchLogs(): BenchLog[] {
  const logs: BenchLog[] = [];
  for (const kind of logKinds) {
    if (kind === "generated") {
      for (const spec of sizes) {
        logs.push({
          name: `generated-${spec.name}`,
          where: logPath(spec),
          paths: [logPath(spec)],
          lines: spec.lines,
          describe: `sample-log.ts, ${spec.days} day(s), ~40,000 clients a day, ~2,000 agents per 200k lines`,
          aggregate: true,
          ensure: () => ensureLog(spec),
        });
      }
    } else if (kind === "week") {
      const path = join(OUT, "week-1m.log");
      logs.push({
        name: "week",
        where: path,
        paths: [path],
        lines: WEEK_LOG.lines,
        describe: "bench-logs.ts, 7 days, 48,000 clients, 12 agents",
        aggregate: false,
        ensure: () => generated(path, WEEK_LOG, () => writeWeekLog(path)),
      });
    } else if (kind === "agents") {
      const path = join(OUT, "agents-1m.log");
      logs.push({
        name: "agents",
        where: path,
        paths: [path],
        lines: AGENTS_LOG.lines,
        describe: "bench-logs.ts, 1 day, 250,000 clients, ~130,000 agents",
        aggregate: false,
        ensure: () => generated(path, AGENTS_LOG, () => writeAgentsLog(path)),
      });
    } else if (kind === "vhosts") {
      const dir = join(OUT, "vhosts-1m");
      const files = vhostsFiles(VHOSTS_LOG);
      const paths = files.map((f) => join(dir, f.name));
      logs.push({
        name: "vhosts",
        where: dir,
        paths,
        lines: files.reduce((sum, f) => sum + f.lines, 0),
        describe: `bench-logs.ts, ${files.length} files (one per host, power-law sizes), 1 day, 60,000 clients, 40 agents`,
        aggregate: false,
        ensure: async () => {
          // A file gone from the folder makes the whole folder be written again.
          if (!paths.every((p) => existsSync(p))) await rm(`${dir}.json`, { force: true });
          await generated(dir, VHOSTS_LOG, () => writeVhostsLogs(dir, VHOSTS_LOG));
        },
      });
    } else {
      const path = join(OUT, "elastic-1m.log");
      logs.push({
        name: "elastic",
        where: path,
        paths: [path],
        lines: 1_000_000,
        describe: "validation/logs/elastic_apache_logs.log × 100 (real, 2015, 4 days each time)",
        aggregate: false,
        ensure: () =>
          generated(path, { lines: 1_000_000, source: "elastic_apache_logs.log" }, () =>
            writeRepeatedLog(path, elasticSource(), 1_000_000),
          ),
      });
    }
  }
  return logs;
}

async function generated(path: string, settings: unknown, write: () => Promise<void>): Promise<void> {
  if (!existsSync(path)) process.stdout.write(`generating ${path}... `);
  const started = performance.now();
  if (await ensureGenerated(path, settings, write))
    console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
}

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

async function runLogsieve(log: BenchLog): Promise<IngestRun> {
  const lake = join(OUT, `lake-${log.name}`);
  await rm(lake, { recursive: true, force: true });
  // The installed command (bin/logsieve: node with the allocator's setting it gives, see there), as a user runs it.
  const measured = await timed(join(ROOT, "bin/logsieve"), [
    "--lake",
    lake,
    "ingest",
    "--json",
    ...log.paths,
  ]);
  const summary = JSON.parse(measured.stdout) as {
    files: { eventDays: string[]; accepted: number; rejected: { total: number }; objectsWritten: number }[];
  };
  if (summary.files.length !== log.paths.length)
    throw new Error(`logsieve ingest's summary has ${summary.files.length} of ${log.paths.length} files`);
  const sum = (f: (file: (typeof summary.files)[number]) => number): number =>
    summary.files.reduce((n, file) => n + f(file), 0);
  return {
    ...measured,
    lake,
    eventDays: [...new Set(summary.files.flatMap((f) => f.eventDays))].sort(),
    accepted: sum((f) => f.accepted),
    rejected: sum((f) => f.rejected.total),
    objects: sum((f) => f.objectsWritten),
  };
}

async function runGoaccess(log: BenchLog): Promise<Measured> {
  const report = join(OUT, `goaccess-${log.name}.json`);
  const measured = await timed("goaccess", [
    "--no-global-config",
    "--log-format=COMBINED",
    "--no-progress",
    "-o",
    report,
    ...log.paths,
  ]);
  // Its report's total counts every line it read, the invalid ones (failed_requests) included.
  const { general } = JSON.parse(await readFile(report, "utf8")) as {
    general: { total_requests: number; valid_requests: number; failed_requests: number };
  };
  if (
    general.total_requests !== log.lines ||
    general.valid_requests + general.failed_requests !== log.lines
  ) {
    console.warn(
      `WARNING: GoAccess counted ${general.total_requests.toLocaleString("en")} requests (${general.valid_requests.toLocaleString("en")} valid, ${general.failed_requests.toLocaleString("en")} failed) of ${log.name}'s ${log.lines.toLocaleString("en")} lines`,
    );
  }
  return measured;
}

/** The floor: DuckDB, one regular expression per line, into one Parquet file (scripts/bench-duckdb-floor.mjs). */
async function runFloor(log: BenchLog): Promise<Measured & { readonly threads: number }> {
  const out = join(OUT, `floor-${log.name}.parquet`);
  await rm(out, { force: true });
  const measured = await timed(process.execPath, [
    join(ROOT, "scripts/bench-duckdb-floor.mjs"),
    ...log.paths,
    out,
  ]);
  const result = JSON.parse(measured.stdout.trim().split("\n").at(-1) ?? "{}") as {
    threads: number;
    rows: number;
  };
  if (result.rows !== log.lines)
    throw new Error(`the DuckDB floor read ${result.rows} of ${log.lines} lines`);
  await rm(out, { force: true });
  return { ...measured, threads: result.threads };
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

// ---------------------------------------------------------------------------------------------------------------
// The Lambda path

/** vCPU share of a Lambda function by its memory: one full vCPU at 1,769 MB (AWS Lambda documentation). */
const FULL_VCPU_MB = 1769;

interface LambdaRun {
  readonly lines: number;
  readonly memoryMb: number;
  readonly invocations: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly peakRssMb: number;
  /** Lines per CPU-second of the function's process. */
  readonly linesPerCpuSecond: number;
  /** Lines per second with the CPU share its memory buys on Lambda (one thread: at most one vCPU). */
  readonly linesPerSecondOnLambda: number;
}

async function runLambda(source: string): Promise<LambdaRun> {
  const { deployOnStandins } = await import("../test/standins/deployment/index.ts");
  const text = await readFile(source);
  // The first `lambdaLines` lines of the log, as one object.
  let end = 0;
  for (let n = 0; n < lambdaLines && end >= 0; n++) end = text.indexOf(10, end) + 1 || -1;
  const body = end > 0 ? text.subarray(0, end) : text;
  const { aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  });
  try {
    const ingest = stack.fn("Ingest");
    aws.s3.put(stack.nameOf("RawBucket"), "incoming/site=example.com/bench/access.log", body);
    // The pump runs what the upload sets off (ingest, then aggregation): only the ingest invocations count here.
    const batches = (await stack.pump()).filter(
      (b) => b.functionLogicalId === ingest.logicalId && b.result.ok,
    );
    if (batches.length === 0) throw new Error("the ingest bundle ran no successful invocation");
    const cpuSeconds = batches.reduce((sum, b) => sum + b.result.cpuMs, 0) / 1000;
    const wallSeconds = batches.reduce((sum, b) => sum + b.result.wallMs, 0) / 1000;
    const lines = lambdaLines;
    const share = Math.min(1, ingest.memoryMb / FULL_VCPU_MB);
    return {
      lines,
      memoryMb: ingest.memoryMb,
      invocations: batches.length,
      cpuSeconds,
      wallSeconds,
      peakRssMb: Math.max(...batches.map((b) => b.result.maxRssKb)) / 1024,
      linesPerCpuSecond: lines / cpuSeconds,
      linesPerSecondOnLambda: (lines / cpuSeconds) * share,
    };
  } finally {
    await stop();
  }
}

async function largestFile(paths: readonly string[]): Promise<string | undefined> {
  let largest: { path: string; size: number } | undefined;
  for (const path of paths) {
    const { size } = await stat(path);
    if (largest === undefined || size > largest.size) largest = { path, size };
  }
  return largest?.path;
}

// ---------------------------------------------------------------------------------------------------------------

interface LogResult {
  readonly log: BenchLog;
  readonly bytes: number;
  readonly logsieve: IngestRun;
  readonly goaccess: Measured;
  readonly floor: Measured & { readonly threads: number };
  readonly runs: readonly { logsieve: Measured; goaccess: Measured; floor: Measured }[];
  readonly aggregation: AggregationRun | null;
}

const MIB = 1;
const TARGETS = { timesGoaccess: 5, timesFloor: 2, peakRssMib: 256 * MIB, lambdaLinesPerSecond: 100_000 };
const usPerLine = (seconds: number, lines: number): number => (seconds * 1e6) / lines;
const verdict = (ok: boolean): string => (ok ? "ok" : "MISSED");
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

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
    `machine: ${machine.cpus} × ${machine.model}, ${machine.memoryGb} GB, node ${machine.node}, ${machine.goaccess}\nload average at the start: ${load()}`,
  );
  const logs = benchLogs();
  for (const log of logs) await log.ensure();
  if (logsOnly) {
    for (const log of logs)
      console.log(log.paths.length === 1 ? log.where : `${log.where} (${log.paths.length} files)`);
    return;
  }

  // The command as users run it after `npm ci`: built (no TypeScript loader in it or its worker threads).
  const built = spawnSync(process.execPath, [join(ROOT, "tools/build-cli.mjs")], { stdio: "inherit" });
  if (built.status !== 0 || freshBundle(ROOT) === null)
    throw new Error("tools/build-cli.mjs did not build the CLI");

  const results: LogResult[] = [];
  for (const log of logs) {
    let bytes = 0;
    for (const path of log.paths) bytes += (await stat(path)).size;
    const runs: { logsieve: IngestRun; goaccess: Measured; floor: Measured & { threads: number } }[] = [];
    for (let i = 0; i < repeat; i++) {
      const logsieve = await runLogsieve(log);
      const goaccess = await runGoaccess(log);
      const floor = await runFloor(log);
      runs.push({ logsieve, goaccess, floor });
      console.log(
        `${log.name} run ${i + 1}: logsieve ${fmt(logsieve.wallSeconds)} s wall, ${fmt(logsieve.cpuSeconds)} s CPU, ${Math.round(logsieve.peakRssMb)} MiB; ` +
          `goaccess ${fmt(goaccess.wallSeconds)} s, ${fmt(goaccess.cpuSeconds)} s CPU; duckdb ${fmt(floor.wallSeconds)} s, ${fmt(floor.cpuSeconds)} s CPU (load ${loadavg()[0]?.toFixed(2)})`,
      );
    }
    const best = <T extends Measured>(all: readonly T[]): T =>
      all.reduce((a, b) => (b.wallSeconds < a.wallSeconds ? b : a));
    const logsieve = best(runs.map((r) => r.logsieve));
    // Every run wrote the same lake (the last one is on disk): its days are aggregated.
    const aggregation = log.aggregate ? await aggregate(logsieve) : null;
    if (!keepLakes) await rm(logsieve.lake, { recursive: true, force: true });
    results.push({
      log,
      bytes,
      logsieve,
      goaccess: best(runs.map((r) => r.goaccess)),
      floor: best(runs.map((r) => r.floor)),
      runs,
      aggregation,
    });
  }

  let lambda: LambdaRun | null = null;
  if (withLambda) {
    // The generated log, else a log of one file, else the largest file of the first log.
    const source =
      (
        results.find((r) => r.log.name.startsWith("generated")) ??
        results.find((r) => r.log.paths.length === 1)
      )?.log.paths[0] ?? (await largestFile(results[0]?.log.paths ?? []));
    if (source !== undefined) {
      console.log(
        `\nLambda path: the ingest bundle on the stand-ins, ${lambdaLines.toLocaleString("en")} lines...`,
      );
      lambda = await runLambda(source);
    }
  }

  console.log(
    "\nlog            lines  | logsieve wall   CPU   µs/line  peak RSS | GoAccess wall   CPU   µs/line | DuckDB wall   CPU  µs/line",
  );
  for (const r of results) {
    const n = r.log.lines;
    console.log(
      `${r.log.name.padEnd(12)} ${n.toLocaleString("en").padStart(9)}  | ${fmt(r.logsieve.wallSeconds).padStart(8)} s ${fmt(r.logsieve.cpuSeconds).padStart(6)} ${fmt(usPerLine(r.logsieve.cpuSeconds, n), 2).padStart(7)}  ${`${Math.round(r.logsieve.peakRssMb)} MiB`.padStart(8)} | ${fmt(r.goaccess.wallSeconds).padStart(8)} s ${fmt(r.goaccess.cpuSeconds).padStart(6)} ${fmt(usPerLine(r.goaccess.cpuSeconds, n), 2).padStart(7)} | ${fmt(r.floor.wallSeconds).padStart(6)} s ${fmt(r.floor.cpuSeconds).padStart(5)} ${fmt(usPerLine(r.floor.cpuSeconds, n), 2).padStart(6)}`,
    );
  }

  const checks: string[] = [];
  for (const r of results) {
    const n = r.log.lines;
    const times = r.goaccess.wallSeconds / r.logsieve.wallSeconds;
    const ours = usPerLine(r.logsieve.cpuSeconds, n);
    const theirs = usPerLine(r.goaccess.cpuSeconds, n);
    const floor = r.logsieve.wallSeconds / r.floor.wallSeconds;
    checks.push(
      `${r.log.name}: ingest ${fmt(times, 2)}× GoAccess in wall time (target ≥ ${TARGETS.timesGoaccess}×) ${verdict(times >= TARGETS.timesGoaccess)}; ` +
        `CPU per line ${fmt(ours, 2)} µs against GoAccess's ${fmt(theirs, 2)} µs (target: less) ${verdict(ours < theirs)}; ` +
        `${fmt(floor, 2)}× the DuckDB floor's wall time, ${r.floor.threads} threads (target ≤ ${TARGETS.timesFloor}×) ${verdict(floor <= TARGETS.timesFloor)}`,
    );
    if (r.log.name === "generated-1m" || r.log.name === "generated-4m" || n === 1_000_000) {
      checks.push(
        `${r.log.name}: peak RSS ${Math.round(r.logsieve.peakRssMb)} MiB (target ≤ ${TARGETS.peakRssMib} MiB at 1 M and 4 M lines) ${verdict(r.logsieve.peakRssMb <= TARGETS.peakRssMib)}`,
      );
    }
    if (r.aggregation !== null) {
      checks.push(
        `${r.log.name}: ${r.aggregation.days} day(s) aggregated on DuckDB, ${fmt(r.aggregation.secondsPerDay, 2)} s per day of ${Math.round(r.aggregation.eventsPerDay).toLocaleString("en")} events (${fmt(r.aggregation.cpuSeconds, 1)} s CPU; issue 8 target ≤ 5 s) ${verdict(r.aggregation.secondsPerDay <= 5)}`,
      );
    }
  }
  if (lambda !== null) {
    checks.push(
      `Lambda path (ingest bundle, one thread, ${lambda.memoryMb} MB → ${fmt(Math.min(1, lambda.memoryMb / FULL_VCPU_MB), 2)} vCPU): ` +
        `${Math.round(lambda.linesPerCpuSecond).toLocaleString("en")} lines per CPU-second, ${Math.round(lambda.linesPerSecondOnLambda).toLocaleString("en")} lines/s at the stack's memory ` +
        `(target ≥ ${TARGETS.lambdaLinesPerSecond.toLocaleString("en")}) ${verdict(lambda.linesPerSecondOnLambda >= TARGETS.lambdaLinesPerSecond)}; ` +
        `here ${fmt(lambda.wallSeconds, 1)} s wall, ${fmt(lambda.cpuSeconds, 1)} s CPU, ${Math.round(lambda.peakRssMb)} MiB, ${lambda.invocations} invocation(s)`,
    );
  }
  console.log(`\n${checks.join("\n")}`);
  const loadAfter = loadavg().map((l) => Number(l.toFixed(2)));
  await writeFile(
    join(OUT, "bench-results.json"),
    `${JSON.stringify(
      {
        machine,
        loadAfter,
        logs: results.map((r) => ({
          name: r.log.name,
          describe: r.log.describe,
          lines: r.log.lines,
          bytes: r.bytes,
          runs: r.runs.map((run) => ({
            logsieve: {
              wall: run.logsieve.wallSeconds,
              cpu: run.logsieve.cpuSeconds,
              rssMb: run.logsieve.peakRssMb,
            },
            goaccess: {
              wall: run.goaccess.wallSeconds,
              cpu: run.goaccess.cpuSeconds,
              rssMb: run.goaccess.peakRssMb,
            },
            duckdb: { wall: run.floor.wallSeconds, cpu: run.floor.cpuSeconds, rssMb: run.floor.peakRssMb },
          })),
          accepted: r.logsieve.accepted,
          rejected: r.logsieve.rejected,
          objects: r.logsieve.objects,
          aggregation: r.aggregation,
        })),
        lambda,
        checks,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nload average at the end: ${load()}; results in bench-out/bench-results.json`);
}

await main();
