import type { S3Client } from "@aws-sdk/client-s3";
import { S3ObjectStore } from "../adapters/aws/s3-object-store.ts";
import { ZoneRoutingStore } from "../adapters/aws/zone-routing-store.ts";
import { ZONES, type Zone } from "../core/zones.ts";
import type { ObjectStore } from "../ports/object-store.ts";
import { AWS_ENV, type Environment, requireEnv, ZONE_BUCKET } from "./env.ts";

/**
 * The lake on AWS as one ObjectStore over the two buckets the CDK app creates: the raw bucket (`incoming/`,
 * `security/`, `rejects/`, `evidence/`) and the analytics bucket (`events/`, `stats/`, `salts/`), routed per zone.
 */
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
