import type { AccessRecord } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 3: the site a line counts for: `--site` when given, else the line's own host (vhost, CloudFront, ALB and
 * JSON logs name one), else the configured default site (the first of `sites`).
 */
export function resolveSite(run: IngestRun, record: AccessRecord): string {
  return run.forcedSite ?? record.host ?? run.defaultSite;
}
