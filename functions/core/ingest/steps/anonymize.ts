import type { RowSink } from "../../../ports/table-encoder.ts";
import type { ClientAddress } from "../../anonymize/ip.ts";
import type { AccessRecord, ConsentDecision, Enrichment, EventRow } from "../../types.ts";
import { eventObjectOf, writeEventValues } from "../rows.ts";
import type { IngestRun } from "../run.ts";
import { eventPartition } from "./write-event.ts";

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
  return eventObjectOf((sink) =>
    writeRecordEvent(sink, run, record, address, enrichment, site, decision, salt),
  );
}

/**
 * Steps 8 and 9 together, as the pipeline runs them: the anonymized event of {@link anonymize} given value by value
 * to the day's partition of `events/` (write-event.ts), with no event object made.
 */
export function writeAnonymizedEvent(
  run: IngestRun,
  day: string,
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  decision: ConsentDecision,
  salt: Uint8Array | null,
): void {
  writeRecordEvent(
    run.eventWriter.row(eventPartition(run, day)),
    run,
    record,
    address,
    enrichment,
    site,
    decision,
    salt,
  );
  run.endRow(run.eventWriter);
  run.events++;
}

/** A log line's event values into a sink: the fields as arguments, no input object made per line (rows.ts). */
function writeRecordEvent(
  sink: RowSink,
  run: IngestRun,
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  decision: ConsentDecision,
  salt: Uint8Array | null,
): void {
  writeEventValues(
    sink,
    site,
    record.timestampMs,
    "log",
    "request",
    record.method,
    record.target,
    record.status,
    record.bytes,
    record.referrer,
    address,
    record.userAgent,
    enrichment,
    decision,
    salt,
    undefined,
    run.eventSettings,
  );
}
