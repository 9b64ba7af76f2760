import { maskAddresses } from "./addresses.ts";

/**
 * Masking of free text that may point at a person: the rules of docs/PRIVACY.md ("The scrub policy"), in order.
 * The text must already be decoded and cleaned (text.ts); each rule replaces what it finds with a fixed label:
 *
 * 1. `name=value` where the name is a session, token or secret parameter, at any length → `name=[token]`
 * 2. e-mail addresses, also non-ASCII and IDN ones, quoted local parts and `(at)` / `[at]` spellings → `[email]`
 * 3. network addresses in every notation (addresses.ts) → `[ip]`
 * 4. UUIDs → `[token]`
 * 5. phone numbers (7–15 digits with spaces, dots, dashes, slashes, brackets, a leading +) → `[phone]`; longer
 *    such runs (card numbers, IBANs) and 7+ digits without punctuation → `[number]`; dates are kept
 * 6. runs of six or more digits → `[number]`
 * 7. hex runs of eight or more with a digit, and alphanumeric runs that look random (16+ characters with letters
 *    and digits, or 8+ that switch between letters and digits four times or more) → `[token]`
 *
 * Names and other plain words cannot be told from page titles and campaign words by a pattern; they are not masked
 * here (see docs/PRIVACY.md for what protects them).
 */

export const MASK = {
  email: "[email]",
  ip: "[ip]",
  phone: "[phone]",
  number: "[number]",
  token: "[token]",
} as const;

/**
 * Parameter names whose value is a credential or a session: masked wherever `name=value` appears in a path, a
 * matrix parameter (`;jsessionid=…`) or a kept value, and never kept as a query parameter (config.ts refuses them).
 */
export const SECRET_PARAM_NAMES: ReadonlySet<string> = new Set([
  "jsessionid",
  "phpsessid",
  "aspsessionid",
  "asp.net_sessionid",
  "cfid",
  "cftoken",
  "sid",
  "ssid",
  "sessid",
  "sessionid",
  "session_id",
  "session",
  "sess",
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "auth_token",
  "authorization",
  "apikey",
  "api_key",
  "key",
  "code",
  "state",
  "nonce",
  "otp",
  "password",
  "passwd",
  "pwd",
  "pass",
  "secret",
  "client_secret",
  "signature",
  "sig",
  "ticket",
  "hash",
  "hmac",
  "jwt",
  "bearer",
]);

/** A secret parameter name (also ASP's `ASPSESSIONIDxxxxxxxx`, whose suffix varies per server). */
export function isSecretParamName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAM_NAMES.has(lower) || lower.startsWith("aspsessionid");
}

// `name=value` with a secret name (checked in the callback), in a path, a matrix parameter or a value.
const NAME_VALUE = /(?<![A-Za-z0-9_.])([A-Za-z][A-Za-z0-9_.]{1,24})=([^&;/?#\s]*)/g;
const EMAIL =
  /(?:"[^"\n]{1,64}"|[\p{L}\p{N}\p{M}._%+!#$&'*=?^`|~-]{1,64})\s?(?:@|[([{]\s?at\s?[)\]}])\s?(?:\[[0-9A-Fa-f:.]{2,45}\]|[\p{L}\p{N}\p{M}_-]{1,63}(?:\.[\p{L}\p{N}\p{M}_-]{1,63}){0,8})/giu;
const AT_WORD = /[([{]\s?at\s?[)\]}]/i;
// `react@18.2.0` in a CDN path is a package version, not an address: a domain of one to three numbers.
const VERSION_DOMAIN = /@\s?[0-9]{1,4}(?:\.[0-9]{1,4}){0,2}$/;
const UUID = /[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}/g;
// A leading + belongs to the number only after a space or punctuation: in `ref+4711…` it is a query's space.
const PHONE_LIKE = /(?<![0-9])(?:(?<![0-9A-Za-z])\+)?[0-9][0-9 ()./+-]{5,24}[0-9](?![0-9])/g;
const DIGIT_RUN = /[0-9]{6,}/g;
const HEX_RUN = /(?<![0-9A-Za-z])(?:0[xX])?[0-9A-Fa-f]{8,}(?![0-9A-Za-z])/g;
const ALNUM_RUN = /[A-Za-z0-9]{8,}/g;

const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15; // E.164

/**
 * Replaces everything in `text` that could point at a person (rules above). Text that cannot hold any of it —
 * no `@ = : ( [ {` and no `--`, fewer than four digits, no run of eight letters and digits with a digit in it —
 * is returned after one scan.
 */
export function maskPersonalData(text: string): string {
  if (!mayHoldPersonalData(text)) return text;
  let out = text;
  if (out.includes("=")) out = out.replace(NAME_VALUE, maskSecretValue);
  if (out.includes("@") || AT_WORD.test(out)) out = out.replace(EMAIL, maskEmail);
  out = maskAddresses(out, MASK.ip);
  if (out.length >= 36 && out.includes("-")) out = out.replace(UUID, MASK.token);
  out = out.replace(PHONE_LIKE, maskPhone);
  out = out.replace(DIGIT_RUN, MASK.number);
  out = out.replace(HEX_RUN, (m) => (hasDigit(m) ? MASK.token : m));
  out = out.replace(ALNUM_RUN, (m) => (looksRandom(m) ? MASK.token : m));
  return out;
}

/** The scan behind the fast path of {@link maskPersonalData}: false only when no rule can match. */
export function mayHoldPersonalData(text: string): boolean {
  return mayHoldPersonalDataIn(text, 0, text.length);
}

/** {@link mayHoldPersonalData} of `text[from, to)`, with no slice made (the scrubber's scan of a path's segments). */
export function mayHoldPersonalDataIn(text: string, from: number, to: number): boolean {
  let digits = 0;
  let alnumRun = 0;
  let alnumRunHasDigit = false;
  let previous = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      alnumRun++;
      alnumRunHasDigit = true;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      alnumRun++;
    } else {
      // @ = : ( [ {, and "--" (a compressed dashed IPv6 address)
      if (c === 64 || c === 61 || c === 58 || c === 40 || c === 91 || c === 123) return true;
      if (c === 45 && previous === 45) return true;
      if (c > 126) return true;
      alnumRun = 0;
      alnumRunHasDigit = false;
    }
    if (digits >= 4 || (alnumRun >= 8 && alnumRunHasDigit)) return true;
    previous = c;
  }
  return false;
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function maskSecretValue(pair: string, name: string, value: string): string {
  if (value.length === 0 || !isSecretParamName(name)) return pair;
  return `${name}=${MASK.token}`;
}

function maskEmail(match: string): string {
  return VERSION_DOMAIN.test(match) ? match : MASK.email;
}

function maskPhone(candidate: string): string {
  let digits = 0;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  if (digits < MIN_PHONE_DIGITS || isDate(candidate)) return candidate;
  // Digits alone are a number (rule 6 would mask them too); with a phone's punctuation and at most 15, a phone.
  if (digits === candidate.length || digits > MAX_PHONE_DIGITS) return MASK.number;
  return MASK.phone;
}

// A date (with an optional time), which has as many digits as a short phone number: 2026-11-20, 20.11.2026,
// 2026/11/20 10.30. Year 1900–2099, month 1–12, day 1–31.
const DATE_YMD =
  /^(?:19|20)[0-9]{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])(?:[ T][0-9 .:-]{0,8})?$/;
const DATE_DMY =
  /^(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)?[0-9]{2}(?:[ T][0-9 .:-]{0,8})?$/;

function isDate(candidate: string): boolean {
  return DATE_YMD.test(candidate) || DATE_DMY.test(candidate);
}

/**
 * A run of letters and digits that reads as a generated identifier rather than a word with a number: 16 or more
 * characters with both, or 8 or more that switch between letters and digits at least four times (`a1b2c3d4`, but not
 * `iphone15`, `covid19`, `win10pro64`).
 */
export function looksRandom(run: string): boolean {
  let letters = 0;
  let digits = 0;
  let switches = 0;
  let lastWasDigit: boolean | null = null;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    if (isDigit) digits++;
    else letters++;
    if (lastWasDigit !== null && lastWasDigit !== isDigit) switches++;
    lastWasDigit = isDigit;
  }
  if (letters === 0 || digits === 0) return false;
  return run.length >= 16 || switches >= 4;
}
