-- smoke.canary: how many records of the smoke run's canary request the security zone holds, found by its path
-- caller: logsieve aws smoke (functions/apps/smoke/aws.ts), as the SecurityAnalyst role in the security workgroup; and as MarketingAnalyst, which IAM must refuse
-- params: day:date, hour:string, target:string
-- The canary's path carries the run's id; no address is named (Athena keeps a statement and its parameters 45 days).
-- Reads one hour's partition of security/ only.
SELECT count(*) AS records
FROM security
WHERE dt = ? AND hour = ? AND target = ?
