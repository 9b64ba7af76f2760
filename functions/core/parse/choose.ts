/**
 * Formats named in the configuration (`formats`), chosen per input: the first entry whose conditions all hold for
 * the input wins.
 *
 *   "formats": [
 *     { "match": "/var/log/nginx/*.log", "nginx": "log_format main '$remote_addr - …';" },
 *     { "prefix": "incoming/site=shop.example.com/", "apache": "%h %l %u %t \"%r\" %>s %b" },
 *     { "site": "blog.example.com", "format": "caddy" }
 *   ]
 *
 * - `match`: a glob over the input's name, a local path (made absolute) or an S3 object key: `*` is any run of
 *   characters but `/`, `**` any run including `/`, `?` one character but `/`. A pattern without `/` is matched
 *   against the file's base name (`access*.log`).
 * - `prefix`: the start of the input's name (on AWS the object key: `incoming/site=example.com/nginx/`).
 * - `site`: the site the input is ingested for (`--site`, or the `site=` folder of the key on AWS).
 *
 * Matching is a table of pattern × name positions, filled once: no regular expression, no backtracking, at most
 * |pattern| × |name| steps (names and patterns are short: paths, keys).
 */

import type { LogFormat } from "../types.ts";
import { compileFormatSpec, type FormatChoice, type FormatSpec } from "./custom/index.ts";

/** Which inputs a configured format is for; at least one condition, all of those given must hold. */
export interface FormatCondition {
  readonly match?: string;
  readonly prefix?: string;
  readonly site?: string;
}

/** One entry of `formats`: its conditions and one format (a built-in name, or nginx/Apache/GoAccess text). */
export interface ConfiguredFormat extends FormatCondition {
  readonly format?: LogFormat;
  readonly nginx?: string;
  /** nginx: the operator's own variables (map, set, modules), read past. */
  readonly variables?: readonly string[];
  readonly apache?: string;
  readonly goaccess?: string;
  readonly dateFormat?: string;
  readonly timeFormat?: string;
  readonly datetimeFormat?: string;
}

/** The format an entry names; null when it names none (the configuration schema requires exactly one). */
export function specOf(entry: ConfiguredFormat): FormatSpec | null {
  if (entry.format !== undefined) return { format: entry.format };
  if (entry.nginx !== undefined) return { nginx: entry.nginx, variables: entry.variables ?? [] };
  if (entry.apache !== undefined) return { apache: entry.apache };
  if (entry.goaccess !== undefined) {
    const spec: { goaccess: string; dateFormat?: string; timeFormat?: string; datetimeFormat?: string } = {
      goaccess: entry.goaccess,
    };
    if (entry.dateFormat !== undefined) spec.dateFormat = entry.dateFormat;
    if (entry.timeFormat !== undefined) spec.timeFormat = entry.timeFormat;
    if (entry.datetimeFormat !== undefined) spec.datetimeFormat = entry.datetimeFormat;
    return spec;
  }
  return null;
}

/** What is known of an input when its format is chosen. */
export interface InputName {
  /** The local path (absolute) or the object key; undefined for standard input. */
  readonly name?: string;
  /** The site the input is ingested for, when known. */
  readonly site?: string;
}

/** The configured format for an input: the index of the first matching entry and the format, compiled; or null. */
export function chooseConfiguredFormat(
  entries: readonly ConfiguredFormat[],
  input: InputName,
): { readonly index: number; readonly format: FormatChoice } | null {
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as ConfiguredFormat;
    const spec = specOf(entry);
    if (spec === null || !applies(entry, input)) continue;
    return { index, format: compileFormatSpec(spec) };
  }
  return null;
}

function applies(entry: FormatCondition, input: InputName): boolean {
  if (entry.match === undefined && entry.prefix === undefined && entry.site === undefined) return false;
  if (entry.site !== undefined && entry.site !== input.site) return false;
  if (entry.prefix !== undefined && (input.name === undefined || !input.name.startsWith(entry.prefix)))
    return false;
  if (entry.match !== undefined) {
    if (input.name === undefined) return false;
    const name = entry.match.includes("/") ? input.name : input.name.slice(input.name.lastIndexOf("/") + 1);
    if (!matchesGlob(entry.match, name)) return false;
  }
  return true;
}

const STAR = -1;
const GLOBSTAR = -2;
const ONE = -3;
// A globstar followed by a slash: any run of folders, none included.
const FOLDERS = -4;

/** Whether `name` matches the glob `pattern` (`*`, `**`, `?`; everything else literally). */
export function matchesGlob(pattern: string, name: string): boolean {
  // The pattern as tokens: a character code, or one of the wildcards.
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 42 /* * */) {
      if (pattern.charCodeAt(i + 1) === 42) {
        i++;
        if (pattern.charCodeAt(i + 1) === 47) {
          tokens.push(FOLDERS);
          i++;
        } else tokens.push(GLOBSTAR);
      } else tokens.push(STAR);
    } else if (c === 63 /* ? */) tokens.push(ONE);
    else tokens.push(c);
  }
  // reach[j]: the first j characters of the name are matched by the tokens so far.
  let reach = new Uint8Array(name.length + 1);
  reach[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(name.length + 1);
    if (token === FOLDERS) {
      // Nothing, or anything that ends with a slash.
      let seen = false;
      for (let j = 0; j <= name.length; j++) {
        if (reach[j] === 1 || (seen && j > 0 && name.charCodeAt(j - 1) === 47)) next[j] = 1;
        if (reach[j] === 1) seen = true;
      }
    } else if (token === STAR || token === GLOBSTAR) {
      let on = false;
      for (let j = 0; j <= name.length; j++) {
        if (reach[j] === 1) on = true;
        if (on) next[j] = 1;
        // A star stops at a slash; a globstar goes on.
        if (on && token === STAR && j < name.length && name.charCodeAt(j) === 47) on = false;
      }
    } else {
      for (let j = 0; j < name.length; j++) {
        if (reach[j] !== 1) continue;
        const c = name.charCodeAt(j);
        if (token === ONE ? c !== 47 : c === token) next[j + 1] = 1;
      }
    }
    reach = next;
  }
  return reach[name.length] === 1;
}
