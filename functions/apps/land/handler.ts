import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { objectsInNotification } from "../../adapters/aws/s3-notifications.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { processEnvironment } from "../../runtime/env.ts";
import { composeLand, type LandRuntime, moveLanded } from "./aws.ts";

/**
 * The land Lambda: S3 notifications of the ALB landing bucket (through SQS) → each object moved into incoming/alb/
 * (./aws.ts). A message that fails is reported alone and redelivered. Logs carry object keys with addresses
 * redacted (ALB names its files after a node's address).
 */

const logger = new Logger({ serviceName: "logsieve-land" });
const processor = new BatchProcessor(EventType.SQS);
let runtime: LandRuntime | undefined;

async function recordHandler(record: SQSRecord): Promise<void> {
  runtime ??= composeLand(processEnvironment());
  for (const ref of objectsInNotification(record.body)) {
    const outcome = await moveLanded(runtime, ref);
    logger.info("landed", { key: redactAddresses(ref.key), outcome });
  }
}

export const handler = middy(
  async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, recordHandler, processor, { context }),
);
