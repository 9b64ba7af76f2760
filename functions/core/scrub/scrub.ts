import { holdsAddress, maskAddresses } from "./addresses.ts";
import type { PathPatterns } from "./path-patterns.ts";
import {
  looksRandom,
  MASK,
  maskPersonalData,
  mayHoldPersonalData,
  mayHoldPersonalDataIn,
} from "./personal-data.ts";
import { cleanText, decodeUntilStable, isPrintableAscii } from "./text.ts";

/**
 * Scrubbing: what of a request target and a referrer may enter the anonymized `events/` zone. The policy, with its
 * reasons and examples, is docs/PRIVACY.md ("The scrub policy"); test/unit/core/scrub/ holds it as tests.
 *
 * Target = path + `?query` (+ `#fragment`, dropped):
 * - path: decoded until stable (text.ts), invisible characters removed, look-alikes folded; matrix parameters
 *   (`;jsessionid=…`) removed; each segment that is an identifier (`/user/12345` → `/user/:id`, UUIDs, hex ids,
 *   random-looking tokens) becomes `:id`, a token after a segment such as `reset` or `token` becomes `:token`; the
 *   rest is masked by personal-data.ts (e-mails, addresses, phone numbers, long numbers, tokens). A site can keep
 *   chosen segments (`scrub.allowedPaths`, path-patterns.ts): they are only checked for e-mails and addresses.
 * - query: only the five utm parameters, the operator's allowed parameters, and click ids in the marketing tier
 *   survive — by exact name, so data in a parameter's name goes with it; the first value of each name is kept,
 *   masked like a path.
 * A referrer is reduced to its host, and the host is masked label by label (an address written into a host name,
 * `203-0-113-9.example.net`, a token subdomain).
 */

export const UTM_PARAMS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;
const UTM_NAMES: ReadonlySet<string> = new Set(UTM_PARAMS);

/** Advertising click ids: an identifier of one ad click, kept only with marketing consent. */
export const CLICK_ID_PARAMS: ReadonlySet<string> = new Set([
  "gclid",
  "gbraid",
  "wbraid",
  "dclid",
  "fbclid",
  "msclkid",
  "ttclid",
  "twclid",
  "li_fat_id",
  "yclid",
]);

export interface ScrubbedTarget {
  readonly path: string;
  /** Kept parameters as `k=v&k=v`, sorted by name, or null when none are kept. */
  readonly query: string | null;
  readonly utm: {
    readonly source: string | null;
    readonly medium: string | null;
    readonly campaign: string | null;
    readonly term: string | null;
    readonly content: string | null;
  };
  readonly clickId: string | null;
}

export interface ScrubOptions {
  /** Extra parameter names kept besides the five utm ones (exact, lower-case names). */
  readonly allowedParams: ReadonlySet<string>;
  /** Path segments the site keeps as they are (product numbers and the like); null when none. */
  readonly allowedPaths: PathPatterns | null;
  /** Click ids are kept only in the marketing tier. */
  readonly keepClickIds: boolean;
}

/** A path segment that is an identifier. */
export const ID_SEGMENT = ":id";
/** A path segment that is a secret (the segment after `reset`, `token`, `verify`, …). */
export const TOKEN_SEGMENT = ":token";
/** What replaces a path or value that is still encoded after {@link MAX_DECODE_ROUNDS} rounds of decoding. */
export const OBFUSCATED = "[encoded]";

const MAX_PATH_CHARS = 1024;
const MAX_VALUE_CHARS = 200;
const MAX_CLICK_ID_CHARS = 256;

/** The utm columns of a target without a query (shared: a ScrubbedTarget is read-only). */
const NO_UTM: ScrubbedTarget["utm"] = Object.freeze({
  source: null,
  medium: null,
  campaign: null,
  term: null,
  content: null,
});

/** Splits a request target (path + query, maybe absolute URL) and keeps only what may be kept. */
export function scrubTarget(target: string, options: ScrubOptions): ScrubbedTarget {
  let rest = target;
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  // Proxies log absolute-form targets (`GET http://host/path`): keep the path only.
  if (rest.startsWith("http://") || rest.startsWith("https://")) {
    const slash = rest.indexOf("/", rest.indexOf("//") + 2);
    rest = slash >= 0 ? rest.slice(slash) : "/";
  }
  const q = rest.indexOf("?");
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const rawQuery = q >= 0 ? rest.slice(q + 1) : "";

  const path = scrubPath(rawPath, options.allowedPaths);
  // Most targets have no query: nothing to keep, and no list, set or utm object made for it.
  if (rawQuery.length === 0) return { path, query: null, utm: NO_UTM, clickId: null };
  let source: string | null = null;
  let medium: string | null = null;
  let campaign: string | null = null;
  let term: string | null = null;
  let content: string | null = null;
  let clickId: string | null = null;
  const kept: [string, string][] = [];
  const keptNames = new Set<string>();

  if (rawQuery.length > 0) {
    for (const pair of rawQuery.split("&")) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf("=");
      const name = paramName(eq >= 0 ? pair.slice(0, eq) : pair);
      if (name === null) continue;
      const rawValue = eq >= 0 ? pair.slice(eq + 1) : "";
      if (CLICK_ID_PARAMS.has(name)) {
        // The click id is an identifier by design: kept as sent in its own column (never in `query`), but only
        // when it has the shape of one, so an address or a phone number cannot ride in it.
        if (options.keepClickIds) clickId ??= scrubClickId(rawValue);
        continue;
      }
      const isUtm = UTM_NAMES.has(name);
      if (!isUtm && !options.allowedParams.has(name)) continue;
      // The first value of a name counts (as for the utm columns); repeats add nothing but work and bytes.
      if (keptNames.has(name)) continue;
      keptNames.add(name);
      const value = scrubValue(rawValue);
      kept.push([name, value]);
      switch (name) {
        case "utm_source":
          source ??= value;
          break;
        case "utm_medium":
          medium ??= value;
          break;
        case "utm_campaign":
          campaign ??= value;
          break;
        case "utm_term":
          term ??= value;
          break;
        case "utm_content":
          content ??= value;
          break;
      }
    }
  }
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const query =
    kept.length > 0
      ? kept.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
      : null;
  return { path, query, utm: { source, medium, campaign, term, content }, clickId };
}

/**
 * A parameter name as it is compared with the kept names: decoded until stable, cleaned, lower-cased. Null for a
 * name hidden under too many layers of encoding (it is not one of ours).
 */
function paramName(raw: string): string | null {
  if (raw.length > 64 * 3) return null;
  const decoded = decodeUntilStable(raw.includes("+") ? raw.replaceAll("+", " ") : raw);
  return decoded === null ? null : cleanText(decoded).trim().toLowerCase();
}

/**
 * The path of a target, scrubbed. The fast path: printable ASCII with nothing to decode, no matrix parameter and no
 * segment that any rule could match is returned as it is, after one scan.
 */
export function scrubPath(rawPath: string, allowedPaths: PathPatterns | null = null): string {
  if (rawPath.length === 0 || rawPath === "-") return "/";
  const limited = rawPath.length > MAX_PATH_CHARS * 3 ? rawPath.slice(0, MAX_PATH_CHARS * 3) : rawPath;
  if (isPlainPath(limited)) return clip(limited, MAX_PATH_CHARS);
  const decoded = decodeUntilStable(limited);
  if (decoded === null) return `/${OBFUSCATED}`;
  const segments = cleanText(decoded).split("/");
  const kept = allowedPaths?.keptSegments(segments) ?? null;
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    let segment = segments[i] as string;
    // Matrix parameters (`/shop;jsessionid=…`): servlet containers put the session there.
    const semicolon = segment.indexOf(";");
    if (semicolon >= 0) segment = segment.slice(0, semicolon);
    if (kept?.has(i) === true) out.push(maskContactData(segment));
    else if (isDateSegment(segment)) out.push(segment);
    else if (isIdSegment(segment)) out.push(ID_SEGMENT);
    else if (i > 0 && isSecretSegmentAfter(segments[i - 1] as string, segment)) out.push(TOKEN_SEGMENT);
    else out.push(maskPersonalData(segment));
  }
  return clip(out.join("/"), MAX_PATH_CHARS);
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/**
 * True when no path rule can change `path`: printable ASCII, nothing decodable (`% & \`), no matrix parameter
 * (`;`), no segment {@link mayHoldPersonalData} flags, and no secret word before a segment with a digit or capital.
 */
function isPlainPath(path: string): boolean {
  let segmentStart = 0;
  let digitOrCapital = false;
  for (let i = 0; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 47;
    if (c === 47 /* / */) {
      if (i > segmentStart && mayHoldPersonalDataIn(path, segmentStart, i)) return false;
      segmentStart = i + 1;
      continue;
    }
    if (c < 32 || c > 126 || c === 37 /* % */ || c === 38 /* & */ || c === 92 /* \ */ || c === 59 /* ; */)
      return false;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90)) digitOrCapital = true;
  }
  return !digitOrCapital || !SECRET_WORD_SEGMENT.test(path);
}

/** Segments after which the next segment is a secret when it looks like one (`/password/reset/Xy7…`). */
const SECRET_PATH_WORDS: ReadonlySet<string> = new Set([
  "token",
  "tokens",
  "reset",
  "password-reset",
  "reset-password",
  "verify",
  "verification",
  "confirm",
  "confirmation",
  "activate",
  "activation",
  "invite",
  "invitation",
  "unsubscribe",
  "magic",
  "magic-link",
  "login",
  "session",
  "sessions",
  "auth",
  "oauth",
  "sso",
  "share",
]);
const SECRET_WORD_SEGMENT =
  /\/(?:tokens?|reset|password-reset|reset-password|verify|verification|confirm|confirmation|activate|activation|invite|invitation|unsubscribe|magic|magic-link|login|sessions?|auth|oauth|sso|share)\//i;

function isSecretSegmentAfter(previous: string, segment: string): boolean {
  if (segment.length < 6 || !SECRET_PATH_WORDS.has(previous.toLowerCase())) return false;
  if (!/^[A-Za-z0-9_.~-]+$/.test(segment)) return false;
  const hasDigit = /[0-9]/.test(segment);
  const mixedCase = /[a-z]/.test(segment) && /[A-Z]/.test(segment);
  return hasDigit || mixedCase;
}

const UUID_SEGMENT = /^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$/;
const HEX_SEGMENT = /^(?:0[xX])?[0-9A-Fa-f]{8,}$/;
const PREFIXED_NUMBER = /^[A-Za-z]{1,3}[-_]?([0-9]{4,})$/;

/**
 * A whole segment that is an identifier: a number of four or more digits that is not a year (1900–2099; `/2026/`
 * stays, `/12345/` does not; one to three digits stay: pages, months, small counts) nor a day written YYYYMMDD
 * (`/20261120/` stays), a short prefix with such a
 * number (`u12345`, `id-4711`), a UUID, a hex id of eight or more digits with a digit, or a random-looking run.
 */
export function isIdSegment(segment: string): boolean {
  if (segment.length < 4) return false;
  if (/^[0-9]+$/.test(segment)) return !isYear(segment);
  const prefixed = PREFIXED_NUMBER.exec(segment);
  if (prefixed !== null) return !isYear(prefixed[1] as string);
  if (UUID_SEGMENT.test(segment)) return true;
  if (HEX_SEGMENT.test(segment) && /[0-9]/.test(segment)) return true;
  // One run of letters and digits that looks generated; runs inside a slug are left to the text rules.
  return segment.length >= 8 && /^[A-Za-z0-9]+$/.test(segment) && looksRandom(segment);
}

/** A whole segment that is a year or a day (`2026`, `20261120`): kept, as no rule may mask it. */
function isDateSegment(segment: string): boolean {
  return (segment.length === 4 || segment.length === 8) && /^[0-9]+$/.test(segment) && isYear(segment);
}

/** A year 1900–2099, or a day written YYYYMMDD (blog archives: `/files/20070901/`). */
function isYear(digits: string): boolean {
  if (digits.length !== 4 && digits.length !== 8) return false;
  const year = Number(digits.slice(0, 4));
  if (year < 1900 || year > 2099) return false;
  if (digits.length === 4) return true;
  const month = Number(digits.slice(4, 6));
  const day = Number(digits.slice(6, 8));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** For segments the site keeps: only e-mail addresses and network addresses are masked. */
function maskContactData(segment: string): string {
  if (!mayHoldPersonalData(segment)) return segment;
  const masked = maskPersonalData(segment);
  // Keep the segment unless an e-mail or an address was found (the other rules are what the site opted out of).
  return masked.includes(MASK.email) || masked.includes(MASK.ip) ? masked : segment;
}

/**
 * A kept query value: decoded until stable, cleaned, masked; `+` is a space in a query value (read after masking,
 * so `alice+tag@example.com` is still seen as one address). At most 200 characters.
 */
export function scrubValue(raw: string): string {
  const limited = raw.length > MAX_VALUE_CHARS * 3 ? raw.slice(0, MAX_VALUE_CHARS * 3) : raw;
  if (isPrintableAscii(limited) && !/[%+&\\]/.test(limited) && !mayHoldPersonalData(limited)) {
    return clip(limited.trim(), MAX_VALUE_CHARS);
  }
  const decoded = decodeUntilStable(limited);
  if (decoded === null) return OBFUSCATED;
  const masked = maskPersonalData(cleanText(decoded)).replaceAll("+", " ").trim();
  return clip(masked, MAX_VALUE_CHARS);
}

/**
 * Free text a visitor writes outside the URL — an event's name, a custom property's value, a bot's self-declared
 * name — scrubbed like every value (docs/PRIVACY.md, rules 1 and 4): decoded until stable (`john%2540example.com`,
 * `john&#64;example.com` and `john\u0040example.com` are all an address when the rules look), cleaned, masked.
 * Unlike in a query value, `+` stays a plus. Printable ASCII with nothing to decode and nothing a rule could match is
 * returned as it is (most event names are `pageview`). The caller cuts the result to its column's length.
 */
export function scrubFreeText(raw: string): string {
  if (isPrintableAscii(raw) && !/[%&\\]/.test(raw) && !mayHoldPersonalData(raw)) return raw;
  const decoded = decodeUntilStable(raw);
  if (decoded === null) return OBFUSCATED;
  return maskPersonalData(cleanText(decoded));
}

/**
 * A click id, when it has the shape of one: letters, digits, `-` and `_` (every network's ids do), and nothing an
 * address or a phone number would leave (no address notation, no phone-like digit run unless the whole id is a
 * number longer than any phone number, as Yandex's are). Null otherwise: the event is kept, the click id is not.
 */
function scrubClickId(raw: string): string | null {
  const decoded = decodeUntilStable(raw.length > MAX_CLICK_ID_CHARS * 3 ? "" : raw);
  if (decoded === null || decoded.length === 0 || decoded.length > MAX_CLICK_ID_CHARS) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(decoded)) return null;
  if (/^[0-9]+$/.test(decoded)) return decoded.length > 15 ? decoded : null;
  if (holdsAddress(decoded)) return null;
  const masked = maskPersonalData(decoded);
  if (masked.includes(MASK.phone) || masked.includes(MASK.number) || masked.includes(MASK.email)) return null;
  return decoded;
}

/**
 * The host of a referrer URL, lower-cased, without port or credentials, with anything personal in it masked; null
 * for none, `-`, or something that is not a URL. A host that is an IP address in any notation browsers accept
 * becomes `[ip]`; an address or token inside a host name is masked where it stands (`[ip].example.net`).
 */
export function referrerHost(referrer: string | null): string | null {
  if (referrer === null || referrer.length === 0 || referrer === "-") return null;
  const scheme = referrer.indexOf("://");
  if (scheme < 0 || scheme > 16) return null;
  let end = referrer.length;
  for (let i = scheme + 3; i < referrer.length; i++) {
    const c = referrer.charCodeAt(i);
    // '/', '?', '#', '\' (browsers read a backslash as a slash)
    if (c === 47 || c === 63 || c === 35 || c === 92) {
      end = i;
      break;
    }
  }
  let authority = referrer.slice(scheme + 3, end);
  if (authority.includes("%") || authority.includes("&")) {
    const decoded = decodeUntilStable(authority);
    if (decoded === null) return MASK.ip;
    authority = decoded;
  }
  authority = cleanText(authority);
  // Credentials (`alice@host`, `user:pw@host`) are dropped with everything up to the last `@`.
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) return MASK.ip;
  const colon = authority.indexOf(":");
  let host = (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253) return null;
  if (isNumericHost(host)) return MASK.ip;
  return maskHost(host);
}

/**
 * A host name with addresses, numbers and tokens masked label by label. Punycode labels (`xn--…`) are encodings of
 * non-ASCII names, not tokens; what they carry in ASCII is still looked at.
 */
function maskHost(host: string): string {
  if (!mayHoldPersonalData(host) && /^[a-z0-9.-]+$/.test(host)) return host;
  // Addresses first, over the whole host (a dotted address spans labels), then the other rules label by label.
  return maskAddresses(host, MASK.ip)
    .split(".")
    .map((label) => (label.startsWith("xn--") ? maskPunycodeLabel(label) : maskPersonalData(label)))
    .join(".");
}

/** A punycode label is an encoding, not a token: only the digits and addresses it carries are masked. */
function maskPunycodeLabel(label: string): string {
  const masked = maskPersonalData(label);
  return masked.includes(MASK.number) || masked.includes(MASK.phone) ? masked : label;
}

/**
 * A host that browsers would read as an IPv4 address: every label a decimal, octal or 0x-hex number
 * (`203.0.113.5`, `0xCB00714D`, `0313.0.0161.5`, `3405803845`, `203.7434189`). URL parsers accept all of these.
 */
function isNumericHost(host: string): boolean {
  const labels = host.split(".");
  return labels.length <= 4 && labels.every((label) => /^(?:0x[0-9a-f]*|[0-9]+)$/i.test(label));
}
