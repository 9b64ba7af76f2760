import { parseClientAddress } from "../anonymize/ip.ts";

/**
 * Finding network addresses in free text, in every notation a person, a browser or a host name uses. One piece,
 * shared by the scrubber (paths, query values, referrer hosts on their way to `events/`) and the redactor (hold
 * reasons and audit text): where the question is "is there an address in this text", the answer is the same.
 *
 * The caller folds look-alike characters first (full-width digits and dots, other scripts' digits: see
 * text.ts `foldLookAlikes`), so the patterns here only need ASCII. Notations found:
 *
 * - colon forms: IPv6 (full, compressed, IPv4-mapped `::ffff:203.0.113.7`), `a.b.c.d:port`, and runs of four or
 *   more colons that are not valid addresses (MAC addresses, truncated IPv6); times such as `12:30:45` are kept;
 * - four or more numeric labels joined by `.`, `-` or `_`: dotted (`203.0.113.7`, also with leading zeros or octal
 *   `0313.0.0161.07`, also hex labels `0xcb.0.0x71.7`), dashed (`203-0-113-7`, `ec2-203-0-113-7.compute…`),
 *   underscored, and inside host names (`app.203.0.113.9.nip.io`);
 * - one hex number of 7–8 digits after `0x` (`0xCB00714D`);
 * - one decimal number that is a public-range IPv4 address (`3405803845`, 16777216 to 4294967295), unless it is a
 *   date written as YYYYMMDD;
 * - dashed IPv6 (`2001-db8--1.ipv6-literal.net`, `2001-db8-85a3-0-0-8a2e-370-7334.isp.example`) and dashed MAC
 *   addresses (`00-1a-2b-3c-4d-5e`).
 *
 * Some version numbers (`1.2.3.4`), long dates (`2026-11-20-10`) and numbers are masked too: over-masking costs a
 * little readability, under-masking would leak a person. Every pattern is linear (test/reliability/regex.test.ts).
 */

// Whole runs of hex digits, dots and colons; only runs with a colon are looked at. (A pattern for "a run with a
// colon" made a long run without one quadratic: 100,000 dots took 14 s.)
const COLON_RUN = /[0-9A-Fa-f:.]+/g;
// Twice: first where a label starts a word (`ec2-203-0-113-7` → `ec2-[ip]`), then anywhere not after a digit, so a
// letter in front (`x203.0.113.7`) hides nothing.
const NUMERIC_LABELS_AT_WORD =
  /(?<![0-9A-Za-z])(?:0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,4})(?:[._-](?:0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,4})){3,}(?![0-9])/g;
const NUMERIC_LABELS =
  /(?<![0-9])(?:0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,4})(?:[._-](?:0[xX][0-9A-Fa-f]{1,8}|[0-9]{1,4})){3,}(?![0-9])/g;
const HEX_NUMBER = /0[xX][0-9A-Fa-f]{7,8}(?![0-9A-Fa-f])/g;
const INTEGER = /(?<![0-9])[0-9]{8,10}(?![0-9])/g;
// Whole runs of hex digits and dashes; those with groups enough are read as IPv6 or MAC address (maskDashedRun).
// (A pattern for "hex groups joined by dashes" is quadratic on a long run without a dash.)
const DASHED_HEX_RUN = /[0-9A-Fa-f-]+/g;

const MIN_PUBLIC_IPV4_INTEGER = 16_777_216; // 1.0.0.0
const MAX_IPV4_INTEGER = 4_294_967_295;

/** Replaces every address in `text` (see above) with `label`. Text without digits costs one scan. */
export function maskAddresses(text: string, label: string): string {
  if (!hasDigit(text)) return text;
  let out = text;
  if (out.includes(":")) out = out.replace(COLON_RUN, (run) => maskColonRun(run, label));
  // Dashed IPv6 before numeric labels: `2001-db8-0-0-0-0-0-1` would otherwise lose only its numeric tail.
  if (out.includes("-")) out = out.replace(DASHED_HEX_RUN, (run) => maskDashedRun(run, label));
  out = out.replace(NUMERIC_LABELS_AT_WORD, label).replace(NUMERIC_LABELS, label);
  if (out.includes("0x") || out.includes("0X")) out = out.replace(HEX_NUMBER, label);
  out = out.replace(INTEGER, (n) => (isIPv4Integer(n) ? label : n));
  return out;
}

/** True when `text` holds any address notation {@link maskAddresses} masks. */
export function holdsAddress(text: string): boolean {
  return maskAddresses(text, "\u0000") !== text;
}

/**
 * A decimal number that is a public-range IPv4 address, unless it reads as a date (`20261120` in object keys and
 * file names is a day, not an address).
 */
function isIPv4Integer(digits: string): boolean {
  const value = Number(digits);
  if (value < MIN_PUBLIC_IPV4_INTEGER || value > MAX_IPV4_INTEGER) return false;
  if (digits.length === 8) {
    const year = Number(digits.slice(0, 4));
    const month = Number(digits.slice(4, 6));
    const day = Number(digits.slice(6, 8));
    if (year >= 1900 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31) return false;
  }
  return true;
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function countColons(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 58) n++;
  return n;
}

/**
 * A run of hex digits, dots and colons: an address when it parses as one (a sentence may end right after it:
 * "from 2001:db8::1." keeps its full stop) with at least two groups (`::1` alone names no one, and `Foo::Bar`
 * would otherwise read as `::ba`), or when it has four or more colons (a MAC address, a cut-off IPv6).
 */
function maskColonRun(run: string, label: string): string {
  const colons = countColons(run);
  if (colons === 0) return run;
  let end = run.length;
  while (end > 0 && (run[end - 1] === "." || run[end - 1] === ":")) end--;
  const body = run.slice(0, end);
  const tail = run.slice(end);
  if (parseClientAddress(body) !== null && groupCount(body) >= 2) return `${label}${tail}`;
  if (colons >= 4 && hasDigit(body)) return `${label}${tail}`;
  return run;
}

function groupCount(address: string): number {
  let groups = 0;
  for (const part of address.split(":")) if (part.length > 0) groups++;
  return groups;
}

/**
 * A run like `2001-db8--1` or `ec2-2001-db8-0-0-0-0-0-1`: the first stretch of its dash-separated groups that is an
 * IPv6 address written with dashes (eight groups, or fewer around one `--`) or a MAC address (six groups of two
 * hex digits) is masked, and the rest of the run is looked at again. A stretch needs a digit: `be-a-dad--cafe` is
 * words.
 */
function maskDashedRun(run: string, label: string): string {
  if (run.length < 5 || !hasDigit(run)) return run;
  const groups = run.split("-");
  if (groups.length < 3) return run;
  // Positions of the groups in `run`, so a stretch can be cut out of it.
  const starts: number[] = [];
  let at = 0;
  for (const g of groups) {
    starts.push(at);
    at += g.length + 1;
  }
  let out = "";
  let copiedTo = 0;
  let i = 0;
  while (i < groups.length) {
    const stretch = addressStretchAt(groups, i);
    if (stretch === 0) {
      i++;
      continue;
    }
    const from = starts[i] as number;
    const last = i + stretch - 1;
    const to = (starts[last] as number) + (groups[last] as string).length;
    out += `${run.slice(copiedTo, from)}${label}`;
    copiedTo = to;
    i += stretch;
  }
  return copiedTo === 0 ? run : out + run.slice(copiedTo);
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const MAC_GROUP = /^[0-9A-Fa-f]{2}$/;

/** How many groups from `i` on form a dashed address (0: none starts at `i`). Empty groups stand for `--`. */
function addressStretchAt(groups: readonly string[], i: number): number {
  if (!HEX_GROUP.test(groups[i] as string)) return 0;
  // A MAC address: six groups of two hex digits.
  if (i + 6 <= groups.length && groups.slice(i, i + 6).every((g) => MAC_GROUP.test(g))) {
    if (groups.slice(i, i + 6).some((g) => hasDigit(g))) return 6;
  }
  // An IPv6 address: the longest stretch of up to eight groups (an empty group: `--`) that parses.
  for (let n = Math.min(8, groups.length - i); n >= 3; n--) {
    const stretch = groups.slice(i, i + n);
    if (stretch[n - 1] === "") continue;
    if (!stretch.every((g) => g === "" || HEX_GROUP.test(g))) continue;
    if (!stretch.some((g) => hasDigit(g))) continue;
    const compressed = stretch.includes("");
    if (!compressed && n !== 8) continue;
    const text = stretch.join(":").replace(/:{3,}/, "::");
    const parsed = parseClientAddress(text);
    if (parsed !== null && parsed.kind === "ipv6") return n;
  }
  return 0;
}
