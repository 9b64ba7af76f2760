-- rollup.bots: hits and bandwidth per site and bot family for the day's requests by bots ((unnamed) when the family is unknown)
-- caller: functions/apps/aggregate/local.ts (rollup "bots", one UTC day into stats/bots/dt=<day>/)
-- params: day:date
SELECT
  site,
  coalesce(bot_name, '(unnamed)') AS bot_name,
  count(*) AS hits,
  CAST(sum(bytes) AS BIGINT) AS bandwidth
FROM events
WHERE dt = ?
  AND is_bot
GROUP BY site, coalesce(bot_name, '(unnamed)')
ORDER BY site, coalesce(bot_name, '(unnamed)')
