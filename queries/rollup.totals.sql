-- rollup.totals: the day's totals per site: hits, bandwidth and status classes of logged requests, page views, visitors, GoAccess's unique clients, bot hits
-- caller: functions/apps/aggregate/local.ts (rollup "totals", one UTC day into stats/totals/dt=<day>/)
-- params: day:date
-- hits, bandwidth, status_* and bot_hits count server requests (source 'log'); collector events are not requests.
-- pageviews: GET/HEAD with status 2xx or 304 on a non-asset path by a non-bot, or a collector 'pageview' by a non-bot.
-- visitors: distinct visitor ids among non-bot rows (the anonymous tier has none).
-- unique_clients: GoAccess's visitors, distinct (ip, ua) of the day over logged requests whose status is not 4xx,
--   crawlers included, counted as distinct visitor ids (an HMAC of site, ip and ua): never from stored addresses.
SELECT
  site,
  count(*) FILTER (WHERE source = 'log') AS hits,
  CAST(coalesce(sum(CASE WHEN source = 'log' THEN bytes ELSE 0 END), 0) AS BIGINT) AS bandwidth,
  count(*) FILTER (WHERE source = 'log' AND status >= 200 AND status < 300) AS status_2xx,
  count(*) FILTER (WHERE source = 'log' AND status >= 300 AND status < 400) AS status_3xx,
  count(*) FILTER (WHERE source = 'log' AND status >= 400 AND status < 500) AS status_4xx,
  count(*) FILTER (WHERE source = 'log' AND status >= 500 AND status < 600) AS status_5xx,
  count(*) FILTER (WHERE source = 'log' AND (status IS NULL OR status < 200 OR status >= 600)) AS status_other,
  count(*) FILTER (WHERE NOT is_bot AND ((source = 'collector' AND event_name = 'pageview')
    OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))) AS pageviews,
  count(DISTINCT CASE WHEN NOT is_bot THEN visitor_id END) AS visitors,
  count(DISTINCT CASE WHEN source = 'log' AND (status IS NULL OR status < 400 OR status >= 500) THEN visitor_id END)
    AS unique_clients,
  count(*) FILTER (WHERE source = 'log' AND is_bot) AS bot_hits
FROM events
WHERE dt = ?
GROUP BY site
ORDER BY site
