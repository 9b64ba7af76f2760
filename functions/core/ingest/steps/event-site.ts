import type { AccessRecord } from "../../types.ts";
import type { IngestRun } from "../run.ts";

/**
 * Step 5b: the configured site the line counts for in analytics (sites.ts): `--site` or the line's host, resolved
 * through the configured sites and their aliases; the default site for a line without a host, or for every line
 * when no sites are configured. A host that is none of ours (`alice.smith@example.com`, `203.0.113.200`, a
 * scanner's made-up vhost) ends the line here, counted as `unknown_site`: its security row is written, no event
 * exists, so a Host header never becomes a site in `events/` or `stats/`. Returns null when the line ended.
 */
export function eventSite(run: IngestRun, record: AccessRecord): string | null {
  const site = run.forcedSite === undefined ? run.sites.siteOfHost(record.host) : run.forcedEventSite;
  if (site !== null) return site;
  run.dropped++;
  run.droppedByReason.unknown_site = (run.droppedByReason.unknown_site ?? 0) + 1;
  return null;
}
