import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { processEnvironment } from "../../runtime/env.ts";
import {
  type AthenaAggregateDeps,
  aggregateDaysOnAthena,
  composeAthenaAggregate,
  scheduledDays,
} from "./aws.ts";

/**
 * Recomputes the daily rollups on Athena. Two triggers: SQS messages `{"days": [...]}` sent by ingest (batched
 * over a window, so a burst of log files recomputes each day once), and the hourly schedule (today and
 * yesterday). Logs carry days and counts only.
 */

const logger = new Logger({ serviceName: "logsieve-aggregate" });
const processor = new BatchProcessor(EventType.SQS);
let deps: AthenaAggregateDeps | undefined;

function daysInMessage(record: SQSRecord): string[] {
  const body = JSON.parse(record.body) as { days?: unknown };
  if (!Array.isArray(body.days) || !body.days.every((d) => typeof d === "string")) {
    throw new Error('aggregate message must be {"days": ["YYYY-MM-DD", ...]}');
  }
  return body.days as string[];
}

async function recomputeRecord(record: SQSRecord): Promise<void> {
  deps ??= composeAthenaAggregate(processEnvironment());
  const summaries = await aggregateDaysOnAthena(deps, daysInMessage(record));
  logger.info("aggregated", {
    days: summaries.map((s) => s.day),
    replacedObjects: summaries.map((s) => s.replacedObjects),
  });
}

export const handler = middy(
  async (event: SQSEvent | { source?: string }, context: Context): Promise<SQSBatchResponse | undefined> => {
    if ("Records" in event && Array.isArray(event.Records)) {
      return processPartialResponse(event as SQSEvent, recomputeRecord, processor, { context });
    }
    deps ??= composeAthenaAggregate(processEnvironment());
    const summaries = await aggregateDaysOnAthena(deps, scheduledDays(systemClock.now()));
    logger.info("aggregated on schedule", { days: summaries.map((s) => s.day) });
    return undefined;
  },
);
