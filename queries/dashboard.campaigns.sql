-- dashboard.campaigns: page views and visitors per campaign (utm source, medium, campaign) for one site over a date range; rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API; logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here,
-- and k applies again to the sums over the range.
-- Same suppression as the other dashboard queries: the folded row reads (other) in all three columns.
WITH per_value AS (
  SELECT
    utm_source,
    utm_medium,
    utm_campaign,
    CAST(sum(pageviews) AS BIGINT) AS pageviews,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_campaigns
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY utm_source, utm_medium, utm_campaign
),
labelled AS (
  SELECT utm_source, utm_medium, utm_campaign, pageviews, visitors, 0 AS folded
  FROM per_value
  WHERE NOT (utm_source = '(other)' AND utm_medium = '(other)' AND utm_campaign = '(other)') AND (visitors >= ? OR (visitors = 0 AND pageviews >= ?))
  UNION ALL
  SELECT '(other)' AS utm_source, '(other)' AS utm_medium, '(other)' AS utm_campaign, pageviews, visitors, 1 AS folded
  FROM per_value
  WHERE (utm_source = '(other)' AND utm_medium = '(other)' AND utm_campaign = '(other)') OR (visitors < ? AND (visitors > 0 OR pageviews < ?))
)
SELECT
  utm_source,
  utm_medium,
  utm_campaign,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, utm_source, utm_medium, utm_campaign
ORDER BY folded, sum(visitors) DESC, sum(pageviews) DESC, utm_source, utm_medium, utm_campaign
