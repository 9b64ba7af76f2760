-- hold.evidenceRecords: the security records of the looked-up addresses in a legal hold's window, oldest first
-- caller: the legal holds' Athena evidence source (functions/adapters/hold/athena-evidence-source.ts), which UNLOADs them into evidence/incident=<ID>/records/
-- params: from_day:date, to_day:date, from_ts:string, to_ts:string, lookup:string
SELECT
  ts, site, client_ip, forwarded_for, method, target, protocol, status,
  bytes, referrer, user_agent, duration_ms, country, provider, browser, os,
  device, is_bot, bot_reason, format, input_id, line_no
FROM security
WHERE dt >= ? AND dt <= ? AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp)
  AND client_ip IN (SELECT client_ip FROM security_lookups WHERE lookup = ?)
ORDER BY ts, input_id, line_no
