import type { CollectRejectReason, HitConsent } from "./types.ts";

/**
 * Field readers shared by the protocols. Each returns the value or the reason it is refused; no message ever
 * quotes the input.
 */

export type Field<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: CollectRejectReason };

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const fail = (reason: CollectRejectReason): Field<never> => ({ ok: false, reason });

/** Plausible's limit on a page path and on a referrer, which we take for every protocol. */
export const MAX_PATH_CHARS = 2000;
export const MAX_REFERRER_CHARS = 2000;
export const MAX_URL_CHARS = 4096;
export const MAX_EVENT_NAME_CHARS = 120;
export const MAX_PROPS = 30;
const MAX_SITE_CHARS = 253;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this refuses
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST_NAME = /^[a-z0-9.-]+$/;

/**
 * An absolute http(s) URL the WHATWG URL parser would leave as it is, so its parts can be read without it: a
 * lower-case host of letters, digits, dots and single hyphens whose last label starts with a letter (not an IPv4
 * address, no `xn--` label to decode, no trailing dot), no port or credentials, a path of characters the parser
 * neither escapes nor resolves (no `%`, `\`, `^`, quote or space; no `/.`, checked apart), an optional non-empty
 * query of the same characters plus `?` and `%` (no `'`). test/unit/core/collect/fields.test.ts holds it against
 * `new URL` on generated URLs. Parsing a page URL and a referrer took about 2 µs of a request's CPU under
 * `bench:collect` (docs/BENCHMARKS.md, issue 20, twelfth round): most trackers send URLs of this form.
 */
const PLAIN_URL =
  /^https?:\/\/(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)*[a-z][a-z0-9]*(?:-[a-z0-9]+)*(\/[\w\-.~!$&()*+,;=:@/]*)(\?[\w\-.~!$&()*+,;=:@/?%]+)?/;

/**
 * The target (path and query) of a plain URL with, after it, nothing or a fragment (`#…`, dropped); null for
 * any other text, which `new URL` then reads.
 */
function plainTarget(text: string): string | null {
  const match = PLAIN_URL.exec(text);
  if (match === null) return null;
  const end = match[0].length;
  if (end < text.length && text.charCodeAt(end) !== 35) return null; // what follows is not a fragment
  const path = match[1] as string;
  if (path.includes("/.")) return null; // a dot segment the parser would resolve
  return match[2] === undefined ? path : path + match[2];
}

/** A site as sent: trimmed, lower-cased, without a trailing dot; refused unless it is a host name. */
export function readSite(value: unknown): Field<string> {
  if (value === undefined || value === null || value === "") return fail("missing_site");
  if (typeof value !== "string" && typeof value !== "number") return fail("bad_site");
  let site = String(value).trim().toLowerCase();
  if (site.endsWith(".")) site = site.slice(0, -1);
  if (site.length === 0) return fail("missing_site");
  if (site.length > MAX_SITE_CHARS || !HOST_NAME.test(site)) return fail("bad_site");
  return ok(site);
}

export interface UrlRules {
  /** Plausible takes any scheme but data: (apps send `app://…`), and a bare path (`/blog`). */
  readonly anyScheme: boolean;
}

/**
 * The request target (path plus `?query`, fragment dropped) of a page URL. The native protocol and the pixel
 * want an absolute http(s) URL; Plausible's rules are looser (see {@link UrlRules}).
 */
export function readPageTarget(value: unknown, rules: UrlRules): Field<string> {
  if (value === undefined || value === null || value === "") return fail("missing_url");
  if (typeof value !== "string") return fail("bad_url");
  const text = value.trim();
  if (text.length === 0) return fail("missing_url");
  if (text.length > MAX_URL_CHARS) return fail("url_too_long");
  if (/^data:/i.test(text)) return fail("data_url");
  if (CONTROL.test(text)) return fail("bad_url");
  let target: string | null = null;
  if (rules.anyScheme && text.startsWith("/") && !text.startsWith("//")) {
    const hash = text.indexOf("#");
    target = hash < 0 ? text : text.slice(0, hash);
  } else {
    target = plainTarget(text);
  }
  if (target === null) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return fail("bad_url");
    }
    const scheme = url.protocol;
    if (!rules.anyScheme && scheme !== "http:" && scheme !== "https:") return fail("bad_url");
    // An opaque URL (mailto:, javascript:) has no path to count.
    if (!url.pathname.startsWith("/")) return fail("bad_url");
    target = `${url.pathname}${url.search}`;
  }
  const pathEnd = target.indexOf("?");
  if ((pathEnd < 0 ? target.length : pathEnd) > MAX_PATH_CHARS) return fail("url_too_long");
  return ok(target);
}

/**
 * A referrer: a URL of at most 2,000 characters, or nothing (null, "", absent). It is normalized by the WHATWG
 * URL parser, as a browser would have sent it: a host written as an IPv4 address in hex, octal or one number
 * (`http://0x17000002/`) becomes the dotted quad, which the referrer-host scrubbing recognizes and masks. Text that
 * is not a URL has no host to keep: it counts as no referrer. A plain URL (PLAIN_URL), which the parser leaves as it
 * is, is taken without it.
 */
export function readReferrer(value: unknown): Field<string | null> {
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== "string") return fail("bad_referrer");
  const text = value.trim();
  if (text.length === 0) return ok(null);
  if (text.length > MAX_REFERRER_CHARS || CONTROL.test(text)) return fail("bad_referrer");
  // A plain URL without a fragment is its own href (PLAIN_URL).
  if (plainTarget(text) !== null && !text.includes("#")) return ok(text);
  try {
    return ok(new URL(text).href);
  } catch {
    return ok(null);
  }
}

/** An event name: 1–120 characters without control characters; `fallback` when absent (null: required). */
export function readEventName(value: unknown, fallback: string | null): Field<string> {
  if (value === undefined || value === null || value === "") {
    return fallback === null ? fail("missing_name") : ok(fallback);
  }
  if (typeof value !== "string") return fail("bad_event_name");
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_EVENT_NAME_CHARS || CONTROL.test(name))
    return fail("bad_event_name");
  return ok(name);
}

/** Custom properties as read: key and value as text, in the order sent. */
export type RawProps = readonly (readonly [string, string])[];

/**
 * Custom properties: an object of at most 30 scalar values (strings, numbers, booleans), or, where a protocol
 * allows it (Plausible's `p`), the same object as a JSON string. A malformed set refuses the request; a good one is
 * read as text pairs. Which of them are stored is the site's allowlist's decision (core/collect/properties.ts).
 */
export function readProps(value: unknown, options: { jsonString?: boolean } = {}): Field<RawProps> {
  if (value === undefined || value === null) return ok([]);
  let object = value;
  if (typeof value === "string" && options.jsonString === true) {
    const parsed = parseJsonObject(value);
    if (parsed === null) return fail("bad_props");
    object = parsed;
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) return fail("bad_props");
  const entries = Object.entries(object as Record<string, unknown>);
  if (entries.length > MAX_PROPS) return fail("bad_props");
  const props: [string, string][] = [];
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > 300) return fail("bad_props");
    if (typeof v === "string") {
      if (v.length > 2000) return fail("bad_props");
      props.push([key, v]);
    } else if (typeof v === "number" || typeof v === "boolean") {
      props.push([key, String(v)]);
    } else {
      return fail("bad_props");
    }
  }
  return ok(props);
}

/** One consent category as JSON: true, false, or absent (undefined / null). */
function jsonCategory(value: unknown): Field<boolean | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value === "boolean") return ok(value);
  return fail("bad_consent");
}

/** The native protocol's `consent` object: `{statistics?: boolean, marketing?: boolean}`, or absent. */
export function readJsonConsent(value: unknown): Field<HitConsent | undefined> {
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== "object" || Array.isArray(value)) return fail("bad_consent");
  const record = value as Record<string, unknown>;
  const statistics = jsonCategory(record.statistics);
  if (!statistics.ok) return statistics;
  const marketing = jsonCategory(record.marketing);
  if (!marketing.ok) return marketing;
  if (statistics.value === undefined && marketing.value === undefined) return ok(undefined);
  return ok(consentOf(statistics.value, marketing.value));
}

/** One consent category in a query string: `1`/`true`/`granted`, `0`/`false`/`denied`, or absent (or empty). */
export function readQueryCategory(value: string | null): Field<boolean | undefined> {
  if (value === null || value === "") return ok(undefined);
  switch (value.toLowerCase()) {
    case "1":
    case "true":
    case "granted":
      return ok(true);
    case "0":
    case "false":
    case "denied":
      return ok(false);
    default:
      return fail("bad_consent");
  }
}

/** A consent object without `undefined` members (so it compares and serializes cleanly). */
export function consentOf(
  statistics: boolean | undefined,
  marketing: boolean | undefined,
): HitConsent | undefined {
  if (statistics === undefined && marketing === undefined) return undefined;
  if (statistics === undefined) return { marketing };
  if (marketing === undefined) return { statistics };
  return { statistics, marketing };
}

/** JSON.parse of a body that must be an object; null when it is not. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : null;
}

/** The media type of a Content-Type header, lower-cased, without parameters; "" when absent. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return "";
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}
