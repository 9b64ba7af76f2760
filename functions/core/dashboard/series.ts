import { DAY_MS } from "../time.ts";
/**
 * The chart's buckets: the daily rows of `dashboard.timeseries` added up per day, ISO week (Monday first) or
 * calendar month, all UTC. Only adding up, never splitting: the k-suppressed `(other)` row (quiet days) belongs to
 * no bucket and is reported beside the series. Bundled into the page; no I/O.
 */

export type Granularity = "day" | "week" | "month";

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function shiftDay(day: string, days: number): string {
  return dayOf(dayMs(day) + days * DAY_MS);
}

/** The Monday of the ISO week of a day. */
export function weekOf(day: string): string {
  const weekday = (new Date(dayMs(day)).getUTCDay() + 6) % 7;
  return shiftDay(day, -weekday);
}

/** A day's bucket: the day, its week's Monday, or `YYYY-MM`. */
export function bucketOf(day: string, granularity: Granularity): string {
  if (granularity === "week") return weekOf(day);
  if (granularity === "month") return day.slice(0, 7);
  return day;
}

/** The buckets a range touches, in order (a week or month cut by the range is still one bucket). */
export function bucketsOf(from: string, to: string, granularity: Granularity): string[] {
  const keys: string[] = [];
  for (let day = from; day <= to; day = shiftDay(day, 1)) {
    const key = bucketOf(day, granularity);
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  return keys;
}

export interface BucketSeries {
  readonly keys: readonly string[];
  /** The sum per bucket; null where no day of the bucket has a row (a gap, not a zero). */
  readonly values: readonly (number | null)[];
  /** What the `(other)` row holds: days with fewer than k visitors, counted in totals only. */
  readonly folded: number;
}

export function bucketSeries(
  rows: readonly Readonly<Record<string, unknown>>[],
  range: { readonly from: string; readonly to: string },
  granularity: Granularity,
  metric: string,
): BucketSeries {
  const keys = bucketsOf(range.from, range.to, granularity);
  const sums = new Map<string, number>();
  let folded = 0;
  for (const row of rows) {
    const value = Number(row[metric] ?? 0) || 0;
    const day = String(row.day);
    if (day === "(other)") {
      folded += value;
      continue;
    }
    const key = bucketOf(day, granularity);
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return { keys, values: keys.map((k) => sums.get(k) ?? null), folded };
}
