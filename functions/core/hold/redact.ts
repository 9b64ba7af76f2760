import { maskAddresses } from "../scrub/addresses.ts";
import { foldLookAlikes } from "../scrub/text.ts";

/**
 * Removes IP addresses from free text before it reaches the audit trail, a report or an error message.
 * A person may type an address into a hold's reason ("brute force from 203.0.113.7"); the full text stays in the
 * incident's manifest (evidence zone), the audit line gets `[address]` instead.
 *
 * The address finding is the scrubber's (functions/core/scrub/addresses.ts): dotted, dashed, underscored, octal,
 * hex, integer, IPv4-mapped and IPv6 (also dashed), with ports and inside host names; full-width and other
 * look-alike digits and dots are folded to ASCII first, so `２０３．０．１１３．７` is found too. Times, dates and
 * three-part versions stay readable.
 */

export const REDACTED = "[address]";

export function redactAddresses(text: string): string {
  return maskAddresses(foldLookAlikes(text), REDACTED);
}
