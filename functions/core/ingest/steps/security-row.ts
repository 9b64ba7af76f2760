import type { ClientAddress } from "../../anonymize/ip.ts";
import type { AccessRecord, Enrichment, RecordFormat } from "../../types.ts";
import { partitionPrefix } from "../../zones.ts";
import type { RawLine } from "../lines.ts";
import { writeSecurityValues } from "../rows.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 5: the line is accepted, and its full record (address, user agent, target with query, referrer) goes to
 * `security/`, partitioned by the hour of the access, for abuse review within 168 hours. Every accepted line gets
 * one, whatever consent decides next: the security zone rests on legitimate interest, not on consent.
 */
export function writeSecurityRow(
  run: IngestRun,
  line: RawLine,
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
): void {
  run.accepted++;
  // A record exists only when the input has a format (parse-line.ts), so the format is never null here. The values
  // go straight into the partition's columns (rows.ts writeSecurityValues): no row object per line.
  const sink = run.securityWriter.row(partitionPrefix("security", record.timestampMs));
  writeSecurityValues(
    sink,
    record,
    address,
    enrichment,
    site,
    run.format as RecordFormat,
    run.inputId,
    line.lineNo,
  );
  run.endRow(run.securityWriter);
}
