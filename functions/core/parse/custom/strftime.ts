/**
 * Time formats written with strftime specifiers (`%d/%b/%Y:%H:%M:%S %z`), compiled once into a scanner that reads a
 * timestamp from a line at a given position and says where it ends. Used by Apache's `%{format}t` and by GoAccess's
 * `--date-format`, `--time-format` and `--datetime-format`.
 *
 * The scanner reads the line left to right, once, one specifier after the other: no regular expression, no
 * backtracking. A number takes at most its specifier's width in digits; a month or weekday name is matched against a
 * fixed list. A time without `%z` (or a `%Z` of UTC/GMT) is UTC: logsieve never guesses a server's local zone.
 */

import { civilToMs } from "../time.ts";
import { FormatError } from "./errors.ts";

/** The components of one timestamp, filled by one or more scanners (GoAccess reads date and time apart). */
export class TimeParts {
  year = -1;
  month0 = -1;
  day = -1;
  hour = -1;
  minute = -1;
  second = -1;
  ms = 0;
  /** 12-hour clock: -1 not given, 0 AM, 1 PM. */
  pm = -1;
  /** Minutes east of UTC; NaN when the format has no zone (UTC is assumed). */
  offsetMin = Number.NaN;
  /** Epoch milliseconds when the format gives an epoch (`%s`); NaN otherwise. */
  epochMs = Number.NaN;

  reset(): void {
    this.year = -1;
    this.month0 = -1;
    this.day = -1;
    this.hour = -1;
    this.minute = -1;
    this.second = -1;
    this.ms = 0;
    this.pm = -1;
    this.offsetMin = Number.NaN;
    this.epochMs = Number.NaN;
  }

  // The last day seen and the epoch of its midnight in its zone: consecutive lines nearly always share their day.
  private cachedYear = -1;
  private cachedMonth0 = -1;
  private cachedDay = -1;
  private cachedOffset = Number.NaN;
  private cachedMidnightMs = 0;

  /** UTC epoch milliseconds, or NaN when a component is missing or out of range. */
  toMs(): number {
    if (!Number.isNaN(this.epochMs)) return this.epochMs;
    let hour = this.hour;
    if (this.pm >= 0) {
      if (hour < 1 || hour > 12) return Number.NaN;
      hour = (hour % 12) + (this.pm === 1 ? 12 : 0);
    }
    const second = Math.max(this.second, 0);
    if (hour < 0 || hour > 23 || this.minute < 0 || this.minute > 59 || second > 60) return Number.NaN;
    const offset = Number.isNaN(this.offsetMin) ? 0 : this.offsetMin;
    if (
      this.year !== this.cachedYear ||
      this.month0 !== this.cachedMonth0 ||
      this.day !== this.cachedDay ||
      offset !== this.cachedOffset
    ) {
      if (this.year < 0 || this.month0 < 0 || this.day < 0) return Number.NaN;
      const midnight = civilToMs(this.year, this.month0, this.day, 0, 0, 0, 0);
      if (Number.isNaN(midnight)) return Number.NaN;
      this.cachedYear = this.year;
      this.cachedMonth0 = this.month0;
      this.cachedDay = this.day;
      this.cachedOffset = offset;
      this.cachedMidnightMs = midnight - offset * 60_000;
    }
    // A leap second 60 counts as 59, as everywhere else.
    return (
      this.cachedMidnightMs +
      hour * 3_600_000 +
      this.minute * 60_000 +
      (second === 60 ? 59 : second) * 1000 +
      this.ms
    );
  }
}

/** What a compiled time format provides, so a log format can tell whether date and time are both there. */
export interface TimeCoverage {
  readonly date: boolean;
  readonly time: boolean;
}

/** A compiled time format: reads from `line` at `pos` into `parts`; returns the index after it, or -1. */
export interface TimeScanner extends TimeCoverage {
  readonly source: string;
  scan(line: string, pos: number, parts: TimeParts): number;
}

const OP = {
  LITERAL: 0,
  SPACE: 1,
  NUMBER: 2,
  MONTH_NAME: 3,
  WEEKDAY_NAME: 4,
  AM_PM: 5,
  ZONE_OFFSET: 6,
  ZONE_NAME: 7,
  EPOCH: 8,
  FRACTION: 9,
} as const;

/** Which component a NUMBER fills. */
const COMPONENT = {
  YEAR: 0,
  YEAR2: 1,
  MONTH: 2,
  DAY: 3,
  HOUR: 4,
  HOUR12: 5,
  MINUTE: 6,
  SECOND: 7,
} as const;

interface Op {
  readonly kind: number;
  readonly text?: string;
  readonly component?: number;
  readonly maxDigits?: number;
  /** For EPOCH: the factor from the unit to milliseconds. */
  readonly toMs?: number;
}

const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const WEEKDAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** Which specifiers a dialect reads beyond the common strftime set. */
export type TimeDialect = "strftime" | "goaccess";

const SHORTHANDS: Readonly<Record<string, string>> = {
  T: "%H:%M:%S",
  R: "%H:%M",
  D: "%m/%d/%y",
  F: "%Y-%m-%d",
  r: "%I:%M:%S %p",
};

/**
 * Compiles a strftime time format. Throws a {@link FormatError} naming the first specifier it cannot read.
 * `what` names the format in errors (e.g. `--date-format`).
 */
export function compileTimeFormat(source: string, dialect: TimeDialect, what: string): TimeScanner {
  // The formats nearly everyone writes get a scanner of fixed positions (same results, fewer steps per line).
  const fixed = FIXED_SCANNERS[source];
  if (fixed !== undefined) return fixed;
  const ops: Op[] = [];
  let date = false;
  let time = false;
  const expand = (fmt: string, depth: number): void => {
    let literal = "";
    const flush = () => {
      if (literal.length > 0) ops.push({ kind: OP.LITERAL, text: literal });
      literal = "";
    };
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i] as string;
      if (c === " " || c === "\t") {
        flush();
        // Like strptime, white space in the format matches any white space (none included) in the input.
        if (ops.at(-1)?.kind !== OP.SPACE) ops.push({ kind: OP.SPACE });
        continue;
      }
      if (c !== "%") {
        literal += c;
        continue;
      }
      let spec = fmt[i + 1];
      i++;
      // Glibc's flags and the E/O modifiers change nothing when reading.
      while (
        spec === "-" ||
        spec === "_" ||
        spec === "0" ||
        spec === "^" ||
        spec === "#" ||
        spec === "E" ||
        spec === "O"
      ) {
        i++;
        spec = fmt[i];
      }
      if (spec === undefined)
        throw new FormatError(`${what} ends with a lone %`, "write %% for a percent sign");
      if (spec === "%") {
        literal += "%";
        continue;
      }
      const short = SHORTHANDS[spec];
      if (short !== undefined && depth === 0) {
        flush();
        expand(short, 1);
        if (spec === "D" || spec === "F") date = true;
        else time = true;
        continue;
      }
      flush();
      switch (spec) {
        case "Y":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.YEAR, maxDigits: 4 });
          date = true;
          break;
        case "y":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.YEAR2, maxDigits: 2 });
          date = true;
          break;
        case "m":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.MONTH, maxDigits: 2 });
          date = true;
          break;
        case "d":
        case "e":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.DAY, maxDigits: 2 });
          date = true;
          break;
        case "b":
        case "h":
        case "B":
          ops.push({ kind: OP.MONTH_NAME });
          date = true;
          break;
        case "a":
        case "A":
          ops.push({ kind: OP.WEEKDAY_NAME });
          break;
        case "H":
        case "k":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.HOUR, maxDigits: 2 });
          time = true;
          break;
        case "I":
        case "l":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.HOUR12, maxDigits: 2 });
          time = true;
          break;
        case "M":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.MINUTE, maxDigits: 2 });
          break;
        case "S":
          ops.push({ kind: OP.NUMBER, component: COMPONENT.SECOND, maxDigits: 2 });
          break;
        case "p":
        case "P":
          ops.push({ kind: OP.AM_PM });
          break;
        case "z":
          ops.push({ kind: OP.ZONE_OFFSET });
          break;
        case "Z":
          ops.push({ kind: OP.ZONE_NAME });
          break;
        case "s":
          ops.push({ kind: OP.EPOCH, toMs: 1000 });
          date = true;
          time = true;
          break;
        case "f":
          if (dialect === "goaccess") {
            // GoAccess: a timestamp in microseconds.
            ops.push({ kind: OP.EPOCH, toMs: 0.001 });
            date = true;
            time = true;
          } else ops.push({ kind: OP.FRACTION });
          break;
        case "*":
          if (dialect !== "goaccess") throw unknownSpecifier(what, spec, source);
          // GoAccess: a timestamp in milliseconds.
          ops.push({ kind: OP.EPOCH, toMs: 1 });
          date = true;
          time = true;
          break;
        case "n":
        case "t":
          if (ops.at(-1)?.kind !== OP.SPACE) ops.push({ kind: OP.SPACE });
          break;
        default:
          throw unknownSpecifier(what, spec, source);
      }
    }
    flush();
  };
  expand(source, 0);
  if (ops.length === 0) throw new FormatError(`${what} is empty`, "give a format such as %d/%b/%Y");
  return new CompiledTime(source, ops, date, time);
}

function unknownSpecifier(what: string, spec: string, source: string): FormatError {
  return new FormatError(
    `${what} "${source}": %${spec} is not a time specifier logsieve reads`,
    "use %Y %y %m %d %e %b %B %a %H %I %M %S %p %z %Z %s, the shorthands %T %R %D %F, or %% for a percent sign" +
      " (GoAccess formats also %f for microsecond and %* for millisecond timestamps)",
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Case-insensitive match of `names` (full, or their first three letters) at `pos`: the index of the name, or -1.
 * Compares character codes, allocating nothing: a month name is read on every line.
 */
function matchName(line: string, pos: number, names: readonly string[]): number {
  let end = pos;
  while (end < line.length && end - pos < 12) {
    const c = line.charCodeAt(end) | 0x20;
    if (c < 97 || c > 122) break;
    end++;
  }
  const length = end - pos;
  if (length < 3) return -1;
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as string;
    if (length !== 3 && length !== name.length) continue;
    let same = true;
    for (let i = 0; i < length; i++) {
      if ((line.charCodeAt(pos + i) | 0x20) !== name.charCodeAt(i)) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return -1;
}

/** The number of letters at `pos` (at most 12), the length of the name matchName matched. */
function nameLength(line: string, pos: number): number {
  let end = pos;
  while (end < line.length && end - pos < 12) {
    const c = line.charCodeAt(end) | 0x20;
    if (c < 97 || c > 122) break;
    end++;
  }
  return end - pos;
}

class CompiledTime implements TimeScanner {
  constructor(
    readonly source: string,
    private readonly ops: readonly Op[],
    readonly date: boolean,
    readonly time: boolean,
  ) {}

  scan(line: string, start: number, parts: TimeParts): number {
    let pos = start;
    const len = line.length;
    for (const op of this.ops) {
      switch (op.kind) {
        case OP.LITERAL: {
          const text = op.text as string;
          if (!line.startsWith(text, pos)) return -1;
          pos += text.length;
          break;
        }
        case OP.SPACE:
          while (pos < len && (line.charCodeAt(pos) === 32 || line.charCodeAt(pos) === 9)) pos++;
          break;
        case OP.NUMBER: {
          // A padded day or hour (`%e`, `%k`) may start with a space.
          if (pos < len && line.charCodeAt(pos) === 32) pos++;
          const max = op.maxDigits as number;
          let n = 0;
          let digits = 0;
          while (digits < max && pos < len && isDigit(line.charCodeAt(pos))) {
            n = n * 10 + line.charCodeAt(pos) - 48;
            pos++;
            digits++;
          }
          if (digits === 0) return -1;
          switch (op.component) {
            case COMPONENT.YEAR:
              if (digits !== 4) return -1;
              parts.year = n;
              break;
            case COMPONENT.YEAR2:
              // POSIX: 69–99 are 1969–1999, 00–68 are 2000–2068.
              parts.year = n >= 69 ? 1900 + n : 2000 + n;
              break;
            case COMPONENT.MONTH:
              parts.month0 = n - 1;
              break;
            case COMPONENT.DAY:
              parts.day = n;
              break;
            case COMPONENT.HOUR:
              parts.hour = n;
              break;
            case COMPONENT.HOUR12:
              parts.hour = n;
              if (parts.pm < 0) parts.pm = 0;
              break;
            case COMPONENT.MINUTE:
              parts.minute = n;
              break;
            default:
              parts.second = n;
          }
          break;
        }
        case OP.MONTH_NAME: {
          const k = matchName(line, pos, MONTH_NAMES);
          if (k < 0) return -1;
          parts.month0 = k;
          pos += nameLength(line, pos);
          break;
        }
        case OP.WEEKDAY_NAME: {
          if (matchName(line, pos, WEEKDAY_NAMES) < 0) return -1;
          pos += nameLength(line, pos);
          break;
        }
        case OP.AM_PM: {
          const a = line.charCodeAt(pos) | 0x20;
          const m = line.charCodeAt(pos + 1) | 0x20;
          if ((a !== 97 && a !== 112) || m !== 109) return -1;
          parts.pm = a === 112 ? 1 : 0;
          pos += 2;
          break;
        }
        case OP.ZONE_OFFSET: {
          const end = readOffset(line, pos, parts);
          if (end < 0) return -1;
          pos = end;
          break;
        }
        case OP.ZONE_NAME: {
          let end = pos;
          while (
            end < len &&
            end - pos < 6 &&
            (line.charCodeAt(end) | 0x20) >= 97 &&
            (line.charCodeAt(end) | 0x20) <= 122
          )
            end++;
          const name = line.slice(pos, end).toUpperCase();
          // Only zones that are UTC: a name such as CET does not say whether summer time applied.
          if (name !== "UTC" && name !== "GMT" && name !== "Z" && name !== "UT") return -1;
          parts.offsetMin = 0;
          pos = end;
          break;
        }
        case OP.EPOCH: {
          let n = 0;
          let digits = 0;
          while (pos < len && digits < 19 && isDigit(line.charCodeAt(pos))) {
            n = n * 10 + line.charCodeAt(pos) - 48;
            pos++;
            digits++;
          }
          if (digits === 0) return -1;
          let frac = 0;
          if (pos < len && line.charCodeAt(pos) === 46 && isDigit(line.charCodeAt(pos + 1))) {
            pos++;
            let scale = 0.1;
            while (pos < len && isDigit(line.charCodeAt(pos))) {
              frac += (line.charCodeAt(pos) - 48) * scale;
              scale /= 10;
              pos++;
            }
          }
          const ms = Math.floor((n + frac) * (op.toMs as number));
          if (!(ms >= 0) || ms > MAX_EPOCH_MS) return -1;
          parts.epochMs = ms;
          break;
        }
        default: {
          // FRACTION: digits after a second, read to milliseconds.
          let digits = 0;
          let ms = 0;
          while (pos < len && isDigit(line.charCodeAt(pos))) {
            if (digits < 3) ms = ms * 10 + line.charCodeAt(pos) - 48;
            digits++;
            pos++;
          }
          if (digits === 0) return -1;
          for (let k = digits; k < 3; k++) ms *= 10;
          parts.ms = ms;
        }
      }
    }
    return pos;
  }
}

const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Two digits at `i` as a number, or a negative number when either is not a digit. */
function twoDigits(line: string, i: number): number {
  const a = line.charCodeAt(i) - 48;
  const b = line.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Month (0–11) by its three letters in lower case packed into one number (`jan` → 0). */
const MONTH_BY_KEY = new Map<number, number>(
  MONTH_NAMES.map((name, k) => [
    (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2),
    k,
  ]),
);

/** `dd/Mon/yyyy` (GoAccess's and Apache's usual date). */
const CLF_DATE: TimeScanner = {
  source: "%d/%b/%Y",
  date: true,
  time: false,
  scan(line, pos, parts) {
    if (line.charCodeAt(pos + 2) !== 47 || line.charCodeAt(pos + 6) !== 47) return -1;
    const day = twoDigits(line, pos);
    const key =
      ((line.charCodeAt(pos + 3) | 0x20) << 16) |
      ((line.charCodeAt(pos + 4) | 0x20) << 8) |
      (line.charCodeAt(pos + 5) | 0x20);
    const month = MONTH_BY_KEY.get(key) ?? -1;
    const century = twoDigits(line, pos + 7);
    const years = twoDigits(line, pos + 9);
    if (day < 0 || month < 0 || century < 0 || years < 0) return -1;
    const year = century * 100 + years;
    parts.day = day;
    parts.month0 = month;
    parts.year = year;
    return pos + 11;
  },
};

/** `yyyy-mm-dd` (ISO, W3C). */
const ISO_DATE: TimeScanner = {
  source: "%Y-%m-%d",
  date: true,
  time: false,
  scan(line, pos, parts) {
    if (line.charCodeAt(pos + 4) !== 45 || line.charCodeAt(pos + 7) !== 45) return -1;
    const hi = twoDigits(line, pos);
    const lo = twoDigits(line, pos + 2);
    const month = twoDigits(line, pos + 5);
    const day = twoDigits(line, pos + 8);
    if (hi < 0 || lo < 0 || month < 0 || day < 0) return -1;
    parts.year = hi * 100 + lo;
    parts.month0 = month - 1;
    parts.day = day;
    return pos + 10;
  },
};

/** `HH:MM:SS`. */
function clockScanner(source: string): TimeScanner {
  return {
    source,
    date: false,
    time: true,
    scan(line, pos, parts) {
      if (line.charCodeAt(pos + 2) !== 58 || line.charCodeAt(pos + 5) !== 58) return -1;
      const hour = twoDigits(line, pos);
      const minute = twoDigits(line, pos + 3);
      const second = twoDigits(line, pos + 6);
      if (hour < 0 || minute < 0 || second < 0) return -1;
      parts.hour = hour;
      parts.minute = minute;
      parts.second = second;
      return pos + 8;
    },
  };
}

const FIXED_SCANNERS: Readonly<Record<string, TimeScanner>> = {
  "%d/%b/%Y": CLF_DATE,
  "%Y-%m-%d": ISO_DATE,
  "%F": ISO_DATE,
  "%H:%M:%S": clockScanner("%H:%M:%S"),
  "%T": clockScanner("%T"),
};

/** `+hhmm`, `-hh:mm`, `+hh` or `Z` at `pos` into `parts.offsetMin`; the index after it, or -1. */
function readOffset(line: string, pos: number, parts: TimeParts): number {
  const sign = line.charCodeAt(pos);
  if (sign === 90 /* Z */) {
    parts.offsetMin = 0;
    return pos + 1;
  }
  if (sign !== 43 && sign !== 45) return -1;
  const d = (i: number) => {
    const c = line.charCodeAt(i);
    return isDigit(c) ? c - 48 : -100;
  };
  const h = d(pos + 1) * 10 + d(pos + 2);
  if (h < 0) return -1;
  let end = pos + 3;
  let m = 0;
  if (line.charCodeAt(end) === 58 /* : */) end++;
  const m1 = d(end);
  const m2 = d(end + 1);
  if (m1 >= 0 && m2 >= 0) {
    m = m1 * 10 + m2;
    end += 2;
  } else if (end !== pos + 3) return -1;
  if (h > 18 || m > 59) return -1;
  parts.offsetMin = (sign === 45 ? -1 : 1) * (h * 60 + m);
  return end;
}
