import { createHash } from "node:crypto";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type AggregateRequest, requestBody } from "../../core/aggregate/requests.ts";

/**
 * Sends aggregate requests (core/aggregate/requests.ts) to the FIFO aggregate queue: the day is the message group,
 * so Lambda never hands two batches of one day to the aggregate function at once; the digest of the body is the
 * deduplication id, so two identical requests within SQS's five-minute window are one. Used by ingestion (the days
 * a file touched) and by the aggregate function's schedules.
 */
export async function sendAggregateRequests(
  sqs: SQSClient,
  queueUrl: string,
  requests: readonly AggregateRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 10) {
    const entries = requests.slice(i, i + 10).map((request, index) => {
      const body = requestBody(request);
      return {
        Id: String(index),
        MessageBody: body,
        MessageGroupId: request.day,
        MessageDeduplicationId: createHash("sha256").update(body).digest("hex"),
      };
    });
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if ((out.Failed ?? []).length > 0) {
      const codes = [...new Set((out.Failed ?? []).map((f) => f.Code))].join(", ");
      throw new Error(`the aggregate queue refused ${out.Failed?.length} request(s): ${codes}`);
    }
  }
}
