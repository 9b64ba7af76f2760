/**
 * Where one line's time goes, stage by stage, in one process (no child, no disk): the lines of a file are read
 * into memory first, then each variant runs over all of them and reports CPU µs per line.
 *
 *   npx tsx scripts/bench-stages.ts bench-out/access-1m.log [--lines 300000] [--runs 3] [--only <prefix>]
 *
 * Variants add one step at a time: parse; + resolve the client address; + enrich (UA cache, geo); + build the
 * security row and the event (scrub, truncate, visitor id); the whole ingest() with a store that keeps nothing,
 * first with an encoder that encodes nothing, then with the real Parquet encoder.
 */
import { readFileSync } from "node:fs";
import { loadGeoLookup } from "../functions/adapters/geo/mmdb-geo.ts";
import { HyparquetEncoder } from "../functions/adapters/parquet/hyparquet-encoder.ts";
import { compileTrustedProxies, resolveClientAddress } from "../functions/core/anonymize/ip.ts";
import { parseConfig } from "../functions/core/config.ts";
import { decideConsent } from "../functions/core/consent/decide.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import type { RawLine } from "../functions/core/ingest/lines.ts";
import { buildEvent, buildSecurityRow, eventBuilderSettings } from "../functions/core/ingest/rows.ts";
import { createParser } from "../functions/core/parse/index.ts";
import { ingest } from "../functions/core/pipeline.ts";
import { EVENTS_SCHEMA, SECURITY_SCHEMA } from "../functions/core/zones.ts";
import type { ObjectInfo, ObjectStore } from "../functions/ports/object-store.ts";
import type { TableEncoder } from "../functions/ports/table-encoder.ts";

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
    `${name.padEnd(44)} ${us.toFixed(2).padStart(7)} µs CPU/line  ${((wall * 1000) / lines.length).toFixed(2).padStart(7)} µs wall/line`,
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
    `${name.padEnd(44)} ${us.toFixed(2).padStart(7)} µs CPU/line  ${((wall * 1000) / lines.length).toFixed(2).padStart(7)} µs wall/line`,
  );
}

let sampleMemory: () => void = () => undefined;
const trusted = compileTrustedProxies(config.trustedProxies);
const settings = eventBuilderSettings(config);
let sink = 0;

measure("parse", () => {
  const parser = createParser("combined");
  for (const line of lines) if (parser.parse(line).ok === true) sink++;
});
measure("parse + resolve", () => {
  const parser = createParser("combined");
  for (const line of lines) {
    const r = parser.parse(line);
    if (r.ok === true && resolveClientAddress(r.record.clientIp, r.record.forwardedFor, trusted) !== null)
      sink++;
  }
});
measure("parse + resolve + geo", () => {
  const parser = createParser("combined");
  for (const line of lines) {
    const r = parser.parse(line);
    if (r.ok !== true) continue;
    const a = resolveClientAddress(r.record.clientIp, r.record.forwardedFor, trusted);
    if (a !== null && geo.country(a.address) !== null) sink++;
  }
});
measure("parse + resolve + enrich", () => {
  const parser = createParser("combined");
  const enrich = createEnricher(geo);
  for (const line of lines) {
    const r = parser.parse(line);
    if (r.ok !== true) continue;
    const a = resolveClientAddress(r.record.clientIp, r.record.forwardedFor, trusted);
    if (a !== null && enrich(a, r.record.userAgent).isBot) sink++;
  }
});
function rowsStage(toBatches: boolean): () => void {
  return () => {
    const parser = createParser("combined");
    const enrich = createEnricher(geo);
    const encoder = new HyparquetEncoder();
    let securityBatch = encoder.startBatch(SECURITY_SCHEMA);
    let eventBatch = encoder.startBatch(EVENTS_SCHEMA);
    for (const [i, line] of lines.entries()) {
      const r = parser.parse(line);
      if (r.ok !== true) continue;
      const record = r.record;
      const address = resolveClientAddress(record.clientIp, record.forwardedFor, trusted);
      if (address === null) continue;
      const enrichment = enrich(address, record.userAgent);
      const row = buildSecurityRow(record, address, enrichment, "example.com", "combined", "input", i + 1);
      const decision = decideConsent("log", record.signals, config.consent);
      if (decision.tier === "drop") continue;
      const event = buildEvent(
        {
          site: "example.com",
          timestampMs: record.timestampMs,
          source: "log",
          eventName: "request",
          method: record.method,
          target: record.target,
          status: record.status,
          bytes: record.bytes,
          referrer: record.referrer,
          address,
          userAgent: record.userAgent,
          enrichment,
          decision,
          salt,
        },
        settings,
      );
      if (event.visitor_id !== null && row.bytes >= 0) sink++;
      if (toBatches) {
        securityBatch.add(row as unknown as Record<string, unknown>);
        eventBatch.add(event as unknown as Record<string, unknown>);
        if (eventBatch.rows >= 200_000) {
          securityBatch = encoder.startBatch(SECURITY_SCHEMA);
          eventBatch = encoder.startBatch(EVENTS_SCHEMA);
        }
      }
    }
  };
}
measure("parse + resolve + enrich + rows", rowsStage(false));
measure("... + rows into column batches", rowsStage(true));

class NullStore implements ObjectStore {
  bytes = 0;
  async put(_key: string, body: Uint8Array): Promise<void> {
    this.bytes += body.byteLength;
  }
  async putIfAbsent(): Promise<boolean> {
    return true;
  }
  async get(): Promise<Uint8Array | null> {
    return null;
  }
  async *list(): AsyncIterable<ObjectInfo> {}
  async delete(): Promise<void> {}
}
const nullEncoder: TableEncoder = { extension: "parquet", encode: () => new Uint8Array(0) };
const salts = { saltForDay: async () => salt, destroyExpired: async () => 0 } as never;
const clock = { now: () => 0 };

async function runIngest(encoder: TableEncoder): Promise<void> {
  let lineNo = 0;
  const raw: RawLine[] = lines.map((t) => ({ lineNo: ++lineNo, text: t, bytes: t.length, tooLong: false }));
  async function* batches(): AsyncIterable<readonly RawLine[]> {
    for (let i = 0; i < raw.length; i += 1000) yield raw.slice(i, i + 1000);
  }
  await ingest(
    { inputId: "bench", lines: batches(), format: "combined", onProgress: () => sampleMemory() },
    { config, enrich: createEnricher(geo), salts, store: new NullStore(), encoder, clock },
  );
}
await measureAsync("ingest(), null encoder, null store", () => runIngest(nullEncoder));
await measureAsync("ingest(), Parquet, null store", () => runIngest(new HyparquetEncoder()));
if (sink < 0) console.log(sink);
