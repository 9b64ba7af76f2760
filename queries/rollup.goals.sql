-- rollup.goals: conversions per site and configured goal for the day: the goal's events and the visitors who sent them
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "goals", one UTC day into stats/goals/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- The goals come from the configuration: the aggregation job writes them into the table `goals` (functions/core/goals.ts)
-- before the rollups run. An event goal matches collector events of that name; a page goal matches page views (as
-- in every rollup) whose path is LIKE the goal's pattern (`*` in the configuration is `%` here; `%`, `_` and `\`
-- of the path itself are escaped with `\`). One event may convert for several goals.
-- events: the matching events (page views for a page goal); visitors: distinct visitor ids among them (conversions).
-- k where the data is stored (docs/PRIVACY.md): a goal's row is kept only when its events come from at least k
-- distinct visitor ids AND at least k distinct network prefixes; every other goal of the site is summed into one
-- '(other)' row, which names nothing.
WITH conversions AS (
  SELECT e.site, g.goal, e.visitor_id, e.ip_prefix
  FROM events e
  JOIN goals g ON g.site = e.site
  WHERE e.dt = ?
    AND NOT e.is_bot
    AND (
      (g.event_name IS NOT NULL AND e.source = 'collector' AND e.event_name = g.event_name)
      OR (g.page_like IS NOT NULL AND e.path LIKE g.page_like ESCAPE '\'
        AND ((e.source = 'collector' AND e.event_name = 'pageview')
          OR (e.source = 'log' AND e.method IN ('GET', 'HEAD') AND ((e.status >= 200 AND e.status < 300) OR e.status = 304) AND NOT e.is_asset)))
    )
),
per_value AS (
  SELECT
    site,
    goal AS label,
    count(*) AS events,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM conversions
  GROUP BY site, goal
),
judged AS (
  SELECT site, 0 AS folded, label, events, visitors
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS label, events, visitors
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  label AS goal,
  CAST(sum(events) AS BIGINT) AS events,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM judged
GROUP BY site, folded, label
ORDER BY site, folded, label
