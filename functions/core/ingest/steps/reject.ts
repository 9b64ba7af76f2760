import type { RejectRow } from "../../types.ts";
import { partitionPrefix } from "../../zones.ts";
import type { RawLine } from "../lines.ts";
import type { RejectReason } from "../reasons.ts";
import type { IngestRun } from "../run.ts";

/** The rejects zone keeps a line's head only: enough to see what went wrong, bounded whatever the input holds. */
export const MAX_REJECT_LINE_CHARS = 8 * 1024;

/**
 * Ends a line as a reject: counted by its reason, and written to `rejects/` (security only, 7 days) with the line's
 * head, because it may be evidence. Partitioned by the time it was read, not by a time the line claims: a line
 * that did not parse has no trustworthy time.
 */
export function rejectLine(run: IngestRun, line: RawLine, reason: RejectReason, detail: string): void {
  run.rejected++;
  run.rejectedByReason[reason] = (run.rejectedByReason[reason] ?? 0) + 1;
  const receivedTs = run.clock.now();
  const row: RejectRow = {
    received_ts: receivedTs,
    input_id: run.inputId,
    line_no: line.lineNo,
    format: run.format ?? "unknown",
    reason,
    detail,
    line: line.text.length > MAX_REJECT_LINE_CHARS ? line.text.slice(0, MAX_REJECT_LINE_CHARS) : line.text,
    line_bytes: line.bytes,
  };
  run.write(run.rejectWriter, partitionPrefix("rejects", receivedTs), row);
}
