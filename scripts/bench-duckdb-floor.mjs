/**
 * The native floor of `npm run bench` (issue 20): DuckDB parses every line of a combined-format log with one
 * regular expression and writes the fields to one Parquet file, on as many threads as the machine has cores.
 * It does much less than `logsieve ingest` (no enrichment, no address checks, no second zone, no hashing), and says
 * how fast the raw work of reading lines into columns can be on the same cores.
 *
 *   node scripts/bench-duckdb-floor.mjs <log> [<log>...] <out.parquet> [threads]
 *
 * Several logs (a folder of them, one per virtual host) are read in the same query, as one list of files; their rows
 * all go to the one Parquet file. The output is the argument that ends in `.parquet`.
 *
 * Plain JavaScript, run by node itself: no TypeScript loader start-up is counted against DuckDB.
 */
import { cpus } from "node:os";
import { DuckDBInstance } from "@duckdb/node-api";

const args = process.argv.slice(2);
const at = args.findLastIndex((arg) => arg.endsWith(".parquet"));
const logs = args.slice(0, Math.max(0, at));
const out = at >= 0 ? args[at] : undefined;
const threadsArg = at >= 0 ? args[at + 1] : undefined;
if (logs.length === 0 || out === undefined || args.length > at + 2)
  throw new Error("usage: bench-duckdb-floor.mjs <log> [<log>...] <out.parquet> [threads]");
const threads = Number(threadsArg ?? cpus().length);
const quote = (text) => `'${text.replaceAll("'", "''")}'`;
// One file as before; several as DuckDB's list of files.
const files = logs.length === 1 ? quote(logs[0]) : `[${logs.map(quote).join(", ")}]`;

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
      FROM read_csv(${files}, columns = {'line': 'VARCHAR'}, delim = '\\x1f', quote = '', escape = '',
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
