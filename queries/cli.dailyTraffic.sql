-- cli.dailyTraffic: one row per day: hits, bandwidth, status classes, page views, visitors, GoAccess's unique clients, bot hits
-- caller: logsieve query daily-traffic (functions/apps/query/command.ts)
-- params: from:date, to:date, site:string=*, site:string=*
-- site '*' (the default) adds up every site. Counts of people (visitors, unique_clients) are per day and per
-- site, so the sum over sites counts a person once per site. An operator's view: totals, no dimension, no k.
SELECT
  dt AS day,
  CAST(sum(hits) AS BIGINT) AS hits,
  CAST(sum(bandwidth) AS BIGINT) AS bandwidth,
  CAST(sum(status_2xx) AS BIGINT) AS status_2xx,
  CAST(sum(status_3xx) AS BIGINT) AS status_3xx,
  CAST(sum(status_4xx) AS BIGINT) AS status_4xx,
  CAST(sum(status_5xx) AS BIGINT) AS status_5xx,
  CAST(sum(status_other) AS BIGINT) AS status_other,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors,
  CAST(sum(unique_clients) AS BIGINT) AS unique_clients,
  CAST(sum(bot_hits) AS BIGINT) AS bot_hits
FROM stats_totals
WHERE dt >= ? AND dt <= ? AND (? = '*' OR site = ?)
GROUP BY dt
ORDER BY dt
