/**
 * `alb`: AWS Application Load Balancer access logs (space-separated, some fields double-quoted), and `elb`: Classic
 * Load Balancer access logs, the same fields without the leading `type` and without the fields after `ssl_protocol`
 * (Classic: `time elb client:port backend:port request_processing_time backend_processing_time
 * response_processing_time elb_status_code backend_status_code received_bytes sent_bytes "request" "user_agent"
 * ssl_cipher ssl_protocol`, so every index below less one). A Classic entry of a TCP or SSL listener has no HTTP
 * request (`"- - - "`): it is rejected as `missing_field`, since there is no page, status or agent to count.
 *
 * The documented fields, in order (AWS adds new ones at the end; extra trailing fields are accepted):
 *
 * |  # | field                    | read into                                                            |
 * |----|--------------------------|----------------------------------------------------------------------|
 * |  0 | type                     | must be http, https, h2, grpcs, ws or wss (else `malformed`)         |
 * |  1 | time                     | timestampMs (ISO 8601, UTC): when the ALB sent the response          |
 * |  2 | elb                      |                                                                      |
 * |  3 | client:port              | clientIp, without the port (the last `:`; IPv6 has no brackets here) |
 * |  4 | target:port              |                                                                      |
 * |  5 | request_processing_time  | durationMs = sum of 5–7 in ms; null when any is -1                   |
 * |  6 | target_processing_time   |                                                                      |
 * |  7 | response_processing_time |                                                                      |
 * |  8 | elb_status_code          | status; `-` = null                                                   |
 * |  9 | target_status_code       |                                                                      |
 * | 10 | received_bytes           |                                                                      |
 * | 11 | sent_bytes               | bytes                                                                |
 * | 12 | "request"                | method, host (lower-case, no port), target (path+query), protocol    |
 * | 13 | "user_agent"             | userAgent                                                            |
 * | 14 | ssl_cipher               |                                                                      |
 * | 15 | ssl_protocol             |                                                                      |
 * | 16 | target_group_arn         |                                                                      |
 * | 17 | "trace_id"               |                                                                      |
 * | 18 | "domain_name"            |                                                                      |
 * | 19 | "chosen_cert_arn"        |                                                                      |
 * | 20 | matched_rule_priority    |                                                                      |
 * | 21 | request_creation_time    |                                                                      |
 * | 22 | "actions_executed"       |                                                                      |
 * | 23 | "redirect_url"           |                                                                      |
 * | 24 | "error_reason"           |                                                                      |
 * | 25 | "target:port_list"       |                                                                      |
 * | 26 | "target_status_code_list"|                                                                      |
 * | 27 | "classification"         |                                                                      |
 * | 28 | "classification_reason"  |                                                                      |
 * | 29 | conn_trace_id            |                                                                      |
 *
 * At least the first 14 fields (through user_agent) are required (`field_count` otherwise).
 * A request the ALB could not parse is logged as `"- http://host:80- -"`: method and protocol null,
 * target `-`, host kept.
 */

import type { AccessRecord, ParseResult } from "../types.ts";
import {
  findClosingQuote,
  isMethodToken,
  isPlausibleClientToken,
  isProtocolToken,
  normalizeHost,
  nullIfDash,
  parseByteCount,
  parseDecimal,
  parseStatus,
  roundMs,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "./parser.ts";
import { parseIsoTime } from "./time.ts";

const MIN_FIELDS = 14;
const MIN_CLASSIC_FIELDS = 13;
const TYPES: ReadonlySet<string> = new Set(["http", "https", "h2", "grpcs", "ws", "wss"]);

const R_TYPE = rejection(
  "malformed",
  "the first field is not an ALB request type (http, https, h2, grpcs, ws, wss)",
);
const R_FIELD_COUNT = rejection("field_count", "an ALB line needs at least 14 fields (through user_agent)");
const R_BAD_TIME = rejection("bad_timestamp", "the time is not an ISO 8601 timestamp in range");
const R_BAD_CLIENT = rejection("bad_client_ip", "client:port is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "elb_status_code is not a 3-digit code from 100 to 599 or -");
const R_BAD_BYTES = rejection("bad_number", "sent_bytes is not a non-negative integer or -");
const R_BAD_DURATION = rejection("bad_number", "a processing time is not a number");
const R_CLASSIC_FIELD_COUNT = rejection(
  "field_count",
  "a Classic ELB line needs at least 13 fields (through user_agent)",
);
const R_CLASSIC_TIME = rejection("malformed", "the first field is not an ISO 8601 time (Classic ELB)");
const R_TCP = rejection("missing_field", "a TCP/SSL listener entry: no HTTP request to count");

/**
 * Splits the line into fields (quoted ones unquoted), storing the first `limit` into `out`, and returns how
 * many fields the line has. An unterminated quoted field takes the rest of the line (a truncated last field).
 */
function splitAlb(line: string, out: string[], limit: number, offset = 0): number {
  const len = line.length;
  let i = 0;
  let n = 0;
  while (i < len) {
    while (i < len && line.charCodeAt(i) === 32) i++;
    if (i >= len) break;
    if (line.charCodeAt(i) === 34) {
      const end = findClosingQuote(line, i + 1);
      if (end < 0) {
        // An unterminated last field (a truncated line): take the rest.
        if (n < limit) out[n + offset] = line.slice(i + 1);
        return n + 1;
      }
      if (n < limit) out[n + offset] = line.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = line.indexOf(" ", i);
      if (end < 0) end = len;
      if (n < limit) out[n + offset] = line.slice(i, end);
      i = end;
    }
    n++;
  }
  return n;
}

/** `host:port` → host. IPv6 hosts in URLs are bracketed; `normalizeHost` handles those. */
function splitUrl(url: string): { host: string | null; path: string } {
  const scheme = url.indexOf("://");
  if (scheme <= 0) return { host: null, path: url };
  const aStart = scheme + 3;
  let aEnd = aStart;
  while (aEnd < url.length) {
    const c = url.charCodeAt(aEnd);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    aEnd++;
  }
  let authority = url.slice(aStart, aEnd);
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  let path = url.slice(aEnd);
  if (path.length > 0 && path.charCodeAt(0) === 63) path = `/${path}`;
  return { host: normalizeHost(authority), path };
}

export class AlbParser implements LineParser {
  private readonly f: string[] = [];
  private lastTime = "";
  private lastMs = 0;
  /** Classic ELB lines have no leading type: every field one place earlier. */
  private readonly shift: number;

  constructor(readonly format: "alb" | "elb" = "alb") {
    this.shift = format === "elb" ? 1 : 0;
  }

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    if (line.length === 0 || isBlank(line)) return SKIP_BLANK;
    const sp = line.indexOf(" ");
    const f = this.f;
    if (this.shift === 0) {
      if (sp <= 0 || !TYPES.has(line.slice(0, sp))) return R_TYPE;
      const n = splitAlb(line, f, MIN_FIELDS);
      if (n < MIN_FIELDS) return R_FIELD_COUNT;
    } else {
      // The Classic line starts with its time: `2015-05-13T23:39:43.945958Z`.
      if (sp < 19 || line.charCodeAt(4) !== 45 || line.charCodeAt(10) !== 84) return R_CLASSIC_TIME;
      f[0] = "";
      const n = splitAlb(line, f, MIN_CLASSIC_FIELDS, 1);
      if (n < MIN_CLASSIC_FIELDS) return R_CLASSIC_FIELD_COUNT;
      if (f[12] === "- - - ") return R_TCP;
    }

    const time = f[1] ?? "";
    let timestampMs: number;
    if (time === this.lastTime) timestampMs = this.lastMs;
    else {
      timestampMs = parseIsoTime(time);
      if (Number.isNaN(timestampMs)) return R_BAD_TIME;
      this.lastTime = time;
      this.lastMs = timestampMs;
    }

    const clientPort = f[3] ?? "";
    const colon = clientPort.lastIndexOf(":");
    const clientIp = colon > 0 ? clientPort.slice(0, colon) : clientPort;
    if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;

    const st = f[8] ?? "";
    let status: number | null = null;
    if (st !== "-") {
      status = parseStatus(st);
      if (status < 0) return R_BAD_STATUS;
    }
    const bytes = parseByteCount(f[11] ?? "");
    if (bytes < 0) return R_BAD_BYTES;

    let durationMs: number | null = 0;
    for (let i = 5; i <= 7; i++) {
      const t = f[i] ?? "";
      if (t === "-1" || t === "-") {
        durationMs = null;
        continue;
      }
      const v = parseDecimal(t);
      if (!(v >= 0)) return R_BAD_DURATION;
      if (durationMs !== null) durationMs += v * 1000;
    }
    if (durationMs !== null) durationMs = roundMs(durationMs);

    // "GET https://host:443/path?q HTTP/1.1"; a garbled one is "- http://host:80- -".
    const req = f[12] ?? "";
    const s1 = req.indexOf(" ");
    const s2 = req.lastIndexOf(" ");
    let method: string | null = null;
    let protocol: string | null = null;
    let url = req;
    if (s1 > 0 && s2 > s1) {
      if (isMethodToken(req, 0, s1)) method = req.slice(0, s1);
      if (isProtocolToken(req, s2 + 1, req.length)) protocol = req.slice(s2 + 1);
      url = req.slice(s1 + 1, s2);
    }
    const { host, path } = splitUrl(url);
    const target = path.length > 0 ? path : method === null ? "-" : "/";

    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor: null,
      host,
      method,
      target,
      protocol,
      status,
      bytes,
      referrer: null,
      userAgent: nullIfDash(f[13] ?? ""),
      durationMs,
    };
    return { ok: true, record };
  }
}

export function createAlbParser(): LineParser {
  return new AlbParser("alb");
}

export function createElbParser(): LineParser {
  return new AlbParser("elb");
}
