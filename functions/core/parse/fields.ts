/**
 * Field rules shared by all formats: status, byte counts, client token sanity, host names, request lines,
 * quoted fields, escapes. Everything here is index-based and linear in the input; no regular expressions.
 */

/** HTTP status from a token: exactly three digits, 100–599; otherwise `-1`. */
export function parseStatus(s: string, start = 0, end = s.length): number {
  if (end - start !== 3) return -1;
  const a = s.charCodeAt(start) - 48;
  const b = s.charCodeAt(start + 1) - 48;
  const c = s.charCodeAt(start + 2) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  return a * 100 + b * 10 + c;
}

/** A non-negative integer written in decimal digits (at most 15, so it stays exact); `-` is 0; otherwise `-1`. */
export function parseByteCount(s: string, start = 0, end = s.length): number {
  const len = end - start;
  if (len === 1 && s.charCodeAt(start) === 45) return 0;
  if (len < 1 || len > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A decimal number such as `0.001`, `12`, `-1` (ALB's "not available"), `1.5e-3` is not accepted.
 * Returns NaN when the token is not a plain decimal.
 */
export function parseDecimal(s: string): number {
  const len = s.length;
  if (len === 0 || len > 32) return Number.NaN;
  let i = 0;
  if (s.charCodeAt(0) === 45) i = 1;
  let digits = 0;
  let dot = false;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot) dot = true;
    else return Number.NaN;
  }
  return digits === 0 ? Number.NaN : Number(s);
}

/**
 * Obvious garbage in a client address token: empty, no digit at all, whitespace, control or non-ASCII
 * characters inside (an address, even with port, brackets or zone id, is printable ASCII).
 * The anonymize module does the real validation; this only keeps words like `localhost` or `-` out.
 */
export function isPlausibleClientToken(s: string): boolean {
  if (s.length === 0 || s.length > 256) return false;
  let digit = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127) return false;
    if (c >= 48 && c <= 57) digit = true;
  }
  return digit;
}

/**
 * A host name as written in a log (`Example.COM:8080`, `[2001:db8::1]:443`, `www.example.com.`) reduced to
 * lower case without port, brackets or trailing dot. `-`, empty, or a value with whitespace gives null.
 */
export function normalizeHost(raw: string): string | null {
  let s = raw;
  if (s.length === 0 || s === "-" || s.length > 300) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf("]");
    if (close < 0) return null;
    s = s.slice(1, close);
  } else {
    const colon = s.indexOf(":");
    // One colon: host:port. More than one: a bare IPv6 address, keep it whole.
    if (colon >= 0 && s.indexOf(":", colon + 1) < 0) s = s.slice(0, colon);
  }
  if (s.length > 0 && s.charCodeAt(s.length - 1) === 46) s = s.slice(0, -1);
  if (s.length === 0) return null;
  for (let i = 0; i < s.length; i++) if (isSpaceOrControl(s.charCodeAt(i))) return null;
  return s.toLowerCase();
}

/** ASCII controls and space, DEL, C1 controls, and the Unicode white space characters. */
function isSpaceOrControl(c: number): boolean {
  if (c <= 32 || (c >= 127 && c <= 160)) return true;
  if (c < 0x1680) return false;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** An HTTP method: 1–24 characters among A–Z, `_` and `-`, starting with a letter (WebDAV verbs included). */
export function isMethodToken(s: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > 24) return false;
  const first = s.charCodeAt(start);
  if (first < 65 || first > 90) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 95 || c === 45)) return false;
  }
  return true;
}

/** `HTTP/` followed by something (HTTP/1.0, HTTP/1.1, HTTP/2.0, HTTP/3). */
export function isProtocolToken(s: string, start: number, end: number): boolean {
  return end - start >= 6 && end - start <= 16 && s.startsWith("HTTP/", start);
}

export interface RequestLine {
  readonly method: string | null;
  readonly target: string;
  readonly protocol: string | null;
}

/** Mutable result of {@link splitRequestInto}: reused across lines so the hot path allocates only the strings. */
export class RequestLineScratch {
  method: string | null = null;
  target = "";
  protocol: string | null = null;
}

/**
 * Splits `%r` ("GET /path?q HTTP/1.1"), read from `s` between `start` and `end`, into `out`. A request that is
 * `-`, empty or garbage keeps method and protocol null and the target as logged (GoAccess counts such lines;
 * we do not reject them). A target with unencoded spaces keeps them: method is the first token, protocol the
 * last when it is `HTTP/…`.
 */
export function splitRequestInto(s: string, start: number, end: number, out: RequestLineScratch): void {
  const sp1 = s.indexOf(" ", start);
  if (sp1 > start && sp1 < end - 1 && isMethodToken(s, start, sp1)) {
    // Nearly every request ends with ` HTTP/1.x`: then that space is the last one (the eight characters after it
    // have none), found without a backward search.
    let sp2 = end - 9;
    if (!(sp2 > sp1 && s.charCodeAt(sp2) === 32 && isHttp1(s, sp2 + 1))) sp2 = s.lastIndexOf(" ", end - 1);
    if (sp2 > sp1 + 1 && isProtocolToken(s, sp2 + 1, end)) {
      out.method = commonToken(s, start, sp1, METHODS);
      out.target = s.slice(sp1 + 1, sp2);
      out.protocol = commonToken(s, sp2 + 1, end, PROTOCOLS);
      return;
    }
    if (sp2 !== sp1 + 1 || !isProtocolToken(s, sp2 + 1, end)) {
      out.method = commonToken(s, start, sp1, METHODS);
      out.target = s.slice(sp1 + 1, end);
      out.protocol = null;
      return;
    }
  }
  out.method = null;
  out.target = s.slice(start, end);
  out.protocol = null;
}

const METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"] as const;
const PROTOCOLS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3"] as const;

/** `HTTP/1.1` or `HTTP/1.0` at `at`. */
function isHttp1(s: string, at: number): boolean {
  return (
    s.charCodeAt(at) === 72 && // H
    s.charCodeAt(at + 1) === 84 && // T
    s.charCodeAt(at + 2) === 84 && // T
    s.charCodeAt(at + 3) === 80 && // P
    s.charCodeAt(at + 4) === 47 && // /
    s.charCodeAt(at + 5) === 49 && // 1
    s.charCodeAt(at + 6) === 46 && // .
    (s.charCodeAt(at + 7) === 49 || s.charCodeAt(at + 7) === 48) // 1 or 0
  );
}

/**
 * `s.slice(start, end)`, but one of `common` itself when it is one: the same string object line after line, whose
 * hash V8 has cached, so dictionaries and Maps downstream find it without hashing a fresh copy every time. Compared
 * character by character: `startsWith` at a position cost more than the rest of the request's split together.
 */
function commonToken(s: string, start: number, end: number, common: readonly string[]): string {
  const length = end - start;
  for (const token of common) {
    if (token.length !== length) continue;
    let i = 0;
    while (i < length && token.charCodeAt(i) === s.charCodeAt(start + i)) i++;
    if (i === length) return token;
  }
  return s.slice(start, end);
}

/** {@link splitRequestInto} for a whole string, returning a new object (for the formats off the hot path). */
export function splitRequestLine(req: string): RequestLine {
  const out = new RequestLineScratch();
  splitRequestInto(req, 0, req.length, out);
  return { method: out.method, target: out.target, protocol: out.protocol };
}

/** True when the character at `q` is preceded by an odd number of backslashes (an escaped quote). */
export function isEscaped(s: string, q: number): boolean {
  let n = 0;
  for (let i = q - 1; i >= 0 && s.charCodeAt(i) === 92; i--) n++;
  return (n & 1) === 1;
}

/**
 * The index of the quote closing a quoted field whose content starts at `from`: the first unescaped `"`
 * followed by a space or the end of the line. `-1` when there is none (an unterminated field).
 */
export function findClosingQuote(s: string, from: number): number {
  let q = s.indexOf('"', from);
  while (q >= 0) {
    if (!isEscaped(s, q)) {
      const next = q + 1 < s.length ? s.charCodeAt(q + 1) : 32;
      if (next === 32 || next === 9) return q;
    }
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Code units per String.fromCharCode call (well below any engine's argument limit). */
const UNITS_PER_CHUNK = 8192;

/** Undoes Apache's `\"` and `\\` escapes (other `\xhh`, `\n` escapes stay as logged). */
export function unescapeQuoted(s: string): string {
  if (s.indexOf("\\") < 0) return s;
  // The result is built as UTF-16 code units and turned into text in large chunks: appending a one-character
  // string per escape made a line of half a million `\"` cost ten times a plain scan.
  const units = new Uint16Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next === 34 || next === 92) {
        units[n++] = next; // keep the escaped character, drop the backslash
        i++;
        continue;
      }
    }
    units[n++] = c;
  }
  let out = "";
  for (let k = 0; k < n; k += UNITS_PER_CHUNK) {
    out += String.fromCharCode.apply(
      null,
      units.subarray(k, Math.min(n, k + UNITS_PER_CHUNK)) as unknown as number[],
    );
  }
  return out;
}

/**
 * Escapes are rare in referrers and user agents, so the path above that undoes them first runs long after V8 has
 * optimized the parsers that inline this function, with no type feedback for it: the first escaped quote threw
 * that code away (and the parser was compiled again) in each thread. V8 records feedback only once a function has
 * run a few times (its feedback vector is allocated lazily), hence a few calls here, when the module loads.
 */
for (let i = 0; i < 16; i++) unescapeQuoted('a \\"quoted\\" \\\\ b');

/** `-` and the empty string mean "not sent" in every format we read. */
export function nullIfDash(s: string): string | null {
  return s.length === 0 || s === "-" ? null : s;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Length of the UTF-8 sequence a lead byte starts, or 0 when it cannot start one. */
function utf8Len(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/**
 * Decodes `%XX` escapes into UTF-8 text, robustly: a `%` not followed by two hex digits stays as is, and
 * so does every escape whose bytes are not a valid UTF-8 sequence (overlong, surrogate, truncated).
 * Linear; never throws. `+` is not touched (see {@link decodePlus}).
 */
export function percentDecode(s: string): string {
  if (s.indexOf("%") < 0) return s;
  let i = nextEscape(s, 0);
  // Text that stays as logged is copied in slices (from `last` to the next decoded escape), never character by
  // character: a hostile line of a million `%` signs costs one scan, not a million string appends.
  let out = "";
  let last = 0;
  const len = s.length;
  while (i >= 0) {
    const h1 = i + 2 < len ? hexVal(s.charCodeAt(i + 1)) : -1;
    const h2 = i + 2 < len ? hexVal(s.charCodeAt(i + 2)) : -1;
    if (h1 < 0 || h2 < 0) {
      i = nextEscape(s, i + 1); // not an escape: keep the percent sign as logged
      continue;
    }
    const b0 = (h1 << 4) | h2;
    const n = utf8Len(b0);
    if (n === 1) {
      out += s.slice(last, i) + String.fromCharCode(b0);
      last = i + 3;
      i = nextEscape(s, last);
      continue;
    }
    // Multi-byte: n escapes in a row, each a continuation byte, forming a valid scalar value.
    let cp = n === 2 ? b0 & 0x1f : n === 3 ? b0 & 0x0f : b0 & 0x07;
    let ok = n > 0;
    for (let k = 1; ok && k < n; k++) {
      const j = i + 3 * k;
      if (j + 2 >= len || s.charCodeAt(j) !== 37) {
        ok = false;
        break;
      }
      const x1 = hexVal(s.charCodeAt(j + 1));
      const x2 = hexVal(s.charCodeAt(j + 2));
      if (x1 < 0 || x2 < 0) {
        ok = false;
        break;
      }
      const b = (x1 << 4) | x2;
      if ((b & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3f);
    }
    if (ok) {
      const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000;
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) ok = false;
    }
    if (ok) {
      out += s.slice(last, i) + String.fromCodePoint(cp);
      last = i + 3 * n;
      i = nextEscape(s, last);
    } else {
      i = nextEscape(s, i + 3); // not valid UTF-8: keep this escape as logged
    }
  }
  return out + s.slice(last);
}

/** A `%` and two hex digits: linear (one character class, fixed count), run by the engine, not per character. */
const ESCAPE = /%[0-9A-Fa-f]{2}/g;

/** The index of the next `%XX` at or after `from`, or -1. `test` moves `lastIndex` past the match, allocating nothing. */
function nextEscape(s: string, from: number): number {
  // Escapes in a row (`%41%42…`) are the common case: the one at `from` is checked without the engine.
  if (
    from + 2 < s.length &&
    s.charCodeAt(from) === 37 &&
    hexVal(s.charCodeAt(from + 1)) >= 0 &&
    hexVal(s.charCodeAt(from + 2)) >= 0
  ) {
    return from;
  }
  ESCAPE.lastIndex = from;
  return ESCAPE.test(s) ? ESCAPE.lastIndex - 3 : -1;
}

/** IIS and other W3C writers replace spaces in the user agent with `+`. */
export function decodePlus(s: string): string {
  return s.indexOf("+") < 0 ? s : s.replaceAll("+", " ");
}

/**
 * Whether a logged `X-Forwarded-For`-like value is a list of IP addresses (`1.2.3.4, 10.0.0.1`, `2001:db8::1`).
 * Used to recognize nginx's `main` format, whose third quoted field is `$http_x_forwarded_for`, and to
 * tell it apart from other trailing fields such as `$gzip_ratio` ("2.75").
 */
export function looksLikeAddressList(s: string): boolean {
  if (s.length === 0 || s.length > 2048 || s === "-") return false;
  let dots = 0;
  let colons = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 44;
    if (c === 44) {
      if (dots !== 3 && colons < 2) return false;
      dots = 0;
      colons = 0;
    } else if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (
      !(
        c === 32 ||
        (c >= 48 && c <= 57) ||
        (c >= 97 && c <= 102) ||
        (c >= 65 && c <= 70) ||
        c === 91 ||
        c === 93
      )
    )
      return false;
  }
  return true;
}

/** A duration in milliseconds rounded to the microsecond (float noise such as 1.3354860000000002 removed). */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
