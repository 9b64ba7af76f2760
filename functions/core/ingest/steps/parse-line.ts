import type { AccessRecord } from "../../types.ts";
import type { RawLine } from "../lines.ts";
import type { IngestRun } from "../run.ts";
import { rejectLine } from "./reject.ts";

const NO_FORMAT_DETAIL = "the input matched no supported log format; pass --format";

/**
 * Step 1: the line as an access record, in the input's format. Otherwise the line ends here: skipped (a blank line,
 * a W3C directive) or rejected with the parser's reason, `line_too_long` (only its head was read) or
 * `unknown_format` (detection found no format for the input). Returns null when the line ended.
 */
export function parseLine(run: IngestRun, line: RawLine): AccessRecord | null {
  if (line.tooLong) {
    rejectLine(run, line, "line_too_long", run.tooLongDetail);
    return null;
  }
  const parser = run.parser;
  if (parser === null) {
    if (line.text.trim().length === 0) run.skipped.blank++;
    else rejectLine(run, line, "unknown_format", NO_FORMAT_DETAIL);
    return null;
  }
  const result = parser.parse(line.text);
  if (result.ok === true) return result.record;
  if (result.ok === "skip") run.skipped[result.why]++;
  else rejectLine(run, line, result.rejection.reason, result.rejection.detail);
  return null;
}
