import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { objectsInNotification, type S3ObjectRef, siteFromKey } from "../../adapters/aws/s3-notifications.ts";
import { s3InputId } from "../../adapters/input/input-id.ts";
import { s3BodyChunks } from "../../adapters/input/s3-body.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { splitLineBatches } from "../../core/ingest/lines.ts";
import { ingest } from "../../core/ingest/pipeline.ts";
import { type AwsIngestRuntime, composeAwsIngest } from "../../runtime/aws.ts";
import { AWS_ENV } from "../../runtime/env.ts";

/**
 * SQS (S3 "object created" notifications for incoming/) → one ingest per object. A message that fails is
 * reported as a partial batch failure and redelivered; the object keys derive from the object's
 * bucket/key/version, so the retry overwrites whatever the failed attempt wrote. Log lines carry counts
 * and object keys, never a line of the log (it would hold an IP address).
 */

const logger = new Logger({ serviceName: "logsieve-ingest" });
const processor = new BatchProcessor(EventType.SQS);
const sqs = new SQSClient({});
let runtime: Promise<AwsIngestRuntime> | undefined;

export async function ingestObject(rt: AwsIngestRuntime, ref: S3ObjectRef): Promise<readonly string[]> {
  const object = await rt.s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const version = ref.versionId ?? object.VersionId ?? ref.eTag ?? object.ETag ?? "unversioned";
  const summary = await ingest(
    {
      inputId: s3InputId(ref.bucket, ref.key, version),
      lines: splitLineBatches(s3BodyChunks(object.Body, ref.key), rt.deps.config.ingest.maxLineBytes),
      site: siteFromKey(ref.key),
    },
    rt.deps,
  );
  logger.info("ingested", {
    // ALB names its files after a load balancer node's address: logs get no address of any kind.
    key: redactAddresses(ref.key),
    format: summary.format,
    lines: summary.lines,
    accepted: summary.accepted,
    rejected: summary.rejected,
    dropped: summary.dropped,
    events: summary.events,
    eventDays: summary.eventDays,
  });
  return summary.eventDays;
}

async function recordHandler(record: SQSRecord): Promise<void> {
  runtime ??= composeAwsIngest(process.env);
  const rt = await runtime;
  const days = new Set<string>();
  for (const ref of objectsInNotification(record.body)) {
    for (const day of await ingestObject(rt, ref)) days.add(day);
  }
  const queueUrl = process.env[AWS_ENV.aggregateQueueUrl];
  if (queueUrl !== undefined && days.size > 0) {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ days: [...days].sort() }) }),
    );
  }
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context }),
);
