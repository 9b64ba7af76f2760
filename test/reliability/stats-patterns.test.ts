import fc from "fast-check";
import { check } from "recheck";
import { describe, expect, it } from "vitest";
import { checkCallerPattern, PatternError } from "../../functions/core/stats/patterns.ts";

/**
 * The Stats API's `matches` filter runs the caller's pattern on Athena, whose regex engine (Joni) backtracks. The
 * planner accepts only patterns from a small grammar whose worst case it bounds (core/stats/patterns.ts); this test
 * checks that claim with recheck (the tool of test/reliability/regex.test.ts): random patterns built from the
 * grammar's pieces and from the constructs it refuses, and every one the planner accepts must be `safe` — no
 * exponential and no polynomial blow-up. The positive control: recheck does call some of the refused ones vulnerable.
 */

const ATOMS = ["a", "b", "/", "\\.", ".", "[a-z]", "[^/]", "[ab]", "x"];
const QUANTIFIERS = ["", "", "", "?", "*", "+", "{1,3}", "{2}", "{0,20}"];

/** A random pattern over the grammar and beyond it (groups with quantifiers, several stars, no anchor). */
const patterns = fc
  .record({
    anchored: fc.boolean(),
    items: fc.array(
      fc.oneof(
        fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => `${a}${q}`),
        fc
          .tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...ATOMS), fc.constantFrom("", "", "*", "+"))
          .map(([x, y, q]) => `(${x}|${y})${q}`),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    ended: fc.boolean(),
  })
  .map(({ anchored, items, ended }) => `${anchored ? "^" : ""}${items.join("")}${ended ? "$" : ""}`);

function accepted(pattern: string): boolean {
  try {
    checkCallerPattern(pattern);
    return true;
  } catch (error) {
    if (error instanceof PatternError) return false;
    throw error;
  }
}

async function verdict(pattern: string): Promise<string> {
  const diagnostics = await check(pattern, "", {
    checker: "automaton",
    maxRepeatCount: 2000,
    maxNFASize: 1_000_000,
    maxPatternSize: 100_000,
    timeout: 60_000,
  });
  return diagnostics.status;
}

describe("matches patterns the planner accepts", () => {
  it("are all safe by recheck; some refused ones are not (positive control)", async () => {
    // Prepare: a fixed sample (seeded), split by the planner's verdict.
    const sample = [...new Set(fc.sample(patterns, { numRuns: 400, seed: 19 }))];
    const yes = sample.filter(accepted);
    const no = sample.filter((p) => !accepted(p));
    expect(yes.length).toBeGreaterThan(40);
    expect(no.length).toBeGreaterThan(40);

    // Act
    const unsafe: string[] = [];
    for (const p of yes) if ((await verdict(p)) !== "safe") unsafe.push(p);
    const refusedButVulnerable: string[] = [];
    for (const p of no.slice(0, 120)) if ((await verdict(p)) === "vulnerable") refusedButVulnerable.push(p);

    // Assess
    expect(unsafe).toEqual([]);
    expect(refusedButVulnerable.length).toBeGreaterThan(5);
  }, 300_000);
});
