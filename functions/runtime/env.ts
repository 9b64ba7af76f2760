import { userInfo } from "node:os";
import { ConfigError, type LogsieveConfig, parseConfig } from "../core/config.ts";
import type { Zone } from "../core/zones.ts";

/**
 * The one module that reads the process environment. On AWS: the variables the CDK app (infra/) sets on every
 * logsieve Lambda function (AWS_ENV below; one map imported by both sides, so a renamed variable is a compile
 * error rather than an `undefined` at 3 a.m.). Locally: the name of the person at the keyboard, for audit trails.
 * Everything else receives values, never `process.env`. No AWS SDK here: infra/ imports this file.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** The process's environment, read once per cold start by a handler and passed down as a value. */
export function processEnvironment(): Environment {
  return process.env;
}

/** A variable the deployment must set; a missing one fails the cold start naming it, before any event is handled. */
export function requireEnv(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) {
    throw new ConfigError(`the environment variable ${name} is not set (the CDK app sets it; see infra/)`, [
      `${name}: required`,
    ]);
  }
  return value;
}

/** A variable holding JSON, or `fallback` when unset; invalid JSON is a ConfigError naming the variable. */
export function jsonEnv(env: Environment, name: string, fallback: unknown): unknown {
  const text = env[name];
  if (text === undefined || text.length === 0) return fallback;
  try {
    return JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : "invalid JSON";
    throw new ConfigError(`the environment variable ${name} is not valid JSON: ${why}`, [`${name}: ${why}`]);
  }
}

/** The operator's configuration as the CDK app validated and set it (LOGSIEVE_CONFIG). */
export function configFromEnv(env: Environment): LogsieveConfig {
  return parseConfig(jsonEnv(env, AWS_ENV.config, {}), `environment ${AWS_ENV.config}`);
}

/** A whole number of at least 1 from the environment, or `fallback` when unset; anything else is a ConfigError. */
export function positiveIntEnv(env: Environment, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.length === 0) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`the environment variable ${name} must be a whole number of at least 1`, [
      `${name}: not a whole number of at least 1`,
    ]);
  }
  return value;
}

/** The person acting on this machine (audit trails of holds and sweeps): the OS account. */
export function localActor(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}

export const AWS_ENV = {
  /** Name of the raw bucket: `incoming/`, `security/`, `rejects/`, `evidence/` (Object Lock, raw KMS key). */
  rawBucket: "LOGSIEVE_RAW_BUCKET",
  /** Name of the analytics bucket: `events/`, `stats/`, `salts/` (analytics KMS key). */
  analyticsBucket: "LOGSIEVE_ANALYTICS_BUCKET",
  /** Name of the Athena query-results bucket. */
  resultsBucket: "LOGSIEVE_RESULTS_BUCKET",
  /**
   * The operator's configuration as JSON (the output of `parseConfig`, validated at synth): sites, prefix
   * lengths, retention per zone, k, consent defaults. Parse it again with `parseConfig` on cold start.
   */
  config: "LOGSIEVE_CONFIG",
  /** URL of the SQS queue that carries touched days from ingest to the aggregate function. */
  aggregateQueueUrl: "LOGSIEVE_AGGREGATE_QUEUE_URL",
  /** Minutes between two recomputes of a day driven by ingestion, and between two catch-ups (aggregate only). */
  aggregateIntervalMinutes: "LOGSIEVE_AGGREGATE_INTERVAL_MINUTES",
  /** URL of the ingest queue: the ingest function sends the next range of a file read in ranges there. */
  ingestQueueUrl: "LOGSIEVE_INGEST_QUEUE_URL",
  /** Bytes of (decompressed) input one ingest invocation reads, at most (sized in docs/DEPLOY.md, "Sizing"). */
  ingestRangeBytes: "LOGSIEVE_INGEST_RANGE_BYTES",
  /** Glue database holding the zone tables (`events`, `security`, `rejects`, `stats_*`). */
  glueDatabase: "LOGSIEVE_GLUE_DATABASE",
  /** Athena workgroup the function runs its queries in (aggregate: pipeline; dashboard API: marketing). */
  athenaWorkgroup: "LOGSIEVE_ATHENA_WORKGROUP",
  /**
   * Athena workgroup of the stats-api function's fixed, k-checked reads of `events/` (queries/stats.*.sql): the
   * pipeline workgroup, which people cannot use; its statistics from `stats/` run in `athenaWorkgroup` (marketing).
   */
  eventsWorkgroup: "LOGSIEVE_EVENTS_ATHENA_WORKGROUP",
  /** Folder of the `queries/*.sql` files shipped inside the function package (aggregate, dashboard API). */
  queriesDir: "LOGSIEVE_QUERIES_DIR",
  /** Folder of the built dashboard assets (manifest.json, app-*.js, app-*.css) inside the dashboard package. */
  dashboardAssetsDir: "LOGSIEVE_DASHBOARD_ASSETS",
  /** Athena workgroup of the dashboard's security view and legal holds (dashboard API only). */
  securityWorkgroup: "LOGSIEVE_SECURITY_ATHENA_WORKGROUP",
  /** Cognito hosted UI domain (`https://<prefix>.auth.<region>.amazoncognito.com`) for the dashboard's sign-in. */
  cognitoDomain: "LOGSIEVE_COGNITO_DOMAIN",
  /**
   * The user pool's token issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`): the dashboard verifies
   * ID tokens against it and its JWKS (`<issuer>/.well-known/jwks.json`), and names it as the identity pool login.
   */
  cognitoIssuer: "LOGSIEVE_COGNITO_ISSUER",
  /** The identity pool that exchanges a signed-in person's ID token for their role's credentials (dashboard API). */
  identityPoolId: "LOGSIEVE_IDENTITY_POOL_ID",
  /**
   * Days each legal-hold audit event stays under S3 Object Lock compliance-mode retention (nobody, the account's
   * root included, can delete it before). Set on the functions that append to the audit trail.
   */
  auditRetentionDays: "LOGSIEVE_AUDIT_RETENTION_DAYS",
  /** Absolute path of the bundled country database (MaxMind format) inside the function package. */
  geoCountryDb: "LOGSIEVE_GEO_COUNTRY_DB",
  /**
   * Absolute path of the bundled AS database inside the ingest package (the provider), pre-parsed at synth
   * (functions/adapters/geo/asn-table-file.ts).
   */
  geoAsnTable: "LOGSIEVE_GEO_ASN_TABLE",
  /** Cognito user pool id and app client id the dashboard API verifies tokens against (dashboard API only). */
  userPoolId: "LOGSIEVE_USER_POOL_ID",
  userPoolClientId: "LOGSIEVE_USER_POOL_CLIENT_ID",
  /** Name of the Firehose delivery stream that writes the collector's events into `events/` (collect only). */
  eventsDeliveryStream: "LOGSIEVE_EVENTS_DELIVERY_STREAM",
  /** The collector settings as JSON (core/collect/settings.ts); optional, every setting has a default. */
  collectorSettings: "LOGSIEVE_COLLECTOR_SETTINGS",
  /** Path of logsieve.js inside the collect function package (see {@link BUNDLED_TRACKER_PATH}). */
  trackerScript: "LOGSIEVE_TRACKER_SCRIPT",
  /** Name of the bucket ALB access logs land in (SSE-S3) before the land function moves them (land only). */
  albLandingBucket: "LOGSIEVE_ALB_LANDING_BUCKET",
  /** Set by Lambda itself: the function's name (the sweeper's actor in the audit trail). */
  functionName: "AWS_LAMBDA_FUNCTION_NAME",
  /** Powertools: service name and log level (DEBUG, INFO, WARN, ERROR). */
  serviceName: "POWERTOOLS_SERVICE_NAME",
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Powertools metrics namespace. */
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
} as const;

export type AwsEnvKey = keyof typeof AWS_ENV;

/** Which bucket holds each zone. Zone prefixes inside a bucket are the zone names of core/zones.ts. */
export const ZONE_BUCKET: Readonly<Record<Zone, "raw" | "analytics">> = {
  incoming: "raw",
  security: "raw",
  rejects: "raw",
  evidence: "raw",
  events: "analytics",
  stats: "analytics",
  salts: "analytics",
  checkpoints: "raw",
};

/** Where ALB logs are ingested from: the land function copies `<key in the landing bucket>` to this prefix + key. */
export const ALB_INCOMING_PREFIX = "incoming/alb/";

/** The Lambda path the queries folder is copied to when a function that runs named queries is bundled. */
export const BUNDLED_QUERIES_DIR = "/var/task/queries";

/** The Lambda path the built dashboard assets are copied to. */
export const BUNDLED_DASHBOARD_ASSETS = "/var/task/dashboard";

/** The Lambda path the country database is copied to when the function is bundled. */
export const BUNDLED_COUNTRY_DB_PATH = "/var/task/geo-country.mmdb";

/** The Lambda path the AS database, pre-parsed at synth, is copied to in the ingest package. */
export const BUNDLED_ASN_TABLE_PATH = "/var/task/asn-table.bin";

/** The Lambda path the first-party tracker (functions/tracker/logsieve.js) is copied to in the collect package. */
export const BUNDLED_TRACKER_PATH = "/var/task/logsieve.js";
