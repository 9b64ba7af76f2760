-- rollup.countries: page views and visitors per site and country for the day ((unknown) when none)
-- caller: functions/apps/aggregate/local.ts (rollup "countries", one UTC day into stats/countries/dt=<day>/)
-- params: day:date
-- Rows are the day's page views (GET/HEAD, 2xx or 304, non-asset, non-bot; or collector 'pageview' by a non-bot);
-- visitors are the distinct visitor ids among them.
SELECT
  site,
  coalesce(country, '(unknown)') AS country,
  count(*) AS pageviews,
  count(DISTINCT visitor_id) AS visitors
FROM events
WHERE dt = ?
  AND NOT is_bot
  AND ((source = 'collector' AND event_name = 'pageview')
    OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
GROUP BY site, coalesce(country, '(unknown)')
ORDER BY site, coalesce(country, '(unknown)')
