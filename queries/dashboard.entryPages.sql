-- dashboard.entryPages: visits per entry page (the first page view of a visit) for one site over a date range, with visitors, bounces and summed duration (seconds); rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API and the Stats API (functions/core/stats/plan.ts); logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here, and k
-- applies again to the sums over the range: a row is shown only with at least k visitors (visitor-days: ids are
-- salted per day, so the days are added up). Every other row is summed into the single (other) row.
WITH per_value AS (
  SELECT
    entry_page,
    CAST(sum(visits) AS BIGINT) AS visits,
    CAST(sum(visitors) AS BIGINT) AS visitors,
    CAST(sum(bounces) AS BIGINT) AS bounces,
    CAST(sum(visit_duration) AS BIGINT) AS visit_duration
  FROM stats_entries
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY entry_page
),
labelled AS (
  SELECT entry_page, visits, visitors, bounces, visit_duration, 0 AS folded
  FROM per_value
  WHERE entry_page <> '(other)' AND visitors >= ?
  UNION ALL
  SELECT '(other)' AS entry_page, visits, visitors, bounces, visit_duration, 1 AS folded
  FROM per_value
  WHERE entry_page = '(other)' OR visitors < ?
)
SELECT
  entry_page,
  CAST(sum(visits) AS BIGINT) AS visits,
  CAST(sum(visitors) AS BIGINT) AS visitors,
  CAST(sum(bounces) AS BIGINT) AS bounces,
  CAST(sum(visit_duration) AS BIGINT) AS visit_duration
FROM labelled
GROUP BY folded, entry_page
ORDER BY folded, sum(visitors) DESC, sum(visits) DESC, entry_page
