/**
 * Format auto-detection from the first lines of an input: every format's parser reads the sample, and the
 * format that accepts the most lines wins. Ties go to the more specific format, in the order of
 * {@link SPECIFICITY} (`vhost-combined` > `combined` > `common`: a combined line also parses as common).
 * Null when no parser accepts any line (an error log, an unsupported format, only blank lines).
 */

import type { LogFormat } from "../types.ts";
import { createParser } from "./factory.ts";

/** How many lines from the start of an input the caller should pass to {@link detectFormat}. */
export const DETECT_SAMPLE_LINES = 50;

/** Every format, most specific first: the order that breaks ties. */
export const SPECIFICITY: readonly LogFormat[] = [
  "alb",
  "cloudfront",
  "jsonl",
  "vhost-combined",
  "combined",
  "common",
];

/** The format that accepts the most lines of `sample` (ties broken by specificity), or null when none accepts any. */
export function detectFormat(sample: readonly string[]): LogFormat | null {
  let best: LogFormat | null = null;
  let bestCount = 0;
  for (const format of SPECIFICITY) {
    const parser = createParser(format);
    let count = 0;
    for (const line of sample) if (parser.parse(line).ok === true) count++;
    if (count > bestCount) {
      best = format;
      bestCount = count;
    }
  }
  return best;
}
