import type { ClientAddress } from "../../core/anonymize/ip.ts";

/**
 * The bundled AS database: `@ip-location-db/asn` (CSV, CC BY 4.0 — RouteViews, DB-IP and the NRO; see
 * docs/PRIVACY-IP.md for the attribution), read into sorted range tables once at startup; a lookup is a binary
 * search. The package ships CSV only here (its MMDB twin is not published to the registry this project installs
 * from), so the rows are read by hand: each line is `start,end,asn,organisation` with the three numbers unquoted and
 * the organisation quoted CSV-style when it holds a comma or a quote — a fixed four-field shape that a CSV library
 * would read ~10× slower on the half million lines read at every cold start.
 *
 * IPv4 rows come from `asn-ipv4-num.csv` (addresses as unsigned 32-bit numbers), IPv6 rows from
 * `asn-ipv6-num.csv` (128-bit numbers in decimal). Ranges are inclusive and sorted by start; where one overlaps
 * the one before (the published IPv4 file has one such row), the later row wins from its start on. A file that is
 * not sorted is refused rather than searched wrongly.
 */

const MAX_ORGANISATION_LENGTH = 128;

export class AsnDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AsnDatabaseError";
  }
}

/** Organisation names, each stored once (a few thousand networks name the same organisation). */
class Names {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();

  /** The index of the organisation in `text[from, end)` (quoted or not); -1 for an empty field. */
  at(text: string, from: number, end: number): number {
    const name = organisationOf(text.slice(from, end));
    if (name === "") return -1;
    let at = this.index.get(name);
    if (at === undefined) {
      at = this.list.length;
      // A copy of its own: a slice of the file's text would keep all of that text (32 MB for the two files)
      // alive for as long as the table lives (V8 keeps the parent string of a sliced one).
      const own = Buffer.from(name, "utf8").toString("utf8");
      this.list.push(own);
      this.index.set(own, at);
    }
    return at;
  }
}

/** The organisation field of a row (the text after the third comma), unquoted; "" when empty. */
function organisationOf(field: string): string {
  let text = field;
  if (text.startsWith('"')) text = text.slice(1, text.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
  return text.trim().slice(0, MAX_ORGANISATION_LENGTH);
}

/** Lines in a text (a last line without a newline counts), to size the tables before reading. */
function countLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return text.length > 0 && !text.endsWith("\n") ? count + 1 : count;
}

/**
 * A CSV file's text as pieces that each end with a whole line (the last may lack its LF), and how many lines they
 * hold: the text at once ({@link textSource}), or a file read a piece at a time (mmdb-geo.ts), so the whole file
 * is never in memory as one string (the two files are 32 MB of text; read whole, they raised a process's peak
 * memory by about 100 MiB).
 */
export interface TextSource {
  readonly lines: number;
  pieces(): Iterable<string>;
}

export function textSource(text: string): TextSource {
  return { lines: countLines(text), pieces: () => [text] };
}

/**
 * Calls `row` for each non-blank line of each piece with its bounds in that piece (a CR before the LF excluded);
 * line numbers are 1-based over the whole source.
 */
function eachLine(
  source: TextSource,
  row: (text: string, start: number, end: number, lineNo: number) => void,
): void {
  let lineNo = 0;
  for (const text of source.pieces()) {
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      lineNo++;
      const stop = text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      if (stop > start) row(text, start, stop, lineNo);
      start = end + 1;
    }
  }
}

const U32 = 2 ** 32;
const ZERO = 48;
const COMMA = 44;

/**
 * Reads the decimal number at `text[from…]` up to the next comma; returns the comma's index, or -1 when the field is
 * empty, not all digits, or has no comma after it. Numbers of IPv4 rows stay below 2^32, exact as doubles.
 */
function readDecimal(text: string, from: number, end: number, out: { value: number }): number {
  let value = 0;
  let at = from;
  for (; at < end; at++) {
    const digit = text.charCodeAt(at) - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  if (at === from || at >= end || text.charCodeAt(at) !== COMMA) return -1;
  out.value = value;
  return at;
}

/**
 * Reads a decimal 128-bit number into eight 16-bit limbs (most significant first), multiplying by ten limb by
 * limb: exact without BigInt, and without a BigInt per row. Returns the comma's index or -1 (as readDecimal), and
 * -2 when the number does not fit in 128 bits.
 */
function readDecimal128(text: string, from: number, end: number, limbs: Uint32Array): number {
  limbs.fill(0);
  let at = from;
  // Up to four digits at a time (limbs × 10^4 + the four digits stays below 2^31): a fourth of the limb passes of
  // one digit at a time, on the 39-digit numbers of 100,000 IPv6 rows at every cold start.
  for (;;) {
    let chunk = 0;
    let scale = 1;
    for (let n = 0; n < 4 && at < end; n++, at++) {
      const digit = text.charCodeAt(at) - ZERO;
      if (digit < 0 || digit > 9) break;
      chunk = chunk * 10 + digit;
      scale *= 10;
    }
    if (scale === 1) break;
    let carry = chunk;
    for (let i = 7; i >= 0; i--) {
      const v = (limbs[i] as number) * scale + carry;
      limbs[i] = v & 0xffff;
      carry = v >>> 16;
    }
    if (carry !== 0) return -2;
    if (scale < 10_000) break;
  }
  if (at === from || at >= end || text.charCodeAt(at) !== COMMA) return -1;
  return at;
}

/** IPv4 rows: starts, ends and name indexes side by side. */
export interface V4Table {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly names: Int32Array;
  readonly length: number;
}

/** IPv6 rows: each start and end as four 32-bit words, most significant first. */
export interface V6Table {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly names: Int32Array;
  readonly length: number;
}

/** The tables are sized by a first count of the lines: a file that grew since cannot fill them. */
const changedWhileRead = (file: string) =>
  new AsnDatabaseError(
    `${file}: more lines than counted before reading (the file changed while it was read)`,
  );

const notARow = (file: string, lineNo: number) =>
  new AsnDatabaseError(`${file} line ${lineNo}: not a row of start,end,asn,organisation`);

/** The index of the comma after the ASN field, or -1. */
function skipAsn(text: string, from: number, end: number): number {
  let at = from;
  while (at < end && text.charCodeAt(at) !== COMMA) at++;
  return at < end ? at : -1;
}

function readV4(source: TextSource, names: Names, file: string): V4Table {
  const capacity = source.lines;
  const starts = new Uint32Array(capacity);
  const ends = new Uint32Array(capacity);
  const nameAt = new Int32Array(capacity);
  const number = { value: 0 };
  let length = 0;
  let previousStart = -1;
  let previousEnd = -1;
  eachLine(source, (text, from, end, lineNo) => {
    if (length >= capacity) throw changedWhileRead(file);
    const afterStart = readDecimal(text, from, end, number);
    const start = number.value;
    const afterEnd = afterStart < 0 ? -1 : readDecimal(text, afterStart + 1, end, number);
    const last = number.value;
    const afterAsn = afterEnd < 0 ? -1 : skipAsn(text, afterEnd + 1, end);
    if (afterAsn < 0 || start > last || last >= U32) throw notARow(file, lineNo);
    if (start <= previousEnd) {
      // An overlap (the published data has a few): the later, more specific row wins from its start on.
      if (start <= previousStart) throw new AsnDatabaseError(`${file} line ${lineNo}: ranges are not sorted`);
      ends[length - 1] = start - 1;
    }
    previousStart = start;
    previousEnd = last;
    starts[length] = start;
    ends[length] = last;
    nameAt[length] = names.at(text, afterAsn + 1, end);
    length++;
  });
  return { starts, ends, names: nameAt, length };
}

/** -1, 0 or 1: eight 16-bit limbs against eight others. */
function compareLimbs(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < 8; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Writes eight 16-bit limbs as four 32-bit words at `words[at*4…]`. */
function putWords(words: Uint32Array, at: number, limbs: Uint32Array): void {
  for (let i = 0; i < 4; i++) {
    words[at * 4 + i] = (((limbs[i * 2] as number) << 16) | (limbs[i * 2 + 1] as number)) >>> 0;
  }
}

/** The limbs minus one (the value is not zero: it is a start after an earlier end). */
function minusOne(limbs: Uint32Array): Uint32Array {
  const out = Uint32Array.from(limbs);
  for (let i = 7; i >= 0; i--) {
    if ((out[i] as number) > 0) {
      out[i] = (out[i] as number) - 1;
      break;
    }
    out[i] = 0xffff;
  }
  return out;
}

function readV6(source: TextSource, names: Names, file: string): V6Table {
  const capacity = source.lines;
  const starts = new Uint32Array(capacity * 4);
  const ends = new Uint32Array(capacity * 4);
  const nameAt = new Int32Array(capacity);
  const start = new Uint32Array(8);
  const last = new Uint32Array(8);
  const previousStart = new Uint32Array(8);
  const previousEnd = new Uint32Array(8);
  let length = 0;
  eachLine(source, (text, from, end, lineNo) => {
    if (length >= capacity) throw changedWhileRead(file);
    const afterStart = readDecimal128(text, from, end, start);
    const afterEnd = afterStart < 0 ? afterStart : readDecimal128(text, afterStart + 1, end, last);
    if (afterEnd === -2) throw new AsnDatabaseError(`${file} line ${lineNo}: not a range of IPv6 addresses`);
    const afterAsn = afterEnd < 0 ? -1 : skipAsn(text, afterEnd + 1, end);
    if (afterAsn < 0) throw notARow(file, lineNo);
    if (compareLimbs(start, last) > 0)
      throw new AsnDatabaseError(`${file} line ${lineNo}: not a range of IPv6 addresses`);
    if (length > 0 && compareLimbs(start, previousEnd) <= 0) {
      if (compareLimbs(start, previousStart) <= 0) {
        throw new AsnDatabaseError(`${file} line ${lineNo}: ranges are not sorted`);
      }
      putWords(ends, length - 1, minusOne(start));
    }
    previousStart.set(start);
    previousEnd.set(last);
    putWords(starts, length, start);
    putWords(ends, length, last);
    nameAt[length] = names.at(text, afterAsn + 1, end);
    length++;
  });
  return { starts, ends, names: nameAt, length };
}

/** -1, 0 or 1: the 128-bit value at `words[at*4…]` against the address's four words. */
function compare128(table: Uint32Array, at: number, address: Uint32Array): number {
  const base = at * 4;
  for (let i = 0; i < 4; i++) {
    const word = table[base + i] as number;
    const other = address[i] as number;
    if (word !== other) return word < other ? -1 : 1;
  }
  return 0;
}

/** Provider (AS organisation) lookups over the bundled range tables. */
/**
 * Organisation names as one UTF-8 text, name `i` at bytes `[offsets[i], offsets[i + 1] - 1)` (each name is followed
 * by one separator byte): one buffer instead of 80,000 strings on each thread's heap, which a worker can share.
 */
export interface PackedNames {
  readonly text: Uint8Array;
  /** One more than there are names; the last is the text's length plus one. */
  readonly offsets: Uint32Array;
}

/** An {@link AsnRangeTable}'s contents, for another thread (structured-cloneable; the ranges in shared memory). */
export interface AsnTableData {
  readonly v4: V4Table;
  readonly v6: V6Table;
  /** Names as strings (read from CSV) or packed (./asn-table-file.ts, and what {@link AsnRangeTable.shared} gives). */
  readonly names: readonly string[] | PackedNames;
}

/** Names joined by LF (which no name holds: the CSV reader ends a row at one) and packed. */
export function packNames(names: readonly string[]): PackedNames {
  const text = Buffer.from(names.join("\n"), "utf8");
  return { text, offsets: nameOffsets(text, names.length) };
}

/**
 * Where each of `count` LF-separated names of `text` starts (and, last, the text's length plus one); throws when
 * the text does not hold exactly `count` names.
 */
export function nameOffsets(text: Uint8Array, count: number): Uint32Array {
  const offsets = new Uint32Array(count + 1);
  if (count === 0) return offsets;
  let name = 1;
  for (let at = text.indexOf(0x0a); at >= 0; at = text.indexOf(0x0a, at + 1)) {
    if (name >= count) throw new AsnDatabaseError(`more than the ${count} organisation names expected`);
    offsets[name++] = at + 1;
  }
  if (name !== count) throw new AsnDatabaseError(`${name} organisation names where ${count} were expected`);
  offsets[count] = text.length + 1;
  return offsets;
}

/** The names one thread reads: decoded from the packed text when first asked for, then kept (one slot a name). */
class NameList {
  private readonly decoded: (string | undefined)[];

  constructor(readonly packed: PackedNames) {
    this.decoded = new Array<string | undefined>(packed.offsets.length - 1);
  }

  get count(): number {
    return this.packed.offsets.length - 1;
  }

  at(index: number): string | undefined {
    const known = this.decoded[index];
    if (known !== undefined || index >= this.count) return known;
    const { text, offsets } = this.packed;
    const from = offsets[index] as number;
    const name = Buffer.from(
      text.buffer,
      text.byteOffset + from,
      (offsets[index + 1] as number) - 1 - from,
    ).toString("utf8");
    this.decoded[index] = name;
    return name;
  }

  all(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i) as string);
    return out;
  }
}

const nameListOf = (names: readonly string[] | PackedNames): NameList =>
  new NameList("offsets" in names ? names : packNames(names));

export class AsnRangeTable {
  /** Scratch for the IPv6 address being looked up (lookups are synchronous). */
  private readonly key6 = new Uint32Array(4);

  private names: NameList;

  private constructor(
    private v4: V4Table,
    private v6: V6Table,
    names: readonly string[] | PackedNames,
  ) {
    this.names = nameListOf(names);
  }

  /** Reads the two CSV files' text (`asn-ipv4-num.csv`, `asn-ipv6-num.csv`); throws on a malformed row. */
  static fromCsv(v4Text: string, v6Text: string): AsnRangeTable {
    return AsnRangeTable.fromSources(textSource(v4Text), textSource(v6Text));
  }

  /** The same from the two files' text given piece by piece. */
  static fromSources(v4Source: TextSource, v6Source: TextSource): AsnRangeTable {
    const names = new Names();
    const v4 = readV4(v4Source, names, "asn-ipv4-num.csv");
    const v6 = readV6(v6Source, names, "asn-ipv6-num.csv");
    return new AsnRangeTable(v4, v6, names.list);
  }

  /**
   * The table as data another thread can adopt without reading the files again ({@link AsnRangeTable.fromData}):
   * the ranges and the packed names in shared memory (moved there on the first call, so every thread reads the same
   * bytes; a thread decodes a name when it first looks it up).
   */
  shared(): AsnTableData {
    const share = <T extends Uint32Array | Int32Array>(
      array: T,
      make: (buffer: SharedArrayBuffer) => T,
    ): T => {
      if (array.buffer instanceof SharedArrayBuffer) return array;
      const copy = make(new SharedArrayBuffer(array.byteLength));
      copy.set(array);
      return copy;
    };
    const tableOf = (table: V4Table): V4Table => ({
      starts: share(table.starts, (b) => new Uint32Array(b)),
      ends: share(table.ends, (b) => new Uint32Array(b)),
      names: share(table.names, (b) => new Int32Array(b)),
      length: table.length,
    });
    this.v4 = tableOf(this.v4);
    this.v6 = tableOf(this.v6);
    const { text, offsets } = this.names.packed;
    if (!(text.buffer instanceof SharedArrayBuffer)) {
      const sharedText = new Uint8Array(new SharedArrayBuffer(text.byteLength));
      sharedText.set(text);
      this.names = new NameList({ text: sharedText, offsets: share(offsets, (b) => new Uint32Array(b)) });
    }
    return { v4: this.v4, v6: this.v6, names: this.names.packed };
  }

  /** The rows as they are (the arrays cut to the rows read), for ./asn-table-file.ts to write. */
  data(): AsnTableData & { readonly names: readonly string[] } {
    /** `words` numbers per bound: 1 for IPv4, 4 for IPv6. */
    const cut = (table: V4Table, words: number): V4Table => ({
      starts: table.starts.subarray(0, table.length * words),
      ends: table.ends.subarray(0, table.length * words),
      names: table.names.subarray(0, table.length),
      length: table.length,
    });
    return { v4: cut(this.v4, 1), v6: cut(this.v6, 4), names: this.names.all() };
  }

  /** A table from {@link AsnRangeTable.shared} of another thread. */
  static fromData(data: AsnTableData): AsnRangeTable {
    return new AsnRangeTable(data.v4, data.v6, data.names);
  }

  /** Networks known, IPv4 and IPv6. */
  get size(): { readonly ipv4: number; readonly ipv6: number } {
    return { ipv4: this.v4.length, ipv6: this.v6.length };
  }

  /** The organisation of the network holding the address, or null when no row covers it. */
  organisation(address: ClientAddress): string | null {
    const b = address.bytes;
    if (address.kind === "ipv4") {
      const value =
        (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>>
        0;
      const { starts, ends, names, length } = this.v4;
      // The last row whose start is at or below the address.
      let lo = 0;
      let hi = length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if ((starts[mid] as number) <= value) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found < 0 || (ends[found] as number) < value) return null;
      return this.nameAt(names[found] as number);
    }
    // The address as four big-endian words, in a scratch array (a DataView and an array per lookup were a tenth of
    // the lookup's cost on a log with many IPv6 clients).
    const key = this.key6;
    for (let i = 0; i < 4; i++) {
      const o = i * 4;
      key[i] =
        (((b[o] as number) << 24) |
          ((b[o + 1] as number) << 16) |
          ((b[o + 2] as number) << 8) |
          (b[o + 3] as number)) >>>
        0;
    }
    const { starts, ends, names, length } = this.v6;
    let lo = 0;
    let hi = length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare128(starts, mid, key) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || compare128(ends, found, key) < 0) return null;
    return this.nameAt(names[found] as number);
  }

  private nameAt(index: number): string | null {
    return index < 0 ? null : (this.names.at(index) ?? null);
  }
}
