import { Logger } from "@aws-lambda-powertools/logger";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import {
  type AggregateRequest,
  COMPACT_EVENT,
  catchUpDays,
  compactionDays,
  parseRequests,
  type RequestReason,
} from "../../core/aggregate/requests.ts";
import { processEnvironment } from "../../runtime/env.ts";
import { type AthenaAggregateDeps, composeAthenaAggregate, pendingDays, processDay } from "./aws.ts";

/**
 * The aggregate Lambda. Three triggers:
 * - batches from the FIFO aggregate queue (message group = day): the records are taken apart by day and each day is
 *   worked on once (./aws.ts `processDay`); when a day fails, all of that day's records are reported failed (and
 *   come back in order), the other days' records succeed;
 * - the catch-up schedule (every aggregation interval): enqueues requests for today, the days deferred since their
 *   last recompute, and yesterday in the first hours of the day, so they wait their turn behind (and coalesce with)
 *   the requests ingestion sent;
 * - the hourly compaction schedule (input `{"logsieve": "compact"}`): enqueues compaction requests for today and
 *   yesterday (and the day before in the first hours of the day).
 * Logs carry days and counts only.
 */

const logger = new Logger({ serviceName: "logsieve-aggregate" });
let deps: AthenaAggregateDeps | undefined;

function runtime(): AthenaAggregateDeps {
  deps ??= composeAthenaAggregate(processEnvironment());
  return deps;
}

export async function aggregateBatch(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const byDay = new Map<string, { records: SQSRecord[]; requests: AggregateRequest[] }>();
  for (const record of event.Records) {
    let requests: AggregateRequest[];
    try {
      requests = parseRequests(record.body, Number(record.attributes.SentTimestamp));
    } catch (error) {
      logger.error("malformed aggregate request", {
        messageId: record.messageId,
        error: String((error as Error).message),
      });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    for (const request of requests) {
      const entry = byDay.get(request.day) ?? { records: [], requests: [] };
      if (!entry.records.includes(record)) entry.records.push(record);
      entry.requests.push(request);
      byDay.set(request.day, entry);
    }
  }
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  for (const [day, { records, requests }] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      const summary = await processDay(runtime(), day, requests);
      logger.info("aggregated", {
        day,
        requests: requests.length,
        covered: summary.work.covered,
        deferred: summary.work.defer,
        recomputed: summary.recomputed,
        replacedObjects: summary.replacedObjects,
        compaction: summary.compaction,
      });
    } catch (error) {
      logger.error("aggregation of a day failed; its requests are retried", {
        day,
        error: String((error as Error).message),
      });
      for (const record of records) {
        if (!failed.has(record.messageId)) failures.push({ itemIdentifier: record.messageId });
        failed.add(record.messageId);
      }
    }
  }
  return { batchItemFailures: failures };
}

/** A scheduled run: enqueues its requests (they are processed in their days' turn, like ingestion's). */
export async function enqueueScheduled(
  why: Exclude<RequestReason, "ingest">,
): Promise<readonly AggregateRequest[]> {
  const rt = runtime();
  const now = rt.clock.now();
  const days = why === "compact" ? compactionDays(now) : catchUpDays(now, await pendingDays(rt));
  const requests = days.map((day) => ({ day, sentAt: now, why }));
  await rt.enqueue(requests);
  logger.info("scheduled requests sent", { why, days });
  return requests;
}

export const handler = middy(
  async (event: SQSEvent | { logsieve?: string; source?: string }): Promise<SQSBatchResponse | undefined> => {
    if ("Records" in event && Array.isArray(event.Records)) return aggregateBatch(event as SQSEvent);
    await enqueueScheduled(
      (event as { logsieve?: string }).logsieve === COMPACT_EVENT.logsieve ? "compact" : "schedule",
    );
    return undefined;
  },
);
