-- security.requestsOverTime: requests, 4xx and 5xx answers and distinct client addresses per hour in the window, all addresses together
-- caller: the security view's chart (functions/apps/dashboard/ui/security.ts); logsieve query requests-over-time (functions/apps/query/command.ts)
-- params: from:date, to:date
-- Hours without a request have no row (the chart draws them as zero).
SELECT
  date_trunc('hour', ts) AS hour,
  count(*) AS requests,
  count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
  count(*) FILTER (WHERE status >= 500 AND status < 600) AS status_5xx,
  count(DISTINCT client_ip) AS clients
FROM security
WHERE dt >= ? AND dt <= ?
GROUP BY date_trunc('hour', ts)
ORDER BY date_trunc('hour', ts)
