/**
 * `npx tsx scripts/worst-lines.ts`: looks for the slowest line to ingest. Every log format, with each of 26 payloads
 * filling the path, the user agent or the referrer up to the line limit (ingest.maxLineBytes, 1 MiB), plus JSON lines
 * nested deep, with many keys, with escapes; each line ingested alone through `ingest()` (parser, enrichment,
 * security row, scrubbing, visitor id, Parquet) into memory, best of three, wall and CPU time. Prints the slowest
 * 15. test/reliability/worst-line.test.ts keeps the slowest of them under 50 ms; docs/RELIABILITY.md has the table.
 */
import { ParquetEncoder } from "../functions/adapters/parquet/parquet-encoder.ts";
import { ObjectStoreSaltStore } from "../functions/adapters/salt/object-store-salt-store.ts";
import { parseConfig } from "../functions/core/config.ts";
import { createEnricher } from "../functions/core/enrich/enrich.ts";
import { splitLineBatches } from "../functions/core/ingest/lines.ts";
import { ingest } from "../functions/core/ingest/pipeline.ts";
import { LOG_FORMATS, type LogFormat } from "../functions/core/types.ts";
import { FixedClock } from "../functions/ports/clock.ts";
import { NO_GEO } from "../functions/ports/geo.ts";
import { formatHeader, formatLine } from "../test/helpers/format-lines.ts";
import { MemoryObjectStore } from "../test/helpers/memory-store.ts";

const NOW = Date.UTC(2026, 10, 21, 12);
const config = parseConfig({ sites: ["example.com"] });
const enrich = createEnricher(NO_GEO);
const encoder = new ParquetEncoder();
const ROOM = config.ingest.maxLineBytes - 600;
const fill = (unit: string) => unit.repeat(Math.floor(ROOM / new TextEncoder().encode(unit).byteLength));
const PAYLOADS: Record<string, string> = {
  a: "a",
  "%": "%",
  "%2": "%2",
  "%C3": "%C3",
  "%41": "%41",
  "a@": "a@",
  "1.": "1.",
  "1:": "1:",
  "ab:": "ab:",
  '\\"': '\\"',
  space: " ",
  "(": "(",
  "/": "/",
  "./": "./",
  "&a=": "&a=",
  "utm_source=a&": "utm_source=a&",
  "0xdeadbeef": "0xdeadbeef",
  a1: "a1",
  "-.": "-.",
  "a.b@c.": "a.b@c.",
  NUL: "\u0000",
  ANSI: "\u001b[31m",
  CR: "\r",
  TAB: "\t",
  é: "é",
  "😀": "😀",
  "\\": "\\",
  "{": "{",
};

function line(format: LogFormat, field: "path" | "ua" | "ref", payload: string): string {
  const big = fill(payload);
  return (
    formatHeader(format) +
    formatLine(format, {
      path: field === "path" ? `/${big}` : "/x",
      ua: field === "ua" ? big : "Mozilla/5.0",
      ref: field === "ref" ? `http://${big}` : "-",
    })
  );
}

async function time(format: LogFormat, text: string): Promise<{ wall: number; cpu: number }> {
  const bytes = new TextEncoder().encode(`${text}\n`);
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const clock = new FixedClock(NOW);
    const store = new MemoryObjectStore(() => NOW);
    const salts = new ObjectStoreSaltStore(store, clock, (n) => new Uint8Array(n).fill(1));
    await salts.saltForDay("2026-11-20");
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await ingest(
      {
        inputId: "x",
        format,
        lines: splitLineBatches(
          (async function* () {
            yield bytes;
          })(),
          config.ingest.maxLineBytes,
        ),
      },
      { config, enrich, salts, store, encoder, clock },
    );
    const used = process.cpuUsage(cpuStarted);
    wall = Math.min(wall, performance.now() - started);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  return { wall, cpu };
}

const results: { name: string; wall: number; cpu: number }[] = [];
for (const format of LOG_FORMATS) {
  for (const field of ["path", "ua", "ref"] as const) {
    if (format === "common" && field !== "path") continue;
    for (const [name, payload] of Object.entries(PAYLOADS)) {
      results.push({
        name: `${format} ${field} ${name}`,
        ...(await time(format, line(format, field, payload))),
      });
    }
  }
}
const head = '{"ts":"2026-11-20T10:00:00Z","remote_addr":"203.0.113.5","request_uri":"/"';
const specials: Record<string, string> = {
  "jsonl nested arrays": `${head},"x":${"[".repeat(ROOM / 2)}${"]".repeat(ROOM / 2)}}`,
  "jsonl nested objects": `${head},"x":${'{"a":'.repeat(ROOM / 6)}1${"}".repeat(ROOM / 6)}}`,
  "jsonl many keys": `${head},${Array.from({ length: Math.floor(ROOM / 12) }, (_, i) => `"k${i}":1`).join(",")}}`,
  "jsonl \\u0000 escapes": `${head.slice(0, -2)}${"\\u0000".repeat(ROOM / 6)}"}`,
};
for (const [name, text] of Object.entries(specials)) results.push({ name, ...(await time("jsonl", text)) });
results.sort((a, b) => b.wall - a.wall);
console.log(`${results.length} lines of about ${(ROOM / 1024).toFixed(0)} KiB; slowest (best of 3):`);
console.log("| line | wall ms | CPU ms |\n|---|---:|---:|");
for (const r of results.slice(0, 15))
  console.log(`| ${r.name} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} |`);
