/**
 * Validates the log-line parsers against material written outside this project (../shared/validation):
 *
 * 1. every log under ../shared/validation/logs/ (recursively, plain and .gz): detected format, lines, accepted,
 *    rejected by reason, skipped; GoAccess's totals (valid requests, bandwidth, status classes) where it has a report;
 * 2. hard checks: the Apache error log is 100% rejected (by every parser), Elastic line 8899 is accepted;
 * 3. Vector's VRL parser test vectors (ALB, nginx, Apache, common): the fields we keep compared one by one,
 *    with the reason for every deliberate difference;
 * 4. a speed figure for the hot format (combined), printed, never asserted.
 *
 * Run: npx tsx scripts/validate-parsers.ts   (exit code 1 when a hard check or an unexplained mismatch fails)
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { createParser, DETECT_SAMPLE_LINES, detectFormat } from "../functions/core/parse/index.ts";
import { type AccessRecord, LOG_FORMATS, type LogFormat, type ParseResult } from "../functions/core/types.ts";

const REPO = new URL("../", import.meta.url);
const VALIDATION = new URL("../shared/validation/", REPO);
const LOGS = new URL("logs/", VALIDATION);

let failures = 0;
function check(ok: boolean, what: string): void {
  console.log(`${ok ? "PASS" : "FAIL"}  ${what}`);
  if (!ok) failures++;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = `${dir}/${name}`;
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

function linesOf(bytes: Uint8Array): string[] {
  const text = new TextDecoder("utf-8").decode(bytes);
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

interface Tally {
  format: LogFormat | null;
  lines: number;
  accepted: number;
  skipped: number;
  rejected: Record<string, number>;
  bytes: number;
  statusClasses: Record<string, number>;
  results: ParseResult[];
}

function tally(lines: readonly string[]): Tally {
  const format = detectFormat(lines.slice(0, DETECT_SAMPLE_LINES));
  const t: Tally = {
    format,
    lines: lines.length,
    accepted: 0,
    skipped: 0,
    rejected: {},
    bytes: 0,
    statusClasses: {},
    results: [],
  };
  const parser = format === null ? null : createParser(format);
  for (const line of lines) {
    if (parser === null) {
      // What the pipeline does without a format: blank lines skipped, the rest rejected as unknown_format.
      if (line.trim().length === 0) t.skipped++;
      else t.rejected.unknown_format = (t.rejected.unknown_format ?? 0) + 1;
      continue;
    }
    const r = parser.parse(line);
    t.results.push(r);
    if (r.ok === true) {
      t.accepted++;
      t.bytes += r.record.bytes;
      const cls = r.record.status === null ? "none" : `${String(r.record.status)[0]}xx`;
      t.statusClasses[cls] = (t.statusClasses[cls] ?? 0) + 1;
    } else if (r.ok === "skip") t.skipped++;
    else t.rejected[r.rejection.reason] = (t.rejected[r.rejection.reason] ?? 0) + 1;
  }
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Every log file
// ---------------------------------------------------------------------------------------------------------

/** GoAccess reports (goaccess-reference/README.md) for the logs it was run on. */
const GOACCESS: Readonly<Record<string, string>> = {
  "elastic_apache_logs.log": "elastic_apache_logs.default.json",
  "aws/cloudfront_docs_example.log": "cloudfront_docs.json",
  "aws/alb_docs_examples.log": "alb_docs.json",
  "matomo-log-analytics/alb.log": "matomo_alb.json",
  "matomo-log-analytics/amazon_cloudfront_web.log": "matomo_cloudfront_web.json",
  "matomo-log-analytics/common.log": "matomo_common.json",
  "matomo-log-analytics/ncsa_extended.log": "matomo_ncsa_extended.json",
};

interface GoAccessReport {
  general: { valid_requests: number; bandwidth: number };
  status_codes?: { data: { data: string; hits: { count: number } }[] };
}

const logsDir = fileURLToPath(LOGS).replace(/\/$/, "");
const tallies = new Map<string, Tally>();
console.log("== Logs under ../shared/validation/logs/\n");
console.log(
  `${"file".padEnd(52)} ${"format".padEnd(15)} ${"lines".padStart(6)} ${"accepted".padStart(8)} ${"skipped".padStart(7)}  rejected by reason`,
);
for (const path of walk(logsDir)) {
  const rel = path.slice(logsDir.length + 1);
  if (rel.endsWith("LICENSE")) continue;
  if (rel.endsWith(".bz2")) {
    console.log(
      `${rel.padEnd(52)} (bzip2: not an input format we read; the same log exists as .log and .gz)`,
    );
    continue;
  }
  let raw: Uint8Array = readFileSync(path);
  if (rel.endsWith(".gz")) raw = gunzipSync(raw);
  const t = tally(linesOf(raw));
  tallies.set(rel, t);
  const rej = Object.entries(t.rejected)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(
    `${rel.padEnd(52)} ${String(t.format).padEnd(15)} ${String(t.lines).padStart(6)} ${String(t.accepted).padStart(8)} ${String(t.skipped).padStart(7)}  ${rej || "-"}`,
  );
}

console.log("\n== Oracles: GoAccess 1.7 reports of the same files\n");
for (const [rel, report] of Object.entries(GOACCESS)) {
  const t = tallies.get(rel);
  if (t === undefined) {
    check(false, `${rel}: file missing`);
    continue;
  }
  const g = JSON.parse(
    readFileSync(new URL(`goaccess-reference/${report}`, VALIDATION), "utf8"),
  ) as GoAccessReport;
  const theirs: Record<string, number> = {};
  for (const s of g.status_codes?.data ?? []) theirs[`${s.data[0]}xx`] = s.hits.count;
  const ours = Object.fromEntries(Object.entries(t.statusClasses).filter(([k]) => k !== "none"));
  const sameStatus =
    JSON.stringify(Object.entries(ours).sort()) === JSON.stringify(Object.entries(theirs).sort());
  check(
    t.accepted === g.general.valid_requests && t.bytes === g.general.bandwidth && sameStatus,
    `${rel}: accepted ${t.accepted} / GoAccess valid ${g.general.valid_requests}; bytes ${t.bytes} / bandwidth ${g.general.bandwidth}; status classes ${JSON.stringify(ours)} / ${JSON.stringify(theirs)}`,
  );
}

console.log("\n== Hard checks\n");
{
  const rel = "negative/loghub_Apache_2k_errorlog.log";
  const lines = linesOf(readFileSync(`${logsDir}/${rel}`));
  const acceptedBy = LOG_FORMATS.map((f) => {
    const p = createParser(f);
    return [f, lines.filter((l) => p.parse(l).ok === true).length] as const;
  }).filter(([, n]) => n > 0);
  const t = tallies.get(rel);
  check(
    t !== undefined && t.accepted === 0 && t.skipped === 0 && acceptedBy.length === 0,
    `${rel}: ${lines.length} lines, detected ${String(t?.format)}, 100% rejected; accepted by any parser: ${acceptedBy.length === 0 ? "none" : JSON.stringify(acceptedBy)}`,
  );
  const combined = createParser("combined");
  const reasons = new Set(
    lines.map((l) => combined.parse(l)).map((r) => (r.ok === false ? r.rejection.reason : "not rejected")),
  );
  check(
    reasons.size === 1 && reasons.has("malformed"),
    `${rel}: forced through the combined parser every line is 'malformed' (${[...reasons].join(", ")})`,
  );
}
{
  const elastic = tallies.get("elastic_apache_logs.log");
  const r = elastic?.results[8898];
  check(
    r?.ok === true &&
      r.record.userAgent === "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html" &&
      r.record.status === 200,
    "elastic_apache_logs.log line 8899 (user agent without closing quote) accepted, user agent = rest of the line",
  );
  check(
    elastic?.accepted === 10_000,
    `elastic_apache_logs.log: ${elastic?.accepted} of 10000 lines accepted`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// 3. VRL parser vectors
// ---------------------------------------------------------------------------------------------------------

interface Vector {
  name: string;
  input: string;
  other_args: string;
  want_raw: string;
}

/** Key/value pairs of a VRL expectation (`"key" => value` or `key: value`), values as JS values. */
function expectedFields(raw: string): Record<string, string | number | null> | "error" {
  if (raw.trimStart().startsWith("Err(")) return "error";
  const out: Record<string, string | number | null> = {};
  // One pair per line in VRL's expectations; the first may follow `Ok(value!({` on the same line.
  const pair =
    /^\s*(?:Ok\(value!\s?\(?\{)?"?([a-z_]+)"?\s?(?:=>|:)\s?(?:Value::Timestamp\(DateTime::parse_from_rfc3339\("([^"]*)"\)|r"([^"]*)"|"((?:[^"\\]|\\.)*)"|\((-?[0-9.]+)\)|(-?[0-9][0-9_.]*)|(null))/;
  for (const line of raw.split("\n")) {
    const m = pair.exec(line);
    if (m === null) continue;
    const key = m[1] ?? "";
    if (m[2] !== undefined) out[key] = m[2];
    else if (m[3] !== undefined) out[key] = m[3];
    else if (m[4] !== undefined) out[key] = m[4].replace(/\\(["\\])/g, "$1");
    else if (m[5] !== undefined) out[key] = Number(m[5]);
    else if (m[6] !== undefined) out[key] = Number(m[6].replaceAll("_", ""));
    else out[key] = null;
  }
  return out;
}

/** Our fields under VRL's names, for each VRL field name that maps to one of ours. */
function ourView(r: AccessRecord): Record<string, string | number | null> {
  const request =
    r.method === null ? r.target : `${r.method} ${r.target}${r.protocol === null ? "" : ` ${r.protocol}`}`;
  return {
    client: r.clientIp,
    host: r.clientIp, // Apache's "host" is %h, the client
    remote_addr: r.clientIp,
    timestamp: r.timestampMs,
    request,
    message: request,
    method: r.method,
    path: r.target,
    protocol: r.protocol,
    status: r.status,
    size: r.bytes,
    body_bytes_size: r.bytes,
    referer: r.referrer,
    referrer: r.referrer,
    http_referer: r.referrer,
    agent: r.userAgent,
    http_user_agent: r.userAgent,
    http_x_forwarded_for: r.forwardedFor,
  };
}

function albView(r: AccessRecord): Record<string, string | number | null> {
  return {
    timestamp: r.timestampMs,
    request_method: r.method,
    request_protocol: r.protocol,
    elb_status_code: r.status === null ? null : String(r.status),
    sent_bytes: r.bytes,
    user_agent: r.userAgent,
  };
}

/** Normalizes VRL's expectation to our conventions before comparing; see the notes printed with each use. */
function normalizeExpected(key: string, v: string | number | null): string | number | null {
  if (key === "timestamp" && typeof v === "string") return Date.parse(v);
  if (["referer", "referrer", "http_referer", "agent", "http_user_agent", "user_agent"].includes(key)) {
    return v === "-" || v === "" ? null : v;
  }
  return v;
}

const NOTES: Record<string, string> = {
  dash: "VRL keeps '-'/'' for an absent referrer or user agent; we store null (deliberate, normalized before comparing)",
  port: "ALB client_host carries ':port'; we strip the port (the ALB grammar always appends it; this makes IPv6 unambiguous)",
  url: "ALB request_url is split by us into host (lower-case, no port) and target (path+query); compared through the WHATWG URL parser",
  error:
    "VRL parses nginx/Apache *error* logs with format 'error'; we read access logs only: such lines are rejected (deliberate)",
  empty:
    "VRL accepts a line of dashes with no client and no time as an empty record; we reject it (nothing to count: no client, no time)",
  tsformat:
    "VRL was given a custom timestamp_format; our CLF parsers read the standard %t form only (deliberate)",
  badurl:
    "the ALB logged an unparseable request ('- http://host:80- -'); VRL keeps request_url, we keep host and target '-' (deliberate)",
};

console.log("\n== VRL parser vectors (vectordotdev/vrl stdlib tests)\n");
const vectors = JSON.parse(
  readFileSync(new URL("parser-vectors/vrl_parse_vectors.json", VALIDATION), "utf8"),
) as Record<string, Vector[]>;
let matches = 0;
let deliberate = 0;
let mismatches = 0;
const notesUsed = new Set<string>();

function formatFor(file: string, args: string): LogFormat | "error" | "custom" {
  if (file.startsWith("parse_aws_alb")) return "alb";
  if (file.startsWith("parse_common_log")) return args.includes("timestamp_format") ? "custom" : "common";
  if (args.includes('"error"')) return "error";
  if (args.includes("timestamp_format")) return "custom";
  if (args.includes('"common"')) return "common";
  return "combined"; // nginx combined / main / ingress_upstreaminfo, Apache combined
}

for (const [file, cases] of Object.entries(vectors)) {
  if (file.startsWith("ip_subnet")) continue; // IP truncation vectors: the anonymize module's concern
  for (const v of cases) {
    const fmt = formatFor(file, v.other_args);
    const want = expectedFields(v.want_raw);
    const label = `${file.replace(".rs", "")}/${v.name}`;
    const parsedFormat: LogFormat = fmt === "error" || fmt === "custom" ? "combined" : fmt;
    const r = createParser(parsedFormat).parse(v.input);

    if (fmt === "error" || fmt === "custom" || want === "error" || Object.keys(want).length === 0) {
      // Cases we are expected to reject (VRL Err), or that we reject deliberately.
      const rejectedByAll = LOG_FORMATS.every((f) => createParser(f).parse(v.input).ok !== true);
      if (want === "error") {
        if (rejectedByAll) matches++;
        else mismatches++;
        console.log(
          `${rejectedByAll ? "match   " : "MISMATCH"}  ${label}: VRL rejects; we ${rejectedByAll ? "reject" : "accept"}`,
        );
      } else {
        const note = fmt === "error" ? "error" : fmt === "custom" ? "tsformat" : "empty";
        notesUsed.add(note);
        deliberate++;
        console.log(
          `deliberate ${label}: VRL accepts, we reject [${note}]${rejectedByAll ? "" : " (BUT SOME PARSER ACCEPTS)"}`,
        );
        if (!rejectedByAll) mismatches++;
      }
      continue;
    }
    if (r.ok !== true) {
      mismatches++;
      console.log(
        `MISMATCH  ${label}: VRL accepts, we reject (${r.ok === false ? r.rejection.reason : "skip"})`,
      );
      continue;
    }
    const ours = fmt === "alb" ? albView(r.record) : ourView(r.record);
    const diffs: string[] = [];
    const notes = new Set<string>();
    let compared = 0;
    for (const [key, rawValue] of Object.entries(want)) {
      if (!(key in ours)) continue;
      compared++;
      const expected = normalizeExpected(key, rawValue);
      if (expected !== rawValue && (rawValue === "-" || rawValue === "")) notes.add("dash");
      if (ours[key] !== expected)
        diffs.push(`${key}: VRL ${JSON.stringify(expected)} / ours ${JSON.stringify(ours[key])}`);
    }
    if (fmt === "alb") {
      const clientHost = String(want.client_host ?? "");
      if (r.record.clientIp !== clientHost.slice(0, clientHost.lastIndexOf(":")))
        diffs.push(`client_host: VRL ${clientHost} / ours ${r.record.clientIp}`);
      notes.add("port");
      const url = String(want.request_url ?? "");
      if (URL.canParse(url)) {
        const u = new URL(url);
        const host = u.hostname.replace(/^\[|\]$/g, "");
        if (r.record.host !== host) diffs.push(`host: URL ${host} / ours ${r.record.host}`);
        if (r.record.target !== u.pathname + u.search)
          diffs.push(`target: URL ${u.pathname + u.search} / ours ${r.record.target}`);
        notes.add("url");
      } else notes.add("badurl");
    }
    for (const n of notes) notesUsed.add(n);
    if (compared < 4) diffs.push(`only ${compared} fields could be compared`);
    if (diffs.length === 0) {
      matches++;
      console.log(
        `match     ${label} (${compared} fields)${notes.size > 0 ? ` [${[...notes].join(", ")}]` : ""}`,
      );
    } else {
      mismatches++;
      console.log(`MISMATCH  ${label}: ${diffs.join("; ")}`);
    }
  }
}
console.log(
  `\nVRL vectors: ${matches} match, ${deliberate} deliberate differences, ${mismatches} mismatches`,
);
for (const n of notesUsed) console.log(`  [${n}] ${NOTES[n]}`);
check(mismatches === 0, "VRL vectors: no unexplained mismatch");

console.log(
  "\n== Speed (a figure, not a check): combined parser over the Elastic log, lines decoded one by one as the line reader does,\n   best of 5 rounds of 20 passes (wall clock and CPU time of this process)",
);
{
  const bytes = readFileSync(`${logsDir}/elastic_apache_logs.log`);
  const decoder = new TextDecoder("utf-8");
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    if (end > start) lines.push(decoder.decode(bytes.subarray(start, end)));
    start = end + 1;
  }
  let bestWall = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const parser = createParser("combined");
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let pass = 0; pass < 20; pass++)
      for (const line of lines) if (parser.parse(line).ok === true) sink++;
    const n = 20 * lines.length;
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - started) / n);
    const used = process.cpuUsage(cpu);
    bestCpu = Math.min(bestCpu, ((used.user + used.system) * 1000) / n);
  }
  console.log(
    `  wall ${bestWall.toFixed(0)} ns/line (${(1e3 / bestWall).toFixed(2)} M lines/s), CPU ${bestCpu.toFixed(0)} ns/line; ${sink} lines accepted in all`,
  );
}

console.log("\n== Not supported (rejected or not detected, by design)");
console.log(
  "  Classic ELB, S3 server access, haproxy, Gandi '(0 s)', icecast extra fields (read as combined), OVH '%h %v %u' (read as combined,\n" +
    "  vhost ignored), IIS advanced logging with local time only (date-local/time-local), custom date formats, bzip2 files,\n" +
    "  nginx/Apache error logs.",
);

console.log(`\n${failures === 0 ? "ALL CHECKS PASSED" : `${failures} CHECK(S) FAILED`}`);
process.exitCode = failures === 0 ? 0 : 1;
