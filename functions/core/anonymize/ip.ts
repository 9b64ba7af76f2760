/**
 * Client addresses: strict parsing, truncation to a network prefix, and X-Forwarded-For resolution.
 *
 * This is the per-line hot path, so parsing is a hand-written single pass over the characters (no regex, no
 * exceptions). It is deliberately stricter than ipaddr.js, which the test suite uses as an oracle: ipaddr.js
 * accepts `127.1`, `0x7f.0.0.1`, `3232235777` and `::ffff:0x7f.0.0.1`, and stores the IPv4-compatible
 * `::8.8.8.8` as if it were the IPv4-mapped `::ffff:8.8.8.8`. See docs/PRIVACY-IP.md for every decision.
 *
 * Nothing here keeps an address beyond the call, and no error message ever contains one.
 */

export type AddressKind = "ipv4" | "ipv6";

/** A parsed client address. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is an IPv4 address. */
export interface ClientAddress {
  readonly kind: AddressKind;
  /** Canonical text: dotted decimal for IPv4, RFC 5952 (lower case, longest zero run compressed) for IPv6. */
  readonly address: string;
  /** Network byte order: 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
}

/** How many leading bits of an address survive anonymization (config `anonymize`). */
export interface PrefixLengths {
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
}

/** The defaults: Google Analytics' documented `anonymizeIp` (last IPv4 octet, last 80 IPv6 bits zeroed). */
export const DEFAULT_PREFIXES: PrefixLengths = { ipv4Prefix: 24, ipv6Prefix: 48 };

/** Longer tokens are not client addresses (the longest valid form, bracketed IPv6 with zone and port, is shorter). */
const MAX_TOKEN_LENGTH = 128;
const MAX_ZONE_LENGTH = 64;

const DOT = 46;
const COLON = 58;
const OPEN_BRACKET = 91;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** The big-endian 32-bit word at `bytes[at..at+4)`, signed (as an Int32Array holds it): an address's words. */
export function bigEndianWord(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) << 24) |
    ((bytes[at + 1] as number) << 16) |
    ((bytes[at + 2] as number) << 8) |
    (bytes[at + 3] as number)
  );
}

function hexValue(code: number): number {
  if (code >= DIGIT_0 && code <= DIGIT_9) return code - DIGIT_0;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Strict four-part decimal: `0`–`255` per part, no leading zeros (`01.2.3.4` is octal to inet_aton and decimal
 * to others, so it is refused), no hex, no short forms. Writes 4 bytes at `offset`.
 */
function parseIPv4Into(s: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (leadingZero) return false;
      if (digits === 0 && c === DIGIT_0) leadingZero = true;
      value = value * 10 + (c - DIGIT_0);
      digits++;
      if (value > 255) return false;
    } else if (c === DOT) {
      if (digits === 0 || part === 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
      leadingZero = false;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[offset + 3] = value;
  return true;
}

/**
 * RFC 4291 text form: up to eight groups of 1–4 hex digits, at most one `::` that stands for at least one zero
 * group, optionally ending in a strict dotted quad in the last 32 bits. No zone (the caller strips it).
 */
function parseIPv6Into(s: string, start: number, end: number, out: Uint8Array): boolean {
  let i = start;
  let group = 0;
  let compressAt = -1;
  if (end - start < 2) return false;
  if (s.charCodeAt(i) === COLON) {
    if (s.charCodeAt(i + 1) !== COLON) return false;
    compressAt = 0;
    i += 2;
  }
  while (i < end) {
    if (group === 8) return false;
    let j = i;
    let value = 0;
    while (j < end && j - i < 5) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === DOT) {
      // Embedded dotted quad: it must fill the last two groups and end the address.
      if (group > 6) return false;
      if (!parseIPv4Into(s, i, end, out, group * 2)) return false;
      group += 2;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    out[group * 2] = value >> 8;
    out[group * 2 + 1] = value & 0xff;
    group++;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== COLON) return false;
    i++;
    if (i === end) return false; // a single trailing colon
    if (s.charCodeAt(i) === COLON) {
      if (compressAt >= 0) return false;
      compressAt = group;
      i++;
    }
  }
  if (compressAt < 0) return group === 8;
  if (group === 8) return false; // `::` must stand for at least one group
  // Move the groups written after `::` to the end and zero the gap.
  // (Plain loops: typed-array copyWithin/fill cost more than the whole parse at this size.)
  const tailBytes = (group - compressAt) * 2;
  const gapStart = compressAt * 2;
  const shift = 16 - gapStart - tailBytes;
  for (let k = tailBytes - 1; k >= 0; k--) out[16 - tailBytes + k] = out[gapStart + k] ?? 0;
  for (let k = 0; k < shift; k++) out[gapStart + k] = 0;
  return true;
}

/** A zone id as in `fe80::1%eth0`: RFC 3986 unreserved characters (interface names such as `eth0.100`, `br-lan`). */
function isZone(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_ZONE_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= DIGIT_0 && c <= DIGIT_9) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
    if (!alnum && c !== 45 && c !== DOT && c !== 95 && c !== 126) return false;
  }
  return true;
}

/** IPv6 with an optional zone id, which is dropped. */
function parseIPv6WithZone(s: string, start: number, end: number, out: Uint8Array): boolean {
  const pct = s.indexOf("%", start);
  if (pct >= 0 && pct < end) {
    return isZone(s, pct + 1, end) && parseIPv6Into(s, start, pct, out);
  }
  return parseIPv6Into(s, start, end, out);
}

/** A TCP/UDP port: 1–5 decimal digits, at most 65535. */
function isPort(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 5) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
    value = value * 10 + (c - DIGIT_0);
  }
  return value <= 65535;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

function formatIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Hex of a byte without and with a leading zero, for formatting without `toString(16)` per group. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hexGroup(bytes: Uint8Array, g: number): string {
  const hi = bytes[g * 2] ?? 0;
  const lo = bytes[g * 2 + 1] ?? 0;
  return hi === 0 ? (HEX[lo] ?? "") : (HEX[hi] ?? "") + (HEX2[lo] ?? "");
}

/** RFC 5952: lower-case hex without leading zeros; the longest run (≥ 2) of zero groups, leftmost on a tie, is `::`. */
function formatIPv6(bytes: Uint8Array): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    if (bytes[g * 2] === 0 && bytes[g * 2 + 1] === 0) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLength) {
        bestLength = g - runStart + 1;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestStart < 0) {
    let text = hexGroup(bytes, 0);
    for (let g = 1; g < 8; g++) text += `:${hexGroup(bytes, g)}`;
    return text;
  }
  let text = "";
  for (let g = 0; g < bestStart; g++) text += g === 0 ? hexGroup(bytes, g) : `:${hexGroup(bytes, g)}`;
  text += "::";
  const after = bestStart + bestLength;
  for (let g = after; g < 8; g++) text += g === after ? hexGroup(bytes, g) : `:${hexGroup(bytes, g)}`;
  return text;
}

/** `::ffff:0:0/96`: an IPv4 address carried in IPv6 (dual-stack sockets log these). */
function isIPv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function fromIPv6Bytes(bytes: Uint8Array): ClientAddress {
  if (isIPv4Mapped(bytes)) {
    const v4 = bytes.slice(12, 16);
    return { kind: "ipv4", address: formatIPv4(v4, 0), bytes: v4 };
  }
  return { kind: "ipv6", address: formatIPv6(bytes), bytes };
}

function parseIPv4Token(s: string, start: number, end: number, whole: boolean): ClientAddress | null {
  const bytes = new Uint8Array(4);
  if (!parseIPv4Into(s, start, end, bytes, 0)) return null;
  // A strict dotted quad is already canonical: reuse the text instead of formatting it again.
  return { kind: "ipv4", address: whole ? s : s.slice(start, end), bytes };
}

/**
 * Parses a client address as a log writes it, strictly, or returns null.
 *
 * Accepted: `1.2.3.4`, `1.2.3.4:port`, any RFC 4291 IPv6 text (`2001:db8::1`, `::ffff:1.2.3.4`), `[v6]`,
 * `[v6]:port`, a zone id (`fe80::1%eth0`, dropped), and ALB's unbracketed `v6:port` when the whole token is not
 * itself a valid IPv6 address and the split is unambiguous: eight explicit groups before the port, or a 5-digit
 * port (see docs/PRIVACY-IP.md). Surrounding spaces and tabs are ignored. IPv4-mapped IPv6 becomes IPv4.
 *
 * Refused: IPv4 with leading zeros, hex, octal or fewer than four parts (`01.2.3.4`, `0x7f.0.0.1`, `127.1`),
 * CIDR suffixes (`1.2.3.4/32`), host names, `-`, and anything longer than 128 characters.
 */
export function parseClientAddress(token: string): ClientAddress | null {
  let start = 0;
  let end = token.length;
  while (start < end && isSpace(token.charCodeAt(start))) start++;
  while (end > start && isSpace(token.charCodeAt(end - 1))) end--;
  const length = end - start;
  if (length < 2 || length > MAX_TOKEN_LENGTH) return null;
  const whole = start === 0 && end === token.length;

  if (token.charCodeAt(start) === OPEN_BRACKET) {
    const close = token.indexOf("]", start);
    if (close < 0 || close >= end) return null;
    if (close + 1 < end) {
      if (token.charCodeAt(close + 1) !== COLON || !isPort(token, close + 2, end)) return null;
    }
    const bytes = new Uint8Array(16);
    return parseIPv6WithZone(token, start + 1, close, bytes) ? fromIPv6Bytes(bytes) : null;
  }

  const firstColon = token.indexOf(":", start);
  if (firstColon < 0 || firstColon >= end) return parseIPv4Token(token, start, end, whole);
  const secondColon = token.indexOf(":", firstColon + 1);
  if (secondColon < 0 || secondColon >= end) {
    // One colon: only `a.b.c.d:port` (no IPv6 text has a single colon).
    if (!isPort(token, firstColon + 1, end)) return null;
    return parseIPv4Token(token, start, firstColon, false);
  }

  const bytes = new Uint8Array(16);
  if (parseIPv6WithZone(token, start, end, bytes)) return fromIPv6Bytes(bytes);
  // ALB writes `v6:port` without brackets. Only read it so when that is unambiguous: the address part has all
  // eight groups (nine groups are never an address), or the port has five digits (never a hex group).
  const lastColon = token.lastIndexOf(":", end - 1);
  const compressed = token.indexOf("::", start) >= 0;
  if (
    lastColon > start &&
    token.charCodeAt(lastColon - 1) !== COLON &&
    isPort(token, lastColon + 1, end) &&
    (!compressed || end - lastColon - 1 === 5)
  ) {
    bytes.fill(0);
    if (parseIPv6WithZone(token, start, lastColon, bytes)) return fromIPv6Bytes(bytes);
  }
  return null;
}

/** Canonical text of a 4- or 16-byte address (16-byte IPv4-mapped addresses are written as IPv6). */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(bytes, 0);
  if (bytes.length === 16) return formatIPv6(bytes);
  throw new RangeError(`an address has 4 or 16 bytes, not ${bytes.length}`);
}

/**
 * IPv6 ranges that carry an IPv4 address at a fixed bit offset. Keeping more than `offset + ipv4Prefix` bits of
 * such an address would keep more of that IPv4 address than the IPv4 setting allows: a 6to4 address
 * (`2002:AABB:CCDD::/48`) holds the client's whole public IPv4 address inside the default /48.
 */
const EMBEDDED_IPV4: readonly { readonly prefix: readonly number[]; readonly ipv4Offset: number }[] = [
  { prefix: [0x20, 0x02], ipv4Offset: 16 }, // 6to4, RFC 3056
  { prefix: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], ipv4Offset: 96 }, // NAT64 well-known prefix, RFC 6052
  { prefix: [0x20, 0x01, 0, 0], ipv4Offset: 96 }, // Teredo, RFC 4380 (client address, obfuscated, in the last 32 bits)
  { prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], ipv4Offset: 96 }, // IPv4-compatible, RFC 4291 (deprecated)
];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function checkPrefix(bits: number, max: number, setting: string): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > max) {
    throw new RangeError(`anonymize.${setting} must be an integer from 0 to ${max}, got ${bits}`);
  }
}

/**
 * The number of leading bits kept for this address: the configured prefix of its family, lowered for IPv6 forms
 * that embed an IPv4 address so that no more of it is kept than `ipv4Prefix` allows.
 */
export function effectivePrefix(addr: ClientAddress, prefixes: PrefixLengths): number {
  checkPrefix(prefixes.ipv4Prefix, 32, "ipv4Prefix");
  checkPrefix(prefixes.ipv6Prefix, 128, "ipv6Prefix");
  if (addr.kind === "ipv4") return prefixes.ipv4Prefix;
  for (const range of EMBEDDED_IPV4) {
    if (startsWith(addr.bytes, range.prefix)) {
      return Math.min(prefixes.ipv6Prefix, range.ipv4Offset + prefixes.ipv4Prefix);
    }
  }
  return prefixes.ipv6Prefix;
}

/** The first `bits` bits of `bytes`, the rest zero (a new array). */
export function networkBytes(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const full = bits >> 3;
  for (let i = 0; i < full; i++) out[i] = bytes[i] ?? 0; // a loop: subarray + set cost more at this size
  const rest = bits & 7;
  if (rest > 0 && full < bytes.length) out[full] = (bytes[full] ?? 0) & (0xff << (8 - rest));
  return out;
}

/** The network address of the kept prefix, without the length: `203.0.113.0`, `2001:db8:85a3::`. */
export function truncatedAddress(addr: ClientAddress, prefixes: PrefixLengths = DEFAULT_PREFIXES): string {
  return formatAddress(networkBytes(addr.bytes, effectivePrefix(addr, prefixes)));
}

/**
 * The anonymized form of an address for the `events/` zone: the network of the kept prefix in CIDR notation,
 * `203.0.113.0/24`, `2001:db8:85a3::/48`. Throws a RangeError (naming the setting, never the address) when a
 * prefix length is out of range.
 */
export function truncate(addr: ClientAddress, prefixes: PrefixLengths = DEFAULT_PREFIXES): string {
  const bits = effectivePrefix(addr, prefixes);
  // The network's words (IPv4: one), masked to `bits`: the text is a function of them, the kind and `bits`.
  const b = addr.bytes;
  const n = b.length;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let w = 0; w < 4 && w << 2 < n; w++) {
    const i = w << 2;
    const kept = bits - (w << 5);
    const mask = kept >= 32 ? -1 : kept <= 0 ? 0 : -1 << (32 - kept);
    const word = bigEndianWord(b, i) & mask;
    if (w === 0) w0 = word;
    else if (w === 1) w1 = word;
    else if (w === 2) w2 = word;
    else w3 = word;
  }
  const tag = (bits << 8) | n;
  let h = Math.imul(tag, 0x9e3779b1);
  h = Math.imul(h ^ w0, 0x85ebca6b);
  h = Math.imul(h ^ w1, 0xc2b2ae35);
  h = Math.imul(h ^ w2, 0x85ebca6b);
  h = Math.imul(h ^ w3, 0xc2b2ae35);
  h ^= h >>> 16;
  const slot = h & (PREFIX_SLOTS - 1);
  const k = slot * 5;
  const known = PREFIX_TEXTS[slot];
  if (
    known !== undefined &&
    PREFIX_KEYS[k] === tag &&
    PREFIX_KEYS[k + 1] === w0 &&
    PREFIX_KEYS[k + 2] === w1 &&
    PREFIX_KEYS[k + 3] === w2 &&
    PREFIX_KEYS[k + 4] === w3
  )
    return known;
  const text =
    addr.kind === "ipv4"
      ? `${w0 >>> 24}.${(w0 >>> 16) & 0xff}.${(w0 >>> 8) & 0xff}.${w0 & 0xff}/${bits}`
      : `${formatIPv6(networkBytes(b, bits))}/${bits}`;
  PREFIX_KEYS[k] = tag;
  PREFIX_KEYS[k + 1] = w0;
  PREFIX_KEYS[k + 2] = w1;
  PREFIX_KEYS[k + 3] = w2;
  PREFIX_KEYS[k + 4] = w3;
  PREFIX_TEXTS[slot] = text;
  return text;
}

/**
 * The prefixes {@link truncate} wrote last, one per slot of a direct-mapped table keyed by the network's words, its
 * length and the address's: a log's clients share their networks (a /24 holds up to 256 of them), and writing the
 * text cost ≈ 90 ns per line (IPv4) to 130 (a fifth IPv6), against ≈ 20 for the lookup. Holds prefixes only, which
 * is what `events/` holds.
 */
const PREFIX_SLOTS = 4096;
const PREFIX_KEYS = new Int32Array(PREFIX_SLOTS * 5);
const PREFIX_TEXTS = new Array<string | undefined>(PREFIX_SLOTS).fill(undefined);

// ---------------------------------------------------------------------------------------------------------------
// X-Forwarded-For

interface CompiledBlock {
  readonly kind: AddressKind;
  readonly network: Uint8Array;
  readonly bits: number;
}

/** Trusted proxy blocks, compiled once from `config.trustedProxies`. */
export interface TrustedProxies {
  readonly blocks: readonly CompiledBlock[];
  /** True when `addr` lies in one of the blocks. */
  contains(addr: ClientAddress): boolean;
}

export class TrustedProxyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrustedProxyError";
  }
}

function blockContains(block: CompiledBlock, addr: ClientAddress): boolean {
  if (block.kind !== addr.kind) return false;
  const full = block.bits >> 3;
  for (let i = 0; i < full; i++) if (block.network[i] !== addr.bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = 0xff << (8 - rest);
  return ((addr.bytes[full] ?? 0) & mask) === block.network[full];
}

/** A bare address, no port, brackets or zone (IPv4-mapped IPv6 becomes IPv4): for configuration and block lists. */
export function parseBareAddress(text: string): ClientAddress | null {
  if (text.includes(":")) {
    const bytes = new Uint8Array(16);
    return parseIPv6Into(text, 0, text.length, bytes) ? fromIPv6Bytes(bytes) : null;
  }
  return parseIPv4Token(text, 0, text.length, true);
}

function compileBlock(entry: string, index: number): CompiledBlock {
  // The entry is not echoed: no address appears in a message.
  const where = `trustedProxies[${index}]`;
  const slash = entry.indexOf("/");
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const addr = parseBareAddress(addressText);
  if (addr === null) throw new TrustedProxyError(`${where}: not an IPv4/IPv6 address or CIDR block`);
  const max = addr.kind === "ipv4" ? 32 : 128;
  if (slash < 0) return { kind: addr.kind, network: addr.bytes, bits: max };
  const lengthText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText))
    throw new TrustedProxyError(`${where}: the prefix length must be a number`);
  let bits = Number(lengthText);
  if (addr.kind === "ipv4" && addressText.includes(":")) {
    // An IPv4-mapped block (::ffff:10.0.0.0/104) is the IPv4 block it maps.
    if (bits < 96 || bits > 128)
      throw new TrustedProxyError(`${where}: an IPv4-mapped block needs /96 to /128`);
    bits -= 96;
  }
  if (bits > max) throw new TrustedProxyError(`${where}: the prefix length is at most ${max}`);
  return { kind: addr.kind, network: networkBytes(addr.bytes, bits), bits };
}

/**
 * Compiles trusted proxy addresses and CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`) once, at startup.
 * Host bits in a block are ignored (`10.1.2.3/8` is `10.0.0.0/8`). Throws a {@link TrustedProxyError} naming the
 * entry's index.
 */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxies {
  const blocks = entries.map((entry, index) => compileBlock(entry.trim(), index));
  return {
    blocks,
    contains(addr: ClientAddress): boolean {
      for (const block of blocks) if (blockContains(block, addr)) return true;
      return false;
    },
  };
}

const compiledByList = new WeakMap<readonly string[], TrustedProxies>();

function trustedOf(trusted: TrustedProxies | readonly string[]): TrustedProxies {
  if ("contains" in trusted) return trusted;
  let compiled = compiledByList.get(trusted);
  if (compiled === undefined) {
    compiled = compileTrustedProxies(trusted);
    compiledByList.set(trusted, compiled);
  }
  return compiled;
}

/**
 * Special-purpose blocks that are not globally reachable (IANA IPv4/IPv6 Special-Purpose Address Registries,
 * RFC 6890 and later): private, loopback, link-local, shared (CGNAT), documentation, benchmarking, multicast and
 * reserved space. Such an address has no country or provider, whatever a geo database says.
 */
const NON_PUBLIC = compileTrustedProxies([
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/127",
  "64:ff9b:1::/48",
  "100::/64",
  "2001:db8::/32",
  "3fff::/20",
  "5f00::/16",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
]);

/** False for private, loopback, link-local, documentation, multicast and other non-global addresses. */
export function isPublicAddress(addr: ClientAddress): boolean {
  return !NON_PUBLIC.contains(addr);
}

/** Hops beyond this many are not walked: a longer chain is an attack, not a proxy setup. */
const MAX_FORWARDED_HOPS = 32;

/**
 * The client address of a request: the direct peer, unless the peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right, skipping trusted proxies, and the first untrusted address is the
 * client. An entry that does not parse (`unknown`, garbage, a host name) stops the walk: the last address reached
 * is used, because nothing left of a broken entry can be believed. When every hop is trusted, the leftmost is the
 * client. Returns null when the peer itself does not parse.
 *
 * `trusted` is best compiled once with {@link compileTrustedProxies}; a plain list is compiled on first use and
 * remembered per list object.
 */
export function resolveClientAddress(
  remote: string,
  forwardedFor: string | null,
  trusted: TrustedProxies | readonly string[],
): ClientAddress | null {
  const peer = parseClientAddress(remote);
  if (peer === null) return null;
  if (forwardedFor === null || forwardedFor.length === 0) return peer;
  const proxies = trustedOf(trusted);
  if (proxies.blocks.length === 0) return peer;
  let client = peer;
  let end = forwardedFor.length;
  for (let hop = 0; hop < MAX_FORWARDED_HOPS && proxies.contains(client); hop++) {
    if (end < 0) break;
    const comma = forwardedFor.lastIndexOf(",", end - 1);
    const entry = forwardedFor.slice(comma + 1, end);
    end = comma; // -1 when this was the leftmost entry
    const next = parseClientAddress(entry);
    if (next === null) break;
    client = next;
  }
  return client;
}
