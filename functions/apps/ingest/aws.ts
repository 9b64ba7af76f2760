import { randomUUID } from "node:crypto";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { objectsInNotification, type S3ObjectRef, siteFromKey } from "../../adapters/aws/s3-notifications.ts";
import { streamInput } from "../../adapters/input/resumable-input.ts";
import { s3BodyChunks } from "../../adapters/input/s3-body.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { CheckpointBook } from "../../core/ingest/checkpoint-book.ts";
import type { IngestDeps } from "../../core/ingest/pipeline.ts";
import { ingestResumable, type ResumableSummary } from "../../core/ingest/resume.ts";
import { chooseConfiguredFormat } from "../../core/parse/choose.ts";
import { lakeStoreFromEnv } from "../../runtime/aws-lake.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { AWS_ENV, configFromEnv, type Environment } from "../../runtime/env.ts";
import { saltStoreFor } from "../../runtime/salts.ts";

/**
 * `ingest` on AWS: S3 "object created" notifications (through SQS) for `incoming/` → each object read from the raw
 * bucket and run through the core pipeline → security rows to the raw bucket, events to the analytics bucket →
 * the touched days sent to the aggregate queue. Each object is read from its stream's checkpoint (core/ingest/
 * resume.ts): a redelivered notification, the same log uploaded again under another key or as a new version, or a
 * grown copy of a log read before adds only lines not read yet; an attempt that died midway is redone under the same
 * object keys.
 */

export interface AwsIngestRuntime {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly rawBucket: string;
  readonly aggregateQueueUrl: string | undefined;
  readonly deps: IngestDeps;
  readonly checkpoints: CheckpointBook;
}

/**
 * A stream lock outlives the longest invocation (15 minutes) before another may take it over: a Lambda that timed
 * out cannot be asked whether it still runs. A message that finds its stream locked fails and is redelivered.
 */
const LAMBDA_LEASE_MS = 20 * 60 * 1000;

/** Everything the ingest function needs, built once per cold start from the environment the CDK app sets. */
export async function composeAwsIngest(
  env: Environment,
  clients: { s3?: S3Client; sqs?: SQSClient } = {},
): Promise<AwsIngestRuntime> {
  const s3 = clients.s3 ?? new S3Client({});
  const config = configFromEnv(env);
  const { lake, rawBucket } = lakeStoreFromEnv(env, s3);
  const clock = systemClock;
  const checkpoints = new CheckpointBook(lake, clock, {
    owner: randomUUID(),
    host: "aws-lambda",
    pid: process.pid,
    leaseMs: LAMBDA_LEASE_MS,
  });
  return {
    checkpoints,
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

/** What the handler logs of one object: the summary, how it relates to what was read before, its format's origin. */
export interface ObjectIngestSummary extends ResumableSummary {
  /** `formats[i]` of the configuration (matched by key prefix, glob or site), or `detection`. */
  readonly formatFrom: string;
}

/** Ingests what is new in one announced object; returns its summary (the handler logs counts, never a line). */
export async function ingestObject(rt: AwsIngestRuntime, ref: S3ObjectRef): Promise<ObjectIngestSummary> {
  const object = await rt.s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const site = siteFromKey(ref.key);
  // The configuration's formats by key prefix (or glob, or site), as locally by path; else detection.
  const configured = chooseConfiguredFormat(rt.deps.config.formats, { name: ref.key, site });
  // An object is complete: its last line needs no terminator. Compression is told by its magic bytes, not the key.
  const input = streamInput(s3BodyChunks(object.Body, ref.key), {
    complete: true,
    maxLineBytes: rt.deps.config.ingest.maxLineBytes,
  });
  const summary = await ingestResumable(input, { site, format: configured?.format }, rt.deps, rt.checkpoints);
  // A stream read on uses the format of its first reading: neither detected again nor configured.
  const formatFrom =
    configured !== null
      ? `formats[${configured.index}]`
      : !summary.formatDetected && summary.format !== null
        ? "checkpoint"
        : "detection";
  return { ...summary, formatFrom };
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
