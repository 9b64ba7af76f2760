/**
 * Timestamps to UTC epoch milliseconds, parsed by hand (no Date.parse per line).
 * Every function returns NaN when the text is not a valid timestamp of its kind; callers reject
 * the line as `bad_timestamp`. Years outside 1970–9999 are out of range.
 */

const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * One decimal digit; a non-digit gives a negative sentinel large enough that every 2- or 4-digit number built
 * from it is negative (-10000 * 10 + 9 < 0, 9 * 10 - 10000 < 0, 99 * 100 + (90 - 10000) < 0), and small enough
 * to stay a small integer.
 */
function d1(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -10000;
}
function d2(s: string, i: number): number {
  return d1(s, i) * 10 + d1(s, i + 1);
}
function d4(s: string, i: number): number {
  return d2(s, i) * 100 + d2(s, i + 2);
}

function daysInMonth(year: number, month0: number): number {
  if (month0 === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month0 === 3 || month0 === 5 || month0 === 8 || month0 === 10 ? 30 : 31;
}

/** Validated civil date and time (UTC) to epoch ms; NaN when a field is out of range. A leap second 60 counts as 59. */
export function civilToMs(
  year: number,
  month0: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  if (year < MIN_YEAR || year > MAX_YEAR || month0 < 0 || month0 > 11) return Number.NaN;
  if (day < 1 || day > daysInMonth(year, month0)) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return Number.NaN;
  return Date.UTC(year, month0, day, hour, minute, second === 60 ? 59 : second, ms);
}

/** A zone offset `+hhmm`, `-hh:mm` or `+hh` starting at `i` and ending at `end`, in minutes; NaN when invalid. */
function offsetMinutes(s: string, i: number, end: number): number {
  const sign = s.charCodeAt(i);
  if (sign !== 43 && sign !== 45) return Number.NaN;
  const len = end - i;
  let h: number;
  let m: number;
  if (len === 5) {
    h = d2(s, i + 1);
    m = d2(s, i + 3);
  } else if (len === 6 && s.charCodeAt(i + 3) === 58) {
    h = d2(s, i + 1);
    m = d2(s, i + 4);
  } else if (len === 3) {
    h = d2(s, i + 1);
    m = 0;
  } else return Number.NaN;
  if (h < 0 || h > 18 || m < 0 || m > 59) return Number.NaN;
  const total = h * 60 + m;
  return sign === 45 ? -total : total;
}

/**
 * The CLF / Apache `%t` / nginx `$time_local` form, `10/Oct/2000:13:55:36 -0700` (26 characters),
 * read from `s` between `start` and `end`.
 */
export function parseClfTime(s: string, start = 0, end = s.length): number {
  if (end - start !== 26) return Number.NaN;
  const i = start;
  if (
    s.charCodeAt(i + 2) !== 47 ||
    s.charCodeAt(i + 6) !== 47 ||
    s.charCodeAt(i + 11) !== 58 ||
    s.charCodeAt(i + 14) !== 58 ||
    s.charCodeAt(i + 17) !== 58 ||
    s.charCodeAt(i + 20) !== 32
  )
    return Number.NaN;
  const month0 = MONTHS[s.slice(i + 3, i + 6)];
  if (month0 === undefined) return Number.NaN;
  const off = offsetMinutes(s, i + 21, end);
  if (Number.isNaN(off)) return Number.NaN;
  const local = civilToMs(d4(s, i + 7), month0, d2(s, i), d2(s, i + 12), d2(s, i + 15), d2(s, i + 18), 0);
  return local - off * 60_000;
}

/** Milliseconds from a fraction of a second `.123456` starting at the dot; returns [ms, index after]. */
function readFraction(s: string, i: number, end: number): [number, number] {
  let j = i + 1;
  let ms = 0;
  let n = 0;
  while (j < end) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) break;
    if (n < 3) ms = ms * 10 + d;
    n++;
    j++;
  }
  if (n === 0) return [Number.NaN, j];
  while (n < 3) {
    ms *= 10;
    n++;
  }
  return [ms, j];
}

/**
 * ISO 8601 / RFC 3339 as written by ALB, Traefik, nginx `$time_iso8601` and JSON loggers:
 * `2018-07-02T22:23:00.186641Z`, `2013-10-10T16:52:00+02:00`, `2023-08-11 11:41:25` (no zone = UTC).
 */
export function parseIsoTime(s: string): number {
  const end = s.length;
  if (end < 19 || end > 40) return Number.NaN;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return Number.NaN;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Number.NaN;
  let i = 19;
  let ms = 0;
  if (i < end && s.charCodeAt(i) === 46) {
    const [f, j] = readFraction(s, i, end);
    if (Number.isNaN(f)) return Number.NaN;
    ms = f;
    i = j;
  }
  let off = 0;
  if (i < end) {
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
      if (i + 1 !== end) return Number.NaN;
    } else {
      off = offsetMinutes(s, i, end);
      if (Number.isNaN(off)) return Number.NaN;
    }
  }
  const t = civilToMs(d4(s, 0), d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14), d2(s, 17), ms);
  return t - off * 60_000;
}

/** W3C extended log `date` (`2019-12-04`) and `time` (`21:02:31` or `17:00:00.363`) columns, both UTC. */
export function parseW3cDateTime(date: string, time: string): number {
  if (date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) return Number.NaN;
  const tl = time.length;
  if (tl < 8 || time.charCodeAt(2) !== 58 || time.charCodeAt(5) !== 58) return Number.NaN;
  let ms = 0;
  if (tl > 8) {
    if (time.charCodeAt(8) !== 46) return Number.NaN;
    const [f, j] = readFraction(time, 8, tl);
    if (Number.isNaN(f) || j !== tl) return Number.NaN;
    ms = f;
  }
  return civilToMs(d4(date, 0), d2(date, 5) - 1, d2(date, 8), d2(time, 0), d2(time, 3), d2(time, 6), ms);
}

/** Smallest and largest epoch milliseconds we accept (1970-01-01 to 9999-12-31). */
const MAX_MS = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);

/**
 * An epoch number of unknown unit, as JSON loggers write it (Caddy `ts` in seconds, `msec`, Java-style
 * milliseconds, Go nanoseconds): seconds below 1e11, milliseconds below 1e14, microseconds below 1e17,
 * nanoseconds above. NaN when negative, not finite or out of range.
 */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n) || n < 0) return Number.NaN;
  let ms: number;
  if (n < 1e11) ms = n * 1000;
  else if (n < 1e14) ms = n;
  else if (n < 1e17) ms = n / 1000;
  else ms = n / 1e6;
  ms = Math.floor(ms);
  return ms > MAX_MS ? Number.NaN : ms;
}

/**
 * CLF timestamps with a cache for the hot path: the last day and zone (`20/May/2015`, `+0000`) and the epoch of
 * that local midnight, so that a line of the same day (nearly every line) costs 20 character reads and six
 * digit reads instead of a calendar computation. One instance per parser (per input).
 *
 * The fixed characters (day, month, year, separators, zone) are packed two per 32-bit word (16 bits each, so
 * the packing is exact for any UTF-16 input) and compared with the words of the last valid timestamp.
 */
export class ClfTimeCache {
  private w0 = -1;
  private w1 = -1;
  private w2 = -1;
  private w3 = -1;
  private w4 = -1;
  private w5 = -1;
  private w6 = -1;
  private w7 = -1;
  private w8 = -1;
  private w9 = -1;
  private valid = false;
  /** Epoch ms of local midnight of the cached day in the cached zone. */
  private dayBaseMs = 0;

  parse(s: string, start: number, end: number): number {
    if (end - start !== 26) return Number.NaN;
    const i = start;
    const w0 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    const w1 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16);
    const w2 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16);
    const w3 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16);
    const w4 = s.charCodeAt(i + 8) | (s.charCodeAt(i + 9) << 16);
    const w5 = s.charCodeAt(i + 10) | (s.charCodeAt(i + 11) << 16);
    const w6 = s.charCodeAt(i + 14) | (s.charCodeAt(i + 17) << 16);
    const w7 = s.charCodeAt(i + 20) | (s.charCodeAt(i + 21) << 16);
    const w8 = s.charCodeAt(i + 22) | (s.charCodeAt(i + 23) << 16);
    const w9 = s.charCodeAt(i + 24) | (s.charCodeAt(i + 25) << 16);
    const h = d2(s, i + 12);
    const m = d2(s, i + 15);
    const sec = d2(s, i + 18);
    if (
      this.valid &&
      w0 === this.w0 &&
      w1 === this.w1 &&
      w2 === this.w2 &&
      w3 === this.w3 &&
      w4 === this.w4 &&
      w5 === this.w5 &&
      w6 === this.w6 &&
      w7 === this.w7 &&
      w8 === this.w8 &&
      w9 === this.w9
    ) {
      if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return Number.NaN;
      return this.dayBaseMs + h * 3_600_000 + m * 60_000 + (sec === 60 ? 59 : sec) * 1000;
    }
    const ms = parseClfTime(s, start, end);
    if (Number.isNaN(ms)) return Number.NaN;
    this.w0 = w0;
    this.w1 = w1;
    this.w2 = w2;
    this.w3 = w3;
    this.w4 = w4;
    this.w5 = w5;
    this.w6 = w6;
    this.w7 = w7;
    this.w8 = w8;
    this.w9 = w9;
    this.dayBaseMs = ms - (h * 3600 + m * 60 + (sec === 60 ? 59 : sec)) * 1000;
    this.valid = true;
    return ms;
  }
}

/**
 * A cache's miss (a new day, or the first line) calls parseClfTime; after the first line of a run that happens only
 * when the day changes, long after V8 has optimized the parsers that inline {@link ClfTimeCache.parse}, which then
 * had no type feedback for the call and threw that code away when the first new day came. V8 records feedback only
 * once a function has run a few times (its feedback vector is allocated lazily), hence misses here, at load.
 */
const warmUp = new ClfTimeCache();
for (let i = 0; i < 16; i++)
  warmUp.parse(i % 2 === 0 ? "10/Oct/2000:13:55:36 -0700" : "11/Oct/2000:13:55:36 -0700", 0, 26);
