import type { LogsieveConfig } from "../config.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";
import type { Zone } from "../zones.ts";

/**
 * How long each zone keeps a version, from `config.retention`, and the instant a version expires.
 *
 * The age of a version is measured from the EARLIEST of:
 *   - the start of the partition its key names (`dt=` and, in hourly zones, `hour=`), which is the earliest
 *     access any record in it can describe;
 *   - for `incoming/`, the hour a log deliverer wrote into the file name (see partition.ts);
 *   - the time the version was written (`lastModified`), so that an object whose partition lies in the future (a
 *     log with a wrong clock) or whose key carries no time is still bounded;
 *   - for `salts/`, the salt's own `createdAt`.
 * A version is expired when `now ≥ origin + age` (for months: the same day and time `statsMonths` calendar
 * months later, clamped to the month's last day).
 *
 * Why the partition START: a record of 10:59 in `hour=10` describes an access at 10:59 ≥ 10:00, so when the
 * partition expires at 10:00 + 168 h no record in it is older than 168 h; the first hourly sweep at or after that
 * instant deletes it, so no record outlives 168 h after its access by more than one sweep period. Measuring from
 * the partition's END (11:00) would keep a record of 10:00 until 169 h plus the sweep period. The price is that
 * the last records of an hour may go up to one hour early (kept ≥ 167 h): the promise is "at most seven days".
 */

export type AgeLimit =
  | { readonly unit: "ms"; readonly ms: number }
  | { readonly unit: "months"; readonly months: number }
  /** Not swept by age (evidence: kept while its incident's hold is active). */
  | { readonly unit: "never" };

export type RetentionRules = Readonly<Record<Zone, AgeLimit>>;

/** The age limit of every zone from the configuration. */
export function retentionRules(retention: LogsieveConfig["retention"]): RetentionRules {
  return {
    incoming: { unit: "ms", ms: retention.incomingHours * HOUR_MS },
    security: { unit: "ms", ms: retention.securityHours * HOUR_MS },
    rejects: { unit: "ms", ms: retention.rejectsHours * HOUR_MS },
    events: { unit: "ms", ms: retention.eventsDays * DAY_MS },
    stats: { unit: "months", months: retention.statsMonths },
    salts: { unit: "ms", ms: retention.saltHours * HOUR_MS },
    // A checkpoint guards against counting its stream twice: it must outlive the events its lines became (a copy
    // delivered later would otherwise add to them). Counted from its last update.
    checkpoints: { unit: "ms", ms: retention.eventsDays * DAY_MS },
    evidence: { unit: "never" },
  };
}

/** The same instant `months` calendar months later (UTC), the day clamped to the target month's length. */
export function addUtcMonths(epochMs: number, months: number): number {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(
    year,
    month,
    day,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** The instant a version whose age counts from `origin` expires under `limit`; null for "never". */
export function expiresAt(origin: number, limit: AgeLimit): number | null {
  switch (limit.unit) {
    case "ms":
      return origin + limit.ms;
    case "months":
      return addUtcMonths(origin, limit.months);
    case "never":
      return null;
  }
}

/** A short, human description of a limit, for reports ("168 h", "90 d", "25 months"). */
export function describeLimit(limit: AgeLimit): string {
  switch (limit.unit) {
    case "ms":
      // Hours up to a week (the raw zones' promise is written in hours), whole days beyond.
      return limit.ms % DAY_MS === 0 && limit.ms > 7 * DAY_MS
        ? `${limit.ms / DAY_MS} d`
        : `${limit.ms / HOUR_MS} h`;
    case "months":
      return `${limit.months} months`;
    case "never":
      return "until released";
  }
}
