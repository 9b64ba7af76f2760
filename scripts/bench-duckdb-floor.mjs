/**
 * The native floor of `npm run bench` (issue 20): DuckDB parses every line of a combined-format log with one
 * regular expression and writes the fields to one Parquet file, on as many threads as the machine has cores.
 * It does much less than `logsieve ingest` (no enrichment, no address checks, no second zone, no hashing), and says
 * how fast the raw work of reading lines into columns can be on the same cores.
 *
 *   node scripts/bench-duckdb-floor.mjs <log> <out.parquet> [threads]
 *
 * Plain JavaScript, run by node itself: no TypeScript loader start-up is counted against DuckDB.
 */
import { cpus } from "node:os";
import { DuckDBInstance } from "@duckdb/node-api";

const [log, out, threadsArg] = process.argv.slice(2);
if (log === undefined || out === undefined)
  throw new Error("usage: bench-duckdb-floor.mjs <log> <out.parquet> [threads]");
const threads = Number(threadsArg ?? cpus().length);
const quote = (text) => `'${text.replaceAll("'", "''")}'`;

// %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i": one group per field.
const COMBINED =
  '^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] "(\\S+) (\\S+) (\\S+)" (\\d{3}) (\\d+|-) "([^"]*)" "([^"]*)"';
const FIELDS = [
  "client",
  "ident",
  "user",
  "time",
  "method",
  "target",
  "protocol",
  "status",
  "bytes",
  "referrer",
  "agent",
];

const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
const connection = await instance.connect();
const started = performance.now();
await connection.run(`
  COPY (
    SELECT ${FIELDS.map((f) => `m.${f}`).join(", ")}
    FROM (
      SELECT regexp_extract(line, ${quote(COMBINED)}, [${FIELDS.map(quote).join(", ")}]) AS m
      FROM read_csv(${quote(log)}, columns = {'line': 'VARCHAR'}, delim = '\\x1f', quote = '', escape = '',
                    header = false, auto_detect = false)
    )
  ) TO ${quote(out)} (FORMAT parquet, COMPRESSION snappy)`);
const rows = await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${quote(out)})`);
console.log(
  JSON.stringify({
    rows: Number(rows.getRows()[0][0]),
    threads,
    seconds: (performance.now() - started) / 1000,
  }),
);
