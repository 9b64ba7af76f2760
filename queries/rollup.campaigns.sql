-- rollup.campaigns: page views and visitors per site and campaign (utm source, medium, campaign) for the day
-- caller: functions/apps/aggregate/local.ts (rollup "campaigns", one UTC day into stats/campaigns/dt=<day>/)
-- params: day:date
-- Only page views that carry at least one of utm_source, utm_medium, utm_campaign; a missing one reads (none).
SELECT
  site,
  coalesce(utm_source, '(none)') AS utm_source,
  coalesce(utm_medium, '(none)') AS utm_medium,
  coalesce(utm_campaign, '(none)') AS utm_campaign,
  count(*) AS pageviews,
  count(DISTINCT visitor_id) AS visitors
FROM events
WHERE dt = ?
  AND NOT is_bot
  AND ((source = 'collector' AND event_name = 'pageview')
    OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
  AND (utm_source IS NOT NULL OR utm_medium IS NOT NULL OR utm_campaign IS NOT NULL)
GROUP BY site, coalesce(utm_source, '(none)'), coalesce(utm_medium, '(none)'), coalesce(utm_campaign, '(none)')
ORDER BY site, coalesce(utm_source, '(none)'), coalesce(utm_medium, '(none)'), coalesce(utm_campaign, '(none)')
