import type { LogsieveConfig } from "../config.ts";
import type { ConsentDecision, PrivacySignals, RecordSource } from "../types.ts";

export type ConsentPolicy = LogsieveConfig["consent"];

/**
 * Decides what may be stored about one request or event. Pure: the same input gives the same answer,
 * so the collector and the log pipeline cannot disagree.
 *
 * Order of precedence (the first that applies wins):
 *  1. Global Privacy Control, then Do-Not-Track, when honoured: `drop`. Both are objections under
 *     Art. 21 GDPR; GPC is checked first because it is the signal with legal force in more places.
 *  2. An explicit banner answer: statistics denied → the no-consent tier (reason `denied`, so it is
 *     counted apart from "never asked"); marketing granted (and statistics not denied) → `marketing`;
 *     statistics granted → `statistics`.
 *  3. No answer at all: server log lines get the configured log tier (they read nothing from the
 *     visitor's device, so §25 TTDSG does not apply); collector events get the no-consent tier.
 * A denial therefore never yields an identifier: `anonymous` carries no visitor id, prefix or version.
 */
export function decideConsent(
  source: RecordSource,
  signals: PrivacySignals | undefined,
  policy: ConsentPolicy,
): ConsentDecision {
  if (policy.honorGpc && signals?.gpc === true) return { tier: "drop", reason: "gpc" };
  if (policy.honorDnt && signals?.dnt === true) return { tier: "drop", reason: "dnt" };

  const consent = signals?.consent;
  if (consent?.statistics === false) {
    return { tier: policy.withoutConsent, reason: "denied" };
  }
  if (consent?.marketing === true) return { tier: "marketing", reason: "granted_marketing" };
  if (consent?.statistics === true) return { tier: "statistics", reason: "granted_statistics" };

  if (source === "log") return { tier: policy.logDefaultTier, reason: "log_default" };
  return policy.withoutConsent === "drop"
    ? { tier: "drop", reason: "no_consent_drop" }
    : { tier: "anonymous", reason: "no_consent_anonymous" };
}
