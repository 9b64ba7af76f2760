-- rollup.props: custom event properties per site, event name, property and value for the day: events and visitors
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "props", one UTC day into stats/props/dt=<day>/)
-- params: day:date, day:date, day:date, day:date, k:int, k:int, k:int, k:int
-- Properties are the allowlisted ones the collector kept (events/ columns prop_key_N / prop_value_N, N = 1..4; see
-- docs/COLLECTOR.md); one event with two properties counts once under each. Events by bots are left out.
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when its events come from at least k distinct
-- visitor ids AND at least k distinct network prefixes; every other row of the site is summed into one row whose
-- event name, property and value all read '(other)'. The event name and the value are text a visitor's page sends:
-- neither is shown unless k people in k networks sent it.
WITH slots AS (
  SELECT site, event_name, prop_key_1 AS prop_key, prop_value_1 AS prop_value, visitor_id, ip_prefix
  FROM events WHERE dt = ? AND NOT is_bot AND prop_key_1 IS NOT NULL
  UNION ALL
  SELECT site, event_name, prop_key_2 AS prop_key, prop_value_2 AS prop_value, visitor_id, ip_prefix
  FROM events WHERE dt = ? AND NOT is_bot AND prop_key_2 IS NOT NULL
  UNION ALL
  SELECT site, event_name, prop_key_3 AS prop_key, prop_value_3 AS prop_value, visitor_id, ip_prefix
  FROM events WHERE dt = ? AND NOT is_bot AND prop_key_3 IS NOT NULL
  UNION ALL
  SELECT site, event_name, prop_key_4 AS prop_key, prop_value_4 AS prop_value, visitor_id, ip_prefix
  FROM events WHERE dt = ? AND NOT is_bot AND prop_key_4 IS NOT NULL
),
per_value AS (
  SELECT
    site,
    event_name AS name_label,
    prop_key AS key_label,
    coalesce(prop_value, '(none)') AS value_label,
    count(*) AS events,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM slots
  GROUP BY site, event_name, prop_key, coalesce(prop_value, '(none)')
),
judged AS (
  SELECT site, 0 AS folded, name_label, key_label, value_label, events, visitors
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS name_label, '(other)' AS key_label, '(other)' AS value_label, events, visitors
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  name_label AS event_name,
  key_label AS prop_key,
  value_label AS prop_value,
  CAST(sum(events) AS BIGINT) AS events,
  CAST(sum(visitors) AS BIGINT) AS visitors
FROM judged
GROUP BY site, folded, name_label, key_label, value_label
ORDER BY site, folded, name_label, key_label, value_label
