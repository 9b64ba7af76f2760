import type { AccessRecord } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 3: the site as the security row records it: `--site` when given, else the line's own host as logged (vhost,
 * CloudFront, ALB and JSON logs name one), else the configured default site. The security zone keeps the record as
 * it came; which configured site the line counts for in analytics is step 5b's question (event-site.ts).
 */
export function resolveSite(run: IngestRun, record: AccessRecord): string {
  return run.forcedSite ?? record.host ?? run.defaultSite;
}
