/**
 * The log-line parsers: one per LogFormat, behind one interface (LineParser).
 *
 *   const parser = createParser(detectFormat(firstLines) ?? "combined");
 *   for (const line of lines) { const r = parser.parse(line); ... }   // never throws
 *
 * Make one parser per input (file/object): parsers keep per-input state (W3C `#Fields`, timestamp caches).
 */

export { DETECT_SAMPLE_LINES, detectFormat, SPECIFICITY } from "./detect.ts";
export { createParser } from "./factory.ts";
export type { LineParser } from "./parser.ts";
