import { DAY_MS } from "../time.ts";
import { isIsoDay } from "./query-file.ts";

/**
 * What travels on the aggregate queue (AWS), and when a request needs work. Pure: times are given, not read.
 *
 * The queue is FIFO with the day as message group, so Lambda never runs two batches of one day at once; the
 * aggregate function takes a batch apart by day and works on each day once. Requests:
 *
 * - `ingest`: ingestion wrote events of `day` and finished writing before `sentAt`;
 * - `schedule`: the hourly catch-up (collector events arrive through Firehose, which announces nothing);
 * - `compact`: the daily compaction of `day`'s events/ objects.
 *
 * Coalescing: a recompute of a day records when it started reading (`startedAt`). A later `ingest` or `schedule`
 * request whose `sentAt` is at least {@link CLOCK_MARGIN_MS} before that start asks for nothing new — every event
 * it announces was written before the recompute read the day — so it is acknowledged without work. So a burst of
 * files for one day is recomputed once per batch at most, and once in all when the burst has been sent before the
 * recompute starts. `sentAt` and `startedAt` are read from the clocks of two Lambda environments; the margin
 * covers their disagreement (Lambda's clocks follow the Amazon Time Sync Service, whose error is far below it). A
 * request that is not sure to be covered is recomputed: coalescing may only ever save work, never skip it.
 */

export type RequestReason = "ingest" | "schedule" | "compact";

export interface AggregateRequest {
  readonly day: string;
  /** Epoch ms by the sender's clock, after everything it announces was written. */
  readonly sentAt: number;
  readonly why: RequestReason;
}

/** The input of the daily compaction schedule (infra/ sets it; the aggregate handler reads it). */
export const COMPACT_EVENT = { logsieve: "compact" } as const;

/** How far apart two Lambda environments' clocks may be, at most, for the coalescing rule. */
export const CLOCK_MARGIN_MS = 2_000;

/** What the aggregate function has done for a day: stored next to the day's events (`_aggregated.json`). */
export interface DayState {
  readonly version: 1;
  /** When the last successful recompute started reading the day's events (epoch ms, aggregate's clock). */
  readonly startedAt: number;
}

export class AggregateRequestError extends Error {
  override readonly name = "AggregateRequestError";
}

/** The message body of a request (the dedup id is its digest, so identical requests collapse). */
export function requestBody(request: AggregateRequest): string {
  return JSON.stringify({ day: request.day, sentAt: request.sentAt, why: request.why });
}

/**
 * The requests in a message body. `sentTimestamp` (SQS's SentTimestamp) stands in for `sentAt` in the older
 * `{"days": [...]}` form, which asks for a recompute of each day.
 */
export function parseRequests(body: string, sentTimestamp: number): AggregateRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AggregateRequestError("an aggregate request is JSON");
  }
  const message = (parsed ?? {}) as { day?: unknown; days?: unknown; sentAt?: unknown; why?: unknown };
  if (Array.isArray(message.days)) {
    const days = message.days.map((d) => checkDay(d));
    return days.map((day) => ({ day, sentAt: sentTimestamp, why: "ingest" }));
  }
  const why = message.why ?? "ingest";
  if (why !== "ingest" && why !== "schedule" && why !== "compact") {
    throw new AggregateRequestError('an aggregate request\'s "why" is ingest, schedule or compact');
  }
  const sentAt = message.sentAt ?? sentTimestamp;
  if (typeof sentAt !== "number" || !Number.isSafeInteger(sentAt)) {
    throw new AggregateRequestError('an aggregate request\'s "sentAt" is epoch milliseconds');
  }
  return [{ day: checkDay(message.day), sentAt, why }];
}

function checkDay(value: unknown): string {
  if (typeof value !== "string" || !isIsoDay(value)) {
    throw new AggregateRequestError('an aggregate request names a "day" as YYYY-MM-DD');
  }
  return value;
}

/** What a batch's requests for one day ask for, given what was done before. */
export interface DayWork {
  /** Recompute the rollups (some ingest or schedule request is not covered by the last recompute). */
  readonly recompute: boolean;
  /** Compact the day's events/ objects fully (a compact request). */
  readonly compact: boolean;
  /** Requests acknowledged without work (covered by the last recompute). */
  readonly covered: number;
}

export function workFor(requests: readonly AggregateRequest[], state: DayState | null): DayWork {
  let recompute = false;
  let covered = 0;
  for (const request of requests) {
    if (request.why === "compact") continue;
    if (state !== null && request.sentAt <= state.startedAt - CLOCK_MARGIN_MS) covered++;
    else recompute = true;
  }
  return { recompute, compact: requests.some((r) => r.why === "compact"), covered };
}

/** The day state a recompute that started at `startedAt` leaves. */
export function stateAfterRecompute(startedAt: number): DayState {
  return { version: 1, startedAt };
}

export function parseDayState(text: string): DayState | null {
  try {
    const parsed = JSON.parse(text) as Partial<DayState>;
    return parsed.version === 1 && Number.isSafeInteger(parsed.startedAt) ? (parsed as DayState) : null;
  } catch {
    return null;
  }
}

/** Where a day's state lives: beside its events (`_` names are skipped by Athena, DuckDB's globs and compaction). */
export function dayStateKey(day: string): string {
  return `events/dt=${day}/_aggregated.json`;
}

/** The days an hourly catch-up asks for: yesterday and today (UTC), so late data of the last day is included. */
export function catchUpDays(nowMs: number): string[] {
  return [new Date(nowMs - DAY_MS).toISOString().slice(0, 10), new Date(nowMs).toISOString().slice(0, 10)];
}

/** The days the daily compaction asks for: the two days before today, closed by then save for late files. */
export function compactionDays(nowMs: number): string[] {
  return [
    new Date(nowMs - 2 * DAY_MS).toISOString().slice(0, 10),
    new Date(nowMs - DAY_MS).toISOString().slice(0, 10),
  ];
}
