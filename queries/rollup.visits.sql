-- rollup.visits: the day's visits per site: visitors, visits, bounces, summed visit duration (seconds) and page views in visits
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "visits", one UTC day into stats/visits/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- A visit is one visitor id's run of page views and custom events on this day with no gap over 30 minutes (a gap
-- of more than 30 minutes starts a new visit). Visitor ids are salted per day, so a visit never crosses midnight
-- (UTC) and no visit of another day can be linked to it. Computed here with window functions and stored only as
-- sums per site: no row describes a visit or a person.
-- Interactions: page views (as in every rollup) and custom events (collector events other than 'pageview' and
-- Plausible's internal 'engagement'), by non-bots with a visitor id (the anonymous tier has none: no visits).
-- bounce: a visit of exactly one page view and nothing else. visit_duration: seconds from its first to its last
-- interaction (event times are whole seconds), summed. visit_pageviews: the page views inside visits.
-- Ties in time are ordered by page view first, then path and event name, so every engine numbers visits alike.
-- k where the data is stored (docs/PRIVACY.md): a site's day is kept only when its visits come from at least k
-- distinct visitor ids AND at least k distinct network prefixes; a quieter site's day is summed into one '(other)'
-- site row, which names nothing.
WITH interactions AS (
  SELECT
    site,
    visitor_id,
    ip_prefix,
    ts,
    path,
    event_name,
    CASE WHEN (source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset)
      THEN 1 ELSE 0 END AS pv
  FROM events
  WHERE dt = ?
    AND NOT is_bot
    AND visitor_id IS NOT NULL
    AND ((source = 'collector' AND event_name NOT IN ('engagement'))
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
),
marked AS (
  SELECT
    site, visitor_id, ip_prefix, ts, path, event_name, pv,
    CASE
      WHEN lag(ts) OVER (PARTITION BY site, visitor_id ORDER BY ts, pv DESC, path, event_name) IS NULL THEN 1
      WHEN ts > lag(ts) OVER (PARTITION BY site, visitor_id ORDER BY ts, pv DESC, path, event_name) + INTERVAL '30' MINUTE THEN 1
      ELSE 0
    END AS starts
  FROM interactions
),
numbered AS (
  SELECT
    site, visitor_id, ip_prefix, ts, pv,
    sum(starts) OVER (
      PARTITION BY site, visitor_id ORDER BY ts, pv DESC, path, event_name
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS visit_no
  FROM marked
),
visits AS (
  SELECT
    site,
    visitor_id,
    min(ip_prefix) AS ip_prefix,
    date_diff('second', min(ts), max(ts)) AS duration,
    sum(pv) AS pageviews,
    count(*) AS interactions
  FROM numbered
  GROUP BY site, visitor_id, visit_no
),
per_site AS (
  SELECT
    site,
    count(DISTINCT visitor_id) AS visitors,
    count(*) AS visits,
    count(*) FILTER (WHERE pageviews = 1 AND interactions = 1) AS bounces,
    CAST(coalesce(sum(duration), 0) AS BIGINT) AS visit_duration,
    CAST(coalesce(sum(pageviews), 0) AS BIGINT) AS visit_pageviews,
    count(DISTINCT ip_prefix) AS prefixes
  FROM visits
  GROUP BY site
),
judged AS (
  SELECT site AS label, 0 AS folded, visitors, visits, bounces, visit_duration, visit_pageviews
  FROM per_site
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT '(other)' AS label, 1 AS folded, visitors, visits, bounces, visit_duration, visit_pageviews
  FROM per_site
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  label AS site,
  CAST(sum(visitors) AS BIGINT) AS visitors,
  CAST(sum(visits) AS BIGINT) AS visits,
  CAST(sum(bounces) AS BIGINT) AS bounces,
  CAST(sum(visit_duration) AS BIGINT) AS visit_duration,
  CAST(sum(visit_pageviews) AS BIGINT) AS visit_pageviews
FROM judged
GROUP BY folded, label
ORDER BY folded, label
