-- rollup.exits: visits per site and exit page (the last page view of a visit) for the day, with their visitors
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "exits", one UTC day into stats/exits/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- Visits as in rollup.visits (the same definition, repeated here because every rollup is one SELECT): one visitor
-- id's run of page views and custom events on this day without a gap of more than 30 minutes, computed with window
-- functions and stored only as sums: no row describes a visit or a person. Visits without a page view (custom events
-- only) have no entry or exit page and are not counted here.
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when its visits come from at least k distinct
-- visitor ids AND at least k distinct network prefixes; every other row of the site is summed into one '(other)' row.
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
    site, visitor_id, ip_prefix, ts, path, pv,
    sum(starts) OVER (
      PARTITION BY site, visitor_id ORDER BY ts, pv DESC, path, event_name
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS visit_no
  FROM marked
),
ranked AS (
  SELECT
    site, visitor_id, ip_prefix, ts, path, pv, visit_no,
    row_number() OVER (PARTITION BY site, visitor_id, visit_no, pv ORDER BY ts, path) AS first_rank,
    row_number() OVER (PARTITION BY site, visitor_id, visit_no, pv ORDER BY ts DESC, path DESC) AS last_rank
  FROM numbered
),
visits AS (
  SELECT
    site,
    visitor_id,
    min(ip_prefix) AS ip_prefix,
    max(CASE WHEN pv = 1 AND first_rank = 1 THEN path END) AS entry_page,
    max(CASE WHEN pv = 1 AND last_rank = 1 THEN path END) AS exit_page,
    date_diff('second', min(ts), max(ts)) AS duration,
    sum(pv) AS pageviews,
    count(*) AS interactions
  FROM ranked
  GROUP BY site, visitor_id, visit_no
),
per_value AS (
  SELECT
    site,
    exit_page AS label,
    count(*) AS visits,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM visits
  WHERE exit_page IS NOT NULL
  GROUP BY site, exit_page
),
judged AS (
  SELECT site, 0 AS folded, label, visits, visitors
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS label, visits, visitors
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  label AS exit_page,
  CAST(sum(visits) AS BIGINT) AS visits,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM judged
GROUP BY site, folded, label
ORDER BY site, folded, label
