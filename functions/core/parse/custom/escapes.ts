/**
 * How servers escape the values they write into a log line, and how to undo it for the fields logsieve keeps as text
 * (referrer, user agent). The request target is kept as logged, as in every other format.
 *
 * - `apache`: `\"` and `\\` (Apache httpd's `ap_escape_logitem`; its `\xhh` for other bytes stays as logged);
 *   GoAccess formats are read the same way.
 * - `nginx`: nginx's default `escape=default`: `"`, `\` and bytes outside printable ASCII as `\xHH`; decoded as
 *   UTF-8 (an invalid sequence keeps its escapes).
 * - `json`: nginx `escape=json`: JSON string escapes.
 * - `none`: nginx `escape=none`: nothing is escaped.
 */

export type EscapeMode = "apache" | "nginx" | "json" | "none";

import { unescapeQuoted } from "../fields.ts";

export function decodeValue(s: string, mode: EscapeMode): string {
  if (mode === "none" || s.indexOf("\\") < 0) return s;
  if (mode === "apache") return unescapeQuoted(s);
  if (mode === "json") return decodeJsonEscapes(s);
  return decodeNginxEscapes(s);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `\xHH` runs decoded as UTF-8 bytes. Text between escapes is copied in slices; a run that is not valid UTF-8 stays
 * as logged. Linear: each character is looked at a bounded number of times.
 */
export function decodeNginxEscapes(s: string): string {
  let out = "";
  let last = 0;
  let i = s.indexOf("\\x");
  while (i >= 0) {
    // Collect a run of consecutive \xHH escapes.
    let j = i;
    const bytes: number[] = [];
    while (j + 3 < s.length && s.charCodeAt(j) === 92 && s.charCodeAt(j + 1) === 120) {
      const h1 = hexVal(s.charCodeAt(j + 2));
      const h2 = hexVal(s.charCodeAt(j + 3));
      if (h1 < 0 || h2 < 0) break;
      bytes.push((h1 << 4) | h2);
      j += 4;
    }
    if (bytes.length === 0) {
      i = s.indexOf("\\x", i + 2);
      continue;
    }
    let text: string | null;
    try {
      text = utf8.decode(new Uint8Array(bytes));
    } catch {
      text = null;
    }
    if (text !== null) {
      out += s.slice(last, i) + text;
      last = j;
    }
    i = s.indexOf("\\x", j);
  }
  return last === 0 ? s : out + s.slice(last);
}

/** JSON string escapes (`\"`, `\\`, `\/`, `\n`, `\uXXXX`, surrogate pairs); an invalid escape stays as logged. */
export function decodeJsonEscapes(s: string): string {
  let out = "";
  let last = 0;
  let i = s.indexOf("\\");
  while (i >= 0 && i + 1 < s.length) {
    const c = s.charCodeAt(i + 1);
    let text: string | null = null;
    let width = 2;
    switch (c) {
      case 34:
        text = '"';
        break;
      case 92:
        text = "\\";
        break;
      case 47:
        text = "/";
        break;
      case 98:
        text = "\b";
        break;
      case 102:
        text = "\f";
        break;
      case 110:
        text = "\n";
        break;
      case 114:
        text = "\r";
        break;
      case 116:
        text = "\t";
        break;
      case 117: {
        let code = 0;
        for (let k = 2; k < 6; k++) {
          const h = hexVal(s.charCodeAt(i + k));
          if (h < 0) {
            code = -1;
            break;
          }
          code = code * 16 + h;
        }
        if (code >= 0) {
          text = String.fromCharCode(code);
          width = 6;
        }
        break;
      }
    }
    if (text === null) {
      i = s.indexOf("\\", i + 2);
      continue;
    }
    out += s.slice(last, i) + text;
    last = i + width;
    i = s.indexOf("\\", last);
  }
  return last === 0 ? s : out + s.slice(last);
}
