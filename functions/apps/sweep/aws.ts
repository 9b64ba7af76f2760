import { S3Client } from "@aws-sdk/client-s3";
import { S3VersionedStore } from "../../adapters/aws/s3-versioned-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { retentionRules } from "../../core/retention/rules.ts";
import type { SweepDeps } from "../../core/retention/sweep.ts";
import type { Zone } from "../../core/zones.ts";
import type { Clock } from "../../ports/clock.ts";
import type { VersionedStore } from "../../ports/versioned-store.ts";
import { holdAuditRetention } from "../../runtime/audit-retention.ts";
import { AWS_ENV, configFromEnv, type Environment, requireEnv, ZONE_BUCKET } from "../../runtime/env.ts";

/**
 * The sweeper's AWS wiring: the raw bucket (Object Lock, versioned: versions and legal holds) and the analytics
 * bucket (unversioned, no Object Lock: one "null" version per key, no hold calls), routed per zone as ZONE_BUCKET
 * in runtime/env.ts says. Bucket names and the configuration come from the environment the CDK app sets.
 */

export interface AwsSweepRuntime {
  readonly config: LogsieveConfig;
  readonly deps: SweepDeps;
  readonly clock: Clock;
}

export function composeAwsSweep(env: Environment, s3 = new S3Client({})): AwsSweepRuntime {
  const config = configFromEnv(env);
  const raw = new S3VersionedStore({
    client: s3,
    bucket: requireEnv(env, AWS_ENV.rawBucket),
    objectLock: true,
    // The sweeper appends "evidence-swept" events to the hold audit trail, which is kept under retention.
    complianceRetention: holdAuditRetention(env, systemClock),
  });
  const analytics = new S3VersionedStore({
    client: s3,
    bucket: requireEnv(env, AWS_ENV.analyticsBucket),
    objectLock: false,
  });
  const storeFor = (zone: Zone): VersionedStore => (ZONE_BUCKET[zone] === "raw" ? raw : analytics);
  return {
    config,
    clock: systemClock,
    deps: {
      storeFor,
      rules: retentionRules(config.retention),
      // The function's name identifies the actor in the audit trail (its role is the function's IAM role).
      actor: env[AWS_ENV.functionName] ?? "logsieve-sweeper",
    },
  };
}
