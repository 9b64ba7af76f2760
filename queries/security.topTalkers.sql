-- security.topTalkers: the client addresses with the most requests in the window, with their error counts and first and last request
-- caller: the security view; logsieve query top-talkers (functions/apps/query/command.ts)
-- params: from:date, to:date, limit:int=50
WITH per_ip AS (
  SELECT
    client_ip,
    count(*) AS requests,
    CAST(sum(bytes) AS BIGINT) AS bytes,
    count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
    count(*) FILTER (WHERE status >= 500 AND status < 600) AS status_5xx,
    count(DISTINCT target) AS distinct_targets,
    max(country) AS country,
    max(provider) AS provider,
    min(ts) AS first_seen,
    max(ts) AS last_seen
  FROM security
  WHERE dt >= ? AND dt <= ?
  GROUP BY client_ip
),
ranked AS (
  SELECT
    client_ip, requests, bytes, status_4xx, status_5xx, distinct_targets, country, provider, first_seen, last_seen,
    row_number() OVER (ORDER BY requests DESC, client_ip) AS rn
  FROM per_ip
)
SELECT client_ip, requests, bytes, status_4xx, status_5xx, distinct_targets, country, provider, first_seen, last_seen
FROM ranked
WHERE rn <= ?
ORDER BY rn
