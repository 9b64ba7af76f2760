import { loadGeoLookup } from "../adapters/geo/mmdb-geo.ts";
import type { LogsieveConfig } from "../core/config.ts";
import { createEnricher } from "../core/enrich/enrich.ts";

export type Enricher = ReturnType<typeof createEnricher>;

/**
 * Enrichment (country, provider, browser, OS, device, bot) wired once for every use case: the operator's
 * MaxMind-format files when configured, else the bundled country database (`bundledCountryDb`: its path inside a
 * Lambda package; locally the adapter finds the npm package itself).
 */
export async function enricherFor(config: LogsieveConfig, bundledCountryDb?: string): Promise<Enricher> {
  const geo = await loadGeoLookup({
    countryDb: config.geo.countryDb ?? bundledCountryDb,
    asnDb: config.geo.asnDb,
  });
  return createEnricher(geo);
}
