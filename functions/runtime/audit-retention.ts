import { HOLD_AUDIT_PREFIX } from "../core/hold/audit.ts";
import type { Clock } from "../ports/clock.ts";
import { AWS_ENV, type Environment, positiveIntEnv } from "./env.ts";

/** Three years unless the deployment says otherwise (infra/constructs/settings.ts, `logsieve:auditRetentionDays`). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 1096;

/**
 * The compliance-mode retention every legal-hold audit event gets on S3 (the raw bucket's policy allows retention
 * on `evidence/audit/holds/` only, and only in compliance mode): wired into the raw bucket's store by every writer
 * of the trail, the sweeper and the dashboard's legal holds.
 */
export function holdAuditRetention(
  env: Environment,
  clock: Clock,
): { readonly prefix: string; readonly days: number; readonly now: () => number } {
  return {
    prefix: HOLD_AUDIT_PREFIX,
    days: positiveIntEnv(env, AWS_ENV.auditRetentionDays, DEFAULT_AUDIT_RETENTION_DAYS),
    now: () => clock.now(),
  };
}
