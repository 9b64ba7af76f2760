import type { EventRow } from "../core/types.ts";

/**
 * Where the collector hands its anonymized events. Rows reach a sink only after truncation and consent:
 * a sink never sees a full address, a raw user agent or a raw query string, so it may batch, retry and log
 * freely.
 *
 * Two adapters: locally, rows are batched into `events/` as Parquet objects whose key carries the batch id
 * (adapters/local/event-sink.ts); on AWS, each invocation's rows are delivered to Firehose, which batches them
 * into `events/` (adapters/aws/firehose-event-sink.ts; docs/COLLECTOR.md says why).
 */
export interface EventSinkStats {
  /** Rows taken by `write` since the sink was created. */
  readonly received: number;
  /** Rows durably written (an object in the lake, or acknowledged by the delivery service). */
  readonly written: number;
  /** Rows held and not yet written (buffered, or waiting for a retry). */
  readonly pending: number;
  /** Batches (objects or service calls) written. */
  readonly batches: number;
  /** Write attempts that failed and were (or will be) retried. */
  readonly failedAttempts: number;
}

export interface EventSink {
  /**
   * Takes rows. Resolves once the sink holds them: buffered in memory for a batching sink, acknowledged by the
   * delivery service for a direct one. Rejects with {@link EventSinkUnavailableError} when the rows cannot be
   * taken now (buffer full, service down after retries, sink closed): nothing of them is kept, and the caller
   * answers 503 so the client may send again.
   */
  write(rows: readonly EventRow[]): Promise<void>;
  /** Writes everything held so far; resolves when it is durable. A failure keeps the rows for a retry. */
  flush(): Promise<void>;
  /** Stops taking rows, then writes everything held, retrying failures; releases timers and connections. */
  close(): Promise<void>;
  stats(): EventSinkStats;
}

/** The sink cannot take rows now. The message is fixed text: it never carries a row. */
export class EventSinkUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EventSinkUnavailableError";
  }
}
