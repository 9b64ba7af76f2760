import { decideConsent } from "../../consent/decide.ts";
import type { AccessRecord, ConsentDecision } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 6: how much analytics may hold of this access (consent/decide.ts, the same rules as the collector's). A
 * `drop` (GPC or DNT when honoured, a denial or no consent where the site drops, or `consent.logDefaultTier: drop`)
 * ends the line here, counted by its reason: no event exists; the security row is already written. Returns null
 * when the line ended.
 */
export function decideLineConsent(run: IngestRun, record: AccessRecord): ConsentDecision | null {
  const decision = decideConsent("log", record.signals, run.config.consent);
  if (decision.tier !== "drop") return decision;
  run.dropped++;
  run.droppedByReason[decision.reason] = (run.droppedByReason[decision.reason] ?? 0) + 1;
  return null;
}
