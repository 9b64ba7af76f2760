/**
 * The visit rule in SQL, written once for the two generators of queries that cut interactions into visits:
 * scripts/rollup-visit-queries.ts (rollup.visits, entries, exits: one site's day into stats/) and
 * scripts/stats-queries.ts (stats.events, visits, goals: the filtered reads of events/). A visit is one visitor
 * id's run of interactions with no gap over 30 minutes; ties in time are ordered page view first, then path and
 * event name, so every engine numbers visits alike. Change the rule here and regenerate both sets of files.
 */

/** A page view: a collector 'pageview', or a successful GET/HEAD of a page (not an asset) in a server log. */
export const PAGEVIEW = `(source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset)`;

/** An interaction: a log page view, or a collector event other than Plausible's internal 'engagement'. */
export const INTERACTION = `((source = 'collector' AND event_name <> 'engagement')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))`;

/** The window order of a person's interactions. */
export const VISIT_ORDER = "ORDER BY ts, pv DESC, path, event_name";

/**
 * The CTEs `marked` (1 where an interaction starts a visit) and `numbered` (its visit's number), read from
 * `interactions`, which must have `ts`, `pv`, `path` and `event_name`. `person` is the partition that holds one
 * person's interactions (`site, visitor_id` or `dt, visitor_id`); `marked` and `numbered` are the columns each
 * carries (as they appear in the SELECT, indented).
 */
export function visitNumberCtes(person: string, marked: string, numbered: string): string {
  return `marked AS (
  SELECT
    ${marked},
    CASE
      WHEN lag(ts) OVER (PARTITION BY ${person} ${VISIT_ORDER}) IS NULL THEN 1
      WHEN ts > lag(ts) OVER (PARTITION BY ${person} ${VISIT_ORDER}) + INTERVAL '30' MINUTE THEN 1
      ELSE 0
    END AS starts
  FROM interactions
),
numbered AS (
  SELECT
    ${numbered},
    sum(starts) OVER (PARTITION BY ${person} ${VISIT_ORDER} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_no
  FROM marked
),`;
}

/**
 * The CTE `ranked`: each interaction of `numbered` with its rank among its visit's page views (and among its other
 * interactions) from the first (`first_rank`) and from the last (`last_rank`), by time then path: the entry and exit
 * page are the page views ranked 1.
 */
export function visitRankCte(person: string, columns: string): string {
  return `ranked AS (
  SELECT
    ${columns}, visit_no,
    row_number() OVER (PARTITION BY ${person}, visit_no, pv ORDER BY ts, path) AS first_rank,
    row_number() OVER (PARTITION BY ${person}, visit_no, pv ORDER BY ts DESC, path DESC) AS last_rank
  FROM numbered
),`;
}
