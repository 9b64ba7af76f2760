-- security.loginBruteForce: client addresses that POSTed to a login path at least min_attempts times in the window, with the answers they got
-- caller: the security view; logsieve query login-brute-force (functions/apps/query/command.ts)
-- params: from:date, to:date, login_paths:string=/wp-login.php|/xmlrpc.php|/user/login|/login|/admin/login|/administrator/index.php, min_attempts:int=10
-- login_paths is a '|'-separated list of paths (compared without query string, case-insensitively, exactly).
-- Success is not knowable from a log (WordPress answers 200 to a failed login and 302 to a good one), so the
-- status classes are shown and the reader judges.
WITH attempts AS (
  SELECT
    client_ip,
    count(*) AS attempts,
    count(DISTINCT lower(split_part(target, '?', 1))) AS distinct_paths,
    count(*) FILTER (WHERE status >= 200 AND status < 300) AS status_2xx,
    count(*) FILTER (WHERE status >= 300 AND status < 400) AS status_3xx,
    count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
    count(DISTINCT user_agent) AS distinct_user_agents,
    min(ts) AS first_seen,
    max(ts) AS last_seen
  FROM security
  WHERE dt >= ? AND dt <= ?
    AND method = 'POST'
    AND strpos('|' || lower(?) || '|', '|' || lower(split_part(target, '?', 1)) || '|') > 0
  GROUP BY client_ip
)
SELECT client_ip, attempts, distinct_paths, status_2xx, status_3xx, status_4xx, distinct_user_agents, first_seen, last_seen
FROM attempts
WHERE attempts >= ?
ORDER BY attempts DESC, client_ip
