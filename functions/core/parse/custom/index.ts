/**
 * Formats the operator writes, compiled once into parsers:
 *
 *   const compiled = compileFormatSpec({ nginx: "log_format main '$remote_addr - …';" });   // throws FormatError
 *   const parser = compiled.createParser();                                                   // one per input
 *
 * See nginx.ts, apache.ts and goaccess.ts for what each reads, template.ts for how a line is read.
 */

import type { LogFormat, RecordFormat } from "../../types.ts";
import { compileApacheFormat } from "./apache.ts";
import { compileGoAccessFormat, GOACCESS_PRESETS } from "./goaccess.ts";
import { compileNginxFormat } from "./nginx.ts";
import type { CompiledFormat } from "./template.ts";

export { compileApacheFormat } from "./apache.ts";
export { FormatError } from "./errors.ts";
export { compileGoAccessFormat, GOACCESS_PRESETS } from "./goaccess.ts";
export { compileNginxFormat } from "./nginx.ts";
export type { CompiledFormat } from "./template.ts";

/** A format as named in the configuration or on the command line: a built-in name, or one the operator wrote. */
export type FormatSpec =
  | { readonly format: LogFormat }
  | { readonly nginx: string; readonly variables?: readonly string[] }
  | { readonly apache: string }
  | {
      readonly goaccess: string;
      readonly dateFormat?: string;
      readonly timeFormat?: string;
      readonly datetimeFormat?: string;
    };

/** A built-in format's name, or a compiled format: what an ingest is told to read an input with. */
export type FormatChoice = LogFormat | CompiledFormat;

/**
 * The format a spec names: its built-in name, or the operator's format compiled. A GoAccess predefined name
 * (`COMBINED`) gives the built-in format that reads the same logs. Throws a FormatError when it cannot be read.
 */
export function compileFormatSpec(spec: FormatSpec): FormatChoice {
  if ("format" in spec) return spec.format;
  if ("nginx" in spec) return compileNginxFormat(spec.nginx, { customVariables: spec.variables ?? [] });
  if ("apache" in spec) return compileApacheFormat(spec.apache);
  const preset = GOACCESS_PRESETS[spec.goaccess.trim().toUpperCase()];
  if (preset !== undefined) return preset;
  return compileGoAccessFormat(spec.goaccess, spec);
}

/** The name a format choice is reported and stored under. */
export function formatName(choice: FormatChoice): RecordFormat {
  return typeof choice === "string" ? choice : choice.format;
}
