/**
 * The hand scanner shared by the NCSA family: `common`, `combined` and `vhost-combined`.
 *
 *   common          %h %l %u %t "%r" %>s %b                                   (anything after %b is ignored)
 *   combined        %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"    (nginx `main` adds "$http_x_forwarded_for")
 *   vhost-combined  %v[:%p] %h %l %u %t "%r" %>s %O ["%{Referer}i" "%{User-Agent}i"]
 *
 * The scanner walks the line with indexOf, once, left to right: linear in the line length whatever the input.
 * - The request ends at the first unescaped `"` that is followed by ` NNN` (a status) and a space or the end,
 *   so a raw quote inside a request does not cut it short; failing that, at the first unescaped `"` followed
 *   by a space (and the status check then rejects the line).
 * - Apache escapes `"` as `\"` and `\` as `\\`; referrer and user agent are unescaped, the target is kept as logged.
 * - A user agent without its closing quote takes the rest of the line (GoAccess accepts such a line too).
 * - `-` (or an empty string) for referrer or user agent is null; `-` bytes is 0.
 * - The three tokens %h %l %u are single-space separated, which keeps `combined` and `vhost-combined` disjoint.
 */

import type { AccessRecord, LogFormat, ParseResult } from "../types.ts";
import {
  findClosingQuote,
  isEscaped,
  isPlausibleClientToken,
  looksLikeAddressList,
  normalizeHost,
  nullIfDash,
  parseByteCount,
  parseStatus,
  RequestLineScratch,
  splitRequestInto,
  unescapeQuoted,
} from "./fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "./parser.ts";
import { SameText } from "./same-text.ts";
import { ClfTimeCache } from "./time.ts";

export type ClfFormat = Extract<LogFormat, "common" | "combined" | "vhost-combined">;

const R_NO_VHOST = rejection("malformed", "expected the virtual host then a space");
const R_NO_CLIENT = rejection("malformed", "expected the client address then a space");
const R_NO_IDENT = rejection("malformed", "expected the identity field after the client address");
const R_NO_USER = rejection("malformed", "expected the user field after the identity field");
const R_NO_TIME = rejection("malformed", "expected [timestamp] after the user field");
const R_NO_TIME_END = rejection("malformed", "the [timestamp] is not closed");
const R_NO_REQUEST = rejection("malformed", 'expected "request" after the timestamp');
const R_REQUEST_OPEN = rejection("malformed", "the quoted request is not closed");
const R_NO_STATUS = rejection("malformed", "expected the status after the request");
const R_NO_BYTES = rejection("malformed", "expected the byte count after the status");
const R_NO_REFERRER = rejection("malformed", 'expected "referrer" after the byte count');
const R_REFERRER_OPEN = rejection("malformed", "the quoted referrer is not closed");
const R_NO_UA = rejection("malformed", 'expected "user agent" after the referrer');
const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_TIME = rejection("bad_timestamp", "the timestamp is not dd/Mon/yyyy:HH:MM:SS +zzzz in range");
const R_BAD_STATUS = rejection("bad_status", "the status is not a 3-digit code from 100 to 599");
const R_BAD_BYTES = rejection("bad_number", "the byte count is not a non-negative integer or -");

const SPACE = 32;
const QUOTE = 34;
const DASH = 45;

/**
 * User agents and referrers as one string object per text (same-text.ts), shared by every parser of the thread: a
 * shard's parser hands out the objects the caches downstream already hold as keys. Not targets: on a log of 16,500
 * distinct paths the table cost more than it saved (docs/BENCHMARKS.md, issue 20, fifth round).
 */
const AGENTS = new SameText(1024);
const REFERRERS = new SameText(1024);

function sameOrNull(table: SameText, text: string | null): string | null {
  return text === null ? null : table.of(text);
}

export class ClfParser implements LineParser {
  readonly format: ClfFormat;
  private readonly vhost: boolean;
  private readonly tail: boolean;
  /** Consecutive lines repeat the timestamp, or at least its day. */
  private readonly time = new ClfTimeCache();
  private readonly request = new RequestLineScratch();
  /** Scratch fields filled by readTail for the line being parsed. */
  private referrer: string | null = null;
  private userAgent: string | null = null;
  private forwardedFor: string | null = null;
  /**
   * The text after the byte count of the last line whose tail was read and accepted, and what it gave (referrer and
   * user agent as SameText handed them out): a page and its assets are requested one after the other with the same
   * referrer and agent (on the elastic log 58 % of lines repeat the agent of the line before, 61 % the referrer), and
   * the tail is a pure function of its text, so a line with the same text after its byte count reuses the answer
   * instead of scanning, slicing and looking up both fields again. Holds the text of one line's tail (a slice of that
   * line), as the record before does anyway. Before the first tail, a text no tail can be (a tail is empty or starts
   * with a space; a line holds no line feed): a string, not null, since V8 optimizes the comparison below for strings,
   * and a null met by a new parser (one per shard) threw that code away ("not a String").
   */
  private lastTail = "\n";
  /** The last client token that passed isPlausibleClientToken (the text of one line's client). */
  private lastClientIp = "";
  private lastReferrer: string | null = null;
  private lastUserAgent: string | null = null;
  private lastForwardedFor: string | null = null;

  constructor(format: ClfFormat) {
    this.format = format;
    this.vhost = format === "vhost-combined";
    this.tail = format !== "common";
  }

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    const len = line.length;
    if (len === 0 || isBlank(line)) return SKIP_BLANK;

    let pos = 0;
    let host: string | null = null;
    if (this.vhost) {
      const sp = line.indexOf(" ");
      if (sp <= 0) return R_NO_VHOST;
      host = normalizeHost(line.slice(0, sp));
      pos = sp + 1;
    }
    const spH = line.indexOf(" ", pos);
    if (spH <= pos) return R_NO_CLIENT;
    const spL = line.indexOf(" ", spH + 1);
    if (spL <= spH + 1) return R_NO_IDENT;
    const spU = line.indexOf(" ", spL + 1);
    if (spU <= spL + 1) return R_NO_USER;
    if (line.charCodeAt(spU + 1) !== 91 /* [ */) return R_NO_TIME;
    const tStart = spU + 2;
    const tEnd = line.indexOf("]", tStart);
    if (tEnd < 0) return R_NO_TIME_END;
    if (line.charCodeAt(tEnd + 1) !== SPACE || line.charCodeAt(tEnd + 2) !== QUOTE) return R_NO_REQUEST;

    // The client of the line before, when it is the same text (57 % of elastic's lines): its object, already checked
    // (a pure test of the text), so the address step downstream finds it by pointer too.
    let clientIp = line.slice(pos, spH);
    if (clientIp === this.lastClientIp) clientIp = this.lastClientIp;
    else {
      if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;
      this.lastClientIp = clientIp;
    }

    const timestampMs = this.time.parse(line, tStart, tEnd);
    if (Number.isNaN(timestampMs)) return R_BAD_TIME;

    // The request: see the header comment for how its closing quote is found.
    const rStart = tEnd + 3;
    let rEnd = -1;
    let fallback = -1;
    let q = line.indexOf('"', rStart);
    while (q >= 0) {
      if (!isEscaped(line, q)) {
        if (q + 1 >= len) {
          if (fallback < 0) fallback = q;
          break;
        }
        if (line.charCodeAt(q + 1) === SPACE) {
          const sEnd = q + 5;
          if (
            sEnd <= len &&
            parseStatus(line, q + 2, sEnd) > 0 &&
            (sEnd === len || line.charCodeAt(sEnd) === SPACE)
          ) {
            rEnd = q;
            break;
          }
          if (fallback < 0) fallback = q;
        }
      }
      q = line.indexOf('"', q + 1);
    }
    if (rEnd < 0) rEnd = fallback;
    if (rEnd < 0) return R_REQUEST_OPEN;
    if (rEnd + 2 > len) return R_NO_STATUS;

    const sStart = rEnd + 2;
    let sEnd = line.indexOf(" ", sStart);
    if (sEnd < 0) sEnd = len;
    const status = parseStatus(line, sStart, sEnd);
    if (status < 0) return R_BAD_STATUS;
    if (sEnd >= len) return R_NO_BYTES;
    let bEnd = line.indexOf(" ", sEnd + 1);
    if (bEnd < 0) bEnd = len;
    const bytes = parseByteCount(line, sEnd + 1, bEnd);
    if (bytes < 0) return R_BAD_BYTES;

    let referrer: string | null = null;
    let userAgent: string | null = null;
    let forwardedFor: string | null = null;
    if (this.tail) {
      // A slice compared with `===` (a length check, then a compare of the characters in one go): the same test by
      // `startsWith(lastTail, bEnd)` cost more than the work it saved (docs/BENCHMARKS.md, seventh round).
      const tail = line.slice(bEnd);
      if (tail === this.lastTail) {
        referrer = this.lastReferrer;
        userAgent = this.lastUserAgent;
        forwardedFor = this.lastForwardedFor;
      } else {
        this.referrer = null;
        this.userAgent = null;
        this.forwardedFor = null;
        const bad = this.readTail(line, bEnd);
        if (bad !== null) return bad;
        referrer = sameOrNull(REFERRERS, this.referrer);
        userAgent = sameOrNull(AGENTS, this.userAgent);
        forwardedFor = this.forwardedFor;
        this.lastTail = tail;
        this.lastReferrer = referrer;
        this.lastUserAgent = userAgent;
        this.lastForwardedFor = forwardedFor;
      }
    }

    const req = this.request;
    splitRequestInto(line, rStart, rEnd, req);
    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor,
      host,
      method: req.method,
      target: req.target,
      protocol: req.protocol,
      status,
      bytes,
      referrer,
      userAgent,
      durationMs: null,
    };
    return { ok: true, record };
  }

  /**
   * Reads referrer, user agent and an optional X-Forwarded-For after the byte count into the scratch fields.
   * Returns a rejection, or null when the tail is acceptable (vhost lines may end after the byte count).
   */
  private readTail(line: string, from: number): ParseResult | null {
    const len = line.length;
    if (from >= len) return this.vhost ? null : R_NO_REFERRER;
    let p = from + 1;
    const c = line.charCodeAt(p);
    if (c === QUOTE) {
      const end = findClosingQuote(line, p + 1);
      if (end < 0) return R_REFERRER_OPEN;
      this.referrer = nullIfDash(unescapeQuoted(line.slice(p + 1, end)));
      p = end + 1;
    } else if (c === DASH && (p + 1 === len || line.charCodeAt(p + 1) === SPACE)) {
      p += 1;
    } else return R_NO_REFERRER;

    if (p >= len) return this.vhost ? null : R_NO_UA;
    p += 1; // the space
    const u = line.charCodeAt(p);
    if (u === QUOTE) {
      const end = findClosingQuote(line, p + 1);
      // No closing quote: the rest of the line is the user agent. One slice for both cases: a second one, for the
      // rare unclosed agent, had no type feedback when V8 optimized this, and the first such line threw it away.
      this.userAgent = nullIfDash(unescapeQuoted(line.slice(p + 1, end < 0 ? len : end)));
      if (end < 0) return null;
      p = end + 1;
    } else if (u === DASH && (p + 1 === len || line.charCodeAt(p + 1) === SPACE)) {
      p += 1;
    } else return R_NO_UA;

    if (p + 2 < len && line.charCodeAt(p) === SPACE && line.charCodeAt(p + 1) === QUOTE) {
      const end = findClosingQuote(line, p + 2);
      if (end > 0) {
        const xff = line.slice(p + 2, end);
        if (looksLikeAddressList(xff)) this.forwardedFor = xff;
      }
    }
    return null;
  }
}
