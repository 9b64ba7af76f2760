-- rollup.totals: the day's totals per site: hits, bandwidth and status classes of logged requests, page views, visitors, GoAccess's unique clients, bot hits
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "totals", one UTC day into stats/totals/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int, k:int, k:int
-- hits, bandwidth, status_* and bot_hits count server requests (source 'log'); collector events are not requests.
-- pageviews: GET/HEAD with status 2xx or 304 on a non-asset path by a non-bot, or a collector 'pageview' by a non-bot.
-- visitors: distinct visitor ids among non-bot rows (the anonymous tier has none).
-- unique_clients: GoAccess's visitors, distinct (ip, ua) of the day over logged requests whose status is not 4xx,
--   crawlers included, counted as distinct visitor ids (an HMAC of site, ip and ua): never from stored addresses.
-- k where the data is stored (docs/PRIVACY.md): a site's day is kept only when its people (non-bot visitor ids) are
-- at least k AND come from at least k distinct network prefixes, and its unique_clients (which count crawlers too)
-- are none or at least k; bots cannot lift a quiet day over k. A quieter site's day is summed into one '(other)'
-- site row, which names nothing.
WITH per_site AS (
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
    count(*) FILTER (WHERE source = 'log' AND is_bot) AS bot_hits,
    count(DISTINCT CASE WHEN NOT is_bot THEN ip_prefix END) AS prefixes
  FROM events
  WHERE dt = ?
  GROUP BY site
),
judged AS (
  SELECT
    site AS label, 0 AS folded,
    hits, bandwidth, status_2xx, status_3xx, status_4xx, status_5xx, status_other,
    pageviews, visitors, unique_clients, bot_hits
  FROM per_site
  WHERE visitors >= ? AND prefixes >= ? AND (unique_clients = 0 OR unique_clients >= ?)
  UNION ALL
  SELECT
    '(other)' AS label, 1 AS folded,
    hits, bandwidth, status_2xx, status_3xx, status_4xx, status_5xx, status_other,
    pageviews, visitors, unique_clients, bot_hits
  FROM per_site
  WHERE visitors < ? OR prefixes < ? OR (unique_clients > 0 AND unique_clients < ?)
)
SELECT
  label AS site,
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
FROM judged
GROUP BY folded, label
ORDER BY folded, label
