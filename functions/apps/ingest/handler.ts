import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { S3ObjectRef } from "../../adapters/aws/s3-notifications.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { processEnvironment } from "../../runtime/env.ts";
import { type AwsIngestRuntime, composeAwsIngest, ingestNotification } from "./aws.ts";

/**
 * The ingest Lambda: SQS messages carrying S3 notifications for `incoming/` (or a continuation: read on in a large
 * object, see ./aws.ts). A message that fails is reported as a partial batch failure and redelivered (the retry
 * overwrites what the failed attempt wrote); the batch processor tells SQS but logs nothing, so each failure gets
 * its own error line here ("record failed": message id, object key, the error's name and message). Log lines carry
 * counts and object keys, never a line of the log (it would hold an IP address), and every address in a key or an
 * error message is redacted.
 */

const logger = new Logger({ serviceName: "logsieve-ingest" });
const processor = new BatchProcessor(EventType.SQS);
let runtime: Promise<AwsIngestRuntime> | undefined;

async function recordHandler(record: SQSRecord): Promise<void> {
  let current: S3ObjectRef | undefined;
  try {
    await ingestRecord(record, (ref) => {
      current = ref;
    });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    logger.error("record failed", {
      messageId: record.messageId,
      // Undefined when the message itself was unreadable or the function could not start.
      key: current === undefined ? undefined : redactAddresses(current.key),
      // Name and message only: a stack or a cause may quote what was being read.
      error: { name: e.name, message: redactAddresses(e.message) },
    });
    throw error;
  }
}

async function ingestRecord(record: SQSRecord, onStart: (ref: S3ObjectRef) => void): Promise<void> {
  // A failed cold start (a missing variable, an unreadable database) is retried on the next message.
  runtime ??= composeAwsIngest(processEnvironment()).catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  await ingestNotification(
    await runtime,
    record.body,
    (ref, summary) =>
      logger.info("ingested", {
        // ALB names its files after a load balancer node's address: logs get no address of any kind.
        key: redactAddresses(ref.key),
        format: summary.format,
        formatFrom: summary.formatFrom,
        detection: summary.detection,
        // How the object relates to what was read before: a redelivery or a copy is "already-read".
        stream: summary.resume.stream,
        resume: summary.resume.status,
        alreadyIngestedLines: summary.resume.skippedLines,
        // A large object is read in ranges: this read stopped at the bound and sent a continuation.
        continued: summary.continued,
        recovered: summary.resume.recovered,
        lines: summary.lines,
        accepted: summary.accepted,
        rejected: summary.rejected,
        dropped: summary.dropped,
        events: summary.events,
        eventDays: summary.eventDays,
      }),
    onStart,
  );
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context }),
);
