-- rollup.campaigns: page views and visitors per site and campaign (utm source, medium, campaign) for the day
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "campaigns", one UTC day into stats/campaigns/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- Only page views that carry at least one of utm_source, utm_medium, utm_campaign; a missing one reads (none).
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when it describes at least k distinct visitors
-- AND at least k distinct network prefixes (so one address rotating its user agent counts once); every other row
-- of the site is summed into one '(other)' row, which names nothing. Traffic without a visitor id (the anonymous
-- tier) cannot show how many people it is, so on its own it is always folded.
WITH per_value AS (
  SELECT
    site,
    coalesce(utm_source, '(none)') AS source_label,
    coalesce(utm_medium, '(none)') AS medium_label,
    coalesce(utm_campaign, '(none)') AS campaign_label,
    count(*) AS pageviews,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM events
  WHERE dt = ?
    AND NOT is_bot
    AND ((source = 'collector' AND event_name = 'pageview')
      OR (source = 'log' AND method IN ('GET', 'HEAD') AND ((status >= 200 AND status < 300) OR status = 304) AND NOT is_asset))
    AND (utm_source IS NOT NULL OR utm_medium IS NOT NULL OR utm_campaign IS NOT NULL)
  GROUP BY site, coalesce(utm_source, '(none)'), coalesce(utm_medium, '(none)'), coalesce(utm_campaign, '(none)')
),
judged AS (
  SELECT site, 0 AS folded, source_label, medium_label, campaign_label, pageviews, visitors
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS source_label, '(other)' AS medium_label, '(other)' AS campaign_label, pageviews, visitors
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  source_label AS utm_source,
  medium_label AS utm_medium,
  campaign_label AS utm_campaign,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM judged
GROUP BY site, folded, source_label, medium_label, campaign_label
ORDER BY site, folded, source_label, medium_label, campaign_label
