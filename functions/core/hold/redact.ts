import { parseClientAddress } from "../anonymize/ip.ts";

/**
 * Removes IP addresses from free text before it reaches the audit trail, a report or an error message.
 * A person may type an address into a hold's reason ("brute force from 203.0.113.7"); the full text stays in the
 * incident's manifest (evidence zone), the audit line gets `[address]` instead.
 *
 * Two passes: every dotted quad (also inside longer dotted runs, which no parser would accept) and every token of
 * hex digits, dots and colons that parses as an address (IPv6, IPv4 with a port, IPv4-mapped IPv6).
 */

export const REDACTED = "[address]";

const DOTTED_QUAD = /(?<![0-9])\d{1,3}(?:\.\d{1,3}){3}(?![0-9])/g;
// Whole runs of hex digits, dots and colons; those with a colon are checked below. (Matching "a run with a colon"
// in the pattern itself made a long run without one quadratic: 100,000 dots took 14 s.)
const ADDRESS_LIKE = /[0-9A-Fa-f:.]+/g;

export function redactAddresses(text: string): string {
  const withoutV6 = text.replace(ADDRESS_LIKE, (token) => {
    if (!token.includes(":")) return token;
    // A sentence may end right after an address: "from 2001:db8::1." or "… 2001:db8::1:".
    if (parseClientAddress(token) !== null) return REDACTED;
    let end = token.length;
    while (end > 0 && (token[end - 1] === "." || token[end - 1] === ":")) end--;
    const trimmed = token.slice(0, end);
    return parseClientAddress(trimmed) !== null ? `${REDACTED}${token.slice(trimmed.length)}` : token;
  });
  return withoutV6.replace(DOTTED_QUAD, REDACTED);
}
