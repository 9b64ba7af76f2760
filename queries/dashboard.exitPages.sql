-- dashboard.exitPages: visits per exit page (the last page view of a visit) for one site over a date range, with visitors; rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API and the Stats API (functions/core/stats/plan.ts); logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here, and k
-- applies again to the sums over the range: a row is shown only with at least k visitors (visitor-days: ids are
-- salted per day, so the days are added up). Every other row is summed into the single (other) row.
WITH per_value AS (
  SELECT
    exit_page,
    CAST(sum(visits) AS BIGINT) AS visits,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_exits
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY exit_page
),
labelled AS (
  SELECT exit_page, visits, visitors, 0 AS folded
  FROM per_value
  WHERE exit_page <> '(other)' AND visitors >= ?
  UNION ALL
  SELECT '(other)' AS exit_page, visits, visitors, 1 AS folded
  FROM per_value
  WHERE exit_page = '(other)' OR visitors < ?
)
SELECT
  exit_page,
  CAST(sum(visits) AS BIGINT) AS visits,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, exit_page
ORDER BY folded, sum(visitors) DESC, sum(visits) DESC, exit_page
