import { readFile } from "node:fs/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { S3Client } from "@aws-sdk/client-s3";
import { FirehoseEventSink } from "../../adapters/aws/firehose-event-sink.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { loadGeoLookup } from "../../adapters/geo/mmdb-geo.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { ObjectStoreSaltStore } from "../../adapters/salt/object-store-salt-store.ts";
import type { CollectOutcome } from "../../core/collect/collector.ts";
import { createCollector } from "../../core/collect/collector.ts";
import { parseCollectorSettings } from "../../core/collect/settings.ts";
import { ConfigError, parseConfig } from "../../core/config.ts";
import { createEnricher } from "../../core/enrich/enrich.ts";
import { AWS_ENV, BUNDLED_TRACKER_PATH } from "../../runtime/env.ts";
import { type CollectHandlers, type CollectLogger, createCollectHandlers } from "./handler.ts";

/**
 * The collector on AWS: configuration from the environment the CDK app sets, salts in the analytics bucket,
 * events through Firehose (docs/COLLECTOR.md says why), logs and metrics through Powertools.
 */

const HOUR_MS = 3_600_000;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) {
    throw new ConfigError(`the environment variable ${name} is not set`, [`${name}: required`]);
  }
  return value;
}

function jsonOf(env: NodeJS.ProcessEnv, name: string, fallback: unknown): unknown {
  const text = env[name];
  if (text === undefined || text.length === 0) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`the environment variable ${name} is not valid JSON`, [`${name}: not valid JSON`]);
  }
}

/** Counts every outcome as CloudWatch metrics (names from closed lists, so the set of metrics is bounded). */
export function outcomeMetrics(metrics: Metrics): (outcome: CollectOutcome) => void {
  return (outcome) => {
    if (outcome.stored > 0) metrics.addMetric("events_stored", MetricUnit.Count, outcome.stored);
    for (const reason of outcome.rejected) metrics.addMetric(`rejected_${reason}`, MetricUnit.Count, 1);
    for (const reason of outcome.dropped) metrics.addMetric(`dropped_${reason}`, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  };
}

export async function composeAwsCollectHandlers(
  env: NodeJS.ProcessEnv = process.env,
): Promise<CollectHandlers> {
  const config = parseConfig(jsonOf(env, AWS_ENV.config, {}), `environment ${AWS_ENV.config}`);
  const settings = parseCollectorSettings(
    jsonOf(env, AWS_ENV.collectorSettings, {}),
    `environment ${AWS_ENV.collectorSettings}`,
  );
  const powertools = new Logger();
  // Attributes go in as one object (Powertools merges it into the JSON line); with none, the message alone.
  const logger: CollectLogger = {
    info: (message, attributes) =>
      attributes === undefined ? powertools.info(message) : powertools.info(message, attributes),
    warn: (message, attributes) =>
      attributes === undefined ? powertools.warn(message) : powertools.warn(message, attributes),
    error: (message, attributes) =>
      attributes === undefined ? powertools.error(message) : powertools.error(message, attributes),
  };
  const metrics = new Metrics({ namespace: env[AWS_ENV.metricsNamespace] ?? "logsieve" });
  const store = new S3ObjectStore({
    client: new S3Client({}),
    bucket: required(env, AWS_ENV.analyticsBucket),
  });
  const salts = new ObjectStoreSaltStore(store, systemClock, undefined, {
    maxAgeMs: config.retention.saltHours * HOUR_MS,
  });
  const geo = await loadGeoLookup({
    countryDb: config.geo.countryDb ?? env[AWS_ENV.geoCountryDb],
    asnDb: config.geo.asnDb,
  });
  const sink = new FirehoseEventSink({
    client: new FirehoseClient({}),
    deliveryStreamName: required(env, AWS_ENV.eventsDeliveryStream),
  });
  let trackerScript: string | null = null;
  try {
    trackerScript = await readFile(env[AWS_ENV.trackerScript] ?? BUNDLED_TRACKER_PATH, "utf8");
  } catch {
    logger.warn("logsieve.js is not in the package; /logsieve.js answers 404");
  }
  const collector = createCollector({
    config,
    settings,
    enrich: createEnricher(geo),
    salts,
    sink,
    clock: systemClock,
    trackerScript,
  });
  return createCollectHandlers(
    { collector, logger, onOutcome: outcomeMetrics(metrics) },
    settings.maxBodyBytes,
  );
}
