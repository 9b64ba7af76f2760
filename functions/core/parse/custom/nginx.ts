/**
 * nginx `log_format`, as the operator wrote it in nginx.conf, compiled into a parser.
 *
 * Accepted as pasted: the whole directive (`log_format main escape=json '…' '…';`), only its quoted strings, or the
 * bare format (`$remote_addr - $remote_user [$time_local] "$request" …`). Variables are `$name` or `${name}`.
 *
 * | logsieve reads      | from                                                                       |
 * |---------------------|----------------------------------------------------------------------------|
 * | time                | `$time_local`, `$time_iso8601`, `$msec` (the first in the format)          |
 * | client address      | `$remote_addr` (else `$realip_remote_addr`); without either, the last entry of `$http_x_forwarded_for` |
 * | forwarded for       | `$http_x_forwarded_for`, `$proxy_add_x_forwarded_for`, `$http_x_real_ip`: believed past trusted proxies only |
 * | request             | `$request`, or `$request_method` + `$request_uri` (or `$uri` + `$args`) + `$server_protocol` |
 * | status, bytes       | `$status`; `$body_bytes_sent` (else `$bytes_sent`)                         |
 * | referrer, agent     | `$http_referer`, `$http_user_agent`                                         |
 * | host                | `$host` (else `$http_host`, `$server_name`)                                 |
 * | time taken          | `$request_time` (seconds)                                                   |
 * | privacy signals     | `$http_dnt`, `$http_sec_gpc`                                                |
 *
 * Every other nginx variable is read past. A name nginx does not define is an error (a typo would otherwise
 * silently lose a field); a variable of the operator's own (map, set, a module) is declared as such.
 */

import { FormatError } from "./errors.ts";
import type { EscapeMode } from "./escapes.ts";
import { type CompiledFormat, compileTemplate, type Field, type Piece, ROLE } from "./template.ts";

export interface NginxFormatOptions {
  /** Names (without `$`) of the operator's own variables (map, set, modules): read past. */
  readonly customVariables?: readonly string[];
}

/** Variables logsieve reads, by name. */
const READ: Readonly<Record<string, Omit<Field, "label">>> = {
  remote_addr: { role: ROLE.CLIENT },
  realip_remote_addr: { role: ROLE.CLIENT, rank: 1 },
  http_x_forwarded_for: { role: ROLE.FORWARDED },
  proxy_add_x_forwarded_for: { role: ROLE.FORWARDED, rank: 1 },
  http_x_real_ip: { role: ROLE.FORWARDED, rank: 2 },
  time_local: { role: ROLE.TIME_CLF },
  time_iso8601: { role: ROLE.TIME_ISO },
  msec: { role: ROLE.TIME_EPOCH, toMs: 1000 },
  request: { role: ROLE.REQUEST },
  request_method: { role: ROLE.METHOD },
  request_uri: { role: ROLE.URI, startsWith: "/" },
  uri: { role: ROLE.PATH, startsWith: "/" },
  document_uri: { role: ROLE.PATH, rank: 1, startsWith: "/" },
  args: { role: ROLE.QUERY },
  query_string: { role: ROLE.QUERY, rank: 1 },
  server_protocol: { role: ROLE.PROTOCOL },
  status: { role: ROLE.STATUS },
  body_bytes_sent: { role: ROLE.BYTES },
  bytes_sent: { role: ROLE.BYTES, rank: 1 },
  request_time: { role: ROLE.DURATION, toMs: 1000 },
  http_referer: { role: ROLE.REFERRER },
  http_user_agent: { role: ROLE.USER_AGENT },
  host: { role: ROLE.HOST },
  http_host: { role: ROLE.HOST, rank: 1 },
  server_name: { role: ROLE.HOST, rank: 2 },
  http_dnt: { role: ROLE.DNT },
  http_sec_gpc: { role: ROLE.GPC },
};

/** nginx's own variables that logsieve reads past (nginx.org/en/docs/varindex.html, core and common modules). */
const SKIPPED: ReadonlySet<string> = new Set([
  "ancient_browser",
  "auth_http",
  "binary_remote_addr",
  "connection",
  "connection_requests",
  "connection_time",
  "connections_active",
  "connections_reading",
  "connections_waiting",
  "connections_writing",
  "content_length",
  "content_type",
  "date_gmt",
  "date_local",
  "document_root",
  "fastcgi_path_info",
  "fastcgi_script_name",
  "gzip_ratio",
  "hostname",
  "http2",
  "http3",
  "https",
  "invalid_referer",
  "is_args",
  "limit_conn_status",
  "limit_rate",
  "limit_req_status",
  "memcached_key",
  "modern_browser",
  "msie",
  "nginx_version",
  "pid",
  "pipe",
  "proxy_host",
  "proxy_port",
  "proxy_protocol_addr",
  "proxy_protocol_port",
  "proxy_protocol_server_addr",
  "proxy_protocol_server_port",
  "quic",
  "realip_remote_port",
  "realpath_root",
  "remote_port",
  "remote_user",
  "request_body",
  "request_body_file",
  "request_completion",
  "request_filename",
  "request_id",
  "request_length",
  "scheme",
  "secure_link",
  "secure_link_expires",
  "server_addr",
  "server_port",
  "session_log_binary_id",
  "session_log_id",
  "slice_range",
  "spdy",
  "spdy_request_priority",
  "tcpinfo_rcv_space",
  "tcpinfo_rtt",
  "tcpinfo_rttvar",
  "tcpinfo_snd_cwnd",
  "uid_got",
  "uid_reset",
  "uid_set",
]);

/** Families of variables named after a header, cookie, argument or module (`$http_accept`, `$upstream_addr`). */
const SKIPPED_PREFIXES = [
  "arg_",
  "cookie_",
  "geoip_",
  "http_",
  "jwt_",
  "proxy_protocol_tlv_",
  "sent_http_",
  "sent_trailer_",
  "ssl_",
  "upstream_",
];

const HINTS = {
  time: "add $time_local (or $time_iso8601 or $msec) to the log_format",
  request: "add $request (or $request_uri, or $uri with $args) to the log_format",
  client: "add $remote_addr (or $http_x_forwarded_for) to the log_format",
};

/** Compiles an nginx `log_format`. Throws a {@link FormatError} naming the first piece it cannot read. */
export function compileNginxFormat(text: string, options: NginxFormatOptions = {}): CompiledFormat {
  const { body, escaping } = unwrapDirective(text);
  const custom = new Set(options.customVariables ?? []);
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c !== "$") {
      literal += c;
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (body[i + 1] === "{") {
      const close = body.indexOf("}", i + 2);
      if (close < 0) {
        throw new FormatError(
          `the log_format has "\${" without its closing "}" (character ${i + 1})`,
          "write the variable as $name or with braces around its name",
        );
      }
      name = body.slice(i + 2, close);
      end = close + 1;
    } else {
      end = i + 1;
      while (end < body.length && isNameChar(body.charCodeAt(end))) end++;
      name = body.slice(i + 1, end);
    }
    if (name.length === 0) {
      // A `$` that starts no variable is text, as nginx reads it.
      literal += c;
      i++;
      continue;
    }
    if (literal.length > 0) pieces.push({ literal });
    literal = "";
    pieces.push(pieceFor(name.toLowerCase(), i + 1, custom));
    i = end;
  }
  if (literal.length > 0) pieces.push({ literal });
  return compileTemplate({ format: "nginx", escaping, pieces, hints: HINTS, what: "nginx log_format" });
}

function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function pieceFor(name: string, column: number, custom: ReadonlySet<string>): Piece {
  const label = `$${name}`;
  if (name === "is_args") return { optional: "?" };
  if (name === "binary_remote_addr") {
    throw new FormatError(
      "$binary_remote_addr is the address as raw bytes, which a text log cannot carry",
      "log $remote_addr instead",
    );
  }
  const read = READ[name];
  if (read !== undefined) return { field: { ...read, label } };
  if (SKIPPED.has(name) || custom.has(name) || SKIPPED_PREFIXES.some((p) => name.startsWith(p))) {
    return { field: { role: ROLE.SKIP, label } };
  }
  const near = nearest(name, [...Object.keys(READ), ...SKIPPED]);
  throw new FormatError(
    `unknown nginx variable ${label} (character ${column} of the log_format)`,
    near !== null
      ? `did you mean $${near}? If ${label} is a variable of your own (map, set, a module), declare it: --nginx-variables ${name} (configuration: "variables": ["${name}"]); logsieve then reads past it`
      : `if it is a variable of your own (map, set, a module), declare it: --nginx-variables ${name} (configuration: "variables": ["${name}"]); logsieve then reads past it`,
  );
}

/** The known name closest to `name` when it is a likely typo (edit distance at most 2), else null. */
export function nearest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    if (Math.abs(k.length - name.length) >= bestDistance) continue;
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The format body and escaping from what the operator pasted: the whole `log_format` directive, its quoted strings
 * (concatenated, as nginx does), or the bare body.
 */
export function unwrapDirective(text: string): { body: string; escaping: EscapeMode } {
  let rest = text.trim();
  let escaping: EscapeMode = "nginx";
  let directive = false;
  if (rest.startsWith("log_format") && isSpace(rest.charCodeAt(10))) {
    directive = true;
    rest = rest.slice(10).trimStart();
    // The format's name.
    let n = 0;
    while (n < rest.length && !isSpace(rest.charCodeAt(n))) n++;
    if (n === 0) throw new FormatError("the log_format directive has no name", "write log_format NAME '…';");
    rest = rest.slice(n).trimStart();
  }
  if (rest.startsWith("escape=")) {
    let n = 7;
    while (n < rest.length && !isSpace(rest.charCodeAt(n))) n++;
    const mode = rest.slice(7, n);
    if (mode === "json") escaping = "json";
    else if (mode === "none") escaping = "none";
    else if (mode === "default") escaping = "nginx";
    else
      throw new FormatError(
        `escape=${mode} is not an nginx escaping`,
        "write escape=default, escape=json or escape=none",
      );
    rest = rest.slice(n).trimStart();
  }
  if (rest.endsWith(";")) rest = rest.slice(0, -1).trimEnd();
  const first = rest.charCodeAt(0);
  if (first !== 39 && first !== 34) {
    if (directive) {
      throw new FormatError(
        "the log_format directive's format must be in quotes",
        "paste it as written in nginx.conf: log_format main '$remote_addr …';",
      );
    }
    return { body: rest, escaping };
  }
  // One or more quoted strings, concatenated.
  let body = "";
  let i = 0;
  while (i < rest.length) {
    while (i < rest.length && isSpace(rest.charCodeAt(i))) i++;
    if (i >= rest.length) break;
    const quote = rest[i];
    if (quote !== "'" && quote !== '"') {
      throw new FormatError(
        `unexpected ${JSON.stringify(rest.slice(i, i + 12))} between the quoted parts of the log_format`,
        "paste the quoted strings of the log_format only, or the whole directive",
      );
    }
    let j = i + 1;
    let part = "";
    while (j < rest.length && rest[j] !== quote) {
      if (rest[j] === "\\" && j + 1 < rest.length) {
        const e = rest[j + 1] as string;
        part += e === "t" ? "\t" : e === "n" ? "\n" : e === "r" ? "\r" : e;
        j += 2;
        continue;
      }
      part += rest[j];
      j++;
    }
    if (j >= rest.length) {
      throw new FormatError("a quoted part of the log_format is not closed", `close it with ${quote}`);
    }
    body += part;
    i = j + 1;
  }
  return { body, escaping };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}
