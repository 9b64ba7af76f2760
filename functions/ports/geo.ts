/** Country and provider of a full IP address, looked up in memory before the address is truncated. */
export interface GeoLookup {
  /** ISO 3166-1 alpha-2 country code, or null when unknown. `ip` is a normalized address. */
  country(ip: string): string | null;
  /** Autonomous-system organisation, or null when unknown or no provider database is configured. */
  provider(ip: string): string | null;
}

/** A lookup that knows nothing: for tests and for operators who turn geolocation off. */
export const NO_GEO: GeoLookup = { country: () => null, provider: () => null };
