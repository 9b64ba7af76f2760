-- security.ipTimeline: every request of one client address in the window, oldest first (at most `limit` rows)
-- caller: the security view; logsieve query ip-timeline (functions/apps/query/command.ts)
-- params: from:date, to:date, ip:string, limit:int=1000
-- ip is compared with the stored, normalized address (IPv6 lower-case and compressed, no port, no brackets).
WITH requests AS (
  SELECT
    ts, site, method, target, protocol, status, bytes, referrer, user_agent, country, provider, is_bot,
    row_number() OVER (ORDER BY ts, input_id, line_no) AS rn
  FROM security
  WHERE dt >= ? AND dt <= ? AND client_ip = ?
)
SELECT ts, site, method, target, protocol, status, bytes, referrer, user_agent, country, provider, is_bot
FROM requests
WHERE rn <= ?
ORDER BY rn
