import { describe, expect, it } from "vitest";
import {
  type Formula,
  filterParams,
  relaxedTable,
  truthTable,
} from "../../../../functions/core/stats/filters.ts";

const L = (leaf: number): Formula => ({ kind: "leaf", leaf });

describe("truth tables (position 1 + leaf0 + 2·leaf1 + 4·leaf2)", () => {
  it("writes a filter's table, worked out by hand", () => {
    // leaf0 and not leaf1: true at indexes with bit0 set and bit1 clear: 1 and 5.
    expect(truthTable({ kind: "and", of: [L(0), { kind: "not", of: L(1) }] })).toBe("01000100");
    expect(truthTable({ kind: "or", of: [L(0), L(2)] })).toBe("01011111");
    expect(truthTable({ kind: "true" })).toBe("11111111");
  });

  it("relaxes a filter: ignoring a leaf makes the rows true that either of its values makes true", () => {
    const f: Formula = { kind: "and", of: [L(0), { kind: "not", of: L(1) }] };
    // Ignoring leaf1 (mask 2): leaf0 alone.
    expect(relaxedTable(f, 2)).toBe("01010101");
    // Ignoring leaf0 (mask 1): not leaf1.
    expect(relaxedTable(f, 1)).toBe("11001100");
    // Ignoring both: anything.
    expect(relaxedTable(f, 3)).toBe("11111111");
    // Ignoring the unused leaf2 changes nothing.
    expect(relaxedTable(f, 4)).toBe(truthTable(f));
  });

  it("fills unused leaves and pattern slots and gives all seven relaxations", () => {
    const params = filterParams([{ dimension: "country", patterns: ["^DE$"] }], L(0), "^$");
    expect(params.leaf1).toBe("country");
    expect(params.leaf2).toBe("");
    expect([params.leaf1_pattern1, params.leaf1_pattern4, params.leaf2_pattern1]).toEqual([
      "^DE$",
      "^DE$",
      "^$",
    ]);
    expect(params.filter).toBe("01010101");
    expect(Object.keys(params).filter((k) => k.startsWith("relaxed"))).toHaveLength(7);
    expect(params.relaxed1).toBe("11111111");
  });
});
