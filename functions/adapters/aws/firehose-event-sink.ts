import { type _Record, type FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import type { EventRow } from "../../core/types.ts";
import { EVENTS_SCHEMA, utcDay } from "../../core/zones.ts";
import { type EventSink, type EventSinkStats, EventSinkUnavailableError } from "../../ports/event-sink.ts";

/**
 * The collector's event sink on AWS: each invocation's rows go to an Amazon Data Firehose delivery stream with
 * PutRecordBatch before the collector answers, and Firehose batches them into `events/` as Parquet (record format
 * conversion against the Glue `events` table, dynamic partitioning on the `dt` field of each record). Why Firehose
 * and not S3 batches written by the function: docs/COLLECTOR.md.
 *
 * - A record is one JSON object per event, its keys the `events` columns: `ts` as epoch milliseconds (the Hive
 *   JSON SerDe reads it with timestampFormats ["millis"]), `visitor_id` as an exact 64-bit integer literal (never
 *   through a double), plus `dt` (`YYYY-MM-DD` of `ts`) for the partition key.
 * - Records Firehose refuses (FailedPutCount) and throttled or failed calls are retried, only the failed records,
 *   with backoff; when retries run out the write fails with {@link EventSinkUnavailableError} and the collector
 *   answers 503, so the client may send again. Nothing is held across invocations: a frozen or recycled Lambda
 *   environment loses nothing.
 * - Errors carry the service's error code only, never a record.
 */

/** Firehose's limits for one PutRecordBatch call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;

export interface FirehoseEventSinkOptions {
  readonly client: FirehoseClient;
  readonly deliveryStreamName: string;
  /** Attempts per write, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 50 ms (a Lambda is billed while it waits). */
  readonly retryInitialMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const COLUMNS = EVENTS_SCHEMA.columns.map((c) => c.name);

/**
 * One event as a Firehose record: JSON with the column names, `ts` in epoch ms, `visitor_id` as an exact
 * integer, `dt` for dynamic partitioning. Column order is the schema's, so the same row gives the same bytes.
 */
export function eventRecord(row: EventRow): string {
  const values = row as unknown as Record<string, unknown>;
  let json = "{";
  for (const name of COLUMNS) {
    const value = values[name];
    let text: string;
    if (value === null || value === undefined) text = "null";
    else if (typeof value === "bigint") text = value.toString();
    else text = JSON.stringify(value);
    json += `${JSON.stringify(name)}:${text},`;
  }
  return `${json}"dt":${JSON.stringify(utcDay(row.ts))}}\n`;
}

const encoder = new TextEncoder();
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "Error";
}

export class FirehoseEventSink implements EventSink {
  private counts = { received: 0, written: 0, batches: 0, failedAttempts: 0 };
  private inFlight = 0;
  private closed = false;
  private readonly maxAttempts: number;
  private readonly retryInitialMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: FirehoseEventSinkOptions) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.retryInitialMs = options.retryInitialMs ?? 50;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async write(rows: readonly EventRow[]): Promise<void> {
    if (this.closed) throw new EventSinkUnavailableError("event sink: closed");
    if (rows.length === 0) return;
    this.counts.received += rows.length;
    this.inFlight += rows.length;
    try {
      for (const chunk of chunks(rows.map((row) => encoder.encode(eventRecord(row))))) {
        await this.deliver(chunk);
        this.counts.written += chunk.length;
        this.counts.batches++;
      }
    } finally {
      this.inFlight -= rows.length;
    }
  }

  /** Nothing is buffered: every write is delivered before it resolves. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(): EventSinkStats {
    return { ...this.counts, pending: this.inFlight };
  }

  private async deliver(records: readonly Uint8Array[]): Promise<void> {
    let remaining = records;
    let lastCode = "FailedPutCount";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.retryInitialMs * 2 ** (attempt - 2));
      try {
        const reply = await this.options.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.options.deliveryStreamName,
            Records: remaining.map((data): _Record => ({ Data: data })),
          }),
        );
        if ((reply.FailedPutCount ?? 0) === 0) return;
        const answers = reply.RequestResponses ?? [];
        const failed = remaining.filter((_, i) => {
          const answer = answers[i];
          return answer === undefined || answer.ErrorCode !== undefined;
        });
        this.counts.failedAttempts++;
        lastCode = answers.find((a) => a.ErrorCode !== undefined)?.ErrorCode ?? "FailedPutCount";
        remaining = failed;
        if (remaining.length === 0) return;
      } catch (error) {
        this.counts.failedAttempts++;
        lastCode = errorCode(error);
      }
    }
    throw new EventSinkUnavailableError(
      `event sink: Firehose did not take ${remaining.length} events after ${this.maxAttempts} attempts (${lastCode})`,
    );
  }
}

/** Splits records into PutRecordBatch calls within Firehose's count and size limits. */
function* chunks(records: readonly Uint8Array[]): Generator<Uint8Array[]> {
  let chunk: Uint8Array[] = [];
  let bytes = 0;
  for (const record of records) {
    if (
      chunk.length > 0 &&
      (chunk.length >= MAX_RECORDS_PER_CALL || bytes + record.byteLength > MAX_BYTES_PER_CALL)
    ) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += record.byteLength;
  }
  if (chunk.length > 0) yield chunk;
}
