/**
 * Format auto-detection from the first lines of an input: every built-in format's parser reads the sample, and the
 * format that accepts the most lines wins. Ties go to the more specific format, in the order of {@link SPECIFICITY}:
 * a Traefik CLF line is also a combined line, a combined line also a common one, a CloudFront log also a W3C log, a
 * Caddy entry also a JSON line. Formats the operator writes (nginx, Apache, GoAccess) are never guessed: they are
 * named in the configuration or on the command line.
 */

import type { LogFormat } from "../types.ts";
import { createParser } from "./factory.ts";

/** How many lines from the start of an input the caller should pass to {@link detectFormat}. */
export const DETECT_SAMPLE_LINES = 50;

/** Every built-in format, most specific first: the order that breaks ties. */
export const SPECIFICITY: readonly LogFormat[] = [
  "alb",
  "elb",
  "cloudfront",
  "w3c",
  "s3",
  "haproxy",
  "squid",
  "caddy",
  "traefik-json",
  "jsonl",
  "traefik",
  "vhost-combined",
  "combined",
  "common",
];

/** What detection chose and on what evidence. */
export interface Detection {
  /** The chosen format, or null when no format accepts any line. */
  readonly format: LogFormat | null;
  /** Sample lines the chosen format accepted. */
  readonly matched: number;
  /** Sample lines that are records or rejects for the chosen format (blank lines and directives left out). */
  readonly considered: number;
}

/** The format that accepts the most lines of `sample` (ties broken by specificity), with how many it accepted. */
export function detect(sample: readonly string[]): Detection {
  let best: Detection = { format: null, matched: 0, considered: 0 };
  // A format that recognized a directive of its own (W3C #Fields) though it accepts no line: its rejections say
  // why (e.g. IIS advanced logging's local time), where "unknown format" would not.
  let directiveOnly: Detection | null = null;
  for (const format of SPECIFICITY) {
    const parser = createParser(format);
    let matched = 0;
    let considered = 0;
    let directives = 0;
    for (const line of sample) {
      const result = parser.parse(line);
      if (result.ok === "skip") {
        if (result.why === "directive") directives++;
        continue;
      }
      considered++;
      if (result.ok === true) matched++;
    }
    if (matched > best.matched) best = { format, matched, considered };
    // The most general such format (the last in order): w3c rather than cloudfront.
    else if (matched === 0 && directives > 0) directiveOnly = { format, matched, considered };
  }
  if (best.format === null && directiveOnly !== null) return directiveOnly;
  if (best.format === null) {
    const considered = sample.filter((l) => l.trim().length > 0).length;
    return { format: null, matched: 0, considered };
  }
  return best;
}

/** The format that accepts the most lines of `sample` (ties broken by specificity), or null when none accepts any. */
export function detectFormat(sample: readonly string[]): LogFormat | null {
  return detect(sample).format;
}
