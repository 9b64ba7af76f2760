-- dashboard.visits: visits, visitors, bounces, summed visit duration (seconds) and page views in visits per day for one site over a date range; days with fewer than k visitors fold into one (other) row
-- caller: the dashboard API and the Stats API (functions/core/stats/plan.ts); logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int
-- A day is shown only with at least k visitors; quieter days go to the (other) row, so a quiet day cannot point at
-- the few people who came (stats/ folded a site's day under k already). Bounce rate, average duration and views per
-- visit are ratios of these sums, computed by the caller. Days without visits have no row.
WITH per_day AS (
  SELECT
    dt AS day,
    CAST(sum(visits) AS BIGINT) AS visits,
    CAST(sum(visitors) AS BIGINT) AS visitors,
    CAST(sum(bounces) AS BIGINT) AS bounces,
    CAST(sum(visit_duration) AS BIGINT) AS visit_duration,
    CAST(sum(visit_pageviews) AS BIGINT) AS visit_pageviews
  FROM stats_visits
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY dt
),
labelled AS (
  SELECT day, visits, visitors, bounces, visit_duration, visit_pageviews, 0 AS folded
  FROM per_day
  WHERE visitors >= ?
  UNION ALL
  SELECT '(other)' AS day, visits, visitors, bounces, visit_duration, visit_pageviews, 1 AS folded
  FROM per_day
  WHERE visitors < ?
)
SELECT
  day,
  CAST(sum(visits) AS BIGINT) AS visits,
  CAST(sum(visitors) AS BIGINT) AS visitors,
  CAST(sum(bounces) AS BIGINT) AS bounces,
  CAST(sum(visit_duration) AS BIGINT) AS visit_duration,
  CAST(sum(visit_pageviews) AS BIGINT) AS visit_pageviews
FROM labelled
GROUP BY folded, day
ORDER BY folded, day
