import { DAY_MS, HOUR_MS } from "../time.ts";
import { ZONES, type Zone } from "../zones.ts";

/**
 * Reads the time a lake key describes from the key itself: its zone, and the start of its Hive partition
 * (`dt=YYYY-MM-DD/` and, in hourly zones, `hour=HH/`). For `incoming/`, whose keys are the names log
 * deliverers give their files, the hour written into the file name is read as well (CloudFront standard logs
 * `<dist>.YYYY-MM-DD-HH.<id>.gz`, ALB `..._YYYYMMDDTHHMMZ_...`), so a file delivered late is not kept longer than
 * the accesses it holds.
 */

export interface KeyTime {
  readonly zone: Zone;
  /** Start of the partition (or the time the file name states), epoch ms; null when the key carries no time. */
  readonly describedFrom: number | null;
  /** Length of the partition: 1 h for `hour=HH`, 24 h for `dt=` alone; null when there is none. */
  readonly spanMs: number | null;
}

/** The zone a key belongs to (its first segment), or null for keys outside every zone. */
export function zoneOf(key: string): Zone | null {
  const slash = key.indexOf("/");
  if (slash <= 0) return null;
  const first = key.slice(0, slash);
  return (ZONES as readonly string[]).includes(first) ? (first as Zone) : null;
}

/** Epoch ms of `YYYY-MM-DD` at 00:00 UTC, or null when it is not a real calendar day. */
export function dayStart(day: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return ms;
}

/** The partition start of a key: `dt=` (any depth, e.g. `stats/<rollup>/dt=…/`) and an optional `hour=` after it. */
function partitionTime(segments: readonly string[]): { from: number; span: number } | null {
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] ?? "";
    if (!segment.startsWith("dt=")) continue;
    const day = dayStart(segment.slice(3));
    if (day === null) return null;
    const next = segments[i + 1] ?? "";
    const hour = /^hour=(\d{2})$/.exec(next);
    if (hour !== null && i + 1 < segments.length - 1) {
      const h = Number(hour[1]);
      if (h > 23) return null;
      return { from: day + h * HOUR_MS, span: HOUR_MS };
    }
    return { from: day, span: DAY_MS };
  }
  return null;
}

/** The hour a log deliverer wrote into a file name, or null. */
export function fileNameTime(name: string): number | null {
  // CloudFront standard logs: E2EXAMPLE.2026-11-20-13.a1b2c3d4.gz (the hour the entries are for, UTC).
  const cloudfront = /\.(\d{4}-\d{2}-\d{2})-(\d{2})\.[^/]*$/.exec(name);
  if (cloudfront !== null) {
    const day = dayStart(cloudfront[1] ?? "");
    const h = Number(cloudfront[2]);
    if (day !== null && h <= 23) return day + h * HOUR_MS;
  }
  // ALB: ..._20261120T1305Z_... (the end of the five-minute interval; its entries may start an hour earlier
  // when a request took long, so the hour before is taken).
  const alb = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(name);
  if (alb !== null) {
    const day = dayStart(`${alb[1]}-${alb[2]}-${alb[3]}`);
    const h = Number(alb[4]);
    const min = Number(alb[5]);
    if (day !== null && h <= 23 && min <= 59) return day + h * HOUR_MS + min * 60_000 - HOUR_MS;
  }
  return null;
}

/** Zone and described time of a key; null for keys outside every zone. */
export function keyTime(key: string): KeyTime | null {
  const zone = zoneOf(key);
  if (zone === null) return null;
  const segments = key.split("/");
  const partition = partitionTime(segments);
  let describedFrom = partition?.from ?? null;
  if (zone === "incoming") {
    const named = fileNameTime(segments[segments.length - 1] ?? "");
    if (named !== null) describedFrom = describedFrom === null ? named : Math.min(describedFrom, named);
  }
  return { zone, describedFrom, spanMs: partition?.span ?? null };
}
