-- dashboard.timeseries: page views and visitors per day for one site over a date range; days with fewer than k visitors fold into one (other) row
-- caller: the dashboard API; logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int, k:int, k:int
-- A day is shown only with at least k visitors (or, with no visitor id at all, at least k page views); quieter
-- days go to the (other) row, so a quiet day cannot point at the few people who came. Days without events have no row.
WITH per_day AS (
  SELECT
    dt AS day,
    CAST(sum(pageviews) AS BIGINT) AS pageviews,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_totals
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY dt
),
labelled AS (
  SELECT day, pageviews, visitors, 0 AS folded
  FROM per_day
  WHERE visitors >= ? OR (visitors = 0 AND pageviews >= ?)
  UNION ALL
  SELECT '(other)' AS day, pageviews, visitors, 1 AS folded
  FROM per_day
  WHERE visitors < ? AND (visitors > 0 OR pageviews < ?)
)
SELECT
  day,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, day
ORDER BY folded, day
