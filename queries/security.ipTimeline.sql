-- security.ipTimeline: every request of one client address in the window, oldest first (at most `limit` rows)
-- caller: the security view; logsieve query ip-timeline (functions/apps/query/command.ts)
-- params: from:date, to:date, lookup:string, limit:int=1000
-- The address is never in the query's text or parameters (Athena keeps both 45 days): callers give `ip`, which is
-- written to a lookup object for the time of the query, and `lookup` names it (core/security/address-lookup.ts).
-- The lookup holds the stored, normalized address (IPv6 lower-case and compressed, no port, no brackets).
WITH requests AS (
  SELECT
    ts, site, method, target, protocol, status, bytes, referrer, user_agent, country, provider, is_bot,
    row_number() OVER (ORDER BY ts, input_id, line_no) AS rn
  FROM security
  WHERE dt >= ? AND dt <= ? AND client_ip IN (SELECT client_ip FROM security_lookups WHERE lookup = ?)
)
SELECT ts, site, method, target, protocol, status, bytes, referrer, user_agent, country, provider, is_bot
FROM requests
WHERE rn <= ?
ORDER BY rn
