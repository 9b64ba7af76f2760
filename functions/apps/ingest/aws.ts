import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { objectsInNotification, type S3ObjectRef, siteFromKey } from "../../adapters/aws/s3-notifications.ts";
import { s3InputId } from "../../adapters/input/input-id.ts";
import { s3BodyChunks } from "../../adapters/input/s3-body.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { splitLineBatches } from "../../core/ingest/lines.ts";
import { type IngestDeps, type IngestSummary, ingest } from "../../core/ingest/pipeline.ts";
import { chooseConfiguredFormat } from "../../core/parse/choose.ts";
import { lakeStoreFromEnv } from "../../runtime/aws-lake.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { AWS_ENV, configFromEnv, type Environment } from "../../runtime/env.ts";
import { saltStoreFor } from "../../runtime/salts.ts";

/**
 * `ingest` on AWS: S3 "object created" notifications (through SQS) for `incoming/` → each object read from the raw
 * bucket and run through the core pipeline → security rows to the raw bucket, events to the analytics bucket →
 * the touched days sent to the aggregate queue. Object keys derive from bucket/key/version, so a redelivered
 * notification overwrites what an earlier attempt wrote.
 */

export interface AwsIngestRuntime {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly rawBucket: string;
  readonly aggregateQueueUrl: string | undefined;
  readonly deps: IngestDeps;
}

/** Everything the ingest function needs, built once per cold start from the environment the CDK app sets. */
export async function composeAwsIngest(
  env: Environment,
  clients: { s3?: S3Client; sqs?: SQSClient } = {},
): Promise<AwsIngestRuntime> {
  const s3 = clients.s3 ?? new S3Client({});
  const config = configFromEnv(env);
  const { lake, rawBucket } = lakeStoreFromEnv(env, s3);
  const clock = systemClock;
  return {
    s3,
    sqs: clients.sqs ?? new SQSClient({}),
    rawBucket,
    aggregateQueueUrl: env[AWS_ENV.aggregateQueueUrl],
    deps: {
      config,
      enrich: await enricherFor(config, {
        countryDb: env[AWS_ENV.geoCountryDb],
        asnIpv4: env[AWS_ENV.geoAsnIpv4],
        asnIpv6: env[AWS_ENV.geoAsnIpv6],
      }),
      salts: saltStoreFor(lake, clock, config),
      store: lake,
      // No worker thread in a Lambda sandbox: the function's memory is sized for the in-thread encoder.
      encoder: parquetEncoder({ threads: false }),
      clock,
    },
  };
}

/** What the handler logs of one object: the summary, and where its format came from. */
export interface ObjectIngestSummary extends IngestSummary {
  /** `formats[i]` of the configuration (matched by key prefix, glob or site), or `detection`. */
  readonly formatFrom: string;
}

/** Ingests one announced object; returns its summary (the handler logs counts, never a line). */
export async function ingestObject(rt: AwsIngestRuntime, ref: S3ObjectRef): Promise<ObjectIngestSummary> {
  const object = await rt.s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const version = ref.versionId ?? object.VersionId ?? ref.eTag ?? object.ETag ?? "unversioned";
  const site = siteFromKey(ref.key);
  // The configuration's formats by key prefix (or glob, or site), as locally by path; else detection.
  const configured = chooseConfiguredFormat(rt.deps.config.formats, { name: ref.key, site });
  const summary = await ingest(
    {
      inputId: s3InputId(ref.bucket, ref.key, version),
      lines: splitLineBatches(s3BodyChunks(object.Body, ref.key), rt.deps.config.ingest.maxLineBytes),
      site,
      format: configured?.format,
    },
    rt.deps,
  );
  return { ...summary, formatFrom: configured === null ? "detection" : `formats[${configured.index}]` };
}

/** Ingests every object one SQS message announces and tells aggregation which days they touched. */
export async function ingestNotification(
  rt: AwsIngestRuntime,
  messageBody: string,
  onIngested: (ref: S3ObjectRef, summary: ObjectIngestSummary) => void,
): Promise<readonly string[]> {
  const days = new Set<string>();
  for (const ref of objectsInNotification(messageBody)) {
    const summary = await ingestObject(rt, ref);
    onIngested(ref, summary);
    for (const day of summary.eventDays) days.add(day);
  }
  const touched = [...days].sort();
  if (rt.aggregateQueueUrl !== undefined && touched.length > 0) {
    await rt.sqs.send(
      new SendMessageCommand({
        QueueUrl: rt.aggregateQueueUrl,
        MessageBody: JSON.stringify({ days: touched }),
      }),
    );
  }
  return touched;
}
