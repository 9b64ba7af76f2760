import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { REJECT_REASONS } from "../../functions/core/ingest/reasons.ts";
import { createParser } from "../../functions/core/parse/index.ts";
import type { LineParser } from "../../functions/core/parse/parser.ts";
import { LOG_FORMATS, type LogFormat, type ParseResult } from "../../functions/core/types.ts";

/**
 * Fuzzing every parser: valid lines of all formats, mutated (byte flips, truncation, duplication, inserted
 * quotes / NUL / CR / backslashes / ANSI escapes / invalid UTF-8 / huge fields, splices) plus random lines.
 * For each line: no exception, exactly one well-formed ParseResult, records within the field rules,
 * rejections with a reason from the closed list and a fixed detail (a small set of texts, never the input).
 */

const LINES_PER_FORMAT = 100_000;
const SEED = 0x5eed_2024;

function fixture(name: string): string[] {
  return readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
}

const SEEDS: Readonly<Record<LogFormat, readonly string[]>> = {
  combined: [...fixture("elastic_apache_sample.log").slice(0, 40), ...fixture("combined_nginx.log")],
  common: fixture("common.log"),
  "vhost-combined": fixture("vhost_combined.log"),
  cloudfront: fixture("aws_cloudfront_docs.log"),
  w3c: [...fixture("iis_w3c.log"), ...fixture("iis_default.log")],
  alb: fixture("aws_alb_docs.log"),
  elb: fixture("elb_classic.log"),
  s3: fixture("s3_access.log"),
  haproxy: fixture("haproxy_http.log"),
  caddy: fixture("caddy_json.log"),
  traefik: fixture("traefik_clf.log"),
  "traefik-json": fixture("traefik_json.log"),
  squid: fixture("squid_native.log"),
  jsonl: [...fixture("nginx_json.log"), ...fixture("caddy_json.log"), ...fixture("traefik_json.log")],
};
const ALL_SEEDS: readonly string[] = Object.values(SEEDS).flat();

/** The project's seeded PRNG (mulberry32), so every run mutates the same way. */
const prng = seededRandom;

const NASTY = [
  '"',
  "\\",
  '\\"',
  " ",
  "\t",
  "\u0000",
  "\r",
  "[",
  "]",
  "%",
  "%zz",
  "%E9",
  "{",
  "}",
  ":",
  "-",
  "#",
  "\u001b[31m",
  "\ufffd",
  "\ud800",
  "\udfff",
  "999",
  "0",
  "\u3130",
  '"}',
  "\\u",
  "#Fields: date time c-ip cs-uri-stem",
];

function mutate(line: string, rnd: () => number, pick: (n: number) => number): string {
  let s = line;
  const steps = 1 + pick(3);
  for (let k = 0; k < steps; k++) {
    const at = pick(s.length + 1);
    switch (pick(9)) {
      case 0: // flip one character to any code unit
        s = s.slice(0, at) + String.fromCharCode(pick(0x10000)) + s.slice(at + 1);
        break;
      case 1: // flip one character to an ASCII one
        s = s.slice(0, at) + String.fromCharCode(pick(128)) + s.slice(at + 1);
        break;
      case 2: // truncate
        s = s.slice(0, at);
        break;
      case 3: {
        // duplicate a segment
        const len = pick(Math.min(64, s.length - at) + 1);
        s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
        break;
      }
      case 4: // insert a troublesome token
        s = s.slice(0, at) + (NASTY[pick(NASTY.length)] ?? "") + s.slice(at);
        break;
      case 5: {
        // delete a segment
        const len = pick(32);
        s = s.slice(0, at) + s.slice(at + len);
        break;
      }
      case 6: // splice with another format's line
        s = s.slice(0, at) + (ALL_SEEDS[pick(ALL_SEEDS.length)] ?? "").slice(pick(200));
        break;
      case 7: // a huge field, rarely (keeps the test fast)
        if (rnd() < 0.02)
          s = s.slice(0, at) + (NASTY[pick(NASTY.length)] ?? "x").repeat(1000 + pick(30_000)) + s.slice(at);
        break;
      default: {
        // swap a digit for another digit (keeps the shape, moves values across their limits)
        const d = s.slice(at).search(/\d/);
        if (d >= 0) s = s.slice(0, at + d) + String(pick(10)) + s.slice(at + d + 1);
      }
    }
  }
  return s;
}

function randomLine(pick: (n: number) => number): string {
  const len = pick(160);
  let s = "";
  for (let i = 0; i < len; i++)
    s += pick(4) === 0 ? (NASTY[pick(NASTY.length)] ?? "") : String.fromCharCode(32 + pick(95));
  return s;
}

/**
 * Any UTF-16 code unit (lone surrogates included, as a lenient decoder may hand over) or, as often, a printable
 * ASCII character (so that structure characters come up). Cheaper to set up than fast-check's "binary" unit.
 */
const codeUnit = fc
  .oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 32, max: 126 }))
  .map((c) => String.fromCharCode(c));

const REASONS: ReadonlySet<string> = new Set(Object.keys(REJECT_REASONS));
const METHOD = /^[A-Z][A-Z_-]*$/;

/** Checks one result; returns a description of what is wrong, or null. Collects rejection details. */
function violation(r: ParseResult, details: Set<string>): string | null {
  if (r === null || typeof r !== "object") return "not an object";
  if (r.ok === "skip") return r.why === "blank" || r.why === "directive" ? null : "bad skip";
  if (r.ok === false) {
    if (!REASONS.has(r.rejection.reason)) return "unknown reason";
    if (typeof r.rejection.detail !== "string" || r.rejection.detail.length > 120) return "bad detail";
    details.add(r.rejection.detail);
    return null;
  }
  if (r.ok !== true) return "bad ok";
  const x = r.record;
  if (!Number.isInteger(x.timestampMs) || x.timestampMs < 0 || x.timestampMs > 253402300799999)
    return "timestamp";
  if (typeof x.clientIp !== "string" || !/\d/.test(x.clientIp) || /\s/.test(x.clientIp)) return "clientIp";
  if (x.status !== null && !(Number.isInteger(x.status) && x.status >= 100 && x.status <= 599))
    return "status";
  if (!Number.isSafeInteger(x.bytes) || x.bytes < 0) return "bytes";
  if (x.durationMs !== null && !(Number.isFinite(x.durationMs) && x.durationMs >= 0)) return "duration";
  if (x.host !== null && (x.host.length === 0 || x.host !== x.host.toLowerCase() || /\s/.test(x.host)))
    return "host";
  if (x.method !== null && !METHOD.test(x.method)) return "method";
  if (typeof x.target !== "string") return "target";
  if (x.protocol !== null && !x.protocol.startsWith("HTTP/")) return "protocol";
  return null;
}

function run(parser: LineParser, line: string, details: Set<string>, problems: string[]): boolean {
  let r: ParseResult;
  try {
    r = parser.parse(line);
  } catch (e) {
    problems.push(`threw ${(e as Error).name}`);
    return false;
  }
  const v = violation(r, details);
  if (v !== null) problems.push(v);
  return r.ok === true;
}

describe("parsers under fuzzing", () => {
  it.each([...LOG_FORMATS])(
    `%s: ${LINES_PER_FORMAT} mutated and random lines, 0 exceptions, one valid result each`,
    (format) => {
      // Prepare
      const rnd = prng(SEED ^ format.length ^ (format.charCodeAt(0) << 8));
      const pick = (n: number) => (n <= 0 ? 0 : Math.floor(rnd() * n));
      const own = SEEDS[format];
      let parser = createParser(format);
      const details = new Set<string>();
      const problems: string[] = [];
      let results = 0;
      let accepted = 0;

      // Act
      for (let i = 0; i < LINES_PER_FORMAT; i++) {
        if (i % 5000 === 0) {
          parser = createParser(format); // a new input now and then (W3C state, caches)
          if (format === "cloudfront") parser.parse(own[1] ?? ""); // which starts with its #Fields
        }
        const roll = pick(10);
        let line: string;
        if (roll < 6) line = mutate(own[pick(own.length)] ?? "", rnd, pick);
        else if (roll < 8) line = mutate(ALL_SEEDS[pick(ALL_SEEDS.length)] ?? "", rnd, pick);
        else if (roll < 9) line = own[pick(own.length)] ?? "";
        else line = randomLine(pick);
        if (run(parser, line, details, problems)) accepted++;
        results++;
      }

      // Assess
      expect(problems.slice(0, 5)).toEqual([]);
      expect(results).toBe(LINES_PER_FORMAT);
      expect(accepted).toBeGreaterThan(LINES_PER_FORMAT / 50); // many mutated lines stay valid: the fuzz reaches deep
      // Fixed texts, not copies of the input (which would give thousands); a format read by a compiled template has one
      // text per step of its layout (S3's has 33).
      expect(details.size).toBeLessThan(60);
    },
  );

  it.each([...LOG_FORMATS])("%s: fast-check strings and edited valid lines never throw", (format) => {
    // Prepare
    const own = SEEDS[format];
    const details = new Set<string>();
    const problems: string[] = [];
    const edited = fc
      .tuple(
        fc.nat({ max: own.length - 1 }),
        fc.nat({ max: 400 }),
        fc.string({ unit: codeUnit, maxLength: 20 }),
      )
      .map(([i, at, insert]) => {
        const base = own[i] ?? "";
        return base.slice(0, at) + insert + base.slice(at);
      });
    const anyLine = fc.oneof(fc.string({ unit: codeUnit, maxLength: 300 }), edited);

    // Act
    fc.assert(
      fc.property(fc.array(anyLine, { minLength: 1, maxLength: 8 }), (lines) => {
        const parser = createParser(format);
        if (format === "cloudfront") parser.parse(own[1] ?? "");
        for (const line of lines) run(parser, line, details, problems);
        return problems.length === 0;
      }),
      { seed: SEED, numRuns: 1000 },
    );

    // Assess
    expect(problems).toEqual([]);
    expect(details.size).toBeLessThan(60);
  });
});
