import type { ClientAddress } from "../../anonymize/ip.ts";
import type { AccessRecord, Enrichment } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 4: what the full address (country, provider) and the raw user agent (browser, OS, device, bot and why) say,
 * learned in memory before anything is truncated (core/enrich/). Nothing of it holds the address itself.
 */
export function enrichRecord(run: IngestRun, record: AccessRecord, address: ClientAddress): Enrichment {
  return run.enrich(address, record.userAgent);
}
