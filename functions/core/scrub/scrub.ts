/**
 * Scrubbing: what of a URL may enter the anonymized `events/` zone.
 *
 * - the fragment is dropped (it never reaches a server anyway, but trackers send it);
 * - query parameters are dropped except `utm_*`, the operator's allowlist, and click ids in the marketing tier;
 * - in the path and in every kept value, things that point at a person are masked: IP addresses (dotted,
 *   IPv4-mapped, IPv6, %-encoded — decoding happens first), e-mail addresses, and long tokens (session ids,
 *   reset tokens, UUIDs, JWTs, long hex);
 * - a referrer is reduced to its host; a host that is an IP literal is masked too.
 */

export const UTM_PARAMS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"] as const;

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
  /** Extra parameter names kept besides utm_* (exact names). */
  readonly allowedParams: ReadonlySet<string>;
  /** Click ids are kept only in the marketing tier. */
  readonly keepClickIds: boolean;
}

const MAX_PATH_CHARS = 1024;
const MAX_VALUE_CHARS = 200;

// Each pattern is linear: character classes with bounded or single quantifiers and no nested groups that
// can match the same text two ways (checked by the ReDoS test over every regex in the project).
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
const IPV4 = /(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9])/g;
// IPv6 literals: at least two colons among hex groups (also `::ffff:1.2.3.4`, which the IPv4 rule then
// also covers). A time like `12:30:00` would match too; masking it costs nothing in a path.
const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![0-9A-Fa-f:])/g;
const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;
// An IPv4 address written as one hex number (0xCB00714D), wherever it stands.
const HEX_ADDRESS = /0[xX][0-9A-Fa-f]{8}/g;
const HEX_TOKEN = /(?<![0-9A-Za-z])(?:0[xX])?[0-9A-Fa-f]{8,}(?![0-9A-Za-z])/g;
// A long run of token characters with at least one digit and one letter: session ids, API keys, JWT parts.
const LONG_TOKEN = /[A-Za-z0-9_-]{24,}/g;

/** Replaces anything in free text that could point at a person. Cheap when there is nothing to find. */
export function maskPersonalData(text: string): string {
  let out = text;
  if (out.includes("@")) out = out.replace(EMAIL, "[email]");
  if (out.includes(".")) out = out.replace(IPV4, "[ip]");
  if (out.includes(":")) out = out.replace(IPV6, (m) => (countColons(m) >= 2 ? "[ip]" : m));
  if (out.length >= 8) {
    out = out.replace(UUID, "[token]");
    if (out.includes("0x") || out.includes("0X")) out = out.replace(HEX_ADDRESS, "[token]");
    out = out.replace(HEX_TOKEN, (m) => (/\d/.test(m) ? "[token]" : m));
    out = out.replace(LONG_TOKEN, (m) => (/\d/.test(m) && /[A-Za-z]/.test(m) ? "[token]" : m));
  }
  return out;
}

function countColons(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 58) n++;
  return n;
}

/** Percent-decodes what decodes; an invalid escape stays as written instead of failing the line. */
export function safeDecode(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  const plus = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%[0-9A-Fa-f]{2}/g, (esc) => {
      try {
        return decodeURIComponent(esc);
      } catch {
        return esc;
      }
    });
  }
}

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

  const path = scrubPath(rawPath);
  let source: string | null = null;
  let medium: string | null = null;
  let campaign: string | null = null;
  let term: string | null = null;
  let content: string | null = null;
  let clickId: string | null = null;
  const kept: [string, string][] = [];

  if (rawQuery.length > 0) {
    for (const pair of rawQuery.split("&")) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf("=");
      const name = safeDecode(eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase();
      const isUtm = name.startsWith("utm_");
      const isClickId = CLICK_ID_PARAMS.has(name);
      if (!isUtm && !options.allowedParams.has(name) && !(isClickId && options.keepClickIds)) continue;
      const value = scrubValue(eq >= 0 ? pair.slice(eq + 1) : "");
      if (isClickId) {
        // The click id is an identifier by design: kept raw (no masking) in its own column, never in `query`.
        clickId ??= safeDecode(eq >= 0 ? pair.slice(eq + 1) : "").slice(0, MAX_VALUE_CHARS);
        continue;
      }
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

function scrubPath(rawPath: string): string {
  if (rawPath.length === 0 || rawPath === "-") return "/";
  const decoded = safeDecode(
    rawPath.length > MAX_PATH_CHARS * 3 ? rawPath.slice(0, MAX_PATH_CHARS * 3) : rawPath,
  );
  const masked = maskPersonalData(decoded);
  return masked.length > MAX_PATH_CHARS ? masked.slice(0, MAX_PATH_CHARS) : masked;
}

function scrubValue(raw: string): string {
  const decoded = safeDecode(
    raw.length > MAX_VALUE_CHARS * 3 ? raw.slice(0, MAX_VALUE_CHARS * 3) : raw,
  ).trim();
  const masked = maskPersonalData(decoded);
  return masked.length > MAX_VALUE_CHARS ? masked.slice(0, MAX_VALUE_CHARS) : masked;
}

/**
 * The host of a referrer URL, lower-cased, without port or credentials; null for none, `-`, or
 * something that is not a URL. A host that is an IP address is masked: it would point at a machine.
 */
export function referrerHost(referrer: string | null): string | null {
  if (referrer === null || referrer.length === 0 || referrer === "-") return null;
  const scheme = referrer.indexOf("://");
  if (scheme < 0 || scheme > 16) return null;
  let end = referrer.length;
  for (let i = scheme + 3; i < referrer.length; i++) {
    const c = referrer.charCodeAt(i);
    // '/', '?', '#'
    if (c === 47 || c === 63 || c === 35) {
      end = i;
      break;
    }
  }
  let authority = referrer.slice(scheme + 3, end);
  const at = authority.lastIndexOf("@");
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith("[")) return "[ip]";
  const colon = authority.indexOf(":");
  const host = (colon >= 0 ? authority.slice(0, colon) : authority).toLowerCase();
  if (host.length === 0 || host.length > 253) return null;
  if (isNumericHost(host) || host.includes("%")) return "[ip]";
  if (!/^[a-z0-9.-]+$/.test(host)) return maskPersonalData(host);
  return host;
}

/**
 * A host that browsers would read as an IPv4 address: every label a decimal, octal or 0x-hex number
 * (`203.0.113.5`, `0xCB00714D`, `0313.0.0161.5`, `3405803845`). URL parsers accept all of these.
 */
function isNumericHost(host: string): boolean {
  const labels = host.endsWith(".") ? host.slice(0, -1).split(".") : host.split(".");
  return labels.length <= 4 && labels.every((label) => /^(?:0x[0-9a-f]*|[0-9]+)$/i.test(label));
}

/** File extensions whose requests are assets, not page views (GoAccess's static list, extended). */
const ASSET_EXTENSIONS: ReadonlySet<string> = new Set([
  "css",
  "js",
  "mjs",
  "map",
  "json",
  "png",
  "jpg",
  "jpeg",
  "gif",
  "webp",
  "avif",
  "svg",
  "ico",
  "bmp",
  "tif",
  "tiff",
  "woff",
  "woff2",
  "ttf",
  "otf",
  "eot",
  "mp3",
  "mp4",
  "webm",
  "ogg",
  "wav",
  "flac",
  "avi",
  "mov",
  "mkv",
  "flv",
  "swf",
  "zip",
  "gz",
  "tgz",
  "bz2",
  "xz",
  "7z",
  "rar",
  "tar",
  "iso",
  "dmg",
  "exe",
  "msi",
  "deb",
  "rpm",
  "apk",
  "jar",
  "pdf",
  "txt",
  "xml",
  "csv",
  "doc",
  "docx",
  "xls",
  "xlsx",
  "ppt",
  "pptx",
]);

/** True for requests of static files (by extension of the last path segment). */
export function isAssetPath(path: string): boolean {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash || dot === path.length - 1) return false;
  const ext = path.slice(dot + 1).toLowerCase();
  return ASSET_EXTENSIONS.has(ext);
}
