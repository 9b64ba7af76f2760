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
  if (result.ok === "skip") {
    run.skipped[result.why]++;
    if (result.why === "directive") noteDirective(run, line.text);
  } else rejectLine(run, line, result.rejection.reason, result.rejection.detail);
  return null;
}

/** `#Fields` lines are as long as their column names; a longer one is not kept (it cannot be a real header). */
const MAX_FIELDS_DIRECTIVE_CHARS = 4096;

/** Keeps the last `#Fields` directive: the columns a piece of the input read later must be parsed with. */
function noteDirective(run: IngestRun, text: string): void {
  if (text.length <= MAX_FIELDS_DIRECTIVE_CHARS && /^#fields:/i.test(text)) run.fieldsDirective = text;
}
