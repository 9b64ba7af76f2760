/**
 * The log-line parsers: one per built-in LogFormat, plus formats compiled from the operator's own nginx, Apache or
 * GoAccess format line, all behind one interface (LineParser).
 *
 *   const parser = createParser(detectFormat(firstLines) ?? "combined");
 *   const custom = createParser(compileFormatSpec({ nginx: "log_format main '…';" }));
 *   for (const line of lines) { const r = parser.parse(line); ... }   // never throws
 *
 * Make one parser per input (file/object): parsers keep per-input state (W3C `#Fields`, timestamp caches).
 */

export {
  type CompiledFormat,
  compileFormatSpec,
  type FormatChoice,
  FormatError,
  type FormatSpec,
  formatName,
} from "./custom/index.ts";
export { DETECT_SAMPLE_LINES, type Detection, detect, detectFormat, SPECIFICITY } from "./detect.ts";
export { createParser } from "./factory.ts";
export type { LineParser } from "./parser.ts";
