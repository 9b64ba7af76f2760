import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { Reader, type Response } from "maxmind";
import { isPublicAddress, parseClientAddress } from "../../core/anonymize/ip.ts";
import type { GeoLookup } from "../../ports/geo.ts";

/**
 * Country and provider lookups from MaxMind-format (MMDB) files, loaded into memory once at startup; every
 * lookup after that is synchronous.
 *
 * - Country: the bundled `@ip-location-db/geo-whois-asn-country-mmdb` (records `{ country_code }`, built from RIR
 *   whois, ASN and geofeed data; data CC BY 4.0 by the NRO, see docs/PRIVACY-IP.md) unless the operator
 *   configures `geo.countryDb`, e.g. GeoLite2-Country (`{ country: { iso_code } }`). Both shapes are read.
 * - Provider: only when `geo.asnDb` is configured, a GeoLite2-ASN layout (`autonomous_system_organization`).
 *
 * Private, loopback, documentation and other non-global addresses have no country or provider, whatever the
 * file says: the bundled data places 172.16.0.0/12, 192.168.0.0/16, 198.51.100.0/24 and 203.0.113.0/24 in AU and
 * 2001:db8::/32 in JP (whois registrations of the blocks, not locations).
 *
 * Addresses are never cached here (a cache would hold full addresses) and never appear in an error.
 */

const BUNDLED_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb";
const BUNDLED_FILE = "geo-whois-asn-country.mmdb";
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
  /** A MaxMind-format ASN database (GeoLite2-ASN layout) to fill `provider` (config `geo.asnDb`). */
  readonly asnDb?: string | undefined;
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

async function openDatabase<T extends Response>(path: string, setting: string): Promise<Reader<T>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
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
function lookupPublic<T>(ip: string, lookup: (canonical: string) => T | null): T | null {
  const addr = parseClientAddress(ip);
  if (addr === null || !isPublicAddress(addr)) return null;
  try {
    return lookup(addr.address);
  } catch {
    return null;
  }
}

/**
 * Loads the country database (the bundled one unless `countryDb` is set) and, if `asnDb` is set, the ASN
 * database. Throws a {@link GeoDatabaseError} naming the setting when a file is missing or not an MMDB.
 */
export async function loadGeoLookup(options: GeoOptions = {}): Promise<GeoLookup> {
  const countrySetting = options.countryDb === undefined ? "bundled country database" : "geo.countryDb";
  const countryPath = options.countryDb ?? bundledCountryDbPath();
  const [countries, asns] = await Promise.all([
    openDatabase<CountryRecord & Response>(countryPath, countrySetting),
    options.asnDb === undefined ? null : openDatabase<AsnRecord & Response>(options.asnDb, "geo.asnDb"),
  ]);
  return {
    country: (ip) => lookupPublic(ip, (canonical) => countryOf(countries.get(canonical))),
    provider:
      asns === null ? () => null : (ip) => lookupPublic(ip, (canonical) => providerOf(asns.get(canonical))),
  };
}
