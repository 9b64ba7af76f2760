import type { AccessRecord } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 5c: referrer spam (core/spam/referrer-spam.ts). A line whose referrer's host is on the referrer spam list
 * (or a subdomain of a listed host) ends here, counted as `spam_referrer`: its security row is written (a spammer's
 * requests are a security matter), no event exists, so the spammer's host never reaches `events/` nor the
 * referrer tables of `stats/`. Returns true when the line ended.
 */
export function isReferrerSpam(run: IngestRun, record: AccessRecord): boolean {
  if (!spamReferrer(run, record.referrer)) return false;
  run.dropped++;
  run.droppedByReason.spam_referrer = (run.droppedByReason.spam_referrer ?? 0) + 1;
  return true;
}

/** Longer referrers (attack payloads, one-offs) are checked every time rather than remembered. */
const MAX_REMEMBERED_REFERRER = 512;

/** The filter's verdict, remembered per referrer for the run (the filter is a pure function of the referrer). */
function spamReferrer(run: IngestRun, referrer: string | null): boolean {
  if (referrer === null || referrer.length > MAX_REMEMBERED_REFERRER) return run.spam.isSpam(referrer);
  let spam = run.spamVerdicts.get(referrer);
  if (spam === undefined) {
    spam = run.spam.isSpam(referrer);
    run.spamVerdicts.set(referrer, spam);
  }
  return spam;
}
