/**
 * Text as the masking rules see it: decoded until nothing more decodes, without control or invisible characters,
 * and with look-alike characters folded to the ASCII ones the rules are written for. An attacker who wants an
 * e-mail address or an IP address to survive writes it so that the rules do not recognise it (`john%2540x.com`,
 * `alice&#64;x.com`, `２０３．０．１１３．７`, `203.0.113.\u200b7`); this module undoes those spellings first.
 * See docs/PRIVACY.md, "The scrub policy".
 */

/**
 * Rounds of decoding before a text counts as deliberately obfuscated. A real URL is encoded once, rarely twice
 * (a tracker re-encoding a page URL); every round removes at least two characters, so this bounds the work too.
 */
export const MAX_DECODE_ROUNDS = 8;

const HEX_DIGIT = /^[0-9A-Fa-f]$/;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * One round of decoding of every escape a URL, a page or a script may carry: `%XX` (as UTF-8 where the bytes are
 * UTF-8, otherwise left as written), `%uXXXX` (IIS), `&#NN;` / `&#xNN;` and a few named HTML entities, `\uXXXX`
 * and `\xXX`. `+` is not touched: it is a space only in query values, and the caller decides.
 */
export function decodeOnce(text: string): string {
  if (!text.includes("%") && !text.includes("&") && !text.includes("\\")) return text;
  let out = "";
  let bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length === 0) return;
    out += utf8OrEscapes(bytes);
    bytes = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      const h1 = hexValue(text.charCodeAt(i + 1));
      const h2 = hexValue(text.charCodeAt(i + 2));
      if (h1 >= 0 && h2 >= 0) {
        bytes.push(h1 * 16 + h2);
        i += 3;
        continue;
      }
      if ((text[i + 1] === "u" || text[i + 1] === "U") && isHex(text, i + 2, 4)) {
        flushBytes();
        out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
    }
    flushBytes();
    if (c === 38 /* & */) {
      const entity = readEntity(text, i);
      if (entity !== null) {
        out += entity.char;
        i = entity.end;
        continue;
      }
    } else if (c === 92 /* \ */) {
      const next = text[i + 1];
      if ((next === "u" || next === "U") && isHex(text, i + 2, 4)) {
        out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if ((next === "x" || next === "X") && isHex(text, i + 2, 2)) {
        out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
        continue;
      }
    }
    out += text[i];
    i++;
  }
  flushBytes();
  return out;
}

function isHex(text: string, from: number, count: number): boolean {
  if (from + count > text.length) return false;
  for (let i = from; i < from + count; i++) if (!HEX_DIGIT.test(text.charAt(i))) return false;
  return true;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  commat: "@",
  period: ".",
  colon: ":",
  sol: "/",
  amp: "&",
  percnt: "%",
  plus: "+",
  hyphen: "-",
  dash: "-",
  lowbar: "_",
  num: "#",
};

/** `&#64;`, `&#x40;`, `&commat;` at `at`: the character and where the entity ends; null when none is there. */
function readEntity(text: string, at: number): { char: string; end: number } | null {
  const semicolon = text.indexOf(";", at + 2);
  if (semicolon < 0 || semicolon - at > 12) return null;
  const body = text.slice(at + 1, semicolon);
  let code = -1;
  if (body.startsWith("#x") || body.startsWith("#X")) {
    if (/^#[xX][0-9A-Fa-f]{1,6}$/.test(body)) code = Number.parseInt(body.slice(2), 16);
  } else if (body.startsWith("#")) {
    if (/^#[0-9]{1,7}$/.test(body)) code = Number.parseInt(body.slice(1), 10);
  } else {
    const named = NAMED_ENTITIES[body.toLowerCase()];
    return named === undefined ? null : { char: named, end: semicolon + 1 };
  }
  if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null;
  return { char: String.fromCodePoint(code), end: semicolon + 1 };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes of consecutive `%XX` escapes: their UTF-8 text, or escape by escape where they are not UTF-8. */
function utf8OrEscapes(bytes: number[]): string {
  let ascii = true;
  for (const b of bytes) if (b >= 0x80) ascii = false;
  if (ascii) return String.fromCharCode(...bytes);
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    // Latin-1 or broken UTF-8: the ASCII bytes decode (they may hide an `@`), the others stay escaped. The hex
    // digits from a table: `toString(16).toUpperCase()` met strings of two kinds and threw decodeOnce's optimized
    // code away ("wrong map") in each thread.
    let out = "";
    for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
    return out;
  }
}

const HEX = "0123456789ABCDEF";

/**
 * Decodes until the text no longer changes. Null when it still changes after {@link MAX_DECODE_ROUNDS} rounds:
 * nothing legitimate is encoded that often, and what is hidden under more layers is not looked at but replaced.
 */
export function decodeUntilStable(text: string): string | null {
  let current = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeOnce(current);
    if (next === current) return current;
    current = next;
  }
  return decodeOnce(current) === current ? current : null;
}

// Control characters (C0, DEL, C1), format characters (zero-width spaces and joiners, bidi controls, soft hyphen,
// BOM) and line/paragraph separators: invisible, so they can split an address or a word without showing.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const FORMAT = /\p{Cf}/gu;
// After NFKC: the dots, hyphens and at signs that NFKC leaves alone but browsers or readers take for ASCII ones.
const DOT_LIKE = /[\u3002\uff61\ufe52\u2024\u2027]/g;
const DASH_LIKE = /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g;
const AT_LIKE = /[\ufe6b\uff20]/g;
const NON_ASCII_DIGIT = /\p{Nd}/gu;
const DIGIT = /^\p{Nd}$/u;

/** True when every character is printable ASCII (space to `~`). */
export function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c > 126) return false;
  }
  return true;
}

/**
 * Removes invisible characters and folds look-alikes (see {@link foldLookAlikes}). Printable ASCII is returned as it
 * is, at the cost of one scan.
 */
export function cleanText(text: string): string {
  if (isPrintableAscii(text)) return text;
  return foldLookAlikes(text.replace(INVISIBLE, ""));
}

/**
 * Folds look-alike characters to the ASCII ones the rules are written for: NFKC (full-width and other compatibility
 * forms: `２０３` → `203`, `＠` → `@`), ideographic and other dots, Unicode dashes, and decimal digits of every
 * script (`٢٠٣` → `203`). Format characters (zero-width spaces and joiners, bidi controls, soft hyphens) are removed;
 * control characters such as line breaks are kept (the redactor keeps a text's lines). ASCII is returned as it is.
 */
export function foldLookAlikes(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 126) ascii = false;
  if (ascii) return text;
  const out = text
    .replace(FORMAT, "")
    .normalize("NFKC")
    .replace(DOT_LIKE, ".")
    .replace(DASH_LIKE, "-")
    .replace(AT_LIKE, "@");
  return out.replace(NON_ASCII_DIGIT, (d) => (d >= "0" && d <= "9" ? d : String(digitValue(d))));
}

/** The value of a decimal digit of any script: its distance from the zero of its block of ten. */
function digitValue(digit: string): number {
  const code = digit.codePointAt(0) as number;
  let steps = 0;
  // Blocks of digits are at most a few tens of characters long (NFKC has folded the mathematical ones).
  while (steps < 64 && DIGIT.test(String.fromCodePoint(code - steps - 1))) steps++;
  return steps % 10;
}
