-- hold.evidenceAddresses: the distinct client addresses of the security zone in a legal hold's time window
-- caller: the legal holds' Athena evidence source (functions/adapters/hold/athena-evidence-source.ts), for a hold by network: the addresses inside the block are picked from these, then looked up
-- params: from_day:date, to_day:date, from_ts:string, to_ts:string
SELECT DISTINCT client_ip
FROM security
WHERE dt >= ? AND dt <= ? AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp)
