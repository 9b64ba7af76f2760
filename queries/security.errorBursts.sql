-- security.errorBursts: per client address and minute, bursts of 4xx/5xx answers at or above a threshold in the window
-- caller: the security view; logsieve query error-bursts (functions/apps/query/command.ts)
-- params: from:date, to:date, min_errors:int=20
WITH per_minute AS (
  SELECT
    client_ip,
    date_trunc('minute', ts) AS minute,
    count(*) AS errors,
    count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
    count(*) FILTER (WHERE status >= 500 AND status < 600) AS status_5xx,
    count(DISTINCT target) AS distinct_targets
  FROM security
  WHERE dt >= ? AND dt <= ? AND status >= 400 AND status < 600
  GROUP BY client_ip, date_trunc('minute', ts)
)
SELECT client_ip, minute, errors, status_4xx, status_5xx, distinct_targets
FROM per_minute
WHERE errors >= ?
ORDER BY errors DESC, minute, client_ip
