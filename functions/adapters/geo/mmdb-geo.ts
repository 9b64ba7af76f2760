import { closeSync, openSync, readSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, sep } from "node:path";
import { Reader, type Response } from "maxmind";
import { type ClientAddress, isPublicAddress, parseClientAddress } from "../../core/anonymize/ip.ts";
import type { GeoAddress, GeoLookup } from "../../ports/geo.ts";
import { AsnDatabaseError, AsnRangeTable, type AsnTableData, type TextSource } from "./asn-ranges.ts";
import { cachedAsnTable, readAsnTableFile } from "./asn-table-file.ts";

/**
 * Country and provider lookups from MaxMind-format (MMDB) files, loaded into memory once at startup; every
 * lookup after that is synchronous.
 *
 * - Country: the bundled `@ip-location-db/geo-whois-asn-country-mmdb` (records `{ country_code }`, built from RIR
 *   whois, ASN and geofeed data; data CC BY 4.0 by the NRO, see docs/PRIVACY-IP.md) unless the operator
 *   configures `geo.countryDb`, e.g. GeoLite2-Country (`{ country: { iso_code } }`). Both shapes are read.
 * - Provider (AS organisation, for the security zone): the operator's `geo.asnDb` (GeoLite2-ASN layout,
 *   `autonomous_system_organization`) when configured, else the bundled `@ip-location-db/asn` (CSV, CC BY 4.0 by
 *   RouteViews, DB-IP and the NRO; ./asn-ranges.ts). Not loaded at all when `provider` is false (the collector, which
 *   writes no security record, has no use for it).
 *
 * Private, loopback, documentation and other non-global addresses have no country or provider, whatever the
 * file says: the bundled data places 172.16.0.0/12, 192.168.0.0/16, 198.51.100.0/24 and 203.0.113.0/24 in AU and
 * 2001:db8::/32 in JP (whois registrations of the blocks, not locations).
 *
 * Addresses are never cached here (a cache would hold full addresses) and never appear in an error.
 */

const BUNDLED_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb";
const BUNDLED_FILE = "geo-whois-asn-country.mmdb";
const BUNDLED_ASN_PACKAGE = "@ip-location-db/asn";
/** The two files of the bundled AS database that are read (the package also has the same data as address text). */
export const BUNDLED_ASN_FILES = { ipv4: "asn-ipv4-num.csv", ipv6: "asn-ipv6-num.csv" } as const;
/** The metadata marker every MMDB file ends with (followed by the metadata map). */
const METADATA_MARKER = new Uint8Array([0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")]);
/** The metadata section is at most 128 KiB from the end of the file (MaxMind DB spec). */
const METADATA_MAX_SIZE = 128 * 1024;
const MAX_PROVIDER_LENGTH = 128;

export class GeoDatabaseError extends Error {
  constructor(
    message: string,
    /** The configuration setting the file came from: `geo.countryDb`, `geo.asnDb`, or `bundled`. */
    readonly setting: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "GeoDatabaseError";
  }
}

export interface GeoOptions {
  /** A MaxMind-format country database replacing the bundled one (config `geo.countryDb`). */
  readonly countryDb?: string | undefined;
  /** A MaxMind-format ASN database (GeoLite2-ASN layout) replacing the bundled one (config `geo.asnDb`). */
  readonly asnDb?: string | undefined;
  /** Where the bundled AS database's two files are; default: found in node_modules (or next to a bundle). */
  readonly bundledAsn?: { readonly ipv4: string; readonly ipv6: string } | undefined;
  /**
   * The bundled AS database pre-parsed (./asn-table-file.ts; the ingest function's package ships it instead of the
   * two CSV files): read instead of `bundledAsn`.
   */
  readonly bundledAsnTable?: string | undefined;
  /** Look providers up at all (default true; config `geo.provider`, and false for the collector). */
  readonly provider?: boolean;
}

/**
 * Where the bundled country database is: resolved from node_modules, or, in a bundled deployment (esbuild for
 * Lambda) that copied it, next to this module.
 */
export function bundledCountryDbPath(): string {
  try {
    return createRequire(import.meta.url).resolve(`${BUNDLED_PACKAGE}/${BUNDLED_FILE}`);
  } catch {
    return new URL(`./${BUNDLED_FILE}`, import.meta.url).pathname;
  }
}

/** Where the bundled AS database's files are: in node_modules, or next to this module in a bundled deployment. */
export function bundledAsnPaths(): { ipv4: string; ipv6: string } {
  const resolve = (file: string): string => {
    try {
      return createRequire(import.meta.url).resolve(`${BUNDLED_ASN_PACKAGE}/${file}`);
    } catch {
      return new URL(`./${file}`, import.meta.url).pathname;
    }
  };
  return { ipv4: resolve(BUNDLED_ASN_FILES.ipv4), ipv6: resolve(BUNDLED_ASN_FILES.ipv6) };
}

/**
 * The bundled AS database of each pair of files, read once per thread: every enricher of the process (one per
 * `openLocal`, per lake of a test) shares it, and an ingest worker thread adopts the main thread's
 * ({@link bundledAsnTableData}, {@link adoptBundledAsnTable}) instead of reading the files again.
 */
const bundledTables = new Map<string, Promise<AsnRangeTable>>();
/** The two CSV files, or one pre-parsed table file. */
type AsnSource = { ipv4: string; ipv6: string } | { table: string };
const tableKey = (source: AsnSource) =>
  "table" in source ? `table\0${source.table}` : `${source.ipv4}\0${source.ipv6}`;

function bundledAsnTable(source: AsnSource): Promise<AsnRangeTable> {
  const key = tableKey(source);
  let table = bundledTables.get(key);
  if (table === undefined) {
    table = "table" in source ? openAsnTableFile(source.table) : openBundledAsn(source);
    bundledTables.set(key, table);
    // A failure is reported to this caller and not remembered (the files may be fixed).
    table.catch(() => bundledTables.delete(key));
  }
  return table;
}

/** The bundled AS table (default files) as data for another thread, read now if this thread has not yet. */
export async function bundledAsnTableData(): Promise<{
  readonly paths: { ipv4: string; ipv6: string };
  readonly data: AsnTableData;
}> {
  const paths = bundledAsnPaths();
  return { paths, data: (await bundledAsnTable(paths)).shared() };
}

/** Makes this thread use another thread's bundled AS table for these files (see {@link bundledAsnTableData}). */
export function adoptBundledAsnTable(paths: { ipv4: string; ipv6: string }, data: AsnTableData): void {
  bundledTables.set(tableKey(paths), Promise.resolve(AsnRangeTable.fromData(data)));
}

/**
 * A text file read a piece at a time (whole lines, about `pieceBytes` each), never as one string: its lines are
 * counted first (a pass over the bytes), then the pieces read again as they are parsed.
 */
export function fileTextSource(path: string, setting: string, pieceBytes = 1024 * 1024): TextSource {
  /** The pieces, decoded (or, to count, only read: `decode` false yields empty strings). */
  const readPieces = function* (
    decode: boolean,
    onBytes: (bytes: Buffer, length: number) => void,
  ): Generator<string> {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? "unreadable";
      throw new GeoDatabaseError(`${setting}: cannot read the database file ${path} (${code})`, setting, {
        cause,
      });
    }
    try {
      let buffer = Buffer.allocUnsafe(pieceBytes);
      let held = 0;
      for (;;) {
        if (held === buffer.length) {
          // A line longer than the buffer: a bigger one.
          const bigger = Buffer.allocUnsafe(buffer.length * 2);
          buffer.copy(bigger, 0, 0, held);
          buffer = bigger;
        }
        const read = readSync(fd, buffer, held, buffer.length - held, null);
        onBytes(buffer.subarray(held, held + read), read);
        if (read === 0) {
          if (held > 0) yield decode ? buffer.toString("utf8", 0, held) : "";
          return;
        }
        held += read;
        const cut = buffer.lastIndexOf(0x0a, held - 1);
        if (cut < 0) continue;
        // Cut after a LF: a UTF-8 sequence never spans two pieces.
        yield decode ? buffer.toString("utf8", 0, cut + 1) : "";
        buffer.copy(buffer, 0, cut + 1, held);
        held -= cut + 1;
      }
    } finally {
      closeSync(fd);
    }
  };
  let lines = 0;
  let last = 0x0a;
  for (const _ of readPieces(false, (bytes, length) => {
    for (let at = bytes.indexOf(0x0a); at >= 0 && at < length; at = bytes.indexOf(0x0a, at + 1)) lines++;
    if (length > 0) last = bytes[length - 1] as number;
  }));
  if (last !== 0x0a) lines++;
  return { lines, pieces: () => readPieces(true, () => undefined) };
}

/** The bundled AS database, read into memory (about 0.4 s of CPU and 15 MB for half a million networks). */
async function openBundledAsn(paths: { ipv4: string; ipv6: string }): Promise<AsnRangeTable> {
  const setting = "bundled AS database";
  const parse = () =>
    AsnRangeTable.fromSources(fileTextSource(paths.ipv4, setting), fileTextSource(paths.ipv6, setting));
  try {
    // The package's own files (not a pair a caller names) are parsed once per install, then read pre-parsed from
    // node_modules/.cache/logsieve/ (./asn-table-file.ts `cachedAsnTable`).
    const cacheDir = asnCacheDir(paths);
    return cacheDir === null ? parse() : cachedAsnTable(paths, cacheDir, parse);
  } catch (cause) {
    if (cause instanceof AsnDatabaseError) {
      throw new GeoDatabaseError(`${setting}: ${cause.message}`, setting, { cause });
    }
    throw cause;
  }
}

/** Where the pre-parsed table of the package's own CSV files is kept: `node_modules/.cache/logsieve/`, else none. */
function asnCacheDir(paths: { ipv4: string; ipv6: string }): string | null {
  const own = bundledAsnPaths();
  if (paths.ipv4 !== own.ipv4 || paths.ipv6 !== own.ipv6) return null;
  const marker = `${sep}node_modules${sep}`;
  const at = paths.ipv4.lastIndexOf(marker);
  return at < 0 ? null : join(paths.ipv4.slice(0, at + marker.length), ".cache", "logsieve");
}

/** The bundled AS database pre-parsed (a few milliseconds where the CSV files take ≈ 0.4 s of CPU). */
async function openAsnTableFile(path: string): Promise<AsnRangeTable> {
  const setting = "bundled AS database";
  try {
    return readAsnTableFile(path);
  } catch (cause) {
    if (cause instanceof AsnDatabaseError) {
      throw new GeoDatabaseError(`${setting}: ${path}: ${cause.message}`, setting, { cause });
    }
    const code = (cause as NodeJS.ErrnoException).code ?? "unreadable";
    throw new GeoDatabaseError(`${setting}: cannot read the database file ${path} (${code})`, setting, {
      cause,
    });
  }
}

function hasMetadataMarker(bytes: Uint8Array): boolean {
  const from = Math.max(0, bytes.length - METADATA_MAX_SIZE);
  const first = METADATA_MARKER[0];
  for (let i = bytes.length - METADATA_MARKER.length; i >= from; i--) {
    if (bytes[i] !== first) continue;
    let match = true;
    for (let j = 1; j < METADATA_MARKER.length && match; j++) match = bytes[i + j] === METADATA_MARKER[j];
    if (match) return true;
  }
  return false;
}

/**
 * MMDB files lent by another thread (an ingest worker adopts the main thread's country database, ≈ 8 MB, instead
 * of reading a copy of its own): path → the bytes, in shared memory.
 */
const lentDatabases = new Map<string, Buffer>();

/** The bundled country database in shared memory, read once per process (it never changes while one runs). */
let bundledCountryBytes: Promise<Uint8Array> | undefined;

async function readShared(path: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

/**
 * A database file's bytes in shared memory, for {@link adoptDatabaseBytes} in another thread. The bundled country
 * database is the very copy this thread reads; another file is read again (an operator's file may change between
 * two enrichers of one process, so it is not kept).
 */
export function sharedDatabaseBytes(path: string): Promise<Uint8Array> {
  if (path !== bundledCountryDbPath()) return readShared(path);
  if (bundledCountryBytes === undefined) {
    const reading = readShared(path);
    bundledCountryBytes = reading;
    // A failure is reported to this caller and not remembered.
    reading.catch(() => {
      if (bundledCountryBytes === reading) bundledCountryBytes = undefined;
    });
  }
  return bundledCountryBytes;
}

/** Makes this thread open `path` from another thread's {@link sharedDatabaseBytes}. */
export function adoptDatabaseBytes(path: string, bytes: Uint8Array): void {
  lentDatabases.set(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

async function openDatabase<T extends Response>(path: string, setting: string): Promise<Reader<T>> {
  let bytes: Buffer;
  try {
    const lent = lentDatabases.get(path);
    bytes =
      lent ??
      (path === bundledCountryDbPath()
        ? Buffer.from((await sharedDatabaseBytes(path)).buffer)
        : await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unreadable";
    throw new GeoDatabaseError(`${setting}: cannot read the database file ${path} (${code})`, setting, {
      cause,
    });
  }
  if (!hasMetadataMarker(bytes)) {
    throw new GeoDatabaseError(
      `${setting}: ${path} is not a MaxMind-format (.mmdb) database: it has no MaxMind metadata section`,
      setting,
    );
  }
  try {
    return new Reader<T>(bytes);
  } catch (cause) {
    throw new GeoDatabaseError(`${setting}: ${path} is a damaged MaxMind-format database`, setting, {
      cause,
    });
  }
}

interface CountryRecord {
  /** ip-location-db layout. */
  readonly country_code?: string;
  /** MaxMind GeoLite2/GeoIP2-Country layout. */
  readonly country?: { readonly iso_code?: string };
  /** MaxMind: where the network is registered, for networks without a located country. */
  readonly registered_country?: { readonly iso_code?: string };
}

interface AsnRecord {
  readonly autonomous_system_organization?: string;
}

const ISO_ALPHA2 = /^[A-Z]{2}$/;

/** ISO 3166-1 alpha-2 from either record layout; null for anything else (`ZZ`-style codes pass, they are codes). */
export function countryOf(record: CountryRecord | null | undefined): string | null {
  if (record === null || record === undefined) return null;
  const code = record.country_code ?? record.country?.iso_code ?? record.registered_country?.iso_code;
  if (typeof code !== "string") return null;
  const upper = code.toUpperCase();
  return ISO_ALPHA2.test(upper) ? upper : null;
}

function providerOf(record: AsnRecord | null | undefined): string | null {
  const name = record?.autonomous_system_organization;
  if (typeof name !== "string") return null;
  const trimmed = name.trim();
  return trimmed.length === 0 ? null : trimmed.slice(0, MAX_PROVIDER_LENGTH);
}

/**
 * Runs a lookup for a public address; a non-global address, or one the database cannot answer for (IPv6 in an
 * IPv4-only file), has no answer.
 */
function lookupPublic<T>(ip: string, lookup: (address: ClientAddress) => T | null): T | null {
  const addr = parseClientAddress(ip);
  if (addr === null || !isPublicAddress(addr)) return null;
  try {
    return lookup(addr);
  } catch {
    return null;
  }
}

/**
 * Distinct records remembered per database by their place in the file (a country database has a few hundred, an
 * ASN database tens of thousands); when full, the memo starts over.
 */
const RECORD_MEMO_LIMIT = 65_536;

/**
 * Looks addresses up from their bytes (the pipeline has parsed them already): the search tree is walked here, bit by
 * bit from the address bytes, and the answer is remembered by the record the walk ends on — its offset in the data
 * section, which names a network's record, not an address. Only the first address that reaches a record goes through
 * mmdb-lib (text parsed again, record decoded); every later one costs the walk (at most 32 or 128 steps of a byte
 * read). Same answers as {@link lookupPublic}: the walk is the one mmdb-lib does (MaxMind DB spec, "Search Tree").
 */
class TreeLookup<T> {
  private readonly db: Buffer;
  private readonly nodeCount: number;
  private readonly nodeBytes: number;
  private readonly recordSize: number;
  private readonly ipv4Start: number;
  private readonly ipv6: boolean;
  private readonly memo = new Map<number, T | null>();

  constructor(
    reader: Reader<Response>,
    private readonly answer: (address: ClientAddress) => T | null,
  ) {
    const internals = reader as unknown as { db: Buffer; ipv4StartNodeNumber: number };
    const { nodeCount, nodeByteSize, recordSize, ipVersion } = reader.metadata;
    this.db = internals.db;
    this.nodeCount = nodeCount;
    this.nodeBytes = nodeByteSize;
    this.recordSize = recordSize;
    this.ipv4Start = internals.ipv4StartNodeNumber;
    this.ipv6 = ipVersion === 6;
  }

  /** Whether this database can be walked here (the record sizes the spec allows; mmdb-lib reads the same ones). */
  get walkable(): boolean {
    const size = this.recordSize;
    return (
      (size === 24 || size === 28 || size === 32) &&
      Buffer.isBuffer(this.db) &&
      Number.isInteger(this.ipv4Start)
    );
  }

  lookup(address: GeoAddress): T | null {
    if (!isPublicAddress(address)) return null;
    const bytes = address.bytes;
    // An IPv6 address in an IPv4-only file: mmdb-lib's answer (none), through its own path.
    if (bytes.length === 16 && !this.ipv6) return lookupPublic(address.address, this.answer);
    const db = this.db;
    const nodeCount = this.nodeCount;
    const nodeBytes = this.nodeBytes;
    const size = this.recordSize;
    const bits = bytes.length * 8;
    let node = bytes.length === 4 ? this.ipv4Start : 0;
    for (let depth = 0; depth < bits && node < nodeCount; depth++) {
      const right = ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
      const at = node * nodeBytes;
      if (size === 24) {
        const o = right === 1 ? at + 3 : at;
        node = ((db[o] as number) << 16) | ((db[o + 1] as number) << 8) | (db[o + 2] as number);
      } else if (size === 28) {
        const middle = db[at + 3] as number;
        node =
          right === 1
            ? ((middle & 0x0f) << 24) |
              ((db[at + 4] as number) << 16) |
              ((db[at + 5] as number) << 8) |
              (db[at + 6] as number)
            : ((middle & 0xf0) << 20) |
              ((db[at] as number) << 16) |
              ((db[at + 1] as number) << 8) |
              (db[at + 2] as number);
      } else {
        node = db.readUInt32BE(right === 1 ? at + 4 : at);
      }
    }
    // nodeCount itself means "no data"; a record past it points into the data section.
    if (node <= nodeCount) return null;
    const memo = this.memo;
    const known = memo.get(node);
    if (known !== undefined) return known;
    const found = lookupPublic(address.address, this.answer);
    if (memo.size >= RECORD_MEMO_LIMIT) memo.clear();
    memo.set(node, found);
    return found;
  }
}

/** The lookup by address bytes when the file can be walked here, else the text lookup (same answers). */
function byAddress<T>(
  reader: Reader<Response>,
  answer: (address: ClientAddress) => T | null,
): (address: GeoAddress) => T | null {
  const tree = new TreeLookup(reader, answer);
  return tree.walkable
    ? (address) => tree.lookup(address)
    : (address) => lookupPublic(address.address, answer);
}

/**
 * Loads the country database (the bundled one unless `countryDb` is set) and, unless `provider` is false, the AS
 * database (`asnDb`, else the bundled one). Throws a {@link GeoDatabaseError} naming the setting when a file is
 * missing or not what it should be.
 */
export async function loadGeoLookup(options: GeoOptions = {}): Promise<GeoLookup> {
  const countrySetting = options.countryDb === undefined ? "bundled country database" : "geo.countryDb";
  const countryPath = options.countryDb ?? bundledCountryDbPath();
  const wantsProvider = options.provider ?? true;
  const [countries, asns, bundledAsns] = await Promise.all([
    openDatabase<CountryRecord & Response>(countryPath, countrySetting),
    wantsProvider && options.asnDb !== undefined
      ? openDatabase<AsnRecord & Response>(options.asnDb, "geo.asnDb")
      : null,
    wantsProvider && options.asnDb === undefined
      ? bundledAsnTable(
          options.bundledAsnTable !== undefined
            ? { table: options.bundledAsnTable }
            : (options.bundledAsn ?? bundledAsnPaths()),
        )
      : null,
  ]);
  const countryAnswer = (addr: ClientAddress): string | null => countryOf(countries.get(addr.address));
  let provider: GeoLookup["provider"] = () => null;
  let providerOfAddress: (address: GeoAddress) => string | null = () => null;
  if (asns !== null) {
    const answer = (addr: ClientAddress): string | null => providerOf(asns.get(addr.address));
    provider = (ip) => lookupPublic(ip, answer);
    providerOfAddress = byAddress(asns as unknown as Reader<Response>, answer);
  } else if (bundledAsns !== null) {
    const answer = (addr: ClientAddress): string | null => bundledAsns.organisation(addr);
    provider = (ip) => lookupPublic(ip, answer);
    // The bundled table is searched by the address bytes already: only the text is not parsed again.
    providerOfAddress = (address) => {
      if (!isPublicAddress(address)) return null;
      try {
        return answer(address);
      } catch {
        return null;
      }
    };
  }
  return {
    country: (ip) => lookupPublic(ip, countryAnswer),
    provider,
    countryOfAddress: byAddress(countries as unknown as Reader<Response>, countryAnswer),
    providerOfAddress,
  };
}
