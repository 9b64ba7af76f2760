/**
 * A small benchmark of @logsieve/parquet-writer on an access-log-like table: rows collected into a ColumnBatch,
 * then written as one Parquet file. Prints, per phase, the best and the median of the runs in CPU time (user +
 * system of this process; the writer is synchronous and single-threaded, so CPU time is its time) and the rate.
 *
 *   npm run bench -w @logsieve/parquet-writer -- [--rows 200000] [--runs 7]
 *
 * The table is generated from a fixed seed, so runs on one machine compare one version of the writer with another.
 */
import { loadavg } from "node:os";
import { ColumnBatch, type TableSpec, writeParquet } from "../src/index.ts";
import { seededRandom } from "../test/random.ts";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`--${name} must be a positive integer`);
  return value;
}
const ROWS = option("rows", 200_000);
const RUNS = option("runs", 7);

const TABLE: TableSpec = {
  name: "access",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    { name: "site", type: "string", nullable: false, encoding: "dictionary", collect: "codes" },
    { name: "client_ip", type: "string", nullable: false, statistics: false },
    { name: "method", type: "string", nullable: false, collect: "codes", statistics: false },
    {
      name: "path",
      type: "string",
      nullable: false,
      encoding: "dictionary",
      collect: "codes",
      statistics: false,
    },
    { name: "query", type: "string", nullable: true, statistics: false },
    { name: "status", type: "int32", nullable: false, encoding: "dictionary" },
    { name: "bytes", type: "int64", nullable: true, encoding: "plain", statistics: false },
    { name: "referrer", type: "string", nullable: true, statistics: false },
    { name: "user_agent", type: "string", nullable: false, collect: "codes", statistics: false },
    { name: "duration_ms", type: "double", nullable: true, statistics: false },
    { name: "is_bot", type: "boolean", nullable: false, statistics: false },
    { name: "line_no", type: "int64", nullable: false, encoding: "delta", statistics: false },
  ],
};

/** Rows as a log pipeline makes them: repeated values are the same string objects, addresses and queries fresh. */
function makeRows(count: number): Record<string, unknown>[] {
  const random = seededRandom(20261120);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const paths = Array.from({ length: 2000 }, (_, i) => `/section-${i % 40}/page-${i}.html`);
  const agents = Array.from(
    { length: 300 },
    (_, i) => `Mozilla/5.0 (X11; Linux x86_64; rv:${100 + (i % 40)}.0) Gecko/20100101 Firefox/${100 + i}.0`,
  );
  const sites = ["example.com", "shop.example.com", "blog.example.org"];
  const rows: Record<string, unknown>[] = [];
  let ts = Date.UTC(2026, 10, 20);
  for (let i = 0; i < count; i++) {
    ts += Math.floor(random() * 400);
    rows.push({
      ts,
      site: pick(sites),
      client_ip: `203.0.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
      method: random() < 0.95 ? "GET" : "POST",
      path: paths[Math.floor(random() ** 3 * paths.length)],
      query: random() < 0.2 ? `utm_source=news&id=${Math.floor(random() * 1e6)}` : null,
      status: pick([200, 200, 200, 304, 404, 500]),
      bytes: random() < 0.05 ? null : Math.floor(random() * 50_000),
      referrer: random() < 0.4 ? null : `https://search.example/q?${Math.floor(random() * 1e5)}`,
      user_agent: agents[Math.floor(random() ** 2 * agents.length)],
      duration_ms: random() < 0.1 ? null : random() * 300,
      is_bot: random() < 0.1,
      line_no: i + 1,
    });
  }
  return rows;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const rows = makeRows(ROWS);
const collect: number[] = [];
const write: number[] = [];
let size = 0;
for (let run = 0; run < RUNS; run++) {
  const t0 = cpuMs();
  const batch = new ColumnBatch(TABLE, ROWS);
  for (const row of rows) batch.add(row);
  const data = batch.finish();
  const t1 = cpuMs();
  size = writeParquet(TABLE, data).length;
  const t2 = cpuMs();
  collect.push(t1 - t0);
  write.push(t2 - t1);
}

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
const median = (values: number[]): number => sorted(values)[Math.floor(values.length / 2)] as number;
const best = (values: number[]): number => sorted(values)[0] as number;
const line = (name: string, values: number[]): string =>
  `${name.padEnd(8)} best ${best(values).toFixed(0).padStart(5)} ms  median ${median(values).toFixed(0).padStart(5)} ms  ` +
  `(${((ROWS / best(values)) * 1000).toLocaleString("en", { maximumFractionDigits: 0 })} rows/s)`;
console.log(
  `@logsieve/parquet-writer: ${ROWS.toLocaleString("en")} rows × ${TABLE.columns.length} columns, ${RUNS} runs, ` +
    `CPU time; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);
console.log(line("collect", collect));
console.log(line("write", write));
console.log(`file     ${(size / 2 ** 20).toFixed(2)} MiB (${(size / ROWS).toFixed(1)} bytes/row)`);
