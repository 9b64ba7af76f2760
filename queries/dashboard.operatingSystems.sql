-- dashboard.operatingSystems: page views and visitors per operating system for one site over a date range; rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API; logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here,
-- and k applies again to the sums over the range.
-- visitors over a range add up the daily visitors (visitor ids are salted per day, so days cannot be joined).
-- k-suppression happens here, in the SQL, so DuckDB and Athena enforce it alike: a row is shown only when it
-- describes at least k visitors, or, for rows without any visitor id (anonymous-tier traffic only), at least
-- k page views (the most people it can stand for). Every other row is summed into the single '(other)' row,
-- which may itself be small but names nothing.
WITH per_value AS (
  SELECT
    os,
    CAST(sum(pageviews) AS BIGINT) AS pageviews,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_os
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY os
),
labelled AS (
  SELECT os, pageviews, visitors, 0 AS folded
  FROM per_value
  WHERE os <> '(other)' AND (visitors >= ? OR (visitors = 0 AND pageviews >= ?))
  UNION ALL
  SELECT '(other)' AS os, pageviews, visitors, 1 AS folded
  FROM per_value
  WHERE os = '(other)' OR (visitors < ? AND (visitors > 0 OR pageviews < ?))
)
SELECT
  os,
  CAST(sum(pageviews) AS BIGINT) AS pageviews,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, os
ORDER BY folded, sum(visitors) DESC, sum(pageviews) DESC, os
