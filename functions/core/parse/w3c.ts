/**
 * `w3c` and `cloudfront`: the W3C extended log format (IIS, NetScaler, Incapsula, SHOUTcast and others) and
 * CloudFront standard logs, which are W3C logs with CloudFront's columns.
 *
 *   #Version: 1.0
 *   #Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query ...
 *   2019-12-04	21:02:31	LAX1	392	192.0.2.100	GET	d111111abcdef8.cloudfront.net	/index.html	200	-	Mozilla/5.0%20(Windows...	-	...
 *
 * Stateful: `#Fields` sets the columns for the lines after it (a new `#Fields` replaces them), so use one parser
 * per input. Directives (`#…`) and blank lines are skips.
 *
 * Without a `#Fields` directive (a header stripped off, files concatenated, IIS logging without header), the
 * columns are the documented defaults:
 * - `w3c`: IIS's default field set, told apart by the number of fields: 15 (IIS 8.5 and later:
 *   `date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer)
 *   sc-status sc-substatus sc-win32-status time-taken`) or 14 (IIS 7.x, the same without `cs(Referer)`);
 *   another count is `no_fields_header`.
 * - `cloudfront`: CloudFront's documented columns (`date time x-edge-location sc-bytes c-ip cs-method cs(Host)
 *   cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query …`, 33 today; older logs stop earlier), tab-separated,
 *   at least through `cs-uri-query`.
 *
 * `cloudfront` reads only CloudFront's columns: a `#Fields` without any `x-edge-*` column is rejected there
 * (`malformed`), so auto-detection tells an IIS log (`w3c`) from a CloudFront one. `w3c` reads both.
 *
 * Fields are tab-separated (CloudFront) or, when the line has no tab, space-separated with optional
 * double-quoted values (IIS, NetScaler, Incapsula). `-` is an empty value. Columns read (names are
 * case-insensitive):
 *
 * | record field | W3C column(s), first present wins                      | notes                                           |
 * |--------------|---------------------------------------------------------|-------------------------------------------------|
 * | timestampMs  | `date` + `time` (required)                              | UTC by the W3C spec; `date-local` is not read   |
 * | clientIp     | `c-ip` (required)                                       |                                                 |
 * | host         | `x-host-header`, `cs(host)`, `cs-host`                  | the viewer's Host before CloudFront's own domain |
 * | method       | `cs-method`                                             |                                                 |
 * | target       | `cs-uri-stem` + `?` + `cs-uri-query`, else `cs-uri`     | required; query `-` = none; not decoded         |
 * | protocol     | `cs-protocol-version`, `cs-version`                     | `HTTP/…` only; `cs-protocol` is the scheme      |
 * | status       | `sc-status`                                             | CloudFront `000` (viewer left before the reply) = null |
 * | bytes        | `sc-bytes`                                              | absent = 0                                      |
 * | referrer     | `cs(referer)`, `cs(referrer)`                           | as logged                                       |
 * | userAgent    | `cs(user-agent)`                                        | %-decoded (again when doubly encoded: `%2520`); `+` = space in space-separated logs |
 * | durationMs   | `time-taken`                                            | seconds in CloudFront logs (`x-edge-*` columns), milliseconds in IIS logs |
 * | forwardedFor | `x-forwarded-for`                                       |                                                 |
 */

import type { AccessRecord, ParseResult } from "../types.ts";
import {
  decodePlus,
  findClosingQuote,
  isMethodToken,
  isPlausibleClientToken,
  isProtocolToken,
  normalizeHost,
  parseByteCount,
  parseDecimal,
  parseStatus,
  percentDecode,
  roundMs,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, SKIP_DIRECTIVE, stripCr } from "./parser.ts";
import { parseW3cDateTime } from "./time.ts";

const R_NO_FIELDS = rejection(
  "no_fields_header",
  "a W3C data line before any #Fields directive, and not IIS's default 14 or 15 fields",
);
const R_NO_CF_FIELDS = rejection(
  "no_fields_header",
  "a data line before any #Fields directive with fewer than CloudFront's first 12 tab-separated columns",
);
const R_NOT_CLOUDFRONT = rejection(
  "malformed",
  "the #Fields are not CloudFront's (no x-edge-* column): read this log as w3c",
);
const R_FIELD_COUNT = rejection("field_count", "the line has a different number of fields than #Fields");
const R_NO_TIME_COLUMNS = rejection(
  "missing_field",
  "the #Fields have no UTC date and time columns (date-local and time-local carry no zone)",
);
const R_NO_CLIENT_COLUMN = rejection("missing_field", "the #Fields have no c-ip column");
const R_NO_TARGET_COLUMN = rejection("missing_field", "the #Fields have no cs-uri-stem or cs-uri column");
const R_QUOTE_OPEN = rejection("malformed", "a quoted field is not closed");
const R_BAD_TIME = rejection("bad_timestamp", "date and time are not YYYY-MM-DD and HH:MM:SS in range");
const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "the status is not a 3-digit code from 100 to 599");
const R_BAD_BYTES = rejection("bad_number", "sc-bytes is not a non-negative integer or -");
const R_BAD_DURATION = rejection("bad_number", "time-taken is not a non-negative number or -");
const R_NO_TARGET = rejection("missing_field", "the request path is empty");

/** Column positions (-1 = absent) from one `#Fields` directive. */
interface Columns {
  readonly count: number;
  readonly date: number;
  readonly time: number;
  readonly clientIp: number;
  readonly hostHeader: number;
  readonly csHost: number;
  readonly method: number;
  readonly stem: number;
  readonly query: number;
  readonly uri: number;
  readonly protocol: number;
  readonly status: number;
  readonly bytes: number;
  readonly referrer: number;
  readonly userAgent: number;
  readonly timeTaken: number;
  readonly forwardedFor: number;
  /** CloudFront (has `x-edge-*` columns): time-taken in seconds. Otherwise IIS-style milliseconds. */
  readonly secondsTimeTaken: boolean;
  /** Assumed defaults (no #Fields): lines may have more or, down to this many, fewer fields. */
  readonly minCount: number;
}

/** IIS 8.5+ default W3C fields (15); IIS 7.x logs the same without cs(Referer) (14). */
const IIS_DEFAULT =
  "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
const IIS7_DEFAULT =
  "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken";
/** CloudFront standard log columns, in the documented order. */
const CLOUDFRONT_DEFAULT =
  "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

export type W3cKind = "w3c" | "cloudfront";

function columnsOf(spec: string, minCount = -1): Columns {
  const names = spec
    .trim()
    .split(/[ \t]+/)
    .map((n) => n.toLowerCase());
  const at = (...candidates: string[]): number => {
    for (const c of candidates) {
      const i = names.indexOf(c);
      if (i >= 0) return i;
    }
    return -1;
  };
  return {
    count: names.length,
    date: at("date"),
    time: at("time"),
    clientIp: at("c-ip"),
    hostHeader: at("x-host-header"),
    csHost: at("cs(host)", "cs-host"),
    method: at("cs-method"),
    stem: at("cs-uri-stem"),
    query: at("cs-uri-query"),
    uri: at("cs-uri"),
    protocol: at("cs-protocol-version", "cs-version"),
    status: at("sc-status", "c-status"),
    bytes: at("sc-bytes"),
    referrer: at("cs(referer)", "cs(referrer)"),
    userAgent: at("cs(user-agent)"),
    timeTaken: at("time-taken"),
    forwardedFor: at("x-forwarded-for"),
    secondsTimeTaken: names.some((n) => n.startsWith("x-edge-")),
    minCount: minCount < 0 ? names.length : minCount,
  };
}

/** Splits a space-separated W3C line whose values may be double-quoted (with spaces inside). */
function splitSpaced(line: string): string[] | null {
  const out: string[] = [];
  const len = line.length;
  let i = 0;
  while (i < len) {
    while (i < len && line.charCodeAt(i) === 32) i++;
    if (i >= len) break;
    if (line.charCodeAt(i) === 34) {
      const end = findClosingQuote(line, i + 1);
      if (end < 0) return null;
      out.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = line.indexOf(" ", i);
      if (end < 0) end = len;
      out.push(line.slice(i, end));
      i = end;
    }
  }
  return out;
}

function value(fields: readonly string[], i: number): string | null {
  if (i < 0) return null;
  const v = fields[i];
  return v === undefined || v.length === 0 || v === "-" ? null : v;
}

/** CloudFront writes the user agent %-encoded, in older logs twice (`%2520`). */
function decodeUserAgent(raw: string, tabbed: boolean): string {
  if (!tabbed) return decodePlus(raw);
  const once = percentDecode(raw);
  return once.includes("%20") ? percentDecode(once) : once;
}

const IIS_COLUMNS = columnsOf(IIS_DEFAULT);
const IIS7_COLUMNS = columnsOf(IIS7_DEFAULT);
/** Through cs-uri-query (column 12): what every CloudFront log version has. */
const CLOUDFRONT_COLUMNS = columnsOf(CLOUDFRONT_DEFAULT, 12);

export class W3cParser implements LineParser {
  /** From a #Fields directive; null until one is seen. */
  private cols: Columns | null = null;
  private lastDate = "";
  private lastTime = "";
  private lastMs = 0;

  constructor(readonly format: W3cKind) {}

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    if (line.length === 0 || isBlank(line)) return SKIP_BLANK;
    if (line.charCodeAt(0) === 35 /* # */) {
      if (line.length >= 8 && line.slice(0, 8).toLowerCase() === "#fields:")
        this.cols = columnsOf(line.slice(8));
      return SKIP_DIRECTIVE;
    }
    const tabbed = line.includes("\t");
    const f = tabbed ? line.split("\t") : splitSpaced(line);
    if (f === null) return R_QUOTE_OPEN;

    let c = this.cols;
    if (c === null) {
      // No #Fields: the documented default columns.
      if (this.format === "cloudfront") {
        if (!tabbed || f.length < CLOUDFRONT_COLUMNS.minCount) return R_NO_CF_FIELDS;
        c = CLOUDFRONT_COLUMNS;
      } else if (!tabbed && f.length === IIS_COLUMNS.count) c = IIS_COLUMNS;
      else if (!tabbed && f.length === IIS7_COLUMNS.count) c = IIS7_COLUMNS;
      else return R_NO_FIELDS;
    }
    if (this.format === "cloudfront" && !c.secondsTimeTaken) return R_NOT_CLOUDFRONT;
    if (c.date < 0 || c.time < 0) return R_NO_TIME_COLUMNS;
    if (c.clientIp < 0) return R_NO_CLIENT_COLUMN;
    if (c.stem < 0 && c.uri < 0) return R_NO_TARGET_COLUMN;

    if (f.length !== c.count) {
      if (f.length < c.minCount) return R_FIELD_COUNT;
      if (c.minCount === c.count)
        for (let i = c.count; i < f.length; i++) if ((f[i] ?? "").trim().length > 0) return R_FIELD_COUNT;
    }

    const date = f[c.date] ?? "";
    const time = f[c.time] ?? "";
    let timestampMs: number;
    if (date === this.lastDate && time === this.lastTime) timestampMs = this.lastMs;
    else {
      timestampMs = parseW3cDateTime(date, time);
      if (Number.isNaN(timestampMs)) return R_BAD_TIME;
      this.lastDate = date;
      this.lastTime = time;
      this.lastMs = timestampMs;
    }

    const clientIp = f[c.clientIp] ?? "";
    if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;

    let status: number | null = null;
    const st = value(f, c.status);
    if (st !== null && !(c.secondsTimeTaken && st === "000")) {
      status = parseStatus(st);
      if (status < 0) return R_BAD_STATUS;
    }

    const by = value(f, c.bytes);
    const bytes = by === null ? 0 : parseByteCount(by);
    if (bytes < 0) return R_BAD_BYTES;

    let durationMs: number | null = null;
    const tt = value(f, c.timeTaken);
    if (tt !== null) {
      const n = parseDecimal(tt);
      if (!(n >= 0)) return R_BAD_DURATION;
      durationMs = roundMs(c.secondsTimeTaken ? n * 1000 : n);
    }

    let target: string;
    const stem = value(f, c.stem);
    if (stem !== null) {
      const q = value(f, c.query);
      target = q === null ? stem : `${stem}?${q}`;
    } else {
      const uri = value(f, c.uri);
      if (uri === null) return R_NO_TARGET;
      target = uri;
    }

    const m = value(f, c.method);
    const hostRaw = value(f, c.hostHeader) ?? value(f, c.csHost);
    const ua = value(f, c.userAgent);
    const proto = value(f, c.protocol);
    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor: value(f, c.forwardedFor),
      host: hostRaw === null ? null : normalizeHost(hostRaw),
      method: m !== null && isMethodToken(m, 0, m.length) ? m : null,
      target,
      protocol: proto !== null && isProtocolToken(proto, 0, proto.length) ? proto : null,
      status,
      bytes,
      referrer: value(f, c.referrer),
      userAgent: ua === null ? null : decodeUserAgent(ua, tabbed),
      durationMs,
    };
    return { ok: true, record };
  }
}

export function createW3cParser(): LineParser {
  return new W3cParser("w3c");
}
