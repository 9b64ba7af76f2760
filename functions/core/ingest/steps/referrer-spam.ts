import type { AccessRecord } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 5c: referrer spam (core/spam/referrer-spam.ts). A line whose referrer's host is on the referrer spam list
 * (or a subdomain of a listed host) ends here, counted as `spam_referrer`: its security row is written (a spammer's
 * requests are a security matter), no event exists, so the spammer's host never reaches `events/` nor the
 * referrer tables of `stats/`. Returns true when the line ended.
 */
export function isReferrerSpam(run: IngestRun, record: AccessRecord): boolean {
  if (!run.spam.isSpam(record.referrer)) return false;
  run.dropped++;
  run.droppedByReason.spam_referrer = (run.droppedByReason.spam_referrer ?? 0) + 1;
  return true;
}
