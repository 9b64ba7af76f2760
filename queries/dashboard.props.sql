-- dashboard.props: custom event properties for one site over a date range: events and visitors per event name, property and value; rows with fewer than k visitors fold into one (other) row
-- caller: the dashboard API and the Stats API (functions/core/stats/plan.ts); logsieve query (functions/apps/query/command.ts)
-- params: site:string, from:date, to:date, k:int, k:int
-- stats/ holds no row under k already (rollups fold them at aggregation); its (other) rows stay folded here, and k
-- applies again to the sums over the range: a row is shown only with at least k visitors (visitor-days: ids are
-- salted per day, so the days are added up). Every other row is summed into the single (other) row.
WITH per_value AS (
  SELECT
    event_name, prop_key, prop_value,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(sum(visitors) AS BIGINT) AS visitors
  FROM stats_props
  WHERE site = ? AND dt >= ? AND dt <= ?
  GROUP BY event_name, prop_key, prop_value
),
labelled AS (
  SELECT event_name, prop_key, prop_value, events, visitors, 0 AS folded
  FROM per_value
  WHERE event_name <> '(other)' AND visitors >= ?
  UNION ALL
  SELECT '(other)' AS event_name, '(other)' AS prop_key, '(other)' AS prop_value, events, visitors, 1 AS folded
  FROM per_value
  WHERE event_name = '(other)' OR visitors < ?
)
SELECT
  event_name, prop_key, prop_value,
  CAST(sum(events) AS BIGINT) AS events,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM labelled
GROUP BY folded, event_name, prop_key, prop_value
ORDER BY folded, sum(visitors) DESC, sum(events) DESC, event_name, prop_key, prop_value
