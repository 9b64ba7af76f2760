import { DAY_MS, HOUR_MS } from "../time.ts";

/**
 * The security chart's hours: the rows of `security.requestsOverTime` / `security.addressOverTime` (one per hour
 * that had a request) laid on every hour of the chosen days, up to the current hour. An hour without a row had no
 * request, so it is a zero, not a gap (unlike the marketing chart, whose missing days are k-suppressed). Bundled
 * into the page; no I/O, the caller passes the time.
 */

export interface HourlyRow {
  readonly hour?: unknown;
  readonly requests?: unknown;
  readonly status_4xx?: unknown;
  readonly status_5xx?: unknown;
}

export interface HourlySeries {
  /** The start of each hour, epoch seconds (what uPlot's time scale takes). */
  readonly hours: readonly number[];
  readonly requests: readonly number[];
  readonly status4xx: readonly number[];
  readonly status5xx: readonly number[];
  readonly totals: { readonly requests: number; readonly status4xx: number; readonly status5xx: number };
}

const count = (value: unknown): number => {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
};

/** Every hour from `from` 00:00 UTC to the end of `to`, but not past the hour holding `nowMs`. */
export function hourlySeries(
  rows: readonly HourlyRow[],
  range: { readonly from: string; readonly to: string },
  nowMs: number,
): HourlySeries {
  const start = Date.parse(`${range.from}T00:00:00Z`);
  const end = Math.min(
    Date.parse(`${range.to}T00:00:00Z`) + DAY_MS,
    Math.floor(nowMs / HOUR_MS) * HOUR_MS + HOUR_MS,
  );
  const byHour = new Map<number, HourlyRow>();
  for (const row of rows) {
    const ms = Date.parse(String(row.hour));
    if (Number.isFinite(ms)) byHour.set(Math.floor(ms / HOUR_MS) * HOUR_MS, row);
  }
  const hours: number[] = [];
  const requests: number[] = [];
  const status4xx: number[] = [];
  const status5xx: number[] = [];
  for (let ms = start; ms < end; ms += HOUR_MS) {
    const row = byHour.get(ms);
    hours.push(ms / 1000);
    requests.push(count(row?.requests));
    status4xx.push(count(row?.status_4xx));
    status5xx.push(count(row?.status_5xx));
  }
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  return {
    hours,
    requests,
    status4xx,
    status5xx,
    totals: { requests: sum(requests), status4xx: sum(status4xx), status5xx: sum(status5xx) },
  };
}
