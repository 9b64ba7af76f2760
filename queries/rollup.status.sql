-- rollup.status: hits and bandwidth per site and status class (1xx..5xx, other) of the day's logged requests, bots included
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "status", one UTC day into stats/status/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- Rows are the day's logged requests (source 'log'), by status class.
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when its requests come from at least k distinct
-- visitor ids AND at least k distinct network prefixes; every other row of the site is summed into one '(other)' row.
WITH per_value AS (
  SELECT
    site,
    CASE
      WHEN status >= 100 AND status < 200 THEN '1xx'
      WHEN status >= 200 AND status < 300 THEN '2xx'
      WHEN status >= 300 AND status < 400 THEN '3xx'
      WHEN status >= 400 AND status < 500 THEN '4xx'
      WHEN status >= 500 AND status < 600 THEN '5xx'
      ELSE 'other'
    END AS label,
    count(*) AS hits,
    CAST(coalesce(sum(bytes), 0) AS BIGINT) AS bandwidth,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM events
  WHERE dt = ?
    AND source = 'log'
  GROUP BY site, CASE
      WHEN status >= 100 AND status < 200 THEN '1xx'
      WHEN status >= 200 AND status < 300 THEN '2xx'
      WHEN status >= 300 AND status < 400 THEN '3xx'
      WHEN status >= 400 AND status < 500 THEN '4xx'
      WHEN status >= 500 AND status < 600 THEN '5xx'
      ELSE 'other'
    END
),
judged AS (
  SELECT site, 0 AS folded, label, hits, bandwidth
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS label, hits, bandwidth
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  label AS status_class,
  CAST(sum(hits) AS BIGINT) AS hits,
  CAST(sum(bandwidth) AS BIGINT) AS bandwidth
FROM judged
GROUP BY site, folded, label
ORDER BY site, folded, label
