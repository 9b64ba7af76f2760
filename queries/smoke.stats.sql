-- smoke.stats: how many days of the last ones have a totals rollup, and how many rows: that MarketingAnalyst reads stats/
-- caller: logsieve aws smoke (functions/apps/smoke/aws.ts), as the MarketingAnalyst role in the marketing workgroup
-- params: from:date
-- Counts rows, not people: no visitor figure is returned, so there is nothing for k to suppress.
SELECT count(DISTINCT dt) AS days, count(*) AS rollup_rows
FROM stats_totals
WHERE dt >= ?
