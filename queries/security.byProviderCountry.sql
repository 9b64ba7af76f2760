-- security.byProviderCountry: requests, distinct client addresses, bytes and errors per provider (AS organisation) and country in the window
-- caller: the security view; logsieve query by-provider-country (functions/apps/query/command.ts)
-- params: from:date, to:date
SELECT
  coalesce(provider, '(unknown)') AS provider,
  coalesce(country, '(unknown)') AS country,
  count(*) AS requests,
  count(DISTINCT client_ip) AS clients,
  CAST(sum(bytes) AS BIGINT) AS bytes,
  count(*) FILTER (WHERE status >= 400 AND status < 500) AS status_4xx,
  count(*) FILTER (WHERE status >= 500 AND status < 600) AS status_5xx,
  count(*) FILTER (WHERE is_bot) AS bot_requests
FROM security
WHERE dt >= ? AND dt <= ?
GROUP BY coalesce(provider, '(unknown)'), coalesce(country, '(unknown)')
ORDER BY count(*) DESC, coalesce(provider, '(unknown)'), coalesce(country, '(unknown)')
