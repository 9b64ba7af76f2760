import { DAY_MS } from "../time.ts";
import { isIsoDay } from "./query-file.ts";

/**
 * What travels on the aggregate queue (AWS), and when a request needs work. Pure: times are given, not read.
 *
 * The queue is FIFO with the day as message group, so Lambda never runs two batches of one day at once; the
 * aggregate function takes a batch apart by day and works on each day once. Requests:
 *
 * - `ingest`: ingestion wrote events of `day` and finished writing before `sentAt`;
 * - `schedule`: the catch-up, every aggregation interval (collector events arrive through Firehose, which announces
 *   nothing; days deferred since);
 * - `compact`: the hourly compaction of `day`'s events/ objects.
 *
 * Coalescing: a recompute of a day records when it started reading (`startedAt`). A later `ingest` or `schedule`
 * request whose `sentAt` is at least {@link CLOCK_MARGIN_MS} before that start asks for nothing new — every event
 * it announces was written before the recompute read the day — so it is acknowledged without work. So a burst of
 * files for one day is recomputed once per batch at most, and once in all when the burst has been sent before the
 * recompute starts. `sentAt` and `startedAt` are read from the clocks of two Lambda environments; the margin
 * covers their disagreement (Lambda's clocks follow the Amazon Time Sync Service, whose error is far below it). A
 * request that is not sure to be covered is recomputed: coalescing may only ever save work, never skip it.
 *
 * Rate: files arriving all day would keep a day recomputing back to back (each recompute started before the next
 * file). So a day is recomputed from ingestion's requests at most once per interval; requests in between mark it
 * pending, and the catch-up, which runs every interval, asks for every pending day (see {@link workFor}).
 */

export type RequestReason = "ingest" | "schedule" | "compact";

export interface AggregateRequest {
  readonly day: string;
  /** Epoch ms by the sender's clock, after everything it announces was written. */
  readonly sentAt: number;
  readonly why: RequestReason;
}

/** The input of the hourly compaction schedule (infra/ sets it; the aggregate handler reads it). */
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
  /** Recompute the rollups now. */
  readonly recompute: boolean;
  /**
   * Recompute later: ingestion announced new events, but the day was recomputed less than the minimum interval
   * ago. The day is marked pending; the next catch-up (every interval) asks for it.
   */
  readonly defer: boolean;
  /** Compact the day's events/ objects fully (a compact request). */
  readonly compact: boolean;
  /** Requests acknowledged without work (covered by the last recompute). */
  readonly covered: number;
}

/**
 * The work a day's requests ask for. A request sent after the last recompute started (less the clock margin) is
 * new work: a catch-up request is done now; ingestion's are done now unless the last recompute started less than
 * `minIntervalMs` before `now`, then deferred to the next catch-up — so a day that receives files all day long is
 * recomputed once per interval, not back to back.
 */
export function workFor(
  requests: readonly AggregateRequest[],
  state: DayState | null,
  now: number,
  minIntervalMs: number,
): DayWork {
  let fresh = false;
  let scheduled = false;
  let covered = 0;
  for (const request of requests) {
    if (request.why === "compact") continue;
    if (state !== null && request.sentAt <= state.startedAt - CLOCK_MARGIN_MS) {
      covered++;
      continue;
    }
    if (request.why === "schedule") scheduled = true;
    else fresh = true;
  }
  const recentlyDone = state !== null && now - state.startedAt < minIntervalMs;
  const recompute = scheduled || (fresh && !recentlyDone);
  return {
    recompute,
    defer: fresh && !recompute,
    compact: requests.some((r) => r.why === "compact"),
    covered,
  };
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

/**
 * Where a deferred day is remembered until the next catch-up: one small object per day under `events/_pending/`
 * (outside every partition Athena or DuckDB reads; swept with the day's events).
 */
export function pendingKey(day: string): string {
  return `${PENDING_PREFIX}dt=${day}/pending.json`;
}

export const PENDING_PREFIX = "events/_pending/";

/** The day a pending marker stands for, or null for another key. */
export function dayOfPendingKey(key: string): string | null {
  const match = /^events\/_pending\/dt=(\d{4}-\d{2}-\d{2})\/pending\.json$/.exec(key);
  return match !== null && isIsoDay(match[1] as string) ? (match[1] as string) : null;
}

/** Hours after midnight (UTC) during which the catch-up still asks for yesterday (Firehose's last buffers). */
export const YESTERDAY_CATCH_UP_HOURS = 3;

/**
 * The days a catch-up asks for: today (collector events arrive through Firehose, which announces nothing), yesterday
 * during the first hours of the day (the last buffers of the day before), and every pending day.
 */
export function catchUpDays(nowMs: number, pending: readonly string[]): string[] {
  const days = new Set(pending);
  days.add(new Date(nowMs).toISOString().slice(0, 10));
  if (new Date(nowMs).getUTCHours() < YESTERDAY_CATCH_UP_HOURS) {
    days.add(new Date(nowMs - DAY_MS).toISOString().slice(0, 10));
  }
  return [...days].sort();
}

/**
 * The days the hourly compaction asks for: today and yesterday (so the rollups read an hour's new objects at most,
 * not a day's: Athena pays requests per object), and the day before during the first hours of the day (late files).
 * A day with nothing new costs a listing and its manifest.
 */
export function compactionDays(nowMs: number): string[] {
  const days = [
    new Date(nowMs - DAY_MS).toISOString().slice(0, 10),
    new Date(nowMs).toISOString().slice(0, 10),
  ];
  if (new Date(nowMs).getUTCHours() < YESTERDAY_CATCH_UP_HOURS) {
    days.unshift(new Date(nowMs - 2 * DAY_MS).toISOString().slice(0, 10));
  }
  return days;
}
