import { DETECT_SAMPLE_LINES, type Detection, detect, type FormatChoice } from "../../parse/index.ts";
import type { RawLine } from "../lines.ts";

/** The format an input is read in, and the lines read to find it (they still have to go through the pipeline). */
export interface DetectedInput {
  /** The format in force: the one asked for, the one detected, or null when no format accepts any sample line. */
  readonly format: FormatChoice | null;
  /** True when the format was detected rather than asked for. */
  readonly detected: boolean;
  /** What detection saw (how many sample lines the chosen format accepted); null when the format was given. */
  readonly detection: Detection | null;
  /** The lines read for the sample, in order: the pipeline processes them first. */
  readonly held: readonly RawLine[];
  /** The rest of the input, or null when the sample read all of it. */
  readonly rest: AsyncIterator<readonly RawLine[]> | null;
}

/**
 * Step 0, once per input: the format, from the first {@link DETECT_SAMPLE_LINES} non-blank lines (the format whose
 * parser accepts most of them wins, see parse/detect.ts; a too-long line among them is not looked at, it is only a
 * head). A forced format reads nothing ahead. Lines are held back, not consumed: the pipeline processes them in
 * order afterwards.
 */
export async function detectInputFormat(
  lines: AsyncIterable<readonly RawLine[]>,
  forced: FormatChoice | undefined,
): Promise<DetectedInput> {
  const batches = lines[Symbol.asyncIterator]();
  if (forced !== undefined)
    return { format: forced, detected: false, detection: null, held: [], rest: batches };
  const held: RawLine[] = [];
  const sample: string[] = [];
  let nonBlank = 0;
  while (nonBlank < DETECT_SAMPLE_LINES) {
    const next = await batches.next();
    if (next.done === true) {
      const detection = detect(sample);
      return { format: detection.format, detected: detection.format !== null, detection, held, rest: null };
    }
    for (const line of next.value) {
      held.push(line);
      if (nonBlank === DETECT_SAMPLE_LINES || line.text.trim().length === 0) continue;
      nonBlank++;
      if (!line.tooLong) sample.push(line.text);
    }
  }
  const detection = detect(sample);
  return { format: detection.format, detected: detection.format !== null, detection, held, rest: batches };
}
