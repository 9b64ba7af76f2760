-- security.addressOverTime: requests, 4xx and 5xx answers per hour of one client address in the window
-- caller: the security view's chart of one address (functions/apps/dashboard/ui/security.ts); logsieve query address-over-time (functions/apps/query/command.ts)
-- params: from:date, to:date, lookup:string
-- The address is never in the query's text or parameters (Athena keeps both 45 days): callers give `ip`, which is
-- written to a lookup object for the time of the query, and `lookup` names it (core/security/address-lookup.ts), as in
-- security.ipTimeline. Hours without a request have no row.
SELECT
  date_trunc('hour', ts) AS hour,
  count(*) AS requests,
  count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
  count(*) FILTER (WHERE status >= 500 AND status < 600) AS status_5xx
FROM security
WHERE dt >= ? AND dt <= ? AND client_ip IN (SELECT client_ip FROM security_lookups WHERE lookup = ?)
GROUP BY date_trunc('hour', ts)
ORDER BY date_trunc('hour', ts)
