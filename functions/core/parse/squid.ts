/**
 * `squid`: Squid's native access log (`logformat squid`).
 *
 *   1286536309.450    110 192.0.2.10 TCP_MISS/200 1330 GET http://www.example.com/index.html - HIER_DIRECT/203.0.113.5 text/html
 *
 * | field            | read into                                                                                |
 * |------------------|------------------------------------------------------------------------------------------|
 * | time             | timestampMs (epoch seconds with milliseconds, `%9d.%03d`)                                |
 * | elapsed          | durationMs (milliseconds)                                                                |
 * | remotehost       | clientIp                                                                                 |
 * | code/status      | status; `000` (no reply, e.g. an aborted or denied request) = null                       |
 * | bytes            | bytes                                                                                    |
 * | method           | method                                                                                   |
 * | URL              | host and target of `scheme://host/path`; `host:port` of CONNECT is the host, and the target as logged |
 * | rfc931, peerstatus/peerhost, type | read past (all ten fields are required: a line cut short is rejected)  |
 *
 * Fields are separated by runs of spaces (Squid pads the elapsed time). The native format has no referrer or user
 * agent. A line sent through syslog (`Mar  2 08:15:01 proxy squid[1234]: 1772439301.450 …`, the layout GoAccess's
 * SQUID format expects) is read after its header.
 */

import type { AccessRecord, ParseResult } from "../types.ts";
import {
  isMethodToken,
  isPlausibleClientToken,
  normalizeHost,
  parseByteCount,
  parseDecimal,
  parseStatus,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "./parser.ts";

const MIN_FIELDS = 10;
const R_FIELD_COUNT = rejection("field_count", "a Squid native line has 10 fields");
const R_BAD_TIME = rejection(
  "bad_timestamp",
  "the time is not epoch seconds with milliseconds (1286536309.450)",
);
const R_BAD_ELAPSED = rejection("bad_number", "the elapsed time is not a non-negative integer");
const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "code/status does not end in a 3-digit status (or 000)");
const R_BAD_BYTES = rejection("bad_number", "the byte count is not a non-negative integer");
const R_BAD_METHOD = rejection("malformed", "the method is not an HTTP method");

const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Up to `limit` fields separated by runs of spaces or tabs; returns how many the line has (counting past the limit). */
function splitRuns(line: string, out: string[], limit: number): number {
  let n = 0;
  let i = 0;
  const len = line.length;
  while (i < len) {
    while (i < len && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= len) break;
    let end = i;
    while (end < len && line.charCodeAt(end) !== 32 && line.charCodeAt(end) !== 9) end++;
    if (n < limit) out[n] = line.slice(i, end);
    n++;
    i = end;
  }
  return n;
}

/** Squid's time: digits, a dot, three digits. */
function isSquidTime(s: string): boolean {
  const dot = s.indexOf(".");
  return dot >= 9 && s.length - dot === 4;
}

export class SquidParser implements LineParser {
  readonly format = "squid" as const;
  private readonly f: string[] = [];

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    if (line.length === 0 || isBlank(line)) return SKIP_BLANK;
    const f = this.f;
    // A syslog header ends with "]: " (or ": ") before the Squid line; the Squid line itself has no colon and space.
    const tag = line.indexOf(": ");
    const body = tag > 0 && !isSquidTime(line.slice(0, line.indexOf(" "))) ? line.slice(tag + 2) : line;
    if (splitRuns(body, f, MIN_FIELDS) < MIN_FIELDS) return R_FIELD_COUNT;
    const time = f[0] as string;
    const seconds = parseDecimal(time);
    const timestampMs = Math.round(seconds * 1000);
    if (!isSquidTime(time) || !(timestampMs >= 0) || timestampMs > MAX_MS) return R_BAD_TIME;
    const elapsed = parseByteCount(f[1] as string);
    if (elapsed < 0) return R_BAD_ELAPSED;
    const clientIp = f[2] as string;
    if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;
    const code = f[3] as string;
    const slash = code.lastIndexOf("/");
    if (slash < 0) return R_BAD_STATUS;
    let status: number | null = null;
    if (code.slice(slash + 1) !== "000") {
      status = parseStatus(code, slash + 1, code.length);
      if (status < 0) return R_BAD_STATUS;
    }
    const bytes = parseByteCount(f[4] as string);
    if (bytes < 0) return R_BAD_BYTES;
    const method = f[5] as string;
    if (!isMethodToken(method, 0, method.length)) return R_BAD_METHOD;
    const url = f[6] as string;
    let host: string | null = null;
    let target = url;
    const scheme = url.indexOf("://");
    if (scheme > 0) {
      let slash2 = url.indexOf("/", scheme + 3);
      if (slash2 < 0) slash2 = url.length;
      host = normalizeHost(url.slice(scheme + 3, slash2));
      target = slash2 < url.length ? url.slice(slash2) : "/";
    } else if (method === "CONNECT") host = normalizeHost(url);

    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor: null,
      host,
      method,
      target,
      protocol: null,
      status,
      bytes,
      referrer: null,
      userAgent: null,
      durationMs: elapsed,
    };
    return { ok: true, record };
  }
}

export function createSquidParser(): LineParser {
  return new SquidParser();
}
