/**
 * `haproxy`: HAProxy's HTTP log (`option httplog`), as syslog writes it or as HAProxy writes it to stdout, with or
 * without captured headers.
 *
 *   Feb  6 12:14:14 localhost haproxy[14389]: 192.0.2.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1
 *     10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {example.com|Mozilla/5.0 …} {} "GET /index.html HTTP/1.1"
 *
 * | field (after the optional syslog header `… process[pid]: `) | read into                                      |
 * |--------------------------------------------------------------|------------------------------------------------|
 * | client_ip:port                                                | clientIp, without the port                     |
 * | [accept_date]                                                 | timestampMs (`dd/Mon/yyyy:HH:MM:SS.mmm`; HAProxy writes no zone: read as UTC) |
 * | frontend, backend/server                                      |                                                |
 * | Tq/Tw/Tc/Tr/Tt (or TR/Tw/Tc/Tr/Ta)                            | durationMs = the last timer; `-1` = null       |
 * | status_code                                                   | status; `-1` (no response) = null             |
 * | bytes_read                                                    | bytes (a `+` prefix of `option logasap` dropped) |
 * | cookies, termination state, connection counts, queues         |                                                |
 * | {captured request headers} {captured response headers}       | host, referrer, user agent, forwardedFor (see below) |
 * | "request"                                                     | method, target, protocol (a request HAProxy cut at its buffer size has no closing quote: the rest of the line) |
 *
 * Captured request headers carry no names, only the values in the order of the `capture request header` lines of
 * haproxy.cfg, which the log cannot tell. Each value is placed by its shape: `http(s)://…` is the referrer, a list
 * of addresses the forwarded-for, a host name (letters, digits, dots, hyphens, an optional port) the host, anything
 * else with a `/` the user agent. The first value of each kind wins.
 */

import type { AccessRecord, ParseResult } from "../types.ts";
import {
  findClosingQuote,
  isPlausibleClientToken,
  looksLikeAddressList,
  normalizeHost,
  parseByteCount,
  parseDecimal,
  parseStatus,
  roundMs,
  splitRequestLine,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "./parser.ts";
import { parseClfTime } from "./time.ts";

const R_NO_DATE = rejection("malformed", "expected client_ip:port [accept_date] (HAProxy HTTP log)");
const R_BAD_TIME = rejection("bad_timestamp", "the accept date is not dd/Mon/yyyy:HH:MM:SS.mmm in range");
const R_FIELDS = rejection(
  "field_count",
  "expected the 10 fields of the HTTP log between the accept date and the request",
);
const R_NO_REQUEST = rejection("malformed", 'expected "request" at the end of the line');
const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "the status is not a 3-digit code from 100 to 599 or -1");
const R_BAD_BYTES = rejection("bad_number", "bytes_read is not a non-negative integer");
const R_BAD_TIMERS = rejection("bad_number", "the timers are not numbers separated by /");

/** Fields between the accept date and the captured headers or request. */
const FIELDS = 10;

export class HaproxyParser implements LineParser {
  readonly format = "haproxy" as const;
  private lastDate = "";
  private lastMs = 0;

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    const len = line.length;
    if (len === 0 || isBlank(line)) return SKIP_BLANK;

    // The client is right before " [accept_date]"; a syslog header ends with "]: " before it.
    const dateOpen = line.indexOf(" [");
    if (dateOpen <= 0) return R_NO_DATE;
    const tag = line.indexOf("]: ");
    const start = tag >= 0 && tag < dateOpen ? tag + 3 : 0;
    const clientPort = line.slice(start, dateOpen);
    const colon = clientPort.lastIndexOf(":");
    const clientIp = colon > 0 ? clientPort.slice(0, colon) : clientPort;
    if (clientIp.indexOf(" ") >= 0) return R_NO_DATE;
    const dateClose = line.indexOf("] ", dateOpen + 2);
    if (dateClose < 0) return R_NO_DATE;
    const date = line.slice(dateOpen + 2, dateClose);
    let timestampMs: number;
    if (date === this.lastDate) timestampMs = this.lastMs;
    else {
      timestampMs = parseAcceptDate(date);
      if (Number.isNaN(timestampMs)) return R_BAD_TIME;
      this.lastDate = date;
      this.lastMs = timestampMs;
    }
    if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;

    // Ten space-separated fields.
    const fields: string[] = [];
    let p = dateClose + 2;
    for (let k = 0; k < FIELDS; k++) {
      const sp = line.indexOf(" ", p);
      if (sp < 0) return R_FIELDS;
      fields.push(line.slice(p, sp));
      p = sp + 1;
    }
    const timers = fields[2] as string;
    const lastTimer = timers.slice(timers.lastIndexOf("/") + 1);
    if (timers.indexOf("/") < 0) return R_BAD_TIMERS;
    const t = parseDecimal(lastTimer.charCodeAt(0) === 43 ? lastTimer.slice(1) : lastTimer);
    if (Number.isNaN(t)) return R_BAD_TIMERS;
    const durationMs = t < 0 ? null : roundMs(t);
    const st = fields[3] as string;
    let status: number | null = null;
    if (st !== "-1") {
      status = parseStatus(st);
      if (status < 0) return R_BAD_STATUS;
    }
    const by = fields[4] as string;
    const bytes = parseByteCount(by.charCodeAt(0) === 43 ? by.slice(1) : by);
    if (bytes < 0) return R_BAD_BYTES;

    // Captured headers: {request} then {response}, each optional.
    const captured: string[] = [];
    while (line.charCodeAt(p) === 123 /* { */) {
      const close = line.indexOf("}", p + 1);
      if (close < 0) return R_NO_REQUEST;
      captured.push(line.slice(p + 1, close));
      p = close + 1;
      if (line.charCodeAt(p) === 32) p++;
    }
    if (line.charCodeAt(p) !== 34 /* " */) return R_NO_REQUEST;
    const end = findClosingQuote(line, p + 1);
    const request = splitRequestLine(line.slice(p + 1, end < 0 ? len : end));
    const headers = classify(captured[0] ?? "");

    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor: headers.forwardedFor,
      host: headers.host,
      method: request.method,
      target: request.target,
      protocol: request.protocol,
      status,
      bytes,
      referrer: headers.referrer,
      userAgent: headers.userAgent,
      durationMs,
    };
    return { ok: true, record };
  }
}

/** `06/Feb/2009:12:14:14.655` (no zone: UTC) to epoch ms. */
function parseAcceptDate(date: string): number {
  if (date.length < 20) return Number.NaN;
  const seconds = parseClfTime(`${date.slice(0, 20)} +0000`);
  if (date.length === 20) return seconds;
  if (date.charCodeAt(20) !== 46 /* . */) return Number.NaN;
  const frac = date.slice(21);
  if (frac.length === 0 || frac.length > 6) return Number.NaN;
  let ms = 0;
  for (let i = 0; i < 3; i++) {
    const c = i < frac.length ? frac.charCodeAt(i) - 48 : 0;
    if (c < 0 || c > 9) return Number.NaN;
    ms = ms * 10 + c;
  }
  return seconds + ms;
}

interface Captured {
  host: string | null;
  referrer: string | null;
  userAgent: string | null;
  forwardedFor: string | null;
}

function isHostName(v: string): boolean {
  if (v.length === 0 || v.length > 260) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0x20;
    if (
      !((c >= 97 && c <= 122) || (v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 58) || c === 0x2e || c === 0x2d)
    ) {
      return false;
    }
  }
  return true;
}

/** Places captured request header values by their shape (see the header comment). */
function classify(block: string): Captured {
  const out: Captured = { host: null, referrer: null, userAgent: null, forwardedFor: null };
  if (block.length === 0) return out;
  for (const value of block.split("|")) {
    if (value.length === 0 || value === "-") continue;
    if (value.startsWith("http://") || value.startsWith("https://")) out.referrer ??= value;
    else if (looksLikeAddressList(value)) out.forwardedFor ??= value;
    else if (isHostName(value)) out.host ??= normalizeHost(value);
    else if (value.includes("/")) out.userAgent ??= value;
  }
  return out;
}

export function createHaproxyParser(): LineParser {
  return new HaproxyParser();
}
