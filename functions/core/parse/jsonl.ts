/**
 * `jsonl`: one JSON object per line — nginx `log_format ... escape=json`, Caddy's structured access log,
 * Traefik's JSON access log, and any logger using the common field names below.
 *
 * `caddy` and `traefik-json` read the same way, but only lines that are what they say: a Caddy access log entry has
 * a `request` object with `remote_ip` or `client_ip`; a Traefik entry has `ClientHost` or `ClientAddr` and
 * `RequestPath`. Other JSON lines are rejected there (`malformed`), so auto-detection names the server.
 *
 * Each record field is read from the first alias present (not null, not "", not "-"), in this order.
 * Paths with dots are nested objects (Caddy); `headers.X` is matched case-insensitively and, as Caddy writes
 * header values as arrays, the first element is taken (X-Forwarded-For joins all elements).
 *
 * | record field | aliases, first present wins                                                               | notes |
 * |--------------|-------------------------------------------------------------------------------------------|-------|
 * | timestampMs  | ts, StartUTC, time_iso8601, @timestamp, timestamp, time, date, datetime, time_local, msec, start_time | required. Number: epoch in s / ms / µs / ns by magnitude; string: ISO 8601 (no zone = UTC), CLF `10/Oct/2000:13:55:36 -0700`, or a decimal epoch |
 * | clientIp     | request.client_ip, request.remote_ip, ClientHost, remote_addr, client_ip, clientip, remote_ip, ip, client, request.remote_addr, ClientAddr | required; a string with a digit and no space |
 * | method       | request.method, RequestMethod, request_method, method, verb                              | else from `request` when it is a request-line string |
 * | target       | request.uri, RequestPath, request_uri, uri (+ `?` + args / query_string), path, url       | required; else from a `request` string ("GET /x HTTP/1.1") |
 * | protocol     | request.proto, RequestProtocol, server_protocol, protocol, http_version                   | `HTTP/…` only; else from a `request` string |
 * | host         | request.host, RequestHost, host, http_host, server_name, vhost                            | lower-cased, without port |
 * | status       | status, DownstreamStatus, status_code, response_status                                    | number or string; absent = null |
 * | bytes        | size, DownstreamContentSize, body_bytes_sent, bytes_sent, bytes, length, response_size    | absent or "-" = 0 |
 * | referrer     | request.headers.Referer, request_Referer, http_referer, referer, referrer                 | |
 * | userAgent    | request.headers.User-Agent, request_User-Agent, http_user_agent, user_agent, agent, useragent | |
 * | forwardedFor | request.headers.X-Forwarded-For, request_X-Forwarded-For, http_x_forwarded_for, x_forwarded_for | |
 * | durationMs   | duration (s; or a Go duration string "1.5ms"), request_time (s), Duration (ns, Traefik), duration_ms (ms), generation_time_milli (ms) | |
 * | signals.dnt  | request.headers.Dnt, request_Dnt, dnt, http_dnt                                           | "1" / 1 / true = true, "0" / 0 / false = false |
 * | signals.gpc  | request.headers.Sec-Gpc, request_Sec-Gpc, sec_gpc, http_sec_gpc                           | as dnt |
 * | signals.consent | consent                                                                               | object `{statistics, marketing}` (booleans or "1"/"0"), or a string listing the granted categories: "statistics,marketing"; listed = true, unlisted = false |
 *
 * A line that is not valid JSON or not an object is `bad_json`, and so is a line of 64 KiB or more that nests
 * deeper than 64 levels or has more than 1,000 fields (checked before JSON.parse, which would take up to a tenth of a
 * second on such a megabyte); a missing time, client or target is `missing_field`.
 */

import type { AccessRecord, ParseResult, PrivacySignals } from "../types.ts";
import {
  isMethodToken,
  isPlausibleClientToken,
  isProtocolToken,
  normalizeHost,
  parseByteCount,
  parseDecimal,
  parseStatus,
  roundMs,
  splitRequestLine,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "./parser.ts";
import { epochToMs, parseClfTime, parseIsoTime } from "./time.ts";

type Json = Record<string, unknown>;
/** A path of keys into nested objects; a path starting with HEADERS names a header of `request.headers`. */
type Path = readonly string[];

/** Marker (not a valid key in any log we read) for a case-insensitive lookup in Caddy's `request.headers`. */
const HEADERS = "\u0000headers";

const TIME: readonly Path[] = [
  ["ts"],
  ["StartUTC"],
  ["time_iso8601"],
  ["@timestamp"],
  ["timestamp"],
  ["time"],
  ["date"],
  ["datetime"],
  ["time_local"],
  ["msec"],
  ["start_time"],
];
const CLIENT: readonly Path[] = [
  ["request", "client_ip"],
  ["request", "remote_ip"],
  ["ClientHost"],
  ["remote_addr"],
  ["client_ip"],
  ["clientip"],
  ["remote_ip"],
  ["ip"],
  ["client"],
  ["request", "remote_addr"],
  ["ClientAddr"],
];
const METHOD: readonly Path[] = [
  ["request", "method"],
  ["RequestMethod"],
  ["request_method"],
  ["method"],
  ["verb"],
];
const TARGET: readonly Path[] = [["request", "uri"], ["RequestPath"], ["request_uri"]];
const TARGET_AFTER_URI: readonly Path[] = [["path"], ["url"]];
const QUERY: readonly Path[] = [["args"], ["query_string"]];
const PROTOCOL: readonly Path[] = [
  ["request", "proto"],
  ["RequestProtocol"],
  ["server_protocol"],
  ["protocol"],
  ["http_version"],
];
const HOST: readonly Path[] = [
  ["request", "host"],
  ["RequestHost"],
  ["host"],
  ["http_host"],
  ["server_name"],
  ["vhost"],
];
const STATUS: readonly Path[] = [["status"], ["DownstreamStatus"], ["status_code"], ["response_status"]];
const BYTES: readonly Path[] = [
  ["size"],
  ["DownstreamContentSize"],
  ["body_bytes_sent"],
  ["bytes_sent"],
  ["bytes"],
  ["length"],
  ["response_size"],
];
const REFERRER: readonly Path[] = [
  [HEADERS, "referer"],
  ["request_Referer"],
  ["http_referer"],
  ["referer"],
  ["referrer"],
];
const USER_AGENT: readonly Path[] = [
  [HEADERS, "user-agent"],
  ["request_User-Agent"],
  ["http_user_agent"],
  ["user_agent"],
  ["agent"],
  ["useragent"],
];
const FORWARDED_FOR: readonly Path[] = [
  [HEADERS, "x-forwarded-for"],
  ["request_X-Forwarded-For"],
  ["http_x_forwarded_for"],
  ["x_forwarded_for"],
];
const DNT: readonly Path[] = [[HEADERS, "dnt"], ["request_Dnt"], ["dnt"], ["http_dnt"]];
const GPC: readonly Path[] = [[HEADERS, "sec-gpc"], ["request_Sec-Gpc"], ["sec_gpc"], ["http_sec_gpc"]];

/** Duration aliases with the factor that turns their unit into milliseconds. */
const DURATION: readonly (readonly [string, number])[] = [
  ["duration", 1000],
  ["request_time", 1000],
  ["Duration", 1e-6],
  ["duration_ms", 1],
  ["generation_time_milli", 1],
];

const R_BAD_JSON = rejection("bad_json", "the line is not a JSON object");
const R_TOO_COMPLEX = rejection(
  "bad_json",
  "the line nests more than 64 levels deep or has more than 1,000 fields: not an access log",
);
const R_NO_TIME = rejection(
  "missing_field",
  "no time field (ts, time, timestamp, @timestamp, time_local, ...)",
);
const R_NO_CLIENT = rejection("missing_field", "no client address field (remote_addr, client_ip, ip, ...)");
const R_NO_TARGET = rejection(
  "missing_field",
  "no request target field (uri, request_uri, path, request, ...)",
);
const R_BAD_TIME = rejection("bad_timestamp", "the time field is not a timestamp in range");
const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "the status is not a 3-digit code from 100 to 599");
const R_BAD_BYTES = rejection("bad_number", "the byte count is not a non-negative integer or -");
const R_BAD_DURATION = rejection("bad_number", "the duration is not a non-negative number");

/**
 * Lines at least this long are checked for their shape before JSON.parse: a megabyte of `[` takes JSON.parse about
 * a tenth of a second, 90,000 keys a third of that; a shorter line cannot take long. No access log nests more than
 * a few levels or has more than a hundred fields.
 */
const SHAPE_CHECK_CHARS = 64 * 1024;
const MAX_DEPTH = 64;
const MAX_FIELDS = 1000;

/** True when objects and arrays (outside strings) nest deeper than MAX_DEPTH or hold more than MAX_FIELDS values. */
function tooComplex(line: string): boolean {
  let depth = 0;
  let separators = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92 /* backslash */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 44 /* , */) {
      if (++separators >= MAX_FIELDS) return true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/** JSON's insignificant white space: space, tab, LF, CR. */
function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value of a header of Caddy's `request.headers`, matched case-insensitively. */
function header(o: Json, lowerName: string): unknown {
  const req = o.request;
  if (!isObject(req)) return undefined;
  const headers = req.headers;
  if (!isObject(headers)) return undefined;
  for (const k in headers) {
    if (k.length === lowerName.length && k.toLowerCase() === lowerName) {
      const v = headers[k];
      if (!Array.isArray(v)) return v;
      if (lowerName === "x-forwarded-for") return v.filter((x) => typeof x === "string").join(", ");
      return v[0];
    }
  }
  return undefined;
}

function at(o: Json, path: Path): unknown {
  if (path[0] === HEADERS) return header(o, path[1] ?? "");
  let v: unknown = o;
  for (const k of path) {
    if (!isObject(v) || !Object.hasOwn(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

function isPresent(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "" && v !== "-";
}

/** The first present value among the aliases. */
function first(o: Json, paths: readonly Path[]): unknown {
  for (const p of paths) {
    const v = at(o, p);
    if (isPresent(v)) return v;
  }
  return undefined;
}

/** A present string or number as text; anything else (objects, booleans) is absent. */
function text(v: unknown): string | null {
  if (typeof v === "string") return v.length === 0 || v === "-" ? null : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

function timeOf(v: unknown): number {
  if (typeof v === "number") return epochToMs(v);
  if (typeof v !== "string") return Number.NaN;
  if (v.length >= 19 && v.charCodeAt(4) === 45) return parseIsoTime(v);
  if (v.length === 26 && v.charCodeAt(2) === 47) return parseClfTime(v);
  const n = parseDecimal(v);
  return Number.isNaN(n) ? Number.NaN : epochToMs(n);
}

const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration string ("1.335486ms", "2m3.5s") in milliseconds; NaN when it is not one. */
function goDurationMs(s: string): number {
  if (s.length === 0 || s.length > 64) return Number.NaN;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    const numStart = i;
    while (i < s.length && ((s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s.charCodeAt(i) === 46)) i++;
    const unitStart = i;
    while (i < s.length && !((s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s.charCodeAt(i) === 46)) i++;
    const n = parseDecimal(s.slice(numStart, unitStart));
    const unit = GO_UNITS[s.slice(unitStart, i)];
    if (Number.isNaN(n) || unit === undefined) return Number.NaN;
    total += n * unit;
  }
  return total;
}

/** Duration in ms, null when absent, NaN when present but not a non-negative number. */
function durationOf(o: Json): number | null {
  for (const [key, factor] of DURATION) {
    if (!Object.hasOwn(o, key)) continue;
    const v = o[key];
    if (!isPresent(v)) continue;
    let n: number;
    if (typeof v === "number") n = v * factor;
    else if (typeof v === "string") {
      const d = parseDecimal(v);
      n = Number.isNaN(d) ? goDurationMs(v) : d * factor;
    } else n = Number.NaN;
    return Number.isFinite(n) && n >= 0 ? roundMs(n) : Number.NaN;
  }
  return null;
}

function flag(v: unknown): boolean | undefined {
  if (v === true || v === 1 || v === "1" || v === "true" || v === "yes") return true;
  if (v === false || v === 0 || v === "0" || v === "false" || v === "no") return false;
  return undefined;
}

const CONSENT_SPLIT = /[\s,;|]+/;

function consentOf(v: unknown): PrivacySignals["consent"] {
  if (typeof v === "string") {
    if (v.length === 0 || v === "-" || v.length > 256) return undefined;
    const granted = v.toLowerCase().split(CONSENT_SPLIT);
    return { statistics: granted.includes("statistics"), marketing: granted.includes("marketing") };
  }
  if (!isObject(v)) return undefined;
  const statistics = flag(v.statistics);
  const marketing = flag(v.marketing);
  if (statistics === undefined && marketing === undefined) return undefined;
  const c: { statistics?: boolean; marketing?: boolean } = {};
  if (statistics !== undefined) c.statistics = statistics;
  if (marketing !== undefined) c.marketing = marketing;
  return c;
}

function signalsOf(o: Json): PrivacySignals | undefined {
  const dnt = flag(first(o, DNT));
  const gpc = flag(first(o, GPC));
  const consent = Object.hasOwn(o, "consent") ? consentOf(o.consent) : undefined;
  if (dnt === undefined && gpc === undefined && consent === undefined) return undefined;
  const s: { dnt?: boolean; gpc?: boolean; consent?: PrivacySignals["consent"] } = {};
  if (dnt !== undefined) s.dnt = dnt;
  if (gpc !== undefined) s.gpc = gpc;
  if (consent !== undefined) s.consent = consent;
  return s;
}

/** Caddy's access log: `{"logger":"http.log.access…","request":{"remote_ip":…},…}`. */
function isCaddyEntry(o: Json): boolean {
  const req = o.request;
  return isObject(req) && (Object.hasOwn(req, "remote_ip") || Object.hasOwn(req, "client_ip"));
}

/** Traefik's JSON access log: `{"ClientHost":…,"RequestPath":…,…}`. */
function isTraefikEntry(o: Json): boolean {
  return (
    (Object.hasOwn(o, "ClientHost") || Object.hasOwn(o, "ClientAddr")) && Object.hasOwn(o, "RequestPath")
  );
}

const R_NOT_CADDY = rejection(
  "malformed",
  "not a Caddy access log entry (no request object with remote_ip or client_ip)",
);
const R_NOT_TRAEFIK = rejection(
  "malformed",
  "not a Traefik access log entry (no ClientHost and RequestPath)",
);

export class JsonLinesParser implements LineParser {
  private readonly hallmark: ((o: Json) => boolean) | null;
  private readonly notHallmark: ParseResult;

  constructor(readonly format: "jsonl" | "caddy" | "traefik-json" = "jsonl") {
    this.hallmark = format === "caddy" ? isCaddyEntry : format === "traefik-json" ? isTraefikEntry : null;
    this.notHallmark = format === "caddy" ? R_NOT_CADDY : R_NOT_TRAEFIK;
  }

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    if (line.length === 0 || isBlank(line)) return SKIP_BLANK;
    // Cheap shape check first: a truncated or non-object line costs no exception.
    let a = 0;
    let z = line.length - 1;
    while (a < z && isJsonSpace(line.charCodeAt(a))) a++;
    while (z > a && isJsonSpace(line.charCodeAt(z))) z--;
    if (line.charCodeAt(a) !== 123 /* { */ || line.charCodeAt(z) !== 125 /* } */) return R_BAD_JSON;
    if (line.length >= SHAPE_CHECK_CHARS && tooComplex(line)) return R_TOO_COMPLEX;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return R_BAD_JSON;
    }
    if (!isObject(parsed)) return R_BAD_JSON;
    const o = parsed;
    if (this.hallmark !== null && !this.hallmark(o)) return this.notHallmark;

    const tv = first(o, TIME);
    if (tv === undefined) return R_NO_TIME;
    const timestampMs = timeOf(tv);
    if (Number.isNaN(timestampMs)) return R_BAD_TIME;

    const cv = first(o, CLIENT);
    if (cv === undefined) return R_NO_CLIENT;
    if (typeof cv !== "string" || !isPlausibleClientToken(cv)) return R_BAD_CLIENT;

    // A request line string ("GET /x HTTP/1.1") fills what the separate fields do not give.
    const reqLine = typeof o.request === "string" ? splitRequestLine(o.request) : null;

    let target = text(first(o, TARGET));
    if (target === null) {
      const uri = text(at(o, ["uri"]));
      if (uri !== null) {
        const q = text(first(o, QUERY));
        target = q === null ? uri : `${uri}?${q}`;
      }
    }
    if (target === null) target = text(first(o, TARGET_AFTER_URI));
    if (target === null && reqLine !== null && reqLine.target.length > 0) target = reqLine.target;
    if (target === null) return R_NO_TARGET;

    let method = text(first(o, METHOD));
    if (method !== null && !isMethodToken(method, 0, method.length)) method = null;
    if (method === null && reqLine !== null) method = reqLine.method;
    let protocol = text(first(o, PROTOCOL));
    if (protocol !== null && !isProtocolToken(protocol, 0, protocol.length)) protocol = null;
    if (protocol === null && reqLine !== null) protocol = reqLine.protocol;

    let status: number | null = null;
    const sv = first(o, STATUS);
    if (sv !== undefined) {
      if (typeof sv === "number") status = Number.isInteger(sv) && sv >= 100 && sv <= 599 ? sv : -1;
      else if (typeof sv === "string") status = parseStatus(sv);
      else status = -1;
      if (status < 0) return R_BAD_STATUS;
    }

    let bytes = 0;
    const bv = first(o, BYTES);
    if (bv !== undefined) {
      if (typeof bv === "number") bytes = Number.isFinite(bv) && bv >= 0 ? Math.floor(bv) : -1;
      else if (typeof bv === "string") bytes = parseByteCount(bv);
      else bytes = -1;
      if (bytes < 0) return R_BAD_BYTES;
    }

    const durationMs = durationOf(o);
    if (durationMs !== null && Number.isNaN(durationMs)) return R_BAD_DURATION;

    const hostText = text(first(o, HOST));
    const signals = signalsOf(o);
    const record: AccessRecord = {
      timestampMs,
      clientIp: cv,
      forwardedFor: text(first(o, FORWARDED_FOR)),
      host: hostText === null ? null : normalizeHost(hostText),
      method,
      target,
      protocol,
      status,
      bytes,
      referrer: text(first(o, REFERRER)),
      userAgent: text(first(o, USER_AGENT)),
      durationMs,
      ...(signals === undefined ? {} : { signals }),
    };
    return { ok: true, record };
  }
}

export function createJsonLinesParser(): LineParser {
  return new JsonLinesParser("jsonl");
}

export function createCaddyParser(): LineParser {
  return new JsonLinesParser("caddy");
}

export function createTraefikJsonParser(): LineParser {
  return new JsonLinesParser("traefik-json");
}
