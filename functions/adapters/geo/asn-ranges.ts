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

  add(name: string): number {
    let at = this.index.get(name);
    if (at === undefined) {
      at = this.list.length;
      this.list.push(name);
      this.index.set(name, at);
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

/** Splits a row into its three numbers (as text) and its organisation; null for a row of another shape. */
function splitRow(line: string): [string, string, string, string] | null {
  const a = line.indexOf(",");
  const b = a < 0 ? -1 : line.indexOf(",", a + 1);
  const c = b < 0 ? -1 : line.indexOf(",", b + 1);
  if (c < 0) return null;
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), line.slice(c + 1)];
}

/** Calls `row` for each non-blank line; the line number is 1-based. */
function eachLine(text: string, row: (line: string, lineNo: number) => void): void {
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (line.length > 0) row(line, lineNo);
    start = end + 1;
  }
}

const U32 = 2 ** 32;

/** IPv4 rows: starts, ends and name indexes side by side. */
interface V4Table {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly names: Int32Array;
}

/** IPv6 rows: each start and end as four 32-bit words, most significant first. */
interface V6Table {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly names: Int32Array;
  readonly length: number;
}

function readV4(text: string, names: Names, file: string): V4Table {
  const starts: number[] = [];
  const ends: number[] = [];
  const nameAt: number[] = [];
  let previousEnd = -1;
  eachLine(text, (line, lineNo) => {
    const row = splitRow(line);
    const start = row === null ? Number.NaN : Number(row[0]);
    const end = row === null ? Number.NaN : Number(row[1]);
    if (row === null || !Number.isInteger(start) || !Number.isInteger(end) || start > end || end >= U32) {
      throw new AsnDatabaseError(`${file} line ${lineNo}: not a row of start,end,asn,organisation`);
    }
    if (start <= previousEnd) {
      // An overlap (the published data has a few): the later, more specific row wins from its start on.
      if (start <= (starts[starts.length - 1] ?? -1)) {
        throw new AsnDatabaseError(`${file} line ${lineNo}: ranges are not sorted`);
      }
      ends[ends.length - 1] = start - 1;
    }
    previousEnd = end;
    const organisation = organisationOf(row[3]);
    starts.push(start);
    ends.push(end);
    nameAt.push(organisation === "" ? -1 : names.add(organisation));
  });
  return { starts: Uint32Array.from(starts), ends: Uint32Array.from(ends), names: Int32Array.from(nameAt) };
}

const MASK_32 = (1n << 32n) - 1n;

function words(value: bigint, into: number[]): void {
  into.push(
    Number((value >> 96n) & MASK_32),
    Number((value >> 64n) & MASK_32),
    Number((value >> 32n) & MASK_32),
    Number(value & MASK_32),
  );
}

function readV6(text: string, names: Names, file: string): V6Table {
  const starts: number[] = [];
  const ends: number[] = [];
  const nameAt: number[] = [];
  let previousStart = -1n;
  let previousEnd = -1n;
  eachLine(text, (line, lineNo) => {
    const row = splitRow(line);
    let start: bigint;
    let end: bigint;
    try {
      if (row === null) throw new Error("shape");
      start = BigInt(row[0]);
      end = BigInt(row[1]);
    } catch {
      throw new AsnDatabaseError(`${file} line ${lineNo}: not a row of start,end,asn,organisation`);
    }
    if (start > end || start < 0n || end >= 1n << 128n) {
      throw new AsnDatabaseError(`${file} line ${lineNo}: not a range of IPv6 addresses`);
    }
    if (start <= previousEnd) {
      if (start <= previousStart) throw new AsnDatabaseError(`${file} line ${lineNo}: ranges are not sorted`);
      ends.splice(ends.length - 4, 4);
      words(start - 1n, ends);
    }
    previousStart = start;
    previousEnd = end;
    words(start, starts);
    words(end, ends);
    const organisation = organisationOf((row as string[])[3] ?? "");
    nameAt.push(organisation === "" ? -1 : names.add(organisation));
  });
  return {
    starts: Uint32Array.from(starts),
    ends: Uint32Array.from(ends),
    names: Int32Array.from(nameAt),
    length: nameAt.length,
  };
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
export class AsnRangeTable {
  private constructor(
    private readonly v4: V4Table,
    private readonly v6: V6Table,
    private readonly names: readonly string[],
  ) {}

  /** Reads the two CSV files' text (`asn-ipv4-num.csv`, `asn-ipv6-num.csv`); throws on a malformed row. */
  static fromCsv(v4Text: string, v6Text: string): AsnRangeTable {
    const names = new Names();
    const v4 = readV4(v4Text, names, "asn-ipv4-num.csv");
    const v6 = readV6(v6Text, names, "asn-ipv6-num.csv");
    return new AsnRangeTable(v4, v6, names.list);
  }

  /** Networks known, IPv4 and IPv6. */
  get size(): { readonly ipv4: number; readonly ipv6: number } {
    return { ipv4: this.v4.starts.length, ipv6: this.v6.length };
  }

  /** The organisation of the network holding the address, or null when no row covers it. */
  organisation(address: ClientAddress): string | null {
    const b = address.bytes;
    if (address.kind === "ipv4") {
      const value =
        (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>>
        0;
      const { starts, ends, names } = this.v4;
      // The last row whose start is at or below the address.
      let lo = 0;
      let hi = starts.length - 1;
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
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const key = Uint32Array.of(view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12));
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
    return index < 0 ? null : (this.names[index] ?? null);
  }
}
