/**
 * The daily-salted visitor id: `HMAC-SHA256(salt, site ‖ 0x00 ‖ ip ‖ 0x00 ‖ userAgent)`, first 8 bytes read as a
 * signed 64-bit big-endian integer. The NUL separators keep ("ab", "c") and ("a", "bc") apart.
 *
 * It runs once per accepted line, so it is built for speed, not brevity:
 * - node:crypto costs about 1 µs per call for tiny inputs (object creation and the OpenSSL 3 call path dominate;
 *   `createHmac` ≈ 3 µs per id, `createHash().copy()` of a pre-keyed state is slower still). SHA-256 in plain
 *   JavaScript with the HMAC inner and outer states computed once per salt needs only the message blocks
 *   (usually 3) plus one outer block: ≈ 1.2–1.4 µs per id on the team machine (the rounds written out, see
 *   {@link compress}; ≈ 1.5 µs as a plain loop).
 * - A visitor's requests repeat (site, ip, ua), so a bounded memo answers repeats in ≈ 0.1 µs instead of ≈ 1.3 µs. It
 *   is a set-associative table in one `Int32Array`, keyed by the address's bytes (not its text: hashing a fresh
 *   address string for a Map, comparing it with the stored key, then walking objects scattered over the heap was most
 *   of the id's cost on a log with many clients — docs/BENCHMARKS.md, issue 20, fifth round). Sites and agents are
 *   numbered (enrich/text-numbering.ts: the agents' numbering is the one the enricher has just asked for the line's
 *   agent, so it answers by a pointer comparison), so an entry is nine integers:
 *   the salt's hasher, site and address length, agent, the address's 32-bit words and the id's. The bucket is chosen
 *   from them; a miss puts the new entry first in its bucket of {@link MEMO_WAYS} and drops the oldest. One memo for
 *   all salts (entries name their salt's hasher by number, so no salt is kept alive by it); in memory only, holding
 *   nothing the line being processed does not.
 * The output is checked against `createHmac` over many random inputs in the tests.
 */

import { bigEndianWord, type ClientAddress, parseClientAddress } from "../anonymize/ip.ts";
import { AGENT_NUMBERS, TextNumbering } from "../enrich/text-numbering.ts";

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK = 64;

/**
 * One SHA-256 compression of the 64-byte block at `m[off..off+64)` into `st`. The 64 rounds run as four passes of
 * 16 written out, the message schedule in 16 local variables (w0…wf, a ring: round i uses w[i mod 16], recomputed
 * from the four words 16, 15, 7 and 2 rounds back once i ≥ 16) and the eight working variables renamed from round to
 * round instead of moved: no array per block and no shuffling, ≈ 30 % less time than the plain loop over a 64-word
 * schedule array (docs/BENCHMARKS.md, issue 20, sixth round). The output is checked against node:crypto in the tests.
 */
// biome-ignore format: a round per three lines reads as the algorithm; formatted, the function would be 500 lines
function compress(st: Int32Array, m: Uint8Array, off: number): void {
  let w0 = bigEndianWord(m, off), w1 = bigEndianWord(m, off + 4), w2 = bigEndianWord(m, off + 8), w3 = bigEndianWord(m, off + 12);
  let w4 = bigEndianWord(m, off + 16), w5 = bigEndianWord(m, off + 20), w6 = bigEndianWord(m, off + 24), w7 = bigEndianWord(m, off + 28);
  let w8 = bigEndianWord(m, off + 32), w9 = bigEndianWord(m, off + 36), wa = bigEndianWord(m, off + 40), wb = bigEndianWord(m, off + 44);
  let wc = bigEndianWord(m, off + 48), wd = bigEndianWord(m, off + 52), we = bigEndianWord(m, off + 56), wf = bigEndianWord(m, off + 60);
  let a = st[0] as number, b = st[1] as number, c = st[2] as number, d = st[3] as number;
  let e = st[4] as number, f = st[5] as number, g = st[6] as number, h = st[7] as number;
  let t = 0;
  for (let j = 0, i = 0; j < 4; j++, i += 16) {
    if (j > 0) w0 = (w0 + (((w1 >>> 7) | (w1 << 25)) ^ ((w1 >>> 18) | (w1 << 14)) ^ (w1 >>> 3)) + w9 + (((we >>> 17) | (we << 15)) ^ ((we >>> 19) | (we << 13)) ^ (we >>> 10))) | 0;
    t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + (K[i] as number) + w0) | 0;
    d = (d + t) | 0; h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    if (j > 0) w1 = (w1 + (((w2 >>> 7) | (w2 << 25)) ^ ((w2 >>> 18) | (w2 << 14)) ^ (w2 >>> 3)) + wa + (((wf >>> 17) | (wf << 15)) ^ ((wf >>> 19) | (wf << 13)) ^ (wf >>> 10))) | 0;
    t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + (K[i + 1] as number) + w1) | 0;
    c = (c + t) | 0; g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0;
    if (j > 0) w2 = (w2 + (((w3 >>> 7) | (w3 << 25)) ^ ((w3 >>> 18) | (w3 << 14)) ^ (w3 >>> 3)) + wb + (((w0 >>> 17) | (w0 << 15)) ^ ((w0 >>> 19) | (w0 << 13)) ^ (w0 >>> 10))) | 0;
    t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + (K[i + 2] as number) + w2) | 0;
    b = (b + t) | 0; f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0;
    if (j > 0) w3 = (w3 + (((w4 >>> 7) | (w4 << 25)) ^ ((w4 >>> 18) | (w4 << 14)) ^ (w4 >>> 3)) + wc + (((w1 >>> 17) | (w1 << 15)) ^ ((w1 >>> 19) | (w1 << 13)) ^ (w1 >>> 10))) | 0;
    t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + (K[i + 3] as number) + w3) | 0;
    a = (a + t) | 0; e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0;
    if (j > 0) w4 = (w4 + (((w5 >>> 7) | (w5 << 25)) ^ ((w5 >>> 18) | (w5 << 14)) ^ (w5 >>> 3)) + wd + (((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10))) | 0;
    t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + (K[i + 4] as number) + w4) | 0;
    h = (h + t) | 0; d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0;
    if (j > 0) w5 = (w5 + (((w6 >>> 7) | (w6 << 25)) ^ ((w6 >>> 18) | (w6 << 14)) ^ (w6 >>> 3)) + we + (((w3 >>> 17) | (w3 << 15)) ^ ((w3 >>> 19) | (w3 << 13)) ^ (w3 >>> 10))) | 0;
    t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + (K[i + 5] as number) + w5) | 0;
    g = (g + t) | 0; c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0;
    if (j > 0) w6 = (w6 + (((w7 >>> 7) | (w7 << 25)) ^ ((w7 >>> 18) | (w7 << 14)) ^ (w7 >>> 3)) + wf + (((w4 >>> 17) | (w4 << 15)) ^ ((w4 >>> 19) | (w4 << 13)) ^ (w4 >>> 10))) | 0;
    t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + (K[i + 6] as number) + w6) | 0;
    f = (f + t) | 0; b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0;
    if (j > 0) w7 = (w7 + (((w8 >>> 7) | (w8 << 25)) ^ ((w8 >>> 18) | (w8 << 14)) ^ (w8 >>> 3)) + w0 + (((w5 >>> 17) | (w5 << 15)) ^ ((w5 >>> 19) | (w5 << 13)) ^ (w5 >>> 10))) | 0;
    t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + (K[i + 7] as number) + w7) | 0;
    e = (e + t) | 0; a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0;
    if (j > 0) w8 = (w8 + (((w9 >>> 7) | (w9 << 25)) ^ ((w9 >>> 18) | (w9 << 14)) ^ (w9 >>> 3)) + w1 + (((w6 >>> 17) | (w6 << 15)) ^ ((w6 >>> 19) | (w6 << 13)) ^ (w6 >>> 10))) | 0;
    t = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + (K[i + 8] as number) + w8) | 0;
    d = (d + t) | 0; h = (t + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    if (j > 0) w9 = (w9 + (((wa >>> 7) | (wa << 25)) ^ ((wa >>> 18) | (wa << 14)) ^ (wa >>> 3)) + w2 + (((w7 >>> 17) | (w7 << 15)) ^ ((w7 >>> 19) | (w7 << 13)) ^ (w7 >>> 10))) | 0;
    t = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + (K[i + 9] as number) + w9) | 0;
    c = (c + t) | 0; g = (t + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) | (b & (h | a)))) | 0;
    if (j > 0) wa = (wa + (((wb >>> 7) | (wb << 25)) ^ ((wb >>> 18) | (wb << 14)) ^ (wb >>> 3)) + w3 + (((w8 >>> 17) | (w8 << 15)) ^ ((w8 >>> 19) | (w8 << 13)) ^ (w8 >>> 10))) | 0;
    t = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + (K[i + 10] as number) + wa) | 0;
    b = (b + t) | 0; f = (t + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) | (a & (g | h)))) | 0;
    if (j > 0) wb = (wb + (((wc >>> 7) | (wc << 25)) ^ ((wc >>> 18) | (wc << 14)) ^ (wc >>> 3)) + w4 + (((w9 >>> 17) | (w9 << 15)) ^ ((w9 >>> 19) | (w9 << 13)) ^ (w9 >>> 10))) | 0;
    t = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + (K[i + 11] as number) + wb) | 0;
    a = (a + t) | 0; e = (t + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) | (h & (f | g)))) | 0;
    if (j > 0) wc = (wc + (((wd >>> 7) | (wd << 25)) ^ ((wd >>> 18) | (wd << 14)) ^ (wd >>> 3)) + w5 + (((wa >>> 17) | (wa << 15)) ^ ((wa >>> 19) | (wa << 13)) ^ (wa >>> 10))) | 0;
    t = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + (K[i + 12] as number) + wc) | 0;
    h = (h + t) | 0; d = (t + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) | (g & (e | f)))) | 0;
    if (j > 0) wd = (wd + (((we >>> 7) | (we << 25)) ^ ((we >>> 18) | (we << 14)) ^ (we >>> 3)) + w6 + (((wb >>> 17) | (wb << 15)) ^ ((wb >>> 19) | (wb << 13)) ^ (wb >>> 10))) | 0;
    t = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + (K[i + 13] as number) + wd) | 0;
    g = (g + t) | 0; c = (t + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) | (f & (d | e)))) | 0;
    if (j > 0) we = (we + (((wf >>> 7) | (wf << 25)) ^ ((wf >>> 18) | (wf << 14)) ^ (wf >>> 3)) + w7 + (((wc >>> 17) | (wc << 15)) ^ ((wc >>> 19) | (wc << 13)) ^ (wc >>> 10))) | 0;
    t = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + (K[i + 14] as number) + we) | 0;
    f = (f + t) | 0; b = (t + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) | (e & (c | d)))) | 0;
    if (j > 0) wf = (wf + (((w0 >>> 7) | (w0 << 25)) ^ ((w0 >>> 18) | (w0 << 14)) ^ (w0 >>> 3)) + w8 + (((wd >>> 17) | (wd << 15)) ^ ((wd >>> 19) | (wd << 13)) ^ (wd >>> 10))) | 0;
    t = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + (K[i + 15] as number) + wf) | 0;
    e = (e + t) | 0; a = (t + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) | (d & (b | c)))) | 0;
  }
  st[0] = ((st[0] as number) + a) | 0;
  st[1] = ((st[1] as number) + b) | 0;
  st[2] = ((st[2] as number) + c) | 0;
  st[3] = ((st[3] as number) + d) | 0;
  st[4] = ((st[4] as number) + e) | 0;
  st[5] = ((st[5] as number) + f) | 0;
  st[6] = ((st[6] as number) + g) | 0;
  st[7] = ((st[7] as number) + h) | 0;
}

/** Appends SHA-256 padding for a message of `totalBytes` whose unprocessed tail sits at `buf[0..len)`. */
function pad(buf: Uint8Array, len: number, totalBytes: number): number {
  let n = len;
  buf[n++] = 0x80;
  while (n % BLOCK !== 56) buf[n++] = 0;
  const hi = Math.floor(totalBytes / 0x20000000); // (totalBytes * 8) / 2^32
  const lo = (totalBytes * 8) >>> 0;
  buf[n++] = hi >>> 24;
  buf[n++] = hi >>> 16;
  buf[n++] = hi >>> 8;
  buf[n++] = hi;
  buf[n++] = lo >>> 24;
  buf[n++] = lo >>> 16;
  buf[n++] = lo >>> 8;
  buf[n++] = lo;
  return n;
}

function writeState(st: Int32Array, out: Uint8Array, off: number): void {
  for (let i = 0; i < 8; i++) {
    const v = st[i] as number;
    out[off + i * 4] = v >>> 24;
    out[off + i * 4 + 1] = v >>> 16;
    out[off + i * 4 + 2] = v >>> 8;
    out[off + i * 4 + 3] = v;
  }
}

/** Plain SHA-256 of some bytes (used for keys longer than one block, as RFC 2104 says). */
function sha256(data: Uint8Array): Uint8Array {
  const st = IV.slice();
  const full = data.length - (data.length % BLOCK);
  for (let o = 0; o < full; o += BLOCK) compress(st, data, o);
  const tail = new Uint8Array(BLOCK * 2);
  tail.set(data.subarray(full));
  const n = pad(tail, data.length - full, data.length);
  for (let o = 0; o < n; o += BLOCK) compress(st, tail, o);
  const out = new Uint8Array(32);
  writeState(st, out, 0);
  return out;
}

/**
 * Buckets of the memo (a power of two) at most, and entries per bucket: 65,536 entries, 2.5 MB. On the bench's
 * generated log (41,651 distinct visitors a day) the memo of two generations of 16,384 addresses it replaced computed
 * 249,000 ids per million lines; this one computes about the distinct visitors.
 */
const MEMO_BUCKETS = 16_384;
/**
 * Buckets the memo starts with (150 KB): it doubles, up to {@link MEMO_BUCKETS}, whenever a new entry would push one
 * out. Held at its most from the start, its 2.5 MB were touched all over by a few thousand visitors (the buckets
 * are spread by a hash), in each ingest thread: ≈ 5 MiB of `elastic`'s peak (docs/BENCHMARKS.md, ninth round).
 */
const MEMO_FIRST_BUCKETS = 1024;
const MEMO_WAYS = 4;
/**
 * Int32 words per entry in `memo.keys`: the hasher's number (0: empty), the site's number × 32 + the address's length
 * in bytes, the agent's number, the address's four words (IPv4: one, then zeros), the id's high and low words.
 */
const STRIDE = 9;
/** Distinct sites held by their numbering (agents: text-numbering.ts). */
const MAX_SITES = 4096;
const encoder = new TextEncoder();
/** Scratch for an id's 64 bits: written as two 32-bit words, read as one signed 64-bit integer. */
const ID_BIGINT = new BigInt64Array(1);
const ID_WORDS = new Int32Array(ID_BIGINT.buffer);
/** Where the low word of a 64-bit integer sits on this platform (0 on little-endian ones). */
const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/** The id of two 32-bit words, high word first (one BigInt made). */
function idOf(high: number, low: number): bigint {
  ID_WORDS[LOW_WORD] = low;
  ID_WORDS[1 - LOW_WORD] = high;
  return ID_BIGINT[0] as bigint;
}

/** The memo, one for all salts (a backfill moves from day to day: memory stays the same). Entry `e` is at `e * STRIDE`. */
const memo = {
  keys: new Int32Array(MEMO_FIRST_BUCKETS * MEMO_WAYS * STRIDE),
  /** Buckets in `keys` (a power of two, up to {@link MEMO_BUCKETS}). */
  buckets: MEMO_FIRST_BUCKETS,
  sites: new TextNumbering(MAX_SITES),
  /** The restarts of the agents' and the sites' numberings when the entries were made: numbers of an earlier one mean nothing. */
  agentRestarts: AGENT_NUMBERS.restarts,
  siteRestarts: 0,
  /** The last answer and what it was for, in fields rather than an object made per line. */
  lastHasher: 0,
  lastSiteLength: 0,
  lastAgent: 0,
  last0: 0,
  last1: 0,
  last2: 0,
  last3: 0,
  lastId: 0n,
};

/** The address's 32-bit words, big-endian (IPv4: one word, the rest 0), read into `WORDS`. */
const WORDS = new Int32Array(4);

function readWords(bytes: Uint8Array): void {
  const n = bytes.length;
  for (let w = 0; w < 4; w++) {
    const i = w << 2;
    WORDS[w] =
      i < n
        ? ((bytes[i] as number) << 24) |
          ((bytes[i + 1] as number) << 16) |
          ((bytes[i + 2] as number) << 8) |
          (bytes[i + 3] as number)
        : 0;
  }
}

/** The first entry of the bucket of (hasher, site and length, agent, address words in `WORDS`). */
function bucketStart(hasher: number, siteLength: number, agent: number): number {
  return bucketOf(
    hasher,
    siteLength,
    agent,
    WORDS[0] as number,
    WORDS[1] as number,
    WORDS[2] as number,
    WORDS[3] as number,
    memo.buckets,
  );
}

/** The first entry of the bucket of (hasher, site and length, agent, address words) in a memo of `buckets`. */
function bucketOf(
  hasher: number,
  siteLength: number,
  agent: number,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
  buckets: number,
): number {
  let h = Math.imul(hasher ^ siteLength, 0x9e3779b1);
  h = Math.imul(h ^ agent, 0x85ebca6b);
  h = Math.imul(h ^ w0, 0xc2b2ae35);
  h = Math.imul(h ^ w1, 0x85ebca6b);
  h = Math.imul(h ^ w2, 0xc2b2ae35);
  h = Math.imul(h ^ w3, 0x85ebca6b);
  h ^= h >>> 16;
  return (h & (buckets - 1)) * MEMO_WAYS;
}

/**
 * Twice the buckets, every entry moved to its bucket in the new memo. The entries of one old bucket go to two new
 * ones, in their order (newest first), and no other bucket's entries join them: each bucket keeps its order.
 */
function growMemo(): void {
  const old = memo.keys;
  const buckets = memo.buckets * 2;
  const keys = new Int32Array(buckets * MEMO_WAYS * STRIDE);
  for (let e = 0; e < old.length / STRIDE; e++) {
    const k = e * STRIDE;
    if (old[k] === 0) continue;
    const first = bucketOf(
      old[k] as number,
      old[k + 1] as number,
      old[k + 2] as number,
      old[k + 3] as number,
      old[k + 4] as number,
      old[k + 5] as number,
      old[k + 6] as number,
      buckets,
    );
    let to = first;
    while (keys[to * STRIDE] !== 0) to++;
    keys.set(old.subarray(k, k + STRIDE), to * STRIDE);
  }
  memo.keys = keys;
  memo.buckets = buckets;
}

/** Puts an entry first in the bucket starting at `first` (the address's words in `WORDS`), dropping the oldest. */
function remember(
  first: number,
  hasher: number,
  siteLength: number,
  agent: number,
  high: number,
  low: number,
): void {
  const keys = memo.keys;
  // Plain loops: typed-array copyWithin and set cost more than the move itself at this size.
  for (let k = (first + MEMO_WAYS) * STRIDE - 1; k >= (first + 1) * STRIDE; k--)
    keys[k] = keys[k - STRIDE] as number;
  const k = first * STRIDE;
  keys[k] = hasher;
  keys[k + 1] = siteLength;
  keys[k + 2] = agent;
  keys[k + 3] = WORDS[0] as number;
  keys[k + 4] = WORDS[1] as number;
  keys[k + 5] = WORDS[2] as number;
  keys[k + 6] = WORDS[3] as number;
  keys[k + 7] = high;
  keys[k + 8] = low;
}

/** Empties the memo after a numbering started afresh (once in four million distinct agents or sites). */
function forgetEntries(): void {
  memo.keys.fill(0);
  memo.lastHasher = 0;
  memo.agentRestarts = AGENT_NUMBERS.restarts;
  memo.siteRestarts = memo.sites.restarts;
}

let hashersMade = 0;

/** HMAC-SHA256 keyed once; `id()` hashes a message to the signed 64-bit visitor id. */
class VisitorHasher {
  readonly salt: Uint8Array;
  /** The salt's copy as 32-bit words, when its length is a multiple of 4. */
  private readonly saltWords: Int32Array | null;
  /** The salt array it was made for (its key in `hashers`), and that array's bytes as words (see {@link wordsOf}). */
  readonly given: Uint8Array;
  private readonly givenWords: Int32Array | null;
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly st = new Int32Array(8);
  private readonly outerBlock = new Uint8Array(BLOCK);
  private buf = new Uint8Array(4096);
  /** Names this hasher's salt in the memo. */
  private readonly number = ++hashersMade;

  constructor(salt: Uint8Array) {
    this.salt = salt.slice();
    this.saltWords = wordsOf(this.salt);
    this.given = salt;
    this.givenWords = wordsOf(salt);
    const key = new Uint8Array(BLOCK);
    key.set(salt.length > BLOCK ? sha256(salt) : salt);
    const ipad = key.map((b) => b ^ 0x36);
    const opad = key.map((b) => b ^ 0x5c);
    this.inner.set(IV);
    compress(this.inner, ipad, 0);
    this.outer.set(IV);
    compress(this.outer, opad, 0);
  }

  sameSalt(salt: Uint8Array): boolean {
    const own = this.salt;
    if (own.length !== salt.length) return false;
    for (let i = 0; i < own.length; i++) if (own[i] !== salt[i]) return false;
    return true;
  }

  /** Whether the array it was made for still holds its salt: {@link sameSalt}, four bytes at a time when it can. */
  givenUnchanged(): boolean {
    const words = this.givenWords;
    if (words === null) return this.sameSalt(this.given);
    const own = this.saltWords;
    if (own === null || own.length !== words.length) return false;
    for (let i = 0; i < own.length; i++) if (own[i] !== words[i]) return false;
    return true;
  }

  /** The id of (site, ip, userAgent), from the memo when it was seen lately; `bytes` are the address `ip` names. */
  id(site: string, ip: string, bytes: Uint8Array, userAgent: string): bigint {
    const hasher = this.number;
    // The agent first: the enricher has just asked for the same string object, so this is a pointer comparison.
    const agent = AGENT_NUMBERS.of(userAgent);
    const siteLength = memo.sites.of(site) * 32 + bytes.length;
    if (AGENT_NUMBERS.restarts !== memo.agentRestarts || memo.sites.restarts !== memo.siteRestarts)
      forgetEntries();
    readWords(bytes);
    const w0 = WORDS[0] as number;
    const w1 = WORDS[1] as number;
    const w2 = WORDS[2] as number;
    const w3 = WORDS[3] as number;
    // A page and its assets come one after the other: the last answer first.
    if (
      memo.lastHasher === hasher &&
      memo.last0 === w0 &&
      memo.last1 === w1 &&
      memo.last2 === w2 &&
      memo.last3 === w3 &&
      memo.lastAgent === agent &&
      memo.lastSiteLength === siteLength
    )
      return memo.lastId;
    const keys = memo.keys;
    const first = bucketStart(hasher, siteLength, agent);
    let id: bigint | undefined;
    for (let e = first; e < first + MEMO_WAYS; e++) {
      const k = e * STRIDE;
      if (keys[k] === 0) break; // entries fill a bucket from its start
      if (
        keys[k + 3] === w0 &&
        keys[k + 4] === w1 &&
        keys[k + 5] === w2 &&
        keys[k + 6] === w3 &&
        keys[k + 2] === agent &&
        keys[k] === hasher &&
        keys[k + 1] === siteLength
      ) {
        id = idOf(keys[k + 7] as number, keys[k + 8] as number);
        break;
      }
    }
    if (id === undefined) {
      const st = this.digestState(`${site}\0${ip}\0${userAgent}`);
      let at = first;
      // The bucket is full: grow the memo rather than push an entry out, while it may grow.
      if (keys[(first + MEMO_WAYS - 1) * STRIDE] !== 0 && memo.buckets < MEMO_BUCKETS) {
        growMemo();
        at = bucketStart(hasher, siteLength, agent);
      }
      remember(at, hasher, siteLength, agent, st[0] as number, st[1] as number);
      id = idOf(st[0] as number, st[1] as number);
    }
    memo.lastHasher = hasher;
    memo.lastSiteLength = siteLength;
    memo.lastAgent = agent;
    memo.last0 = w0;
    memo.last1 = w1;
    memo.last2 = w2;
    memo.last3 = w3;
    memo.lastId = id;
    return id;
  }

  /** The HMAC without the memo (exported through {@link visitorIdUncached} for tests and benchmarks). */
  compute(message: string): bigint {
    const st = this.digestState(message);
    // The first two words as one signed 64-bit integer, high word first: through a 64-bit view of two 32-bit words
    // (one BigInt made, not the four of `(BigInt(hi) << 32n) | BigInt(lo >>> 0)`, which gives the same value).
    return idOf(st[0] as number, st[1] as number);
  }

  /** The full 32-byte HMAC of a message (UTF-8). */
  digest(message: string): Uint8Array {
    const out = new Uint8Array(32);
    writeState(this.digestState(message), out, 0);
    return out;
  }

  /** Runs the HMAC; the result is the internal state array, valid until the next call. */
  digestState(message: string): Int32Array {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; two more blocks hold the padding.
    const need = message.length * 3 + 2 * BLOCK + 8;
    if (this.buf.length < need) this.buf = new Uint8Array(need * 2);
    const buf = this.buf;
    const n = encoder.encodeInto(message, buf).written;
    const len = pad(buf, n, BLOCK + n);
    const st = this.st;
    st.set(this.inner);
    for (let o = 0; o < len; o += BLOCK) compress(st, buf, o);
    const ob = this.outerBlock;
    writeState(st, ob, 0);
    pad(ob, 32, BLOCK + 32);
    st.set(this.outer);
    compress(st, ob, 0);
    return st;
  }
}

/** One hasher per salt instance; the salt bytes are re-checked on each call so a mutated array is never trusted. */
const hashers = new WeakMap<Uint8Array, VisitorHasher>();
/**
 * The hasher of the last salt asked for: a run asks for one day's salt line after line, and checking its 32 bytes one
 * at a time was most of `hasherFor`'s time on the bench (docs/BENCHMARKS.md, issue 20, sixth round); the bytes are
 * still compared on every call, 4 at a time. Held weakly: the salt store forgets a destroyed salt
 * (adapters/salt/object-store-salt-store.ts), and a strong reference here kept the last salt, the hasher's copy of it
 * and its keyed states in a long-running process (the collector, `ingest --follow`) that asked for no other salt
 * after, past the salt's 48 hours. The hasher lives as long as its salt array does (it is that array's entry in
 * `hashers`).
 */
let lastHasher: WeakRef<VisitorHasher> | undefined;

/** A view of the bytes as 32-bit words (platform order), or null when they do not fall on whole aligned words. */
function wordsOf(bytes: Uint8Array): Int32Array | null {
  return bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0
    ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
    : null;
}

function hasherFor(salt: Uint8Array): VisitorHasher {
  const last = lastHasher?.deref();
  if (last !== undefined && last.given === salt && last.givenUnchanged()) return last;
  let hasher = hashers.get(salt);
  if (hasher === undefined || !hasher.sameSalt(salt)) {
    hasher = new VisitorHasher(salt);
    hashers.set(salt, hasher);
  }
  if (hasher !== last) lastHasher = new WeakRef(hasher);
  return hasher;
}

/**
 * A hasher found in the WeakMap (a salt asked for again after another) is checked with `sameSalt`; in a run that
 * happens first at a change of day, long after V8 has optimized `hasherFor` with no type feedback for that call,
 * which then threw the code away in each thread. V8 records feedback only once a function has run a few times (its
 * feedback vector is allocated lazily), hence two throwaway salts asked for in turn here, when the module loads; the
 * last salt is forgotten after.
 */
{
  const salts = [new Uint8Array(32), new Uint8Array(32).fill(1)];
  for (let i = 0; i < 64; i++) hasherFor(salts[i % 2] as Uint8Array);
  lastHasher = undefined;
}

/**
 * The visitor id of one access: HMAC-SHA256 keyed with the day's salt over `site ‖ 0x00 ‖ ip ‖ 0x00 ‖ userAgent`
 * (UTF-8), the first 8 bytes of the digest as a signed big-endian 64-bit integer.
 * Pass the same salt array for a whole day (the salt store returns one instance per day): the keyed state and
 * a memo of recent visitors hang off that array. `ip` is any text; only an address in its canonical text (what
 * {@link parseClientAddress} gives) is remembered: the memo is keyed by the address's bytes.
 */
export function visitorId(salt: Uint8Array, site: string, ip: string, userAgent: string): bigint {
  const hasher = hasherFor(salt);
  const address = parseClientAddress(ip);
  if (address === null || address.address !== ip) return hasher.compute(`${site}\0${ip}\0${userAgent}`);
  return hasher.id(site, ip, address.bytes, userAgent);
}

/**
 * {@link visitorId} of a parsed client address (its canonical text is what is hashed): the ingest pipeline's and
 * the collector's way, with no second parse of the address.
 */
export function visitorIdOf(
  salt: Uint8Array,
  site: string,
  address: ClientAddress,
  userAgent: string,
): bigint {
  return hasherFor(salt).id(site, address.address, address.bytes, userAgent);
}

/** The same value as {@link visitorId}, always computed (no memo): for tests and benchmarks. */
export function visitorIdUncached(salt: Uint8Array, site: string, ip: string, userAgent: string): bigint {
  return hasherFor(salt).compute(`${site}\0${ip}\0${userAgent}`);
}

/**
 * HMAC-SHA256 of a UTF-8 message, all 32 bytes, through the very code path {@link visitorId} uses: exposed so the
 * tests can check it against RFC 4231 and `createHmac`.
 */
export function hmacSha256(key: Uint8Array, message: string): Uint8Array {
  return new VisitorHasher(key).digest(message);
}
