-- dashboard.goals: conversions per configured goal for one site over a date range: the goal's events and the visitors who converted; rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API and the Stats API (functions/core/stats/plan.ts); logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here, and k
-- applies again to the sums over the range: a row is shown only with at least k visitors (visitor-days: ids are
-- salted per day, so the days are added up). Every other row is summed into the single (other) row.
WITH per_value AS (
  SELECT
    goal,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_goals
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY goal
),
labelled AS (
  SELECT goal, events, visitors, 0 AS folded
  FROM per_value
  WHERE goal <> '(other)' AND visitors >= ?
  UNION ALL
  SELECT '(other)' AS goal, events, visitors, 1 AS folded
  FROM per_value
  WHERE goal = '(other)' OR visitors < ?
)
SELECT
  goal,
  CAST(sum(events) AS BIGINT) AS events,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, goal
ORDER BY folded, sum(visitors) DESC, sum(events) DESC, goal
