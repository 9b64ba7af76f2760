/** An address the pipeline has parsed already (core/anonymize/ip.ts ClientAddress has this shape). */
export interface GeoAddress {
  readonly kind: "ipv4" | "ipv6";
  /** Canonical text (dotted decimal, RFC 5952). */
  readonly address: string;
  /** Network byte order: 4 bytes for IPv4, 16 for IPv6. */
  readonly bytes: Uint8Array;
}

/** Country and provider of a full IP address, looked up in memory before the address is truncated. */
export interface GeoLookup {
  /** ISO 3166-1 alpha-2 country code, or null when unknown. `ip` is a normalized address. */
  country(ip: string): string | null;
  /** Autonomous-system organisation, or null when unknown or no provider database is configured. */
  provider(ip: string): string | null;
  /**
   * The same answers as {@link GeoLookup.country} and {@link GeoLookup.provider} for an address already parsed,
   * without parsing its text again (the ingest pipeline's hot path); optional for lookups that have no faster way.
   */
  countryOfAddress?(address: GeoAddress): string | null;
  providerOfAddress?(address: GeoAddress): string | null;
}

/** A lookup that knows nothing: for tests and for operators who turn geolocation off. */
export const NO_GEO: GeoLookup = { country: () => null, provider: () => null };
