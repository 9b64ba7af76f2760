/**
 * A filter as the filtered queries take it (queries/stats.*.sql): at most {@link LEAF_SLOTS} leaves — each a
 * dimension and up to {@link PATTERNS_PER_LEAF} patterns, true when any pattern matches the interaction's value —
 * and a boolean formula over the leaves, sent as truth tables: one for the filter, one for each relaxation (the
 * formula with a non-empty subset of its leaves ignored: true where some value of the ignored leaves makes it true).
 * The SQL returns a day cell only when no relaxation adds fewer than k people to it (docs/PRIVACY.md "Filtered
 * queries"): that is what makes "the filter" and "the filter without one of its conditions" differ by nobody or by
 * at least k people.
 */

export const LEAF_SLOTS = 3;
export const PATTERNS_PER_LEAF = 4;
export const COMBINATIONS = 2 ** LEAF_SLOTS;
/** Every non-empty subset of the leaves, as a bit mask 1 … 2^LEAF_SLOTS − 1. */
export const RELAXATIONS = COMBINATIONS - 1;

/** The dimensions of queries/stats.*.sql that a leaf can test. */
export const LEAF_DIMENSIONS = [
  "page",
  "source",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "country",
  "browser",
  "os",
  "device",
  "name",
  "entry_page",
  "exit_page",
  "goal_event",
  "goal_page",
] as const;
export type LeafDimension = (typeof LEAF_DIMENSIONS)[number];

export interface Leaf {
  readonly dimension: LeafDimension;
  /** 1 to PATTERNS_PER_LEAF regular expressions (core/stats/patterns.ts); any one matching makes the leaf true. */
  readonly patterns: readonly string[];
}

/** A formula over leaves by their position in the leaf list. */
export type Formula =
  | { readonly kind: "leaf"; readonly leaf: number }
  | { readonly kind: "not"; readonly of: Formula }
  | { readonly kind: "and" | "or"; readonly of: readonly Formula[] }
  | { readonly kind: "true" };

export const NO_FILTER: Formula = { kind: "true" };

export function evaluate(formula: Formula, bits: readonly boolean[]): boolean {
  switch (formula.kind) {
    case "true":
      return true;
    case "leaf":
      return bits[formula.leaf] === true;
    case "not":
      return !evaluate(formula.of, bits);
    case "and":
      return formula.of.every((f) => evaluate(f, bits));
    case "or":
      return formula.of.some((f) => evaluate(f, bits));
  }
}

/** The leaves' results for a position in a truth table: bit i of the index is leaf i. */
function bitsOf(index: number): boolean[] {
  return Array.from({ length: LEAF_SLOTS }, (_, i) => (index & (1 << i)) !== 0);
}

/** '0'/'1' per combination of leaf results, position 1 + leaf0 + 2·leaf1 + 4·leaf2. */
export function truthTable(formula: Formula): string {
  let table = "";
  for (let index = 0; index < COMBINATIONS; index++) table += evaluate(formula, bitsOf(index)) ? "1" : "0";
  return table;
}

/** The table of the formula with the leaves of `ignored` (a bit mask) ignored: true where any of their values makes it true. */
export function relaxedTable(formula: Formula, ignored: number): string {
  let table = "";
  for (let index = 0; index < COMBINATIONS; index++) {
    let any = false;
    for (let sub = ignored; ; sub = (sub - 1) & ignored) {
      if (evaluate(formula, bitsOf((index & ~ignored) | sub))) any = true;
      if (sub === 0 || any) break;
    }
    table += any ? "1" : "0";
  }
  return table;
}

/** The filter as the queries' parameters (leaf dimensions, patterns, the truth tables); unused slots are empty. */
export function filterParams(
  leaves: readonly Leaf[],
  formula: Formula,
  neverPattern: string,
): Record<string, string> {
  if (leaves.length > LEAF_SLOTS) throw new RangeError(`at most ${LEAF_SLOTS} leaves`);
  const params: Record<string, string> = {};
  for (let slot = 1; slot <= LEAF_SLOTS; slot++) {
    const leaf = leaves[slot - 1];
    params[`leaf${slot}`] = leaf?.dimension ?? "";
    const patterns = leaf?.patterns ?? [];
    if (leaf !== undefined && (patterns.length === 0 || patterns.length > PATTERNS_PER_LEAF)) {
      throw new RangeError(`a leaf has 1 to ${PATTERNS_PER_LEAF} patterns`);
    }
    for (let p = 1; p <= PATTERNS_PER_LEAF; p++) {
      // A repeated pattern changes nothing (any one matching is enough).
      params[`leaf${slot}_pattern${p}`] = patterns[p - 1] ?? patterns[0] ?? neverPattern;
    }
  }
  params.filter = truthTable(formula);
  for (let r = 1; r <= RELAXATIONS; r++) params[`relaxed${r}`] = relaxedTable(formula, r);
  return params;
}
