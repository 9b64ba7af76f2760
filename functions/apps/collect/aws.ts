import { readFile } from "node:fs/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { S3Client } from "@aws-sdk/client-s3";
import type { Hono } from "hono";
import { FirehoseEventSink } from "../../adapters/aws/firehose-event-sink.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { CollectOutcome } from "../../core/collect/collector.ts";
import { createCollector } from "../../core/collect/collector.ts";
import { parseCollectorSettings } from "../../core/collect/settings.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import {
  AWS_ENV,
  BUNDLED_TRACKER_PATH,
  configFromEnv,
  type Environment,
  jsonEnv,
  requireEnv,
} from "../../runtime/env.ts";
import { saltStoreFor } from "../../runtime/salts.ts";
import { createHttpApp } from "../http/app.ts";
import { lambdaPlatform } from "../http/lambda.ts";
import type { HttpEnv } from "../http/types.ts";
import type { CollectLogger } from "./routes.ts";

/**
 * The collector on AWS: configuration from the environment the CDK app sets, salts in the analytics bucket,
 * events through Firehose (docs/COLLECTOR.md says why), logs and metrics through Powertools; the HTTP app with the
 * collector's routes only, on Lambda's platform (the client address is API Gateway's sourceIp).
 */

/** Counts every outcome as CloudWatch metrics (names from closed lists, so the set of metrics is bounded). */
export function outcomeMetrics(metrics: Metrics): (outcome: CollectOutcome) => void {
  return (outcome) => {
    if (outcome.stored > 0) metrics.addMetric("events_stored", MetricUnit.Count, outcome.stored);
    for (const reason of outcome.rejected) metrics.addMetric(`rejected_${reason}`, MetricUnit.Count, 1);
    for (const reason of outcome.dropped) metrics.addMetric(`dropped_${reason}`, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  };
}

export async function composeAwsCollectApp(env: Environment): Promise<Hono<HttpEnv>> {
  const config = configFromEnv(env);
  const settings = parseCollectorSettings(
    jsonEnv(env, AWS_ENV.collectorSettings, {}),
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
    bucket: requireEnv(env, AWS_ENV.analyticsBucket),
  });
  const sink = new FirehoseEventSink({
    client: new FirehoseClient({}),
    deliveryStreamName: requireEnv(env, AWS_ENV.eventsDeliveryStream),
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
    enrich: await enricherFor(
      config,
      { countryDb: env[AWS_ENV.geoCountryDb] },
      { provider: false, rememberAddresses: false },
    ),
    salts: saltStoreFor(store, systemClock, config),
    sink,
    clock: systemClock,
    trackerScript,
  });
  return createHttpApp({
    platform: lambdaPlatform,
    logger,
    collect: { collector, logger, maxBodyBytes: settings.maxBodyBytes, onOutcome: outcomeMetrics(metrics) },
  });
}
