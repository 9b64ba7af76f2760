-- dashboard.live: per site, visitors and page views of the last minutes and of the day so far, for the dashboard's live panel; a figure about fewer than k people is NULL
-- caller: functions/apps/dashboard/live.ts (stats/live/dt=<day>/live.json, recomputed at most once a minute)
-- Not in the dashboard API's allowlist: it reads events/, so it runs on the pipeline's side, which stores its k-applied
-- result for the API to serve (docs/DASHBOARD.md, "Live").
-- params: yesterday:date, today:date, window_from:string, until:string, today:date, until:string, k:int, k:int, k:int, k:int, k:int, k:int, k:int, k:int
-- Reads the latest partitions only (yesterday, for a window that crosses midnight, and today), up to `until`:
-- no rollup is recomputed. Page views and visitors are defined as in the daily rollups (rollup.totals).
-- k where the data is stored: a site's window figures exist only when the window's people (bots left out: they
-- must not make a count of one person look like five) are at least k distinct visitor ids from at least k network
-- prefixes; likewise its figures of the day. Below that they are NULL, shown as "fewer than k": never 1, 2 or 3 visitors right now,
-- nor the page views that would tell what so few people did. Traffic without any visitor id or network prefix
-- among people (the anonymous tier; or bots only) is 0 visitors, and its page views are shown from k on, as in
-- the dashboard queries.
-- `until` and `window_from` are UTC 'YYYY-MM-DD HH:MM:SS'.
WITH in_window AS (
  SELECT
    site,
    count(DISTINCT CASE WHEN NOT is_bot THEN visitor_id END) AS visitors,
    count(*) FILTER (WHERE NOT is_bot AND ((source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304)
        AND NOT is_asset))) AS pageviews,
    count(DISTINCT CASE WHEN NOT is_bot THEN ip_prefix END) AS prefixes
  FROM events
  WHERE dt IN (?, ?) AND ts >= CAST(? AS TIMESTAMP) AND ts < CAST(? AS TIMESTAMP)
  GROUP BY site
),
today AS (
  SELECT
    site,
    count(DISTINCT CASE WHEN NOT is_bot THEN visitor_id END) AS visitors,
    count(*) FILTER (WHERE NOT is_bot AND ((source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304)
        AND NOT is_asset))) AS pageviews,
    count(DISTINCT CASE WHEN NOT is_bot THEN ip_prefix END) AS prefixes
  FROM events
  WHERE dt = ? AND ts < CAST(? AS TIMESTAMP)
  GROUP BY site
),
-- The figures that may be stored: k people or more, or traffic without ids and prefixes (0 visitors), whose page
-- views count from k on. A site's row missing here but present above is under k: its figures stay NULL.
window_shown AS (
  SELECT site, visitors, pageviews FROM in_window WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 0 AS visitors, pageviews FROM in_window
  WHERE visitors = 0 AND prefixes = 0 AND (pageviews = 0 OR pageviews >= ?)
  UNION ALL
  SELECT site, 0 AS visitors, CAST(NULL AS BIGINT) AS pageviews FROM in_window
  WHERE visitors = 0 AND prefixes = 0 AND pageviews > 0 AND pageviews < ?
),
today_shown AS (
  SELECT site, visitors, pageviews FROM today WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 0 AS visitors, pageviews FROM today
  WHERE visitors = 0 AND prefixes = 0 AND (pageviews = 0 OR pageviews >= ?)
  UNION ALL
  SELECT site, 0 AS visitors, CAST(NULL AS BIGINT) AS pageviews FROM today
  WHERE visitors = 0 AND prefixes = 0 AND pageviews > 0 AND pageviews < ?
),
sites AS (
  SELECT site FROM in_window
  UNION
  SELECT site FROM today
)
SELECT
  s.site AS site,
  CAST(CASE WHEN w.site IS NULL THEN 0 ELSE ws.visitors END AS BIGINT) AS visitors_window,
  CAST(CASE WHEN w.site IS NULL THEN 0 ELSE ws.pageviews END AS BIGINT) AS pageviews_window,
  CAST(CASE WHEN t.site IS NULL THEN 0 ELSE ts_.visitors END AS BIGINT) AS visitors_today,
  CAST(CASE WHEN t.site IS NULL THEN 0 ELSE ts_.pageviews END AS BIGINT) AS pageviews_today
FROM sites s
LEFT JOIN in_window w ON w.site = s.site
LEFT JOIN window_shown ws ON ws.site = s.site
LEFT JOIN today t ON t.site = s.site
LEFT JOIN today_shown ts_ ON ts_.site = s.site
ORDER BY s.site
