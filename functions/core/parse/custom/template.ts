/**
 * The compiled form shared by every format an operator writes (nginx `log_format`, Apache `LogFormat`, GoAccess
 * `log-format`) and by the built-in formats defined the same way (Traefik's CLF).
 *
 * A format is a list of pieces: literal text, and fields. It is compiled once into steps; a line is then read left
 * to right, once:
 * - a literal must be at the current position (`startsWith`), else the line is `malformed` with a fixed reason
 *   naming what was expected;
 * - a field ends where the literal that follows it in the format begins (`indexOf` of that whole literal, not just
 *   its first character, so `" "` inside a quoted user agent does not end it early). In a quoted field a quote
 *   preceded by an odd number of backslashes is escaped and does not end it. The last field of a format takes the
 *   rest of the line; a last quoted field without its closing quote too (as for combined, which GoAccess accepts);
 * - a time is read by its own scanner, which knows where it ends (a time may contain spaces: `%d/%b/%Y %T`);
 * - two fields with nothing between them need the second to start with a known character (`$host$request_uri`: the
 *   URI starts with `/`; Apache `%U%q`: the query string starts with `?` or is empty).
 *
 * Each search starts where the previous step ended and never goes back: the cost is linear in the line whatever it
 * holds. There is no regular expression and no backtracking.
 *
 * Fields logsieve does not use are skipped. When a format names the same thing twice (`$body_bytes_sent` and
 * `$bytes_sent`, `%h` and `%a`), the field with the better rank is read and the other skipped.
 */

import type { AccessRecord, ParseResult, PrivacySignals, RecordFormat } from "../../types.ts";
import {
  isEscaped,
  isMethodToken,
  isPlausibleClientToken,
  isProtocolToken,
  normalizeHost,
  nullIfDash,
  parseByteCount,
  parseDecimal,
  parseStatus,
  RequestLineScratch,
  roundMs,
  splitRequestInto,
} from "../fields.ts";
import { isBlank, type LineParser, rejection, SKIP_BLANK, stripCr } from "../parser.ts";
import { ClfTimeCache, parseIsoTime } from "../time.ts";
import { FormatError } from "./errors.ts";
import { decodeValue, type EscapeMode } from "./escapes.ts";
import { TimeParts, type TimeScanner } from "./strftime.ts";

/** What a field holds. */
export const ROLE = {
  /** Read past, not kept. */
  SKIP: 0,
  /** The address of the peer (or of the client, as the server resolved it). */
  CLIENT: 1,
  /** An X-Forwarded-For list (or X-Real-IP): believed only past trusted proxies. */
  FORWARDED: 2,
  HOST: 3,
  /** The request line: `GET /path?q HTTP/1.1`. */
  REQUEST: 4,
  METHOD: 5,
  /** Path and query as sent (`$request_uri`). */
  URI: 6,
  /** Path without query (`$uri`, `%U`). */
  PATH: 7,
  /** Query without `?` (`$args`, GoAccess `%q`); with its `?` or empty (Apache `%q`) is accepted too. */
  QUERY: 8,
  PROTOCOL: 9,
  STATUS: 10,
  BYTES: 11,
  REFERRER: 12,
  USER_AGENT: 13,
  /** Time taken; `durationToMs` converts its unit. */
  DURATION: 14,
  /** `10/Oct/2000:13:55:36 -0700`, 26 characters (`$time_local`, inside Apache's `%t`). */
  TIME_CLF: 15,
  /** ISO 8601 (`$time_iso8601`). */
  TIME_ISO: 16,
  /** Epoch as a decimal number; `durationToMs` gives its unit (`$msec`: seconds with milliseconds). */
  TIME_EPOCH: 17,
  /** A strftime time format (`%{%d/%b/%Y %T}t`, GoAccess `%d` / `%t` / `%x`), read by `time`. */
  TIME_SCAN: 18,
  DNT: 19,
  GPC: 20,
} as const;
export type Role = (typeof ROLE)[keyof typeof ROLE];

const ROLE_COUNT = 21;

export interface Field {
  readonly role: Role;
  /** The field as the operator wrote it (`$remote_addr`, `%>s`): named in errors and rejection details. */
  readonly label: string;
  /** Among fields of the same role the lowest rank is read, the others skipped. Default 0. */
  readonly rank?: number;
  /** DURATION and TIME_EPOCH: the factor from the field's unit to milliseconds. */
  readonly toMs?: number;
  /** TIME_SCAN: the compiled time format. */
  readonly time?: TimeScanner;
  /** The value always starts with this character (or is empty, with `mayBeEmpty`): lets a field precede it directly. */
  readonly startsWith?: string;
  readonly mayBeEmpty?: boolean;
  /** FORWARDED from GoAccess `~h{…}`: the characters between the addresses. */
  readonly separators?: string;
}

/**
 * One piece of a format. `optional` is text that may or may not be there (nginx `$is_args`: `?` or nothing);
 * `spaces` skips any run of white space (GoAccess `%~`).
 */
export type Piece =
  | { readonly literal: string }
  | { readonly field: Field }
  | { readonly optional: string }
  | { readonly spaces: true };

export interface TemplateSpec {
  /** What the records are labelled with. */
  readonly format: RecordFormat;
  /** How quoted values are escaped. */
  readonly escaping: EscapeMode;
  readonly pieces: readonly Piece[];
  /** What to write when the format lacks a time, a request or a client address (the compile errors). */
  readonly hints: { readonly time: string; readonly request: string; readonly client: string };
  /** The format's name in errors, e.g. `nginx log_format`. */
  readonly what: string;
}

/** A compiled format: makes one parser per input. */
export interface CompiledFormat {
  readonly format: RecordFormat;
  /** The fields that are read, in order, by what they give: shown by `ingest` and in docs. */
  readonly reads: readonly string[];
  createParser(): LineParser;
}

const STEP = {
  LITERAL: 0,
  FIELD: 1,
  TIME_CLF: 2,
  TIME_SCAN: 3,
  OPTIONAL: 4,
  SPACES: 5,
} as const;

interface Step {
  readonly kind: number;
  /** LITERAL, OPTIONAL: the text. FIELD: the literal that ends the field ("" = the end of the line). */
  readonly text: string;
  /** FIELD: the slot (role) it fills, or -1 when skipped. */
  readonly slot: number;
  /** FIELD: the field may also end at this character (the next field starts with it); -1 when not. */
  readonly stop: number;
  /** FIELD: quoted (a preceding `"` and a delimiter starting with `"`): escaped quotes do not end it. */
  readonly quoted: boolean;
  /** FIELD: a last quoted field may lack its closing quote (then it takes the rest of the line). */
  readonly openEnd: boolean;
  /**
   * FIELD: its delimiter is the very next step, so finding the one matches the other: the parser moves past both at
   * once instead of comparing the literal a second time.
   */
  readonly consumes: boolean;
  readonly time: TimeScanner | null;
  /** The rejection when this step fails. */
  readonly fail: ParseResult;
}

/**
 * Text of the format in a rejection detail: in single quotes, or double quotes when it holds a single quote; cut at
 * 40 characters so a detail stays short.
 */
export function quote(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const shown = cut.replaceAll("\t", "\\t").replaceAll("\n", "\\n");
  return shown.includes("'") ? `"${shown}"` : `'${shown}'`;
}

function describePiece(p: Piece | undefined): string {
  if (p === undefined) return "the start of the line";
  if ("field" in p) return p.field.label;
  if ("literal" in p) return quote(p.literal);
  if ("optional" in p) return quote(p.optional);
  return "white space";
}

/** Merges adjacent literals and drops empty ones. */
function normalize(pieces: readonly Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    if ("literal" in p) {
      if (p.literal.length === 0) continue;
      const last = out.at(-1);
      if (last !== undefined && "literal" in last) {
        out[out.length - 1] = { literal: last.literal + p.literal };
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

const TIME_ROLES: ReadonlySet<number> = new Set([
  ROLE.TIME_CLF,
  ROLE.TIME_ISO,
  ROLE.TIME_EPOCH,
  ROLE.TIME_SCAN,
]);

/**
 * Compiles a format. Throws a {@link FormatError} when it cannot work: no time, no request, no client address, or two
 * fields with nothing between them that cannot be told apart.
 */
export function compileTemplate(spec: TemplateSpec): CompiledFormat {
  const pieces = normalize(spec.pieces);

  // Which field of each role is read: the lowest rank, the first among equals. Times: the first that gives date and
  // time, or the scanners that together do (GoAccess %d + %t).
  const chosen = new Set<Field>();
  const best = new Map<number, Field>();
  const timeFields: Field[] = [];
  for (const p of pieces) {
    if (!("field" in p) || p.field.role === ROLE.SKIP) continue;
    const f = p.field;
    if (TIME_ROLES.has(f.role)) {
      timeFields.push(f);
      continue;
    }
    const current = best.get(f.role);
    if (current === undefined || (f.rank ?? 0) < (current.rank ?? 0)) best.set(f.role, f);
  }
  for (const f of best.values()) chosen.add(f);
  let hasDate = false;
  let hasTime = false;
  for (const f of timeFields) {
    if (hasDate && hasTime) break;
    const date = f.role !== ROLE.TIME_SCAN || (f.time?.date ?? false);
    const time = f.role !== ROLE.TIME_SCAN || (f.time?.time ?? false);
    if ((date && !hasDate) || (time && !hasTime)) {
      chosen.add(f);
      hasDate ||= date;
      hasTime ||= time;
    }
  }
  const has = (role: Role) => [...chosen].some((f) => f.role === role);

  if (!(hasDate && hasTime)) {
    throw new FormatError(
      hasDate || hasTime
        ? `the ${spec.what} has a ${hasDate ? "date" : "time of day"} but no ${hasDate ? "time of day" : "date"}`
        : `the ${spec.what} has no time`,
      `logsieve needs to know when each request happened: ${spec.hints.time}`,
    );
  }
  if (!has(ROLE.REQUEST) && !has(ROLE.URI) && !has(ROLE.PATH)) {
    throw new FormatError(
      `the ${spec.what} has no request`,
      `logsieve needs the requested path: ${spec.hints.request}`,
    );
  }
  if (!has(ROLE.CLIENT) && !has(ROLE.FORWARDED)) {
    throw new FormatError(
      `the ${spec.what} has no client address`,
      `logsieve needs the address a request came from: ${spec.hints.client}`,
    );
  }

  const steps: Step[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i] as Piece;
    const after = `after ${describePiece(pieces[i - 1])}`;
    if ("literal" in p) {
      steps.push(
        step(STEP.LITERAL, p.literal, rejection("malformed", `expected ${quote(p.literal)} ${after}`)),
      );
      continue;
    }
    if ("optional" in p) {
      steps.push(step(STEP.OPTIONAL, p.optional, SKIP_BLANK));
      continue;
    }
    if ("spaces" in p) {
      steps.push(step(STEP.SPACES, "", SKIP_BLANK));
      continue;
    }
    const f = p.field;
    const used = chosen.has(f);
    if (used && f.role === ROLE.TIME_CLF) {
      steps.push({
        ...step(
          STEP.TIME_CLF,
          "",
          rejection("bad_timestamp", `${f.label} is not dd/Mon/yyyy:HH:MM:SS +zzzz in range`),
        ),
      });
      continue;
    }
    if (used && f.role === ROLE.TIME_SCAN && f.time !== undefined) {
      steps.push({
        ...step(
          STEP.TIME_SCAN,
          "",
          rejection(
            "bad_timestamp",
            `${f.label} does not match the time format ${JSON.stringify(f.time.source)}`,
          ),
        ),
        time: f.time,
      });
      continue;
    }
    // A delimited field: it ends at the next literal; fields directly after it must start with a known character.
    let j = i + 1;
    let stop = -1;
    const next = pieces[j];
    if (next !== undefined && !("literal" in next)) {
      if ("optional" in next) stop = next.optional.charCodeAt(0);
      else if ("field" in next && next.field.startsWith !== undefined)
        stop = next.field.startsWith.charCodeAt(0);
      else if ("field" in next && next.field.role === ROLE.TIME_CLF) {
        // Nothing but the time's own scanner could tell where this field ends.
        throw adjacent(spec, f, next.field);
      } else {
        throw adjacent(spec, f, "field" in next ? next.field : null);
      }
    }
    while (j < pieces.length && !("literal" in (pieces[j] as Piece))) j++;
    const delimiter = j < pieces.length ? (pieces[j] as { literal: string }).literal : "";
    const previous = pieces[i - 1];
    const quoted =
      previous !== undefined &&
      "literal" in previous &&
      previous.literal.endsWith('"') &&
      delimiter.startsWith('"') &&
      spec.escaping !== "none";
    const delimiterIsLast = j === pieces.length - 1 && j === i + 1;
    steps.push({
      kind: STEP.FIELD,
      text: delimiter,
      slot: used ? f.role : -1,
      stop,
      quoted,
      openEnd: quoted && delimiterIsLast && delimiter === '"',
      consumes: j === i + 1 && delimiter !== "",
      time: null,
      fail: rejection(
        "malformed",
        delimiter === ""
          ? `the line ends before ${f.label}`
          : `${quote(delimiter)} after ${f.label} not found`,
      ),
    });
  }
  // A line that ends early is malformed at the first step it cannot take; steps are checked in order.
  const fields = new Map<number, Field>();
  for (const f of chosen) fields.set(f.role, f);
  const reads = [...chosen].map((f) => f.label);
  return {
    format: spec.format,
    reads,
    createParser: () => new TemplateParser(spec.format, steps, fields, spec.escaping),
  };
}

function step(kind: number, text: string, fail: ParseResult): Step {
  return { kind, text, slot: -1, stop: -1, quoted: false, openEnd: false, consumes: false, time: null, fail };
}

function adjacent(spec: TemplateSpec, first: Field, second: Field | null): FormatError {
  return new FormatError(
    `in the ${spec.what}, ${first.label} is directly followed by ${second === null ? "another field" : second.label} with nothing between them, so logsieve cannot tell where ${first.label} ends`,
    "put a separator (a space, a quote, any fixed text) between them in your server's format, or skip one of them",
  );
}

/** The last millisecond of 9999, the largest time any parser accepts. */
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const R_BAD_CLIENT = rejection("bad_client_ip", "the client address is empty or not an address");
const R_BAD_STATUS = rejection("bad_status", "the status is not a 3-digit code from 100 to 599");
const R_BAD_BYTES = rejection("bad_number", "the byte count is not a non-negative integer or -");
const R_BAD_DURATION = rejection("bad_number", "the time taken is not a non-negative number or -");
const R_BAD_TIME = rejection("bad_timestamp", "the time is not a timestamp in range");
const R_NO_TARGET = rejection("missing_field", "the request path is empty");

/** Reads one input's lines with a compiled format. Holds per-input scratch state: one per input. */
class TemplateParser implements LineParser {
  private readonly starts = new Int32Array(ROLE_COUNT);
  private readonly ends = new Int32Array(ROLE_COUNT);
  private readonly clfTime = new ClfTimeCache();
  private readonly parts = new TimeParts();
  private readonly request = new RequestLineScratch();
  private readonly hasTimeScan: boolean;
  private readonly timeRole: number;
  private readonly timeToMs: number;
  private readonly durationToMs: number;
  private readonly separators: string | null;
  private readonly clientFromForwarded: boolean;
  private readonly signalled: boolean;
  // Whether the format gives each role (a line that parsed filled every slot the format reads).
  private readonly hasForwarded: boolean;
  private readonly hasRequest: boolean;
  private readonly hasMethod: boolean;
  private readonly hasProtocol: boolean;
  private readonly hasUri: boolean;
  private readonly hasQuery: boolean;
  private readonly hasStatus: boolean;
  private readonly hasBytes: boolean;
  private readonly hasDuration: boolean;
  private readonly hasHost: boolean;
  private readonly hasReferrer: boolean;
  private readonly hasUserAgent: boolean;
  private readonly hasDnt: boolean;
  private readonly hasGpc: boolean;
  private lastIso = "";
  private lastIsoMs = 0;
  // The steps as parallel arrays: the line loop reads numbers from typed arrays rather than objects' properties.
  private readonly kinds: Uint8Array;
  private readonly texts: readonly string[];
  private readonly slots: Int8Array;
  private readonly stops: Int32Array;
  /** Bit 1: quoted; bit 2: open end; bit 4: consumes its delimiter. */
  private readonly flags: Uint8Array;
  private readonly fails: readonly ParseResult[];
  private readonly times: readonly (TimeScanner | null)[];

  constructor(
    readonly format: RecordFormat,
    steps: readonly Step[],
    fields: ReadonlyMap<number, Field>,
    private readonly escaping: EscapeMode,
  ) {
    this.hasTimeScan = steps.some((s) => s.kind === STEP.TIME_SCAN);
    let timeRole = -1;
    for (const r of [ROLE.TIME_CLF, ROLE.TIME_ISO, ROLE.TIME_EPOCH]) if (fields.has(r)) timeRole = r;
    this.timeRole = timeRole;
    this.timeToMs = fields.get(ROLE.TIME_EPOCH)?.toMs ?? 1000;
    this.durationToMs = fields.get(ROLE.DURATION)?.toMs ?? 1;
    this.separators = fields.get(ROLE.FORWARDED)?.separators ?? null;
    this.clientFromForwarded = !fields.has(ROLE.CLIENT);
    this.signalled = fields.has(ROLE.DNT) || fields.has(ROLE.GPC);
    this.hasForwarded = fields.has(ROLE.FORWARDED);
    this.hasRequest = fields.has(ROLE.REQUEST);
    this.hasMethod = fields.has(ROLE.METHOD);
    this.hasProtocol = fields.has(ROLE.PROTOCOL);
    this.hasUri = fields.has(ROLE.URI);
    this.hasQuery = fields.has(ROLE.QUERY);
    this.hasStatus = fields.has(ROLE.STATUS);
    this.hasBytes = fields.has(ROLE.BYTES);
    this.hasDuration = fields.has(ROLE.DURATION);
    this.hasHost = fields.has(ROLE.HOST);
    this.hasReferrer = fields.has(ROLE.REFERRER);
    this.hasUserAgent = fields.has(ROLE.USER_AGENT);
    this.hasDnt = fields.has(ROLE.DNT);
    this.hasGpc = fields.has(ROLE.GPC);
    this.kinds = Uint8Array.from(steps, (st) => st.kind);
    this.texts = steps.map((st) => st.text);
    this.slots = Int8Array.from(steps, (st) => st.slot);
    this.stops = Int32Array.from(steps, (st) => st.stop);
    this.flags = Uint8Array.from(
      steps,
      (st) => (st.quoted ? 1 : 0) | (st.openEnd ? 2 : 0) | (st.consumes ? 4 : 0),
    );
    this.fails = steps.map((st) => st.fail);
    this.times = steps.map((st) => st.time);
  }

  private text(role: number, line: string): string {
    return line.slice(this.starts[role], this.ends[role]);
  }

  parse(raw: string): ParseResult {
    const line = stripCr(raw);
    const len = line.length;
    if (len === 0 || isBlank(line)) return SKIP_BLANK;
    const starts = this.starts;
    const ends = this.ends;
    if (this.hasTimeScan) this.parts.reset();
    let clfMs = Number.NaN;

    let pos = 0;
    const kinds = this.kinds;
    const texts = this.texts;
    const slots = this.slots;
    const flags = this.flags;
    const count = kinds.length;
    scan: for (let i = 0; i < count; i++) {
      switch (kinds[i]) {
        case STEP.LITERAL: {
          const text = texts[i] as string;
          if (!line.startsWith(text, pos)) return this.fails[i] as ParseResult;
          pos += text.length;
          break;
        }
        case STEP.FIELD: {
          const delimiter = texts[i] as string;
          const flag = flags[i] as number;
          const slot = slots[i] as number;
          let end: number;
          if (delimiter.length === 0) end = len;
          else {
            end = line.indexOf(delimiter, pos);
            // Quoted: a quote after a backslash may be escaped (checked only then: nearly never).
            if ((flag & 1) !== 0)
              while (end > 0 && line.charCodeAt(end - 1) === 92 && isEscaped(line, end))
                end = line.indexOf(delimiter, end + 1);
            if (end < 0) {
              if ((flag & 2) === 0) return this.fails[i] as ParseResult;
              if (slot >= 0) {
                starts[slot] = pos;
                ends[slot] = len;
              }
              break scan;
            }
          }
          let stopped = false;
          const stop = this.stops[i] as number;
          if (stop >= 0) {
            for (let k = pos; k < end; k++) {
              if (line.charCodeAt(k) === stop) {
                end = k;
                stopped = true;
                break;
              }
            }
          }
          if (slot >= 0) {
            starts[slot] = pos;
            ends[slot] = end;
          }
          if ((flag & 4) !== 0 && !stopped) {
            // The delimiter is the next step's literal, found here already.
            pos = end + delimiter.length;
            i++;
          } else pos = end;
          break;
        }
        case STEP.TIME_CLF:
          if (pos + 26 > len) return this.fails[i] as ParseResult;
          clfMs = this.clfTime.parse(line, pos, pos + 26);
          if (Number.isNaN(clfMs)) return this.fails[i] as ParseResult;
          pos += 26;
          break;
        case STEP.TIME_SCAN: {
          const end = (this.times[i] as TimeScanner).scan(line, pos, this.parts);
          if (end < 0) return this.fails[i] as ParseResult;
          pos = end;
          break;
        }
        case STEP.OPTIONAL: {
          const text = texts[i] as string;
          if (line.startsWith(text, pos)) pos += text.length;
          break;
        }
        default:
          while (pos < len && (line.charCodeAt(pos) === 32 || line.charCodeAt(pos) === 9)) pos++;
      }
    }
    return this.record(line, clfMs);
  }

  private record(line: string, clfMs: number): ParseResult {
    // Time
    let timestampMs: number;
    if (this.hasTimeScan) timestampMs = this.parts.toMs();
    else if (this.timeRole === ROLE.TIME_CLF) timestampMs = clfMs;
    else if (this.timeRole === ROLE.TIME_ISO) {
      const t = this.text(ROLE.TIME_ISO, line);
      if (t === this.lastIso) timestampMs = this.lastIsoMs;
      else {
        timestampMs = parseIsoTime(t);
        if (!Number.isNaN(timestampMs)) {
          this.lastIso = t;
          this.lastIsoMs = timestampMs;
        }
      }
    } else {
      const ms = Math.floor(parseDecimal(this.text(ROLE.TIME_EPOCH, line)) * this.timeToMs);
      timestampMs = ms >= 0 && ms <= MAX_MS ? ms : Number.NaN;
    }
    if (Number.isNaN(timestampMs)) return R_BAD_TIME;

    // Client address
    let clientIp: string;
    let forwardedFor: string | null = null;
    if (this.hasForwarded) {
      forwardedFor = nullIfDash(this.text(ROLE.FORWARDED, line).trim());
      if (forwardedFor !== null && this.separators !== null)
        forwardedFor = toCommaList(forwardedFor, this.separators);
    }
    if (this.clientFromForwarded) {
      // The format logs only the forwarded list: its last entry was written by the proxy in front of the server
      // (the server's peer), the entries before it are believed only past trusted proxies (resolveClientAddress).
      if (forwardedFor === null) return R_BAD_CLIENT;
      const comma = forwardedFor.lastIndexOf(",");
      clientIp = forwardedFor.slice(comma + 1).trim();
      forwardedFor = comma < 0 ? null : forwardedFor.slice(0, comma);
    } else clientIp = this.text(ROLE.CLIENT, line);
    if (!isPlausibleClientToken(clientIp)) return R_BAD_CLIENT;

    // Request
    let method: string | null = null;
    let target: string;
    let protocol: string | null = null;
    if (this.hasRequest) {
      const req = this.request;
      splitRequestInto(line, this.starts[ROLE.REQUEST] as number, this.ends[ROLE.REQUEST] as number, req);
      method = req.method;
      target = req.target;
      protocol = req.protocol;
    } else {
      if (this.hasMethod) {
        const m = this.text(ROLE.METHOD, line);
        method = isMethodToken(m, 0, m.length) ? m : null;
      }
      if (this.hasProtocol) {
        const p = this.text(ROLE.PROTOCOL, line);
        protocol = isProtocolToken(p, 0, p.length) ? p : null;
      }
      if (this.hasUri) target = this.text(ROLE.URI, line);
      else {
        target = this.text(ROLE.PATH, line);
        if (this.hasQuery) {
          let q = this.text(ROLE.QUERY, line);
          if (q.charCodeAt(0) === 63 /* ? */) q = q.slice(1);
          if (q.length > 0 && q !== "-" && target.indexOf("?") < 0) target = `${target}?${q}`;
        }
      }
    }
    if (target.length === 0) return R_NO_TARGET;

    let status: number | null = null;
    if (this.hasStatus) {
      status = parseStatus(line, this.starts[ROLE.STATUS] as number, this.ends[ROLE.STATUS] as number);
      if (status < 0) return R_BAD_STATUS;
    }
    let bytes = 0;
    if (this.hasBytes) {
      bytes = parseByteCount(line, this.starts[ROLE.BYTES] as number, this.ends[ROLE.BYTES] as number);
      if (bytes < 0) return R_BAD_BYTES;
    }
    let durationMs: number | null = null;
    if (this.hasDuration) {
      const d = this.text(ROLE.DURATION, line);
      if (d !== "-" && d.length > 0) {
        const n = parseDecimal(d);
        if (!(n >= 0)) return R_BAD_DURATION;
        durationMs = roundMs(n * this.durationToMs);
      }
    }

    const hostText = this.hasHost ? this.text(ROLE.HOST, line) : "";
    const record: AccessRecord = {
      timestampMs,
      clientIp,
      forwardedFor,
      host: hostText.length === 0 ? null : normalizeHost(hostText),
      method,
      target,
      protocol,
      status,
      bytes,
      referrer: this.hasReferrer ? this.decoded(ROLE.REFERRER, line) : null,
      userAgent: this.hasUserAgent ? this.decoded(ROLE.USER_AGENT, line) : null,
      durationMs,
    };
    if (this.signalled) {
      const signals = this.signals(line);
      if (signals !== undefined) return { ok: true, record: { ...record, signals } };
    }
    return { ok: true, record };
  }

  private decoded(role: number, line: string): string | null {
    const raw = this.text(role, line);
    return nullIfDash(raw.indexOf("\\") < 0 ? raw : decodeValue(raw, this.escaping));
  }

  private signals(line: string): PrivacySignals | undefined {
    const dnt = this.hasDnt ? flag(this.text(ROLE.DNT, line)) : undefined;
    const gpc = this.hasGpc ? flag(this.text(ROLE.GPC, line)) : undefined;
    if (dnt === undefined && gpc === undefined) return undefined;
    const s: { dnt?: boolean; gpc?: boolean } = {};
    if (dnt !== undefined) s.dnt = dnt;
    if (gpc !== undefined) s.gpc = gpc;
    return s;
  }
}

function flag(v: string): boolean | undefined {
  if (v === "1") return true;
  if (v === "0") return false;
  return undefined;
}

/** An address list written with other separators (GoAccess `~h{ }`) as the comma list resolveClientAddress reads. */
function toCommaList(s: string, separators: string): string {
  let out = "";
  let token = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (separators.includes(c) || c === ",") {
      if (token.length > 0) out += out.length === 0 ? token : `,${token}`;
      token = "";
    } else token += c;
  }
  if (token.length > 0) out += out.length === 0 ? token : `,${token}`;
  return out;
}

export { FormatError };
