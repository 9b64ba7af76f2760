/**
 * Apache httpd `LogFormat` (mod_log_config), as written in apache2.conf, compiled into a parser.
 *
 * Accepted as pasted: `LogFormat "%h %l %u %t \"%r\" %>s %b" combined`, the quoted string alone, or the bare format
 * with or without the `\"` escapes it has in the configuration file. Directives may carry status conditions
 * (`%400,501{User-agent}i`) and the `<`/`>` modifiers.
 *
 * | logsieve reads   | from                                                                                      |
 * |------------------|-------------------------------------------------------------------------------------------|
 * | time             | `%t`, `%{format}t` (strftime; `begin:`/`end:`; `sec`, `msec`, `usec`)                     |
 * | client address   | `%a` (else `%h`, `%{c}a`, `%{c}h`); without any, the last entry of `%{X-Forwarded-For}i`   |
 * | forwarded for    | `%{X-Forwarded-For}i`, `%{X-Real-IP}i`: believed past trusted proxies only                |
 * | request          | `%r`, or `%m` + `%U` + `%q` + `%H`                                                        |
 * | status, bytes    | `%>s` (else `%s`); `%b` or `%B` (else `%O`)                                               |
 * | referrer, agent  | `%{Referer}i`, `%{User-Agent}i`                                                           |
 * | host             | `%{Host}i` (else `%V`, `%v`)                                                              |
 * | time taken       | `%D` (µs), `%{ms}T`, `%{us}T`, else `%T` (s)                                              |
 * | privacy signals  | `%{DNT}i`, `%{Sec-GPC}i`                                                                  |
 *
 * Every other directive is read past (`%l %u %p %P %I %O %X %{…}e %{…}C %{…}n %{…}o %{…}x …`).
 */

import { FormatError } from "./errors.ts";
import { compileTimeFormat } from "./strftime.ts";
import { type CompiledFormat, compileTemplate, type Field, type Piece, ROLE } from "./template.ts";

const HINTS = {
  time: "add %t (or %{%d/%b/%Y:%H:%M:%S %z}t) to the LogFormat",
  request: 'add \\"%r\\" (or %m %U%q %H) to the LogFormat',
  client: "add %h (or %a, or %{X-Forwarded-For}i) to the LogFormat",
};

/** Letters read past whatever their argument. */
const SKIPPED_LETTERS = new Set([
  "A",
  "C",
  "e",
  "f",
  "I",
  "k",
  "l",
  "L",
  "n",
  "o",
  "p",
  "P",
  "R",
  "S",
  "u",
  "X",
  "x",
  "c",
]);

const HEADERS: Readonly<Record<string, Omit<Field, "label">>> = {
  referer: { role: ROLE.REFERRER },
  referrer: { role: ROLE.REFERRER, rank: 1 },
  "user-agent": { role: ROLE.USER_AGENT },
  "x-forwarded-for": { role: ROLE.FORWARDED },
  "x-real-ip": { role: ROLE.FORWARDED, rank: 2 },
  host: { role: ROLE.HOST },
  dnt: { role: ROLE.DNT },
  "sec-gpc": { role: ROLE.GPC },
};

/** Compiles an Apache `LogFormat`. Throws a {@link FormatError} naming the first directive it cannot read. */
export function compileApacheFormat(text: string): CompiledFormat {
  const format = unwrapLogFormat(text);
  const pieces: Piece[] = [];
  let literal = "";
  const flush = () => {
    if (literal.length > 0) pieces.push({ literal });
    literal = "";
  };
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c !== "%") {
      literal += c;
      i++;
      continue;
    }
    const start = i;
    i++;
    if (format[i] === "%") {
      literal += "%";
      i++;
      continue;
    }
    let modifiers = "";
    let arg: string | null = null;
    const readModifiers = () => {
      while (i < format.length && isModifier(format.charCodeAt(i))) modifiers += format[i++];
    };
    readModifiers();
    if (format[i] === "{") {
      const close = format.indexOf("}", i + 1);
      if (close < 0) {
        throw new FormatError(
          `the LogFormat has "%{" without its closing "}" (character ${start + 1})`,
          "write %{Name}i, %{format}t and so on",
        );
      }
      arg = format.slice(i + 1, close);
      i = close + 1;
      readModifiers();
    }
    let letter = format[i];
    if (letter === "^" && (format.slice(i, i + 3) === "^ti" || format.slice(i, i + 3) === "^to")) {
      letter = format.slice(i, i + 3);
      i += 3;
    } else i++;
    if (letter === undefined) {
      throw new FormatError(`the LogFormat ends with a lone %`, "write %% for a percent sign");
    }
    const label = format.slice(start, i);
    flush();
    pieces.push(...piecesFor(letter, arg, modifiers, label, start + 1));
  }
  flush();
  return compileTemplate({
    format: "apache",
    escaping: "apache",
    pieces,
    hints: HINTS,
    what: "Apache LogFormat",
  });
}

/** `<`, `>`, `!` and status lists (`400,501`). */
function isModifier(c: number): boolean {
  return c === 60 || c === 62 || c === 33 || c === 44 || (c >= 48 && c <= 57);
}

function piecesFor(
  letter: string,
  arg: string | null,
  modifiers: string,
  label: string,
  column: number,
): Piece[] {
  const field = (f: Omit<Field, "label">): Piece[] => [{ field: { ...f, label } }];
  if (SKIPPED_LETTERS.has(letter) || letter === "^ti" || letter === "^to") return field({ role: ROLE.SKIP });
  switch (letter) {
    case "a":
      return field({ role: ROLE.CLIENT, rank: arg === "c" ? 2 : 0 });
    case "h":
      return field({ role: ROLE.CLIENT, rank: arg === "c" ? 3 : 1 });
    case "b":
    case "B":
      return field({ role: ROLE.BYTES });
    case "O":
      return field({ role: ROLE.BYTES, rank: 1 });
    case "D":
      return field({ role: ROLE.DURATION, toMs: 0.001 });
    case "T": {
      const unit = arg ?? "s";
      if (unit === "ms") return field({ role: ROLE.DURATION, toMs: 1 });
      if (unit === "us") return field({ role: ROLE.DURATION, toMs: 0.001 });
      if (unit === "s") return field({ role: ROLE.DURATION, toMs: 1000, rank: 1 });
      throw new FormatError(`${label}: the unit of %T is ms, us or s`, "write %{ms}T, %{us}T or %T");
    }
    case "H":
      return field({ role: ROLE.PROTOCOL });
    case "m":
      return field({ role: ROLE.METHOD });
    case "q":
      return field({ role: ROLE.QUERY, startsWith: "?", mayBeEmpty: true });
    case "r":
      return field({ role: ROLE.REQUEST });
    case "U":
      return field({ role: ROLE.PATH, startsWith: "/" });
    case "s":
      return field({ role: ROLE.STATUS, rank: modifiers.includes(">") ? 0 : 1 });
    case "v":
      return field({ role: ROLE.HOST, rank: 2 });
    case "V":
      return field({ role: ROLE.HOST, rank: 1 });
    case "i": {
      if (arg === null || arg.length === 0) {
        throw new FormatError(
          `${label} (character ${column}) names no header`,
          "write %{Header-Name}i, e.g. %{User-Agent}i",
        );
      }
      const known = HEADERS[arg.toLowerCase()];
      return field(known ?? { role: ROLE.SKIP });
    }
    case "t":
      return timePieces(arg, label);
    default:
      throw new FormatError(
        `${label} (character ${column}) is not an Apache LogFormat directive`,
        'use the directives of mod_log_config (httpd.apache.org/docs/current/mod/mod_log_config.html), e.g. %h %l %u %t \\"%r\\" %>s %b, or %% for a percent sign',
      );
  }
}

function timePieces(arg: string | null, label: string): Piece[] {
  // %t is "[%d/%b/%Y:%H:%M:%S %z]", brackets included.
  if (arg === null) return [{ literal: "[" }, { field: { role: ROLE.TIME_CLF, label } }, { literal: "]" }];
  let format = arg;
  if (format.startsWith("begin:")) format = format.slice(6);
  else if (format.startsWith("end:")) format = format.slice(4);
  switch (format) {
    case "sec":
      return [{ field: { role: ROLE.TIME_EPOCH, toMs: 1000, label } }];
    case "msec":
      return [{ field: { role: ROLE.TIME_EPOCH, toMs: 1, label } }];
    case "usec":
      return [{ field: { role: ROLE.TIME_EPOCH, toMs: 0.001, label } }];
    case "msec_frac":
    case "usec_frac":
      return [{ field: { role: ROLE.SKIP, label } }];
  }
  return [{ field: { role: ROLE.TIME_SCAN, time: compileTimeFormat(format, "strftime", label), label } }];
}

/**
 * The format string from what the operator pasted: `LogFormat "…" nickname`, `"…"`, or the bare string, with the
 * `\"`, `\\`, `\t`, `\n` escapes of the configuration file undone.
 */
export function unwrapLogFormat(text: string): string {
  let rest = text.trim();
  if (rest.slice(0, 10).toLowerCase() === "logformat " || rest.slice(0, 10).toLowerCase() === "logformat\t") {
    rest = rest.slice(10).trimStart();
  }
  if (rest.startsWith('"')) {
    let j = 1;
    while (j < rest.length && !(rest[j] === '"' && rest[j - 1] !== "\\")) j++;
    if (j >= rest.length) {
      // No closing quote: a bare format that happens to start with a quote (`"%{X-Forwarded-For}i" %l …`).
      return unescapeConfig(rest);
    }
    const after = rest.slice(j + 1).trim();
    // `LogFormat "…" nickname`: what follows the closing quote is a nickname (one word) or nothing.
    if (after.length === 0 || !after.includes(" ")) {
      if (!(after.startsWith("%") || after.includes("%"))) return unescapeConfig(rest.slice(1, j));
    }
  }
  return unescapeConfig(rest);
}

function unescapeConfig(s: string): string {
  if (s.indexOf("\\") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length) {
      const e = s[i + 1] as string;
      out += e === "t" ? "\t" : e === "n" ? "\n" : e;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}
