-- rollup.bots: hits and bandwidth per site and bot family for the day's requests by bots ((unnamed) when the family is unknown)
-- caller: functions/apps/aggregate/local.ts and functions/apps/aggregate/aws.ts (rollup "bots", one UTC day into stats/bots/dt=<day>/)
-- params: day:date, k:int, k:int, k:int, k:int
-- Rows are the day's requests by bots; the family name comes from the bot lists (or from a self-declared agent),
-- so a name an attacker wrote into an agent shows only if k people in k networks sent it.
-- k where the data is stored (docs/PRIVACY.md): a row is kept only when its requests come from at least k distinct
-- visitor ids AND at least k distinct network prefixes; every other row of the site is summed into one '(other)' row.
WITH per_value AS (
  SELECT
    site,
    coalesce(bot_name, '(unnamed)') AS label,
    count(*) AS hits,
    CAST(coalesce(sum(bytes), 0) AS BIGINT) AS bandwidth,
    count(DISTINCT visitor_id) AS visitors,
    count(DISTINCT ip_prefix) AS prefixes
  FROM events
  WHERE dt = ?
    AND is_bot
  GROUP BY site, coalesce(bot_name, '(unnamed)')
),
judged AS (
  SELECT site, 0 AS folded, label, hits, bandwidth
  FROM per_value
  WHERE visitors >= ? AND prefixes >= ?
  UNION ALL
  SELECT site, 1 AS folded, '(other)' AS label, hits, bandwidth
  FROM per_value
  WHERE visitors < ? OR prefixes < ?
)
SELECT
  site,
  label AS bot_name,
  CAST(sum(hits) AS BIGINT) AS hits,
  CAST(sum(bandwidth) AS BIGINT) AS bandwidth
FROM judged
GROUP BY site, folded, label
ORDER BY site, folded, label
