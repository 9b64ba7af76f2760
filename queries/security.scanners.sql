-- security.scanners: requests matching known scanner signatures in the window, per signature and client address
-- caller: the security view; logsieve query scanners (functions/apps/query/command.ts)
-- params: from:date, to:date
-- Signatures, first match wins, on the lower-cased target (path and query as sent, still URL-encoded):
--   dotenv        /.env
--   vcs           /.git/ /.svn/ /.hg/
--   wordpress     wp-login.php, /wp-admin, xmlrpc.php, wp-config
--   traversal     ../ ..\ and their encodings (%2e%2e, ..%2f, ..%5c), /etc/passwd
--   sql-injection union+select, information_schema, sleep(, benchmark(, ' or 1=1 and encodings
--   admin-probe   phpmyadmin, /cgi-bin/, /actuator, /.aws/, /server-status
--   scanner-agent user agents of sqlmap, nikto, nmap, masscan, zgrab, nuclei, wpscan, dirbuster, gobuster
WITH requests AS (
  SELECT client_ip, ts, status, lower(target) AS t, lower(coalesce(user_agent, '')) AS ua
  FROM security
  WHERE dt >= ? AND dt <= ?
),
matched AS (
  SELECT
    client_ip,
    ts,
    status,
    CASE
      WHEN strpos(t, '/.env') > 0 THEN 'dotenv'
      WHEN strpos(t, '/.git/') > 0 OR strpos(t, '/.svn/') > 0 OR strpos(t, '/.hg/') > 0 THEN 'vcs'
      WHEN strpos(t, 'wp-login.php') > 0 OR strpos(t, '/wp-admin') > 0 OR strpos(t, 'xmlrpc.php') > 0
        OR strpos(t, 'wp-config') > 0 THEN 'wordpress'
      WHEN strpos(t, '../') > 0 OR strpos(t, '..\') > 0 OR strpos(t, '%2e%2e') > 0 OR strpos(t, '..%2f') > 0
        OR strpos(t, '..%5c') > 0 OR strpos(t, '%252e%252e') > 0 OR strpos(t, '/etc/passwd') > 0 THEN 'traversal'
      WHEN (strpos(t, 'union') > 0 AND strpos(t, 'select') > 0) OR strpos(t, 'information_schema') > 0
        OR strpos(t, 'sleep(') > 0 OR strpos(t, 'sleep%28') > 0 OR strpos(t, 'benchmark(') > 0
        OR strpos(t, '''%20or%20') > 0 OR strpos(t, '%27%20or%20') > 0 OR strpos(t, '%27+or+') > 0
        OR strpos(t, ''' or ') > 0 OR strpos(t, 'or%201=1') > 0 OR strpos(t, 'or+1=1') > 0
        OR strpos(t, 'or 1=1') > 0 THEN 'sql-injection'
      WHEN strpos(t, 'phpmyadmin') > 0 OR strpos(t, '/cgi-bin/') > 0 OR strpos(t, '/actuator') > 0
        OR strpos(t, '/.aws/') > 0 OR strpos(t, '/server-status') > 0 THEN 'admin-probe'
      WHEN strpos(ua, 'sqlmap') > 0 OR strpos(ua, 'nikto') > 0 OR strpos(ua, 'nmap') > 0 OR strpos(ua, 'masscan') > 0
        OR strpos(ua, 'zgrab') > 0 OR strpos(ua, 'nuclei') > 0 OR strpos(ua, 'wpscan') > 0
        OR strpos(ua, 'dirbuster') > 0 OR strpos(ua, 'gobuster') > 0 THEN 'scanner-agent'
    END AS signature
  FROM requests
)
SELECT
  signature,
  client_ip,
  count(*) AS hits,
  count(*) FILTER (WHERE status >= 200 AND status < 300) AS answered_2xx,
  min(ts) AS first_seen,
  max(ts) AS last_seen
FROM matched
WHERE signature IS NOT NULL
GROUP BY signature, client_ip
ORDER BY count(*) DESC, signature, client_ip
