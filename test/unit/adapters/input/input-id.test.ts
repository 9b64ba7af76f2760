import { describe, expect, it } from "vitest";
import { checkInputId } from "../../../../functions/adapters/input/input-id.ts";

describe("checkInputId", () => {
  it("takes letters, digits, '-' and '_' up to 64 characters, starting with a letter or digit", () => {
    // Prepare / Act / Assess
    expect(checkInputId("web1-access_2026")).toBe("web1-access_2026");
    expect(checkInputId("a".repeat(64))).toBe("a".repeat(64));
  });

  it("refuses what could leave a key's segment or be confused with one", () => {
    // Prepare / Act / Assess
    for (const bad of ["", "../x", "a/b", "-leading", "a".repeat(65), "sp ace", "dot.ted"]) {
      expect(() => checkInputId(bad)).toThrow(/input id is 1 to 64 characters/);
    }
  });
});
