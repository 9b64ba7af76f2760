import { loadGeoLookup } from "../adapters/geo/mmdb-geo.ts";
import type { LogsieveConfig } from "../core/config.ts";
import { createEnricher } from "../core/enrich/enrich.ts";

export type Enricher = ReturnType<typeof createEnricher>;

/** The bundled geo files inside a Lambda package (locally the adapter finds the npm packages itself). */
export interface BundledGeoFiles {
  readonly countryDb?: string | undefined;
  /** The AS database pre-parsed at synth (adapters/geo/asn-table-file.ts). */
  readonly asnTable?: string | undefined;
}

/**
 * Enrichment (country, provider, browser, OS, device, bot) wired once for every use case: the operator's
 * MaxMind-format files when configured, else the bundled databases. `provider: false` skips the AS database (the
 * collector writes no security record, so it has no use for the provider and need not load half a million rows).
 * `rememberAddresses` (default true) keeps the last few thousand addresses' geo answers (core/enrich/geo-memo.ts):
 * the ingest writes each full address to the security zone anyway; the collector, which writes none, passes false.
 */
export async function enricherFor(
  config: LogsieveConfig,
  bundled: BundledGeoFiles = {},
  options: { readonly provider?: boolean; readonly rememberAddresses?: boolean } = {},
): Promise<Enricher> {
  const geo = await loadGeoLookup({
    countryDb: config.geo.countryDb ?? bundled.countryDb,
    asnDb: config.geo.asnDb,
    bundledAsnTable: bundled.asnTable,
    provider: config.geo.provider && (options.provider ?? true),
  });
  return createEnricher(geo, { geoMemo: options.rememberAddresses ?? true });
}
