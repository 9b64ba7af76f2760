import { EVENT_PROP_SLOTS } from "../goals.ts";

/**
 * Which custom properties of an event are stored: only those whose name the site lists in
 * `siteSettings.<site>.eventProperties` (at most EVENT_PROP_SLOTS), in the list's order. Everything else a tracker
 * sends is dropped and counted (the collector's `properties.dropped`), never stored: a property is free text a
 * visitor's page writes, and only names the operator chose, and wrote into the privacy notice, are kept.
 */
export interface AllowedProps {
  readonly kept: readonly (readonly [string, string])[];
  /** Properties sent but not stored (names not allowlisted, or a name sent twice). */
  readonly dropped: number;
}

const NONE: AllowedProps = { kept: [], dropped: 0 };

export function allowedProps(
  sent: readonly (readonly [string, string])[] | undefined,
  allowlist: readonly string[],
): AllowedProps {
  if (sent === undefined || sent.length === 0) return NONE;
  const byName = new Map<string, string>();
  let dropped = 0;
  for (const [key, value] of sent) {
    if (!allowlist.includes(key) || byName.has(key)) dropped++;
    else byName.set(key, value);
  }
  const kept: [string, string][] = [];
  for (const key of allowlist) {
    const value = byName.get(key);
    if (value !== undefined && kept.length < EVENT_PROP_SLOTS) kept.push([key, value]);
  }
  return { kept, dropped };
}
