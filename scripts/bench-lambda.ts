/**
 * `npm run bench:lambda [-- --lines 1000000] [--range-mib 64] [--only 1,2,4]`: the ingest and aggregate Lambda bundles, as
 * `cdk synth` writes them, measured on the stand-ins (test/standins/): what their memory, timeout and cost are
 * chosen from (docs/DEPLOY.md, "Sizing" and "Cost").
 *
 * 1. one day of generated access log (the generator `npm run bench` uses; 0.1 % malformed lines), plain and
 *    gzipped, each ingested by one invocation of the ingest bundle: CPU time, peak RSS, lines per CPU-second;
 * 2. the same plain file read in byte ranges (`--range-mib`): the units, their CPU time, and the lines and events
 *    compared with the single run (each line once);
 * 3. the day's events compacted by the aggregate bundle (a compaction request) and its rollups recomputed: CPU
 *    time, peak RSS, objects before and after, Athena's bytes scanned per rollup (the stand-in's estimate);
 * 4. S3 requests per ingested file (from the stand-ins' request log);
 * `bench`. the Lambda figure of `npm run bench` alone (issue 20): the first `--bench-lines` lines (250,000) of the log
 *    as one object on a fresh deployment with the stack's defaults, `--repeat n` times: CPU of the invocation, lines
 *    per CPU-second and lines per second at the CPU share the stack's memory buys, the load average beside each.
 *    `--cpu-prof <dir>` writes a CPU profile of each invocation (module init included) into `<dir>`
 *    (scripts/lambda-cpu-profile.mjs; the profiler's own cost inflates that run's CPU). `--node-options "<flags>"`
 *    adds to the function's NODE_OPTIONS (V8 settings tried before the stack sets them). Same output, checked across
 *    two versions of the code: `--objects-out <file>` writes the daily salts and the sha256 of every object under
 *    security/, rejects/ and events/ (of the last run); `--salts-from <file>` (such a file) gives a run those salts
 *    before it ingests, so the same code gives the same objects and a change that keeps them gives equal digests.
 *
 * CPU time is the figure to trust on a shared machine (wall time is printed, but depends on the load); on Lambda, a
 * function gets one full vCPU at 1,769 MB, and a share proportional to its memory below that.
 */
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { generateSampleLog } from "../functions/apps/demo/sample-log.ts";
import { type BatchRecord, deployOnStandins, PROJECT_ROOT } from "../test/standins/deployment/index.ts";
import type { RecordedRequest } from "../test/standins/http.ts";

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const LINES = Number(option("lines", "1000000"));
/** `--only 1,4`: run only these parts (numbered as in the module comment; 3 goes with 1). Default: all. */
const ONLY = option("only", "1,2,4").split(",");
const RANGE_MIB = Number(option("range-mib", "64"));
const BENCH_LINES = Number(option("bench-lines", "250000"));
const REPEAT = Number(option("repeat", "1"));
const OBJECTS_OUT = process.argv.includes("--objects-out") ? resolve(option("objects-out", "")) : null;
const SALTS_FROM = process.argv.includes("--salts-from") ? resolve(option("salts-from", "")) : null;
/** `--node-options "<flags>"`: added to the ingest function's NODE_OPTIONS (to try V8 settings before the stack sets them). */
const EXTRA_NODE_OPTIONS = option("node-options", "");
const CPU_PROF = process.argv.includes("--cpu-prof")
  ? resolve(option("cpu-prof", "bench-out/lambda-prof"))
  : null;
/** vCPU share of a Lambda function by its memory: one full vCPU at 1,769 MB (AWS Lambda documentation). */
const FULL_VCPU_MB = 1769;
const OUT = join(PROJECT_ROOT, "bench-out");
const DAY = "2026-11-01";

async function ensureLog(): Promise<string> {
  await mkdir(OUT, { recursive: true });
  const path = join(OUT, `lambda-${LINES}.log`);
  if (existsSync(path)) return path;
  const out = createWriteStream(path);
  let buffer: string[] = [];
  const flush = async () => {
    const text = `${buffer.join("\n")}\n`;
    buffer = [];
    if (!out.write(text)) await new Promise<void>((done) => out.once("drain", () => done()));
  };
  for (const line of generateSampleLog({
    seed: 20261101,
    lines: LINES,
    startMs: Date.UTC(2026, 10, 1),
    spanMs: 40 * 3_600_000 * (LINES / 1_000_000),
    clients: 40_000,
    malformedShare: 0.001,
    varietyOfAgents: true,
  })) {
    buffer.push(line);
    if (buffer.length === 20_000) await flush();
  }
  if (buffer.length > 0) await flush();
  await new Promise<void>((done) => out.end(() => done()));
  return path;
}

function summarize(
  label: string,
  batches: readonly BatchRecord[],
  lines: number,
  bytes: number,
): Record<string, number | string> {
  const cpuMs = batches.reduce((s, b) => s + b.result.cpuMs, 0);
  const wallMs = batches.reduce((s, b) => s + b.result.wallMs, 0);
  const rssMb = Math.max(...batches.map((b) => b.result.maxRssKb)) / 1024;
  return {
    run: label,
    invocations: batches.length,
    lines,
    mb: Number((bytes / 1e6).toFixed(1)),
    cpuS: Number((cpuMs / 1000).toFixed(1)),
    wallS: Number((wallMs / 1000).toFixed(1)),
    peakRssMb: Math.round(rssMb),
    linesPerCpuS: Math.round(lines / (cpuMs / 1000)),
    mbPerCpuS: Number((bytes / 1e6 / (cpuMs / 1000)).toFixed(2)),
  };
}

function loggedLines(batches: readonly BatchRecord[]): { lines: number; events: number } {
  let lines = 0;
  let events = 0;
  for (const b of batches) {
    for (const m of b.result.logs.matchAll(/"message":"ingested".*?"lines":(\d+).*?"events":(\d+)/g)) {
      lines += Number(m[1]);
      events += Number(m[2]);
    }
  }
  return { lines, events };
}

/**
 * The requests left once the SDK's retries are taken out (the S3 stand-in marks them `sdkAttempt`). On the stand-ins
 * a function's `Date` follows the stand-ins' clock (days before the wall clock) while their answers carry the wall
 * clock's Date header, so the SDK takes every error answer (a 404 for a checkpoint or a salt not written yet) for
 * clock skew, corrects its clock and retries: up to three requests where AWS, whose clock agrees, gets one.
 */
function withoutSdkRetries(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.details.sdkAttempt === undefined);
}

const path = await ensureLog();
const plain = readFileSync(path);
const gz = gzipSync(plain, { level: 6 });
console.log(
  `log: ${path}: ${LINES.toLocaleString("en")} lines, ${(plain.length / 1e6).toFixed(1)} MB plain, ${(gz.length / 1e6).toFixed(1)} MB gzip`,
);
const results: Record<string, unknown>[] = [];

// bench. The Lambda figure of `npm run bench` (scripts/bench.ts `runLambda`), alone and repeated.
if (ONLY.includes("bench")) {
  let end = 0;
  for (let n = 0; n < BENCH_LINES && end >= 0; n++) end = plain.indexOf(10, end) + 1 || -1;
  const body = end > 0 ? plain.subarray(0, end) : plain;
  if (CPU_PROF !== null) await mkdir(CPU_PROF, { recursive: true });
  for (let run = 1; run <= REPEAT; run++) {
    const loadBefore = loadavg()[0] as number;
    const { aws, stack, stop } = await deployOnStandins({
      synth: { context: { "logsieve:sites": "example.com" } },
    });
    try {
      const ingest = stack.fn("Ingest");
      const environment = ingest.environment as Record<string, string>;
      if (EXTRA_NODE_OPTIONS !== "") {
        environment.NODE_OPTIONS = `${environment.NODE_OPTIONS ?? ""} ${EXTRA_NODE_OPTIONS}`.trim();
      }
      if (CPU_PROF !== null) {
        const preload = join(PROJECT_ROOT, "scripts", "lambda-cpu-profile.mjs");
        environment.NODE_OPTIONS = `${environment.NODE_OPTIONS ?? ""} --import=${preload}`.trim();
        environment.LOGSIEVE_BENCH_CPU_PROF_DIR = CPU_PROF;
      }
      const raw = stack.nameOf("RawBucket");
      const analytics = stack.nameOf("AnalyticsBucket");
      if (SALTS_FROM !== null) {
        const salts = (JSON.parse(readFileSync(SALTS_FROM, "utf8")) as { salts: Record<string, string> })
          .salts;
        for (const [key, base64] of Object.entries(salts))
          aws.s3.put(analytics, key, Buffer.from(base64, "base64"));
      }
      aws.s3.put(raw, "incoming/site=example.com/bench/access.log", body);
      const batches = (await stack.pump({ only: ["Pipeline/Ingest"] })).filter((b) => b.result.ok);
      const { lines, events } = loggedLines(batches);
      if (OBJECTS_OUT !== null) {
        const salts: Record<string, string> = {};
        for (const key of aws.s3.keys(analytics, "salts/")) {
          salts[key] = (aws.s3.get(analytics, key) as Buffer).toString("base64");
        }
        const objects: Record<string, string> = {};
        for (const [bucket, zones] of [
          [raw, ["security/", "rejects/"]],
          [analytics, ["events/"]],
        ] as const) {
          for (const zone of zones) {
            for (const key of aws.s3.keys(bucket, zone)) {
              const bytes = aws.s3.get(bucket, key) as Buffer;
              objects[`${bucket === raw ? "raw" : "analytics"}/${key}`] = createHash("sha256")
                .update(bytes)
                .digest("hex");
            }
          }
        }
        writeFileSync(OBJECTS_OUT, `${JSON.stringify({ salts, objects }, null, 1)}\n`);
      }
      const cpuS = batches.reduce((sum, b) => sum + b.result.cpuMs, 0) / 1000;
      const share = Math.min(1, ingest.memoryMb / FULL_VCPU_MB);
      results.push({
        run: `bench: ${BENCH_LINES.toLocaleString("en")} lines as one object, run ${run}`,
        nodeOptions: environment.NODE_OPTIONS ?? "",
        invocations: batches.length,
        lines,
        events,
        cpuS: Number(cpuS.toFixed(2)),
        wallS: Number((batches.reduce((sum, b) => sum + b.result.wallMs, 0) / 1000).toFixed(2)),
        peakRssMb: Math.round(Math.max(...batches.map((b) => b.result.maxRssKb)) / 1024),
        memoryMb: ingest.memoryMb,
        linesPerCpuS: Math.round(lines / cpuS),
        linesPerSecondAtStackMemory: Math.round((lines / cpuS) * share),
        load: `${loadBefore.toFixed(1)}-${(loadavg()[0] as number).toFixed(1)}`,
      });
    } finally {
      await stop();
    }
  }
}

// 1. whole file, one invocation each (ranges larger than the file), plain and gzip each in its own deployment: the
//    gzip copy holds the same lines, so a deployment that has read the plain file knows its stream and rightly
//    reads nothing of it (every line once). The plain file's deployment goes on with 3.
for (const [label, key, body] of ONLY.includes("1")
  ? ([
      ["gzip, one invocation", "incoming/site=example.com/bench/access.log.2.gz", gz],
      ["plain, one invocation", "incoming/site=example.com/bench/access.log.1", plain],
    ] as const)
  : []) {
  const { aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com", "logsieve:ingestRangeMiB": "4096" } },
  });
  aws.clock.advance(Date.UTC(2026, 10, 2, 6) - aws.clock.now());
  const raw = stack.nameOf("RawBucket");
  {
    const requestsBefore = aws.requests.length;
    aws.s3.put(raw, key, body);
    const batches = (await stack.pump({ only: ["Pipeline/Ingest"] })).filter((b) => b.result.ok);
    const { lines, events } = loggedLines(batches);
    const s3Requests = aws.requests
      .slice(requestsBefore)
      .filter((r) => r.service === "s3" && r.accessKeyId === stack.fn("Ingest").accessKeyId);
    results.push({
      ...summarize(label, batches, lines, plain.length),
      events,
      s3Requests: s3Requests.length,
    });
  }
  if (body === gz) {
    await stop();
    continue;
  }
  // 3. compaction and rollups of the day on the aggregate bundle (the plain file's events)
  const analytics = stack.nameOf("AnalyticsBucket");
  const objectsBefore = aws.s3
    .keys(analytics, `events/dt=${DAY}/`)
    .filter((k) => k.endsWith(".parquet")).length;
  const bytesBefore = aws.s3.currentObjects(analytics, `events/dt=${DAY}/`).reduce((s, o) => s + o.size, 0);
  aws.sqs.send(
    stack.nameOf("AggregateQueue"),
    JSON.stringify({ day: DAY, sentAt: aws.clock.now(), why: "compact" }),
    { groupId: DAY, deduplicationId: "bench-compact" },
  );
  aws.clock.advance(5_000);
  const executionsBefore = aws.athena.executions.size;
  const compact = await stack.pump({ only: ["Pipeline/Aggregate"] });
  const objectsAfter = aws.s3
    .keys(analytics, `events/dt=${DAY}/`)
    .filter((k) => k.endsWith(".parquet")).length;
  const unloads = [...aws.athena.executions.values()].slice(executionsBefore);
  results.push({
    run: "aggregate: compaction + rollups of the day",
    invocations: compact.length,
    cpuS: Number((compact.reduce((s, b) => s + b.result.cpuMs, 0) / 1000).toFixed(1)),
    peakRssMb: Math.round(Math.max(...compact.map((b) => b.result.maxRssKb)) / 1024),
    eventsObjectsBefore: objectsBefore,
    eventsObjectsAfter: objectsAfter,
    eventsMb: Number((bytesBefore / 1e6).toFixed(1)),
    unloads: unloads.length,
    athenaMbScannedPerRollup: unloads.map((e) => Number((e.dataScannedBytes / 1e6).toFixed(2))).join(" "),
  });
  // Rollups again after compaction: what an hourly recompute scans (one object instead of many).
  aws.sqs.send(
    stack.nameOf("AggregateQueue"),
    JSON.stringify({ day: DAY, sentAt: aws.clock.now(), why: "schedule" }),
    { groupId: DAY, deduplicationId: "bench-again" },
  );
  aws.clock.advance(5_000);
  const again = aws.athena.executions.size;
  const recompute = await stack.pump({ only: ["Pipeline/Aggregate"] });
  const second = [...aws.athena.executions.values()].slice(again);
  results.push({
    run: "aggregate: rollups only (compacted day)",
    invocations: recompute.length,
    cpuS: Number((recompute.reduce((s, b) => s + b.result.cpuMs, 0) / 1000).toFixed(1)),
    peakRssMb: Math.round(Math.max(...recompute.map((b) => b.result.maxRssKb)) / 1024),
    athenaMbScannedPerRollup: second.map((e) => Number((e.dataScannedBytes / 1e6).toFixed(2))).join(" "),
    athenaMbScannedTotal: Number((second.reduce((s, e) => s + e.dataScannedBytes, 0) / 1e6).toFixed(2)),
  });
  await stop();
}

// 2. the plain file in byte ranges
if (ONLY.includes("2")) {
  const { aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com", "logsieve:ingestRangeMiB": String(RANGE_MIB) } },
  });
  aws.clock.advance(Date.UTC(2026, 10, 2, 6) - aws.clock.now());
  aws.s3.put(stack.nameOf("RawBucket"), "incoming/site=example.com/bench/access.log.1", plain);
  const batches = (await stack.pump({ only: ["Pipeline/Ingest"] })).filter((b) => b.result.ok);
  const { lines, events } = loggedLines(batches);
  results.push({
    ...summarize(`plain, ranges of ${RANGE_MIB} MiB`, batches, lines, plain.length),
    events,
    maxUnitCpuS: Number((Math.max(...batches.map((b) => b.result.cpuMs)) / 1000).toFixed(1)),
  });
  await stop();
}

// 4. CloudFront-sized files: 100 files of 2,000 lines (5,000 such files a day are 10 M lines), then the day's
//    rollups before and after compaction: S3 requests per file, objects Athena opens per recompute.
if (ONLY.includes("4")) {
  const { aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  });
  aws.clock.advance(Date.UTC(2026, 10, 2, 6) - aws.clock.now());
  const raw = stack.nameOf("RawBucket");
  // The first 200,000 lines (about 45 MB of the log).
  const lines = plain.subarray(0, 60_000_000).toString("utf8").split("\n").slice(0, 200_000);
  const ingestKey = stack.fn("Ingest").accessKeyId;
  const before = aws.requests.length;
  for (let f = 0; f < 100; f++) {
    aws.s3.put(
      raw,
      `incoming/site=example.com/edge/E2EXAMPLE.2026-11-01-${String(f % 24).padStart(2, "0")}.${f}.log`,
      Buffer.from(`${lines.slice(f * 2000, (f + 1) * 2000).join("\n")}\n`),
    );
  }
  const batches = (await stack.pump({ only: ["Pipeline/Ingest"] })).filter((b) => b.result.ok);
  const calls = aws.requests.slice(before).filter((r) => r.accessKeyId === ingestKey);
  const perFile = (list: readonly RecordedRequest[]): Record<string, number> => {
    const byAction: Record<string, number> = {};
    for (const c of list)
      byAction[`${c.service}:${c.action}`] = (byAction[`${c.service}:${c.action}`] ?? 0) + 1;
    return Object.fromEntries(Object.entries(byAction).map(([k, v]) => [k, Number((v / 100).toFixed(2))]));
  };
  results.push({
    ...summarize("100 files of 2,000 lines", batches, loggedLines(batches).lines, 0),
    requestsPerFile: perFile(calls),
    // What AWS would be asked: without the SDK's retries of failed answers (see sdkRetries).
    requestsPerFileWithoutRetries: perFile(withoutSdkRetries(calls)),
    gbSecondsPerFileAt1769: Number(
      ((batches.reduce((s, b) => s + b.result.cpuMs, 0) / 100 / 1000) * 1.769).toFixed(3),
    ),
  });
  const analytics = stack.nameOf("AnalyticsBucket");
  const queue = stack.nameOf("AggregateQueue");
  const opened = async (why: string, dedup: string) => {
    aws.sqs.send(queue, JSON.stringify({ day: DAY, sentAt: aws.clock.now(), why }), {
      groupId: DAY,
      deduplicationId: dedup,
    });
    aws.clock.advance(20 * 60_000);
    const first = aws.athena.executions.size;
    await stack.pump({ only: ["Pipeline/Aggregate"] });
    const executions = [...aws.athena.executions.values()].slice(first);
    return executions.reduce((s, e) => s + e.reads.reduce((t, r) => t + r.keys.length, 0), 0);
  };
  const objectsBefore = aws.s3
    .keys(analytics, `events/dt=${DAY}/`)
    .filter((k) => k.endsWith(".parquet")).length;
  const openedBefore = await opened("schedule", "small-1");
  await opened("compact", "small-2");
  const openedAfter = await opened("schedule", "small-3");
  results.push({
    run: "rollups of 100 small files' day, before and after compaction",
    eventsObjectsBefore: objectsBefore,
    eventsObjectsAfter: aws.s3.keys(analytics, `events/dt=${DAY}/`).filter((k) => k.endsWith(".parquet"))
      .length,
    objectsOpenedPerRecomputeBefore: openedBefore,
    objectsOpenedPerRecomputeAfter: openedAfter,
  });
  await stop();
}

for (const r of results) console.log(JSON.stringify(r));
writeFileSync(
  join(OUT, "bench-lambda.json"),
  `${JSON.stringify({ lines: LINES, rangeMib: RANGE_MIB, results }, null, 1)}\n`,
);
