-- hold.evidencePartitions: the security partitions (day, hour) holding a legal hold's records, with their counts
-- caller: the legal holds' Athena evidence source (functions/adapters/hold/athena-evidence-source.ts): the count goes to the manifest, the partitions' objects are hashed as its sources
-- params: from_day:date, to_day:date, from_ts:string, to_ts:string, lookup:string
SELECT dt, hour, count(*) AS records
FROM security
WHERE dt >= ? AND dt <= ? AND ts >= CAST(? AS timestamp) AND ts < CAST(? AS timestamp)
  AND client_ip IN (SELECT client_ip FROM security_lookups WHERE lookup = ?)
GROUP BY dt, hour
ORDER BY dt, hour
