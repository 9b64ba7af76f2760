-- cli.bots: hits and bandwidth per bot family over a date range
-- caller: logsieve query bots (functions/apps/query/command.ts)
-- params: from:date, to:date, site:string=*, site:string=*
SELECT
  bot_name,
  CAST(sum(hits) AS BIGINT) AS hits,
  CAST(sum(bandwidth) AS BIGINT) AS bandwidth
FROM stats_bots
WHERE dt >= ? AND dt <= ? AND (? = '*' OR site = ?)
GROUP BY bot_name
ORDER BY sum(hits) DESC, bot_name
