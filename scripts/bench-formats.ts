/**
 * Parser speed of formats compiled from the operator's own line against the hand-written combined parser, on the
 * same real lines (the Elastic Apache log of ../shared/validation, 10,000 combined lines): the combined layout
 * written as an nginx log_format, as an Apache LogFormat and as a GoAccess log-format, each compiled once.
 *
 * CPU time per line (user + system), parse only (lines already decoded, as the line reader hands them over). Each
 * measurement runs in a fresh process of its own (one format per process, as in a real ingest: the JIT sees one
 * parser, not four), warms up with two passes, then measures PASSES passes; each round runs every format once, in a
 * rotating order, and the best and the median of ROUNDS rounds are printed with the ratio to the built-in parser. A
 * figure, not a test: the target (within 20 % of combined) is checked and printed, and the exit code says whether it
 * held.
 *
 *   npx tsx scripts/bench-formats.ts [rounds=9] [passes=20]
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { compileFormatSpec, createParser, type FormatChoice } from "../functions/core/parse/index.ts";
import { validationDir } from "./validation-dir.ts";

const ONLY = process.argv[2] === "--only" ? Number(process.argv[3]) : null;
const ROUNDS = ONLY === null ? Number(process.argv[2] ?? 9) : 1;
const PASSES = Number((ONLY === null ? process.argv[3] : process.argv[4]) ?? 20);
const TARGET = 1.2;

const lines = readFileSync(join(validationDir(), "logs", "elastic_apache_logs.log"), "utf8")
  .split("\n")
  .filter((l) => l.length > 0);

const CANDIDATES: readonly { name: string; format: FormatChoice }[] = [
  { name: "built-in combined", format: "combined" },
  {
    name: "--nginx-format (combined)",
    format: compileFormatSpec({
      nginx:
        'log_format combined \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"\';',
    }),
  },
  {
    name: "--apache-format (combined)",
    format: compileFormatSpec({
      apache: 'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
    }),
  },
  {
    name: "--goaccess-format (combined)",
    format: compileFormatSpec({
      goaccess: '%h %^[%d:%t %^] "%r" %s %b "%R" "%u"',
      dateFormat: "%d/%b/%Y",
      timeFormat: "%H:%M:%S",
    }),
  },
];

/** CPU nanoseconds per line of one run of PASSES passes; the accepted count keeps the work from being optimized away. */
function run(format: FormatChoice): { ns: number; accepted: number } {
  const parser = createParser(format);
  let accepted = 0;
  const started = process.cpuUsage();
  for (let pass = 0; pass < PASSES; pass++)
    for (const line of lines) if (parser.parse(line).ok === true) accepted++;
  const used = process.cpuUsage(started);
  return { ns: ((used.user + used.system) * 1000) / (PASSES * lines.length), accepted };
}

if (ONLY !== null) {
  // A child: one format, warmed up, then measured; prints its nanoseconds per line.
  const c = CANDIDATES[ONLY] as (typeof CANDIDATES)[number];
  for (let w = 0; w < 2; w++) run(c.format);
  const { ns, accepted } = run(c.format);
  if (accepted !== PASSES * lines.length)
    throw new Error(`${c.name} accepted ${accepted} of ${PASSES * lines.length}`);
  process.stdout.write(`${ns}\n`);
  process.exit(0);
}

const samples = new Map<string, number[]>(CANDIDATES.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < CANDIDATES.length; k++) {
    const index = (round + k) % CANDIDATES.length;
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", import.meta.filename, "--only", String(index), String(PASSES)],
      { encoding: "utf8" },
    );
    samples.get((CANDIDATES[index] as (typeof CANDIDATES)[number]).name)?.push(Number(out.trim()));
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = samples.get("built-in combined") ?? [];
const baseBest = Math.min(...base);
const baseMedian = median(base);
console.log(
  `${lines.length} lines × ${PASSES} passes × ${ROUNDS} rounds; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}; node ${process.version}\n`,
);
console.log("| parser | best ns/line | median ns/line | median / built-in |");
console.log("|---|---:|---:|---:|");
let held = true;
for (const c of CANDIDATES) {
  const xs = samples.get(c.name) ?? [];
  const ratio = median(xs) / baseMedian;
  if (ratio > TARGET) held = false;
  console.log(
    `| ${c.name} | ${Math.min(...xs).toFixed(0)} | ${median(xs).toFixed(0)} | ${ratio.toFixed(2)} (best ${(Math.min(...xs) / baseBest).toFixed(2)}) |`,
  );
}
console.log(
  `\ntarget: every compiled format within ${Math.round((TARGET - 1) * 100)} % of built-in combined (median): ${held ? "held" : "MISSED"}`,
);
process.exitCode = held ? 0 : 1;
