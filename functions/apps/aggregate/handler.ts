import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { requireEnv } from "../../runtime/aws.ts";
import { AWS_ENV } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { type AthenaAggregateDeps, aggregateDaysOnAthena, scheduledDays } from "./aws.ts";

/**
 * Recomputes the daily rollups on Athena. Two triggers: SQS messages `{"days": [...]}` sent by ingest (batched
 * over a window, so a burst of log files recomputes each day once), and the hourly schedule (today and
 * yesterday). Logs carry days and counts only.
 */

const logger = new Logger({ serviceName: "logsieve-aggregate" });
const processor = new BatchProcessor(EventType.SQS);
let deps: AthenaAggregateDeps | undefined;

export function composeAthenaAggregate(
  env: Readonly<Record<string, string | undefined>>,
  clients: { athena?: AthenaClient; s3?: S3Client } = {},
): AthenaAggregateDeps {
  const analyticsBucket = requireEnv(env, AWS_ENV.analyticsBucket);
  return {
    engine: new AthenaQueryEngine({
      client: clients.athena ?? new AthenaClient({}),
      workGroup: requireEnv(env, AWS_ENV.athenaWorkgroup),
      database: requireEnv(env, AWS_ENV.glueDatabase),
    }),
    analytics: new S3ObjectStore({ client: clients.s3 ?? new S3Client({}), bucket: analyticsBucket }),
    analyticsBucket,
    catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
  };
}

function daysInMessage(record: SQSRecord): string[] {
  const body = JSON.parse(record.body) as { days?: unknown };
  if (!Array.isArray(body.days) || !body.days.every((d) => typeof d === "string")) {
    throw new Error('aggregate message must be {"days": ["YYYY-MM-DD", ...]}');
  }
  return body.days as string[];
}

async function recomputeRecord(record: SQSRecord): Promise<void> {
  deps ??= composeAthenaAggregate(process.env);
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
    deps ??= composeAthenaAggregate(process.env);
    const summaries = await aggregateDaysOnAthena(deps, scheduledDays(Date.now()));
    logger.info("aggregated on schedule", { days: summaries.map((s) => s.day) });
    return undefined;
  },
);
