import type { ClientAddress } from "../../anonymize/ip.ts";
import type { AccessRecord, ConsentDecision, Enrichment, EventRow } from "../../types.ts";
import { buildEvent } from "../rows.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 8: the anonymized event, truncated before it exists (rows.ts buildEvent): the address only as its network
 * prefix and inside the daily-salted visitor id, the user agent only as classes, the path scrubbed, the query
 * reduced to its allowlist, the referrer to its host. The anonymous tier has no id, prefix or version at all.
 */
export function anonymize(
  run: IngestRun,
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  decision: ConsentDecision,
  salt: Uint8Array | null,
): EventRow {
  return buildEvent(
    {
      site,
      timestampMs: record.timestampMs,
      source: "log",
      eventName: "request",
      method: record.method,
      target: record.target,
      status: record.status,
      bytes: record.bytes,
      referrer: record.referrer,
      address,
      userAgent: record.userAgent,
      enrichment,
      decision,
      salt,
    },
    run.eventSettings,
  );
}
