-- rollup.devices: page views and visitors per site and device class for the day
-- caller: functions/apps/aggregate/local.ts (rollup "devices", one UTC day into stats/devices/dt=<day>/)
-- params: day:date
-- Rows are the day's page views (GET/HEAD, 2xx or 304, non-asset, non-bot; or collector 'pageview' by a non-bot);
-- visitors are the distinct visitor ids among them.
SELECT
  site,
  device AS device,
  count(*) AS pageviews,
  count(DISTINCT visitor_id) AS visitors
FROM events
WHERE dt = ?
  AND NOT is_bot
  AND ((source = 'collector' AND event_name = 'pageview')
    OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
GROUP BY site, device
ORDER BY site, device
