import type { RejectReason } from "../ingest/reasons.ts";
import type { AccessRecord, LineRejection, ParseResult, RecordFormat } from "../types.ts";

/**
 * One parser per log format, behind one interface.
 *
 * A parser reads one line (without its terminator) and returns exactly one {@link ParseResult}:
 * a record, a counted rejection with a reason from the closed list, or a skip (blank line, W3C directive).
 * It never throws. Rejection details are short fixed texts: they never echo the input, which may hold
 * a full IP address.
 */
export interface LineParser {
  readonly format: RecordFormat;
  /** One line without its terminator. Never throws: returns a ParseResult (types.ts). Stateful formats (W3C #Fields) keep per-input state: make one parser per input. */
  parse(line: string): ParseResult;
}

/** A rejection result. Build these once per module (they are immutable and shared), not per line. */
export function rejection(reason: RejectReason, detail: string): ParseResult {
  const r: LineRejection = Object.freeze({ reason, detail });
  return Object.freeze({ ok: false as const, rejection: r });
}

export function accepted(record: AccessRecord): ParseResult {
  return { ok: true, record };
}

export const SKIP_BLANK: ParseResult = Object.freeze({ ok: "skip" as const, why: "blank" as const });
export const SKIP_DIRECTIVE: ParseResult = Object.freeze({ ok: "skip" as const, why: "directive" as const });

/** The line without a trailing `\r` (the line reader strips CRLF, but a stray CR may remain). */
export function stripCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** True when the line holds nothing but spaces and tabs. */
export function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
