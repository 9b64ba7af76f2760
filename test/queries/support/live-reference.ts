import type { Event } from "./fixture-lake.ts";
import { isPageview } from "./reference.ts";

/**
 * The live panel's rollup (queries/dashboard.live.sql) in plain TypeScript, read from docs/DASHBOARD.md ("Live"): per
 * site with events in the window or today (before `until`), the visitors (distinct ids of non-bots) and
 * page views of the window [windowFrom, until) and of today; a figure exists only when its people (non-bots) are at
 * least k visitor ids from at least k network prefixes, or — people with neither — is 0 visitors and its page views
 * when 0 or at least k. Otherwise null.
 */

type Row = Record<string, string | number | null>;

const dayOf = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const prefixes = (list: readonly Event[]) =>
  new Set(list.filter((e) => !e.is_bot && e.ip_prefix !== null).map((e) => e.ip_prefix)).size;
const visitors = (list: readonly Event[]) =>
  new Set(list.filter((e) => !e.is_bot && e.visitor_id !== null).map((e) => String(e.visitor_id))).size;

function figures(list: readonly Event[], k: number): { visitors: number | null; pageviews: number | null } {
  const pageviews = list.filter(isPageview).length;
  if (visitors(list) >= k && prefixes(list) >= k) return { visitors: visitors(list), pageviews };
  if (visitors(list) === 0 && prefixes(list) === 0) {
    return { visitors: 0, pageviews: pageviews === 0 || pageviews >= k ? pageviews : null };
  }
  return { visitors: null, pageviews: null };
}

export function live(
  events: readonly Event[],
  at: {
    readonly windowFrom: number;
    readonly until: number;
    readonly yesterday: string;
    readonly today: string;
  },
  k: number,
): Row[] {
  const recent = events.filter(
    (e) => (dayOf(e.ts) === at.yesterday || dayOf(e.ts) === at.today) && e.ts < at.until,
  );
  const sites = [...new Set(recent.map((e) => e.site))].sort();
  return sites.map((site) => {
    const mine = recent.filter((e) => e.site === site);
    const window = figures(
      mine.filter((e) => e.ts >= at.windowFrom),
      k,
    );
    const today = figures(
      mine.filter((e) => dayOf(e.ts) === at.today),
      k,
    );
    return {
      site,
      visitors_window: window.visitors,
      pageviews_window: window.pageviews,
      visitors_today: today.visitors,
      pageviews_today: today.pageviews,
    };
  });
}
