import { S3Client } from "@aws-sdk/client-s3";
import { S3ObjectStore } from "../adapters/aws/s3-object-store.ts";
import { ZoneRoutingStore } from "../adapters/aws/zone-routing-store.ts";
import { loadGeoLookup } from "../adapters/geo/mmdb-geo.ts";
import { systemClock } from "../adapters/local/system-clock.ts";
import { HyparquetEncoder } from "../adapters/parquet/hyparquet-encoder.ts";
import { ObjectStoreSaltStore } from "../adapters/salt/object-store-salt-store.ts";
import { ConfigError, type LogsieveConfig, parseConfig } from "../core/config.ts";
import { createEnricher, type Enricher } from "../core/enrich/enrich.ts";
import type { IngestDeps } from "../core/ingest/pipeline.ts";
import { ZONES, type Zone } from "../core/zones.ts";
import type { ObjectStore } from "../ports/object-store.ts";
import { AWS_ENV, ZONE_BUCKET } from "./env.ts";

/**
 * The AWS wiring: the only place (with apps/ingest/local.ts) that reads configuration. Everything comes from
 * the environment the CDK app sets (names in aws-env.ts); a missing variable fails the cold start with
 * the variable's name, before any event is processed.
 */

const HOUR_MS = 3_600_000;

export type Environment = Readonly<Record<string, string | undefined>>;

export function requireEnv(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) {
    throw new Error(`environment variable ${name} is not set (the CDK app sets it; see infra/)`);
  }
  return value;
}

export function configFromEnv(env: Environment): LogsieveConfig {
  const raw = env[AWS_ENV.config];
  let parsed: unknown = {};
  try {
    if (raw !== undefined && raw.length > 0) parsed = JSON.parse(raw);
  } catch (error) {
    const why = error instanceof Error ? error.message : "invalid JSON";
    throw new ConfigError(`environment ${AWS_ENV.config} is not valid JSON: ${why}`, [
      `${AWS_ENV.config}: ${why}`,
    ]);
  }
  return parseConfig(parsed, `environment ${AWS_ENV.config}`);
}

/** The lake as one ObjectStore over the raw and analytics buckets. */
export function lakeStoreFromEnv(
  env: Environment,
  client: S3Client,
): { lake: ObjectStore; rawBucket: string } {
  const rawBucket = requireEnv(env, AWS_ENV.rawBucket);
  const analyticsBucket = requireEnv(env, AWS_ENV.analyticsBucket);
  const raw = new S3ObjectStore({ client, bucket: rawBucket });
  const analytics = new S3ObjectStore({ client, bucket: analyticsBucket });
  const storeOf = {} as Record<Zone, ObjectStore>;
  for (const zone of ZONES) storeOf[zone] = ZONE_BUCKET[zone] === "raw" ? raw : analytics;
  return { lake: new ZoneRoutingStore(storeOf), rawBucket };
}

export interface AwsIngestRuntime {
  readonly s3: S3Client;
  readonly rawBucket: string;
  readonly deps: IngestDeps;
}

/** Everything the ingest function needs, built once per cold start. */
export async function composeAwsIngest(env: Environment, s3 = new S3Client({})): Promise<AwsIngestRuntime> {
  const config = configFromEnv(env);
  const { lake, rawBucket } = lakeStoreFromEnv(env, s3);
  const clock = systemClock;
  const saltLifetimeMs = config.retention.saltHours * HOUR_MS;
  const salts = new ObjectStoreSaltStore(lake, clock, undefined, { maxAgeMs: saltLifetimeMs });
  const geo = await loadGeoLookup({
    countryDb: config.geo.countryDb ?? env[AWS_ENV.geoCountryDb],
    asnDb: config.geo.asnDb,
  });
  const enrich: Enricher = createEnricher(geo);
  return {
    s3,
    rawBucket,
    deps: { config, enrich, salts, store: lake, encoder: new HyparquetEncoder(), clock },
  };
}
