import type { TableSchema } from "../ports/table-encoder.ts";

/**
 * Goals and custom event properties, as the configuration declares them per site (`siteSettings.<site>.goals`,
 * `siteSettings.<site>.eventProperties`).
 *
 * A goal is either a custom event's name (`{"name": "Signup", "event": "Signup"}`) or a page pattern
 * (`{"name": "Checkout", "page": "/checkout/*"}`, `*` matching any characters, `/` included). Its conversions are
 * the visitors who sent that event, or viewed a matching page, on a day; like every other row, a goal's row is
 * kept only when at least k visitors in k networks converted.
 *
 * Goals are evaluated where the events are aggregated, not at ingestion, so a goal added today counts for every day
 * that is aggregated again while its events are kept (`retention.eventsDays`). The aggregation writes the
 * configured goals into the lake as a small table (`goals/goals.parquet`, {@link GOALS_SCHEMA}) that the rollup
 * `queries/rollup.goals.sql` joins with the events, on DuckDB and Athena alike.
 */

/** Custom properties one event keeps: the columns `prop_key_1`…`prop_value_4` of `events/`. */
export const EVENT_PROP_SLOTS = 4;
/** Longer property values are cut (after masking). */
export const MAX_PROP_VALUE_CHARS = 200;
export const MAX_GOALS_PER_SITE = 50;

/** A page pattern: a path of URL characters, `*` for any characters. */
export const GOAL_PAGE_PATTERN = /^\/[A-Za-z0-9._~!$'()+,;=:@%*/-]*$/;

export interface EventGoal {
  readonly name: string;
  readonly event: string;
}
export interface PageGoal {
  readonly name: string;
  readonly page: string;
}
export type Goal = EventGoal | PageGoal;

export function isPageGoal(goal: Goal): goal is PageGoal {
  return (goal as PageGoal).page !== undefined;
}

interface GoalSettings {
  readonly siteSettings: Readonly<
    Record<string, { readonly goals: readonly { name: string; event?: string; page?: string }[] }>
  >;
}

/** The goals of one site, in the order the configuration lists them. */
export function goalsOf(config: GoalSettings, site: string): Goal[] {
  const own = Object.hasOwn(config.siteSettings, site) ? config.siteSettings[site] : undefined;
  return (own?.goals ?? []).map((g) =>
    g.page !== undefined ? { name: g.name, page: g.page } : { name: g.name, event: g.event ?? "" },
  );
}

/** The properties a site keeps, in the order the configuration lists them. */
export function eventPropertiesOf(
  config: {
    readonly siteSettings: Readonly<Record<string, { readonly eventProperties: readonly string[] }>>;
  },
  site: string,
): readonly string[] {
  return Object.hasOwn(config.siteSettings, site) ? (config.siteSettings[site]?.eventProperties ?? []) : [];
}

/**
 * A page pattern as a SQL LIKE pattern with `\` as its escape character: `*` becomes `%`, and the LIKE
 * wildcards `%` and `_` of the path itself (and `\`) are escaped, so they match only themselves.
 */
export function pageGoalLike(pattern: string): string {
  let out = "";
  for (const c of pattern) {
    if (c === "*") out += "%";
    else if (c === "%" || c === "_" || c === "\\") out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** True when a path matches a page pattern (the same rule as the LIKE pattern, for code that is not SQL). */
export function pageMatches(pattern: string, path: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === path;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!path.startsWith(first) || path.length < first.length + last.length || !path.endsWith(last))
    return false;
  let at = first.length;
  const end = path.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = path.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** Where the aggregation writes the configured goals for the rollup to join (local lake and S3 alike). */
export const GOALS_PREFIX = "goals/";
export const GOALS_OBJECT_KEY = `${GOALS_PREFIX}goals.parquet`;

/** The goals table: one row per configured goal of every site. */
export const GOALS_SCHEMA: TableSchema = {
  name: "goals",
  columns: [
    { name: "site", type: "string", nullable: false },
    { name: "goal", type: "string", nullable: false },
    { name: "event_name", type: "string", nullable: true },
    { name: "page_like", type: "string", nullable: true },
  ],
};

export interface GoalRow {
  readonly site: string;
  readonly goal: string;
  readonly event_name: string | null;
  readonly page_like: string | null;
}

/** The rows of the goals table for a configuration: every site's goals, sites and goals in configuration order. */
export function goalRows(config: GoalSettings & { readonly sites: readonly string[] }): GoalRow[] {
  const sites = [...new Set([...config.sites, ...Object.keys(config.siteSettings)])];
  return sites.flatMap((site) =>
    goalsOf(config, site).map((g) => ({
      site,
      goal: g.name,
      event_name: isPageGoal(g) ? null : g.event,
      page_like: isPageGoal(g) ? pageGoalLike(g.page) : null,
    })),
  );
}
