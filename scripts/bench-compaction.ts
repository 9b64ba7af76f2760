import { spawn } from "node:child_process";
import { S3Client } from "@aws-sdk/client-s3";
import { ParquetEncoder } from "../functions/adapters/parquet/parquet-encoder.ts";
import { S3EventsCompactor } from "../functions/apps/aggregate/s3-compaction.ts";
import { EVENTS_SCHEMA } from "../functions/core/zones.ts";
import { startStandins } from "../test/standins/index.ts";

/**
 * Peak memory and CPU of the S3 compaction of one day of events/ (functions/apps/aggregate/s3-compaction.ts), alone:
 * `npx tsx scripts/bench-compaction.ts <events> [objects]` fills a day on the S3 stand-in with `objects` small
 * objects (default 5) of synthetic events (the schema's 36 columns, the property columns empty), then compacts it
 * in a child process measured by `/usr/bin/time -v` (its peak RSS and user + system CPU). The figures are in
 * docs/DEPLOY.md, "Sizing". Compare CPU and RSS, not wall time: the machine is shared. `BENCH_HEAP_MB=256` runs the
 * child with V8's old space capped there: a run that finishes shows what the compaction needs at the least.
 */

const DAY = "2026-11-20";
const BUCKET = "analytics";

if (process.argv[2] === "--child") {
  // The measured process: only the compactor, as the aggregate function runs it.
  const compactor = new S3EventsCompactor({
    client: new S3Client(JSON.parse(process.env.BENCH_S3_CONFIG as string)),
    bucket: BUCKET,
    encoder: new ParquetEncoder(),
  });
  const summary = await compactor.compact(DAY, "full");
  console.log(JSON.stringify(summary));
} else {
  const events = Number(process.argv[2]);
  const objects = Number(process.argv[3] ?? "5");
  if (!(events > 0 && objects > 0)) throw new Error("usage: bench-compaction.ts <events> [objects]");
  const aws = await startStandins();
  try {
    aws.s3.createBucket(BUCKET, { kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/analytics" });
    const encoder = new ParquetEncoder();
    const perObject = Math.ceil(events / objects);
    for (let o = 0; o < objects; o++) {
      const rows: Record<string, unknown>[] = [];
      for (let i = 0; i < perObject && o * perObject + i < events; i++) rows.push(event(o * perObject + i));
      aws.s3.put(BUCKET, `events/dt=${DAY}/input${o}-0000.parquet`, encoder.encode(EVENTS_SCHEMA, rows));
    }
    const child = spawn(
      "/usr/bin/time",
      [
        "-v",
        process.execPath,
        // BENCH_HEAP_MB caps V8's heap (as a smaller function would): what the compaction needs, not what an idle
        // garbage collector lets the heap grow to.
        ...(process.env.BENCH_HEAP_MB === undefined
          ? []
          : [`--max-old-space-size=${process.env.BENCH_HEAP_MB}`]),
        "--import",
        "tsx",
        new URL(import.meta.url).pathname,
        "--child",
      ],
      { env: { ...process.env, BENCH_S3_CONFIG: JSON.stringify(aws.clientConfig("s3", "AKIDCOMPACT")) } },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    if (code !== 0) throw new Error(`the compaction failed:\n${err}`);
    const field = (label: string): number =>
      Number(new RegExp(`${label}: ([\\d.]+)`).exec(err)?.[1] ?? Number.NaN);
    const parquet = aws.s3.keys(BUCKET, `events/dt=${DAY}/`).filter((k) => k.endsWith(".parquet")).length;
    console.log(
      JSON.stringify({
        events,
        objects,
        heapCapMb: process.env.BENCH_HEAP_MB ?? null,
        summary: JSON.parse(out.trim().split("\n").at(-1) as string),
        parquetObjectsAfter: parquet,
        peakRssMb: Math.round(field("Maximum resident set size \\(kbytes\\)") / 1024),
        cpuSeconds: Number(
          (field("User time \\(seconds\\)") + field("System time \\(seconds\\)")).toFixed(2),
        ),
        loadAverage: (await import("node:os")).loadavg().map((l) => Number(l.toFixed(1))),
      }),
    );
  } finally {
    await aws.stop();
  }
}

/** One synthetic event; `n` spreads values as a day of a site's traffic would (the generator of the earlier runs). */
function event(n: number): Record<string, unknown> {
  return {
    ts: Date.UTC(2026, 10, 20) + (n % 86_400_000),
    site: "example.com",
    source: "log",
    event_name: "pageview",
    method: "GET",
    path: `/section${n % 300}/article-${n % 5000}`,
    query: null,
    status: 200,
    bytes: 1000 + (n % 5000),
    is_asset: false,
    referrer_host: n % 3 === 0 ? `ref${n % 200}.example` : null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: ["DE", "FR", "US"][n % 3],
    browser: "Firefox",
    browser_major: String(100 + (n % 30)),
    os: "Linux",
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: BigInt(n % 40000) * 2654435761n,
    ip_prefix: `198.51.${n % 250}.0/24`,
    consent_tier: "statistics",
    consent_reason: "default",
  };
}
