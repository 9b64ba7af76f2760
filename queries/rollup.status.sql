-- rollup.status: hits and bandwidth per site and status class (1xx..5xx, other) of the day's logged requests, bots included
-- caller: functions/apps/aggregate/local.ts (rollup "status", one UTC day into stats/status/dt=<day>/)
-- params: day:date
SELECT
  site,
  CASE
    WHEN status >= 100 AND status < 200 THEN '1xx'
    WHEN status >= 200 AND status < 300 THEN '2xx'
    WHEN status >= 300 AND status < 400 THEN '3xx'
    WHEN status >= 400 AND status < 500 THEN '4xx'
    WHEN status >= 500 AND status < 600 THEN '5xx'
    ELSE 'other'
  END AS status_class,
  count(*) AS hits,
  CAST(sum(bytes) AS BIGINT) AS bandwidth
FROM events
WHERE dt = ?
  AND source = 'log'
GROUP BY
  site,
  CASE
    WHEN status >= 100 AND status < 200 THEN '1xx'
    WHEN status >= 200 AND status < 300 THEN '2xx'
    WHEN status >= 300 AND status < 400 THEN '3xx'
    WHEN status >= 400 AND status < 500 THEN '4xx'
    WHEN status >= 500 AND status < 600 THEN '5xx'
    ELSE 'other'
  END
ORDER BY site, status_class
