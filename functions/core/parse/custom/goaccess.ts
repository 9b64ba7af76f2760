/**
 * GoAccess's `--log-format` with `--date-format`, `--time-format` (and `--datetime-format` for `%x`), for operators
 * who come from GoAccess: the same specifiers, compiled into a parser. GoAccess's predefined names (COMBINED,
 * VCOMBINED, COMMON, W3C, CLOUDFRONT, AWSALB, AWSELB, AWSS3, SQUID, CADDY, TRAEFIKCLF) name logsieve's built-in
 * formats instead (see {@link GOACCESS_PRESETS}).
 *
 * | specifier | logsieve reads                                  | specifier      | logsieve reads                       |
 * |-----------|-------------------------------------------------|----------------|--------------------------------------|
 * | `%d` `%t` | date and time, by --date-format / --time-format  | `%x`           | date and time by --datetime-format (else --time-format) |
 * | `%h`      | client address                                   | `~h{, }`       | client from an X-Forwarded-For list (last entry; earlier ones past trusted proxies) |
 * | `%r`      | request line                                     | `%m %U %q %H`  | method, path, query, protocol        |
 * | `%s` `%b` | status, bytes                                    | `%R` `%u`      | referrer, user agent                 |
 * | `%v`      | host                                             | `%D` `%T` `%L` `%n` | time taken in µs, s, ms, ns     |
 * | `%^`      | a field read past                                | `%~`           | white space read past                |
 * | `%e %C %K %k %M` | read past                                 |                |                                      |
 *
 * Unlike GoAccess, text between specifiers must match the line (GoAccess steps over as many characters without
 * looking at them), so a line of another layout is rejected with a reason rather than read askew.
 */

import type { LogFormat } from "../../types.ts";
import { FormatError } from "./errors.ts";
import { compileTimeFormat, type TimeScanner } from "./strftime.ts";
import { type CompiledFormat, compileTemplate, type Field, type Piece, ROLE } from "./template.ts";

export interface GoAccessFormatOptions {
  readonly dateFormat?: string;
  readonly timeFormat?: string;
  readonly datetimeFormat?: string;
}

/** GoAccess's predefined `--log-format` names and the built-in format that reads the same logs. */
export const GOACCESS_PRESETS: Readonly<Record<string, LogFormat>> = {
  COMBINED: "combined",
  VCOMBINED: "vhost-combined",
  COMMON: "common",
  VCOMMON: "vhost-combined",
  W3C: "w3c",
  CLOUDFRONT: "cloudfront",
  AWSALB: "alb",
  AWSELB: "elb",
  AWSS3: "s3",
  SQUID: "squid",
  CADDY: "caddy",
  TRAEFIKCLF: "traefik",
};

const HINTS = {
  time: "add %d and %t (with --date-format and --time-format), or %x (with --datetime-format)",
  request: 'add "%r" (or %m %U %H)',
  client: "add %h (or ~h{, } for an X-Forwarded-For list)",
};

/** Compiles a GoAccess log-format. Throws a {@link FormatError} naming the first piece it cannot read. */
export function compileGoAccessFormat(text: string, options: GoAccessFormatOptions = {}): CompiledFormat {
  const format = unescapeTabs(text);
  const preset = GOACCESS_PRESETS[format.trim().toUpperCase()];
  if (preset !== undefined) {
    throw new FormatError(
      `${format.trim()} is one of GoAccess's predefined formats`,
      `use --format ${preset}, logsieve's built-in format for the same logs`,
    );
  }
  if (format.trim().toUpperCase() === "CLOUDSTORAGE") {
    throw new FormatError(
      "CLOUDSTORAGE (Google Cloud Storage usage logs) is not a format logsieve reads",
      "convert them to JSON lines",
    );
  }
  let dateScanner: TimeScanner | null = null;
  let timeScanner: TimeScanner | null = null;
  let datetimeScanner: TimeScanner | null = null;
  const scanner = (which: "d" | "t" | "x"): TimeScanner => {
    if (which === "d") {
      if (options.dateFormat === undefined)
        throw new FormatError("%d needs --date-format", "e.g. --date-format %d/%b/%Y (or %Y-%m-%d)");
      dateScanner ??= compileTimeFormat(options.dateFormat, "goaccess", "--date-format");
      return dateScanner;
    }
    if (which === "t") {
      if (options.timeFormat === undefined)
        throw new FormatError("%t needs --time-format", "e.g. --time-format %H:%M:%S (or %T)");
      timeScanner ??= compileTimeFormat(options.timeFormat, "goaccess", "--time-format");
      return timeScanner;
    }
    const fmt = options.datetimeFormat ?? options.timeFormat;
    if (fmt === undefined)
      throw new FormatError("%x needs --datetime-format", "e.g. --datetime-format '%d/%b/%Y:%H:%M:%S %z'");
    datetimeScanner ??= compileTimeFormat(
      fmt,
      "goaccess",
      options.datetimeFormat !== undefined ? "--datetime-format" : "--time-format",
    );
    return datetimeScanner;
  };

  const pieces: Piece[] = [];
  let literal = "";
  const flush = () => {
    if (literal.length > 0) pieces.push({ literal });
    literal = "";
  };
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c === "~" && format[i + 1] === "h" && format[i + 2] === "{") {
      const close = format.indexOf("}", i + 3);
      if (close < 0)
        throw new FormatError(
          `~h{ at character ${i + 1} is not closed`,
          "write ~h{, } with the separators between the braces",
        );
      const separators = format.slice(i + 3, close);
      if (separators.length === 0)
        throw new FormatError(
          "~h{} names no separator",
          "write ~h{, } with the separators between the braces",
        );
      flush();
      pieces.push({ field: { role: ROLE.FORWARDED, separators, label: format.slice(i, close + 1) } });
      i = close + 1;
      continue;
    }
    if (c !== "%") {
      literal += c;
      i++;
      continue;
    }
    const spec = format[i + 1];
    const label = `%${spec ?? ""}`;
    i += 2;
    if (spec === undefined) throw new FormatError("the log-format ends with a lone %", "remove it");
    if (spec === "%") {
      literal += "%";
      continue;
    }
    flush();
    const field = (f: Omit<Field, "label">) => pieces.push({ field: { ...f, label } });
    switch (spec) {
      case "d":
        field({ role: ROLE.TIME_SCAN, time: scanner("d") });
        break;
      case "t":
        field({ role: ROLE.TIME_SCAN, time: scanner("t") });
        break;
      case "x":
        field({ role: ROLE.TIME_SCAN, time: scanner("x") });
        break;
      case "h":
        field({ role: ROLE.CLIENT });
        break;
      case "v":
        field({ role: ROLE.HOST });
        break;
      case "r":
        field({ role: ROLE.REQUEST });
        break;
      case "m":
        field({ role: ROLE.METHOD });
        break;
      case "U":
        field({ role: ROLE.PATH, startsWith: "/" });
        break;
      case "q":
        field({ role: ROLE.QUERY, startsWith: "?", mayBeEmpty: true });
        break;
      case "H":
        field({ role: ROLE.PROTOCOL });
        break;
      case "s":
        field({ role: ROLE.STATUS });
        break;
      case "b":
        field({ role: ROLE.BYTES });
        break;
      case "R":
        field({ role: ROLE.REFERRER });
        break;
      case "u":
        field({ role: ROLE.USER_AGENT });
        break;
      case "D":
        field({ role: ROLE.DURATION, toMs: 0.001 });
        break;
      case "T":
        field({ role: ROLE.DURATION, toMs: 1000 });
        break;
      case "L":
        field({ role: ROLE.DURATION, toMs: 1 });
        break;
      case "n":
        field({ role: ROLE.DURATION, toMs: 1e-6 });
        break;
      case "^":
      case "e":
      case "C":
      case "K":
      case "k":
      case "M":
        field({ role: ROLE.SKIP });
        break;
      case "~":
        pieces.push({ spaces: true });
        break;
      default:
        throw new FormatError(
          `${label} (character ${i - 1} of the log-format) is not a GoAccess specifier`,
          "use %x %d %t %h %v %e %C %r %m %U %q %H %s %b %R %u %K %k %M %D %T %L %n %^ %~ or ~h{, } (goaccess.io/man#custom-log)",
        );
    }
  }
  flush();
  return compileTemplate({
    format: "goaccess",
    escaping: "apache",
    pieces,
    hints: HINTS,
    what: "GoAccess log-format",
  });
}

/** GoAccess reads `\t` in a log-format as a tab (its CLOUDFRONT format is written so). */
function unescapeTabs(s: string): string {
  return s.includes("\\t") ? s.replaceAll("\\t", "\t") : s;
}
