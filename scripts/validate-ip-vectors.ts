/**
 * Prints every vector of ../shared/validation/ip-vectors.md next to logsieve's output: ours vs theirs.
 *
 * The two tables of the file (GoAccess levels, Matomo byte counts) are read from the Markdown itself; the vectors
 * written in prose (Google Analytics, VRL, ipaddr.js, Matomo's parsing cases, ALB shapes) come from the test table
 * test/unit/core/anonymize/ip-vectors.ts, and each of their inputs is checked to appear in the Markdown.
 *
 * Run from the project root: `npx tsx scripts/validate-ip-vectors.ts [--bench]`. Exit code 1 on any unexplained
 * difference.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ipaddr from "ipaddr.js";
import { loadGeoLookup } from "../functions/adapters/geo/mmdb-geo.ts";
import {
  type PrefixLengths,
  parseClientAddress,
  truncate,
  truncatedAddress,
} from "../functions/core/anonymize/ip.ts";
import {
  GOACCESS_LEVELS,
  GOOGLE_ANALYTICS,
  MATOMO,
  MATOMO_LEVELS,
  PARSE_VECTORS,
  VRL,
} from "../test/unit/core/anonymize/ip-vectors.ts";

const MD_PATH = join(import.meta.dirname, "..", "..", "shared", "validation", "ip-vectors.md");
const markdown = readFileSync(MD_PATH, "utf8");

interface Row {
  readonly source: string;
  readonly input: string;
  readonly setting: string;
  readonly theirs: string;
  readonly ours: string;
  readonly verdict: string;
}

const rows: Row[] = [];
let unexplained = 0;

/** `192.168.20.0` (man-page example) → `192.168.20.0`; `same` → the input. */
function cell(text: string, input: string): string {
  const code = /`([^`]*)`/.exec(text);
  if (code?.[1] !== undefined) return code[1];
  return text.trim() === "same" ? input : text.trim();
}

/** The rows of the Markdown table under the heading that starts with `heading`. */
function markdownTable(heading: string): string[][] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`ip-vectors.md has no section "${heading}"`);
  const lines = markdown.slice(start).split("\n");
  const tableStart = lines.findIndex((l) => l.startsWith("|"));
  const table: string[][] = [];
  for (const line of lines.slice(tableStart)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").slice(1, -1);
    if (cells.every((c) => /^-+$/.test(c.trim()))) continue;
    table.push(cells);
  }
  return table.slice(1); // without the header
}

function ours(input: string, prefixes: PrefixLengths): string {
  const addr = parseClientAddress(input);
  return addr === null ? "(refused)" : truncatedAddress(addr, prefixes);
}

/** Our output written the way the other project writes it, for comparison (`::ffff:a.b.c.d` stays IPv6 text). */
function compare(
  source: string,
  input: string,
  prefixes: PrefixLengths,
  theirs: string,
  explained?: string,
): void {
  const mine = ours(input, prefixes);
  const setting = `/${prefixes.ipv4Prefix} /${prefixes.ipv6Prefix}`;
  let verdict = mine === theirs ? "same" : `DIFFERENT${explained === undefined ? "" : `: ${explained}`}`;
  if (mine !== theirs && theirs.startsWith("::ffff:") && parseClientAddress(theirs)?.address === mine) {
    verdict = "same network (we write IPv4-mapped addresses as IPv4)";
  }
  if (verdict === "DIFFERENT") unexplained++;
  rows.push({ source, input, setting, theirs, ours: mine, verdict });
}

// 1. GoAccess, table read from the Markdown.
for (const cells of markdownTable("## 1. GoAccess")) {
  const input = cell(cells[0] ?? "", "");
  ([1, 2, 3] as const).forEach((level) => {
    const theirs = cell(cells[level] ?? "", input);
    const mapped = input.startsWith("::ffff:")
      ? "GoAccess masks IPv4-mapped as IPv6 and wipes it; we truncate the IPv4 it carries"
      : undefined;
    compare(`GoAccess level ${level}`, input, GOACCESS_LEVELS[level], theirs, mapped);
  });
}

// 2. Google Analytics (prose).
for (const v of GOOGLE_ANALYTICS) compare(v.source, v.input, v, v.theirs);

// 3. Matomo, table read from the Markdown, plus the mapped case in prose.
for (const cells of markdownTable("## 3. Matomo")) {
  const input = cell(cells[0] ?? "", "");
  MATOMO_LEVELS.forEach((prefixes, level) => {
    compare(`Matomo anonymize(${level})`, input, prefixes, cell(cells[level + 1] ?? "", input));
  });
}
for (const v of MATOMO.filter((m) => m.note !== undefined)) compare(v.source, v.input, v, v.theirs);

// 4. VRL ip_subnet (prose).
for (const v of VRL) compare(v.source, v.input, v, v.theirs);

// 5./6. Parsing vectors (prose).
const parseRows: Row[] = [];
for (const v of PARSE_VECTORS) {
  const addr = parseClientAddress(v.input);
  const mine = addr === null ? "(refused)" : `${addr.kind} ${addr.address}`;
  const expected = v.ours === null ? "(refused)" : `${v.ours.kind} ${v.ours.address}`;
  const matches = mine === expected;
  if (!matches) unexplained++;
  parseRows.push({
    source: v.source,
    input: JSON.stringify(v.input),
    setting: "",
    theirs: v.theirs,
    ours: mine,
    verdict: matches ? (v.note ?? "as expected") : `UNEXPECTED (expected ${expected})`,
  });
}

// Every prose input must come from the Markdown; a few are written there in another form.
const WRITTEN_AS: Readonly<Record<string, string>> = {
  "2001:db8:f53a::1%WAT": "`%WAT`",
  "2001:db8:f53a::1%sUp": "`%sUp`",
  "0:0:ff:ff:0:0:ff:ff": "`[0,0,0xff,0xff,0,0,0xff,0xff]`",
  "2001:db8:0:0:1:0:0:1": "`[0x2001,0xdb8,0,0,1,0,0,1]`",
};
const missingFromMarkdown = [...GOOGLE_ANALYTICS, ...VRL, ...PARSE_VECTORS]
  .map((v) => v.input)
  .filter((input) => input.length > 0 && !markdown.includes(WRITTEN_AS[input] ?? input));

function print(title: string, table: readonly Row[], columns: readonly (keyof Row)[]): void {
  const header = Object.fromEntries(columns.map((c) => [c, c])) as unknown as Row;
  const all = [header, ...table];
  const widths = columns.map((c) => Math.min(48, Math.max(...all.map((r) => r[c].length))));
  console.log(`\n## ${title}`);
  for (const r of all) console.log(columns.map((c, i) => r[c].padEnd(widths[i] ?? 0)).join("  "));
}

print("Truncation (network address, without /length)", rows, [
  "source",
  "input",
  "setting",
  "theirs",
  "ours",
  "verdict",
]);
print("Parsing", parseRows, ["source", "input", "theirs", "ours", "verdict"]);
const same = rows.filter((r) => r.verdict.startsWith("same")).length;
console.log(
  `\n${rows.length} truncation vectors: ${same} same, ${rows.length - same} different (explained above); ` +
    `${parseRows.length} parsing vectors; ${unexplained} unexplained differences.`,
);
if (missingFromMarkdown.length > 0) {
  console.log(`inputs not found in ip-vectors.md: ${missingFromMarkdown.join(", ")}`);
  unexplained += missingFromMarkdown.length;
}

function bench(): void {
  const v4 = Array.from(
    { length: 4096 },
    (_, i) => `${(i * 7919) % 223}.${(i * 31) % 256}.${i % 256}.${(i * 13) % 256}`,
  );
  const v6 = Array.from(
    { length: 4096 },
    (_, i) =>
      `2a0${i % 10}:${((i * 7919) & 0xffff).toString(16)}:${((i * 31) & 0xffff).toString(16)}:${i.toString(16)}:${((i * 17) & 0xffff).toString(16)}::${((i * 13) & 0xffff).toString(16)}`,
  );
  const alb = v6.map((a, i) => `[${a}]:${1024 + i}`);
  const ours = (input: string): number => {
    const addr = parseClientAddress(input);
    return addr === null ? 0 : truncate(addr).length;
  };
  // The same work with ipaddr.js, for a ratio that survives a noisy machine (it accepts more, see the doc).
  const theirs = (input: string): number => {
    const bracket = input.startsWith("[") ? input.slice(1, input.indexOf("]")) : input;
    const addr = ipaddr.process(bracket);
    const bits = addr.kind() === "ipv4" ? 24 : 48;
    const bytes = addr.toByteArray().map((b, i) => (i * 8 >= bits ? 0 : b));
    return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`.length;
  };
  const iterations = 500_000;
  const run = (inputs: readonly string[], f: (input: string) => number): number => {
    let ns = 0;
    for (let round = 0; round < 3; round++) {
      let sink = 0;
      const started = performance.now();
      for (let i = 0; i < iterations; i++) sink += f(inputs[i & 4095] ?? "");
      ns = ((performance.now() - started) * 1e6) / iterations;
      if (sink < 0) console.log(sink);
    }
    return ns;
  };
  for (const [name, inputs] of [
    ["IPv4", v4],
    ["IPv6", v6],
    ["[IPv6]:port", alb],
  ] as const) {
    const mine = run(inputs, ours);
    const other = run(inputs, theirs);
    console.log(
      `parseClientAddress + truncate, ${name}: ${mine.toFixed(0)} ns/op; ipaddr.js doing the same: ${other.toFixed(0)} ns/op (×${(other / mine).toFixed(1)})`,
    );
  }
}

async function benchGeo(): Promise<void> {
  const started = performance.now();
  const geo = await loadGeoLookup({});
  console.log(`loadGeoLookup (bundled country DB): ${(performance.now() - started).toFixed(0)} ms`);
  const addresses = Array.from({ length: 100_000 }, (_, i) =>
    i % 2 === 0
      ? `${1 + ((i * 7919) % 222)}.${(i * 31) % 256}.${(i * 17) % 256}.${i % 256}`
      : `2a0${i % 10}:${((i * 7919) & 0xffff).toString(16)}:${((i * 31) & 0xffff).toString(16)}::1`,
  );
  for (let round = 0; round < 2; round++) {
    let known = 0;
    const t = performance.now();
    for (const ip of addresses) if (geo.country(ip) !== null) known++;
    const ns = ((performance.now() - t) * 1e6) / addresses.length;
    if (round === 1)
      console.log(`geo.country (bundled, half IPv4 half IPv6): ${ns.toFixed(0)} ns/op (${known} known)`);
  }
}

if (process.argv.includes("--bench")) {
  bench();
  await benchGeo();
}
process.exitCode = unexplained === 0 ? 0 : 1;
