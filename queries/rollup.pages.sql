-- rollup.pages: page views and visitors per site and path for the day
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "pages", one UTC day into stats/pages/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- Rows are the day's page views (GET/HEAD, 2xx or 304, non-asset, non-bot; or collector 'pageview' by a non-bot);
-- visitors are the distinct visitor ids among them.
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when it describes at least k distinct visitors
-- AND at least k distinct network prefixes (so one address rotating its user agent counts once); every other row
-- of the site is summed into one '(other)' row, which names nothing. Traffic without a visitor id (the anonymous
-- tier) cannot show how many people it is, so on its own it is always folded.
WITH per_value AS (
  SELECT
    site,
    path AS label,
    count(*) AS pageviews,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM events
  WHERE dt = ?
    AND NOT is_bot
    AND ((source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
  GROUP BY site, path
),
judged AS (
  SELECT site, 0 AS folded, label, pageviews, visitors
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS label, pageviews, visitors
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  label AS path,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM judged
GROUP BY site, folded, label
ORDER BY site, folded, label
