/**
 * Where one line's time goes, step by step, in one process (no child, no disk): the lines of a file are read into
 * memory first, then each variant runs over all of them and reports CPU µs per line.
 *
 *   npx tsx scripts/bench-stages.ts bench-out/access-1m.log [--lines 300000] [--runs 3] [--only <prefix>]
 *
 * The variants run the pipeline's own step functions (functions/core/ingest/steps/) on a real IngestRun, adding one
 * step at a time in the order of functions/core/ingest/pipeline.ts: parse; + resolve the client address; + site and
 * enrichment (user agent cache, geolocation); + security row, the event's site, referrer spam, consent, salt,
 * anonymized event and both writes, with writers whose batches count rows and keep nothing; the same with the real Parquet column batches (not encoded);
 * then the whole ingest() with a store that keeps nothing, first with an encoder that encodes nothing, then with the
 * real Parquet encoder.
 */
import { readFileSync } from "node:fs";
import { loadGeoLookup } from "../functions/adapters/geo/mmdb-geo.ts";
import { ParquetEncoder } from "../functions/adapters/parquet/parquet-encoder.ts";
import { parseConfig } from "../functions/core/config.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import type { RawLine } from "../functions/core/ingest/lines.ts";
import { ingest } from "../functions/core/ingest/pipeline.ts";
import { IngestRun } from "../functions/core/ingest/run.ts";
import { writeAnonymizedEvent } from "../functions/core/ingest/steps/anonymize.ts";
import { decideLineConsent } from "../functions/core/ingest/steps/consent.ts";
import { knownDaySalt, needsSalt } from "../functions/core/ingest/steps/day-salt.ts";
import { enrichRecord } from "../functions/core/ingest/steps/enrich.ts";
import { eventSite } from "../functions/core/ingest/steps/event-site.ts";
import { parseLine } from "../functions/core/ingest/steps/parse-line.ts";
import { isReferrerSpam } from "../functions/core/ingest/steps/referrer-spam.ts";
import { resolveAddress } from "../functions/core/ingest/steps/resolve-address.ts";
import { resolveSite } from "../functions/core/ingest/steps/resolve-site.ts";
import { writeSecurityRow } from "../functions/core/ingest/steps/security-row.ts";
import { utcDay } from "../functions/core/zones.ts";
import type { TableBatch, TableEncoder, TableSchema } from "../functions/ports/table-encoder.ts";
import { NullStore } from "./bench-inputs.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: bench-stages.ts <log file> [--lines N]");
const at = process.argv.indexOf("--lines");
const limit = at > 0 ? Number(process.argv[at + 1]) : 300_000;
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
/** Runs of each variant after a warm-up: the best counts (the machine is shared). */
const runs = process.argv.includes("--runs") ? Number(process.argv[process.argv.indexOf("--runs") + 1]) : 1;

const text = readFileSync(path, "utf8");
const lines: string[] = [];
for (let s = 0; lines.length < limit && s < text.length; ) {
  const nl = text.indexOf("\n", s);
  const e = nl < 0 ? text.length : nl;
  lines.push(text.slice(s, e));
  s = e + 1;
}
const config = parseConfig({});
const geo = await loadGeoLookup({});
const salt = new Uint8Array(32).fill(7);

function measure(name: string, run: () => unknown): void {
  if (only !== undefined && !name.startsWith(only)) return;
  run(); // warm up (also fills the caches once, as in a long run)
  let us = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    const cpu = process.cpuUsage(cpu0);
    wall = Math.min(wall, performance.now() - t0);
    us = Math.min(us, (cpu.user + cpu.system) / lines.length);
  }
  console.log(
    `${name.padEnd(58)} ${us.toFixed(2).padStart(7)} µs CPU/line  ${((wall * 1000) / lines.length).toFixed(2).padStart(7)} µs wall/line`,
  );
}

async function measureAsync(name: string, run: () => Promise<unknown>): Promise<void> {
  if (only !== undefined && !name.startsWith(only)) return;
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  // Sampled at every progress report of ingest() (the loop never yields to timers).
  sampleMemory = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  await run();
  sampleMemory = () => undefined;
  let us = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const cpu = process.cpuUsage(cpu0);
    wall = Math.min(wall, performance.now() - t0);
    us = Math.min(us, (cpu.user + cpu.system) / lines.length);
  }
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;
  console.log(
    `  first run peaks: rss ${mb(peak.rss)}, heap used ${mb(peak.heapUsed)}, external ${mb(peak.external)}, array buffers ${mb(peak.arrayBuffers)}`,
  );
  console.log(
    `${name.padEnd(58)} ${us.toFixed(2).padStart(7)} µs CPU/line  ${((wall * 1000) / lines.length).toFixed(2).padStart(7)} µs wall/line`,
  );
}

let sampleMemory: () => void = () => undefined;
let sink = 0;

const raw: RawLine[] = lines.map((t, i) => ({ lineNo: i + 1, text: t, bytes: t.length, tooLong: false }));

const nullEncoder: TableEncoder = { extension: "parquet", encode: () => new Uint8Array(0) };
/** Batches that count their rows and keep nothing: the steps' own cost, without collecting columns. */
const countingEncoder: TableEncoder = {
  extension: "parquet",
  encode: () => new Uint8Array(0),
  startBatch: (schema: TableSchema): TableBatch => {
    const batch = {
      schema,
      rows: 0,
      add(): void {
        batch.rows++;
      },
    };
    return batch;
  },
  encodeBatch: async () => new Uint8Array(0),
};
/** The real Parquet column batches, dropped instead of encoded. */
function columnsOnlyEncoder(): TableEncoder {
  const real = new ParquetEncoder();
  return {
    extension: "parquet",
    encode: () => new Uint8Array(0),
    startBatch: (schema, expectedRows) => real.startBatch(schema, expectedRows),
    encodeBatch: async () => new Uint8Array(0),
  };
}
const salts = { saltForDay: async () => salt, destroyExpired: async () => [] };
const clock = { now: () => 0 };

function newRun(encoder: TableEncoder): IngestRun {
  return new IngestRun(
    { inputId: "bench", lines: (async function* () {})(), format: "combined" },
    { config, enrich: createEnricher(geo), salts, store: new NullStore(), encoder, clock },
    "combined",
  );
}

/** Steps 1 to `through` of the pipeline over every line, synchronously (salts are known, waits are not awaited). */
function steps(through: "parse" | "address" | "enrich" | "event", encoder: () => TableEncoder): () => void {
  return () => {
    const run = newRun(encoder());
    for (const line of raw) {
      const record = parseLine(run, line);
      if (record === null || through === "parse") continue;
      const address = resolveAddress(run, line, record);
      if (address === null || through === "address") continue;
      const site = resolveSite(run, record);
      const enrichment = enrichRecord(run, record, address);
      if (through === "enrich") {
        if (enrichment.isBot) sink++;
        continue;
      }
      writeSecurityRow(run, line, record, address, enrichment, site);
      const counted = eventSite(run, record);
      if (counted === null) continue;
      if (isReferrerSpam(run, record)) continue;
      const decision = decideLineConsent(run, record);
      if (decision === null) continue;
      const day = utcDay(record.timestampMs);
      if (!run.saltsByDay.has(day)) run.saltsByDay.set(day, salt); // as fetchDaySalt would, without an await
      const daySalt = needsSalt(decision) ? (knownDaySalt(run, day) ?? null) : null;
      writeAnonymizedEvent(run, day, record, address, enrichment, counted, decision, daySalt);
    }
    sink += run.accepted;
  };
}

const noRows = (): TableEncoder => nullEncoder;
measure("parse", steps("parse", noRows));
measure("+ resolve address", steps("address", noRows));
measure("+ site, enrich", steps("enrich", noRows));
measure(
  "+ security row ... write event (rows counted)",
  steps("event", () => countingEncoder),
);
measure("... rows into Parquet column batches", steps("event", columnsOnlyEncoder));

async function runIngest(encoder: TableEncoder): Promise<void> {
  async function* batches(): AsyncIterable<readonly RawLine[]> {
    for (let i = 0; i < raw.length; i += 1000) yield raw.slice(i, i + 1000);
  }
  await ingest(
    { inputId: "bench", lines: batches(), format: "combined", onProgress: () => sampleMemory() },
    { config, enrich: createEnricher(geo), salts, store: new NullStore(), encoder, clock },
  );
}
await measureAsync("ingest(), null encoder, null store", () => runIngest(nullEncoder));
await measureAsync("ingest(), Parquet, null store", () => runIngest(new ParquetEncoder()));
if (sink < 0) console.log(sink);
