import { describe, expect, it } from "vitest";
import {
  checkCallerPattern,
  literalPattern,
  PatternError,
  pageGoalPattern,
} from "../../../../functions/core/stats/patterns.ts";

describe("patterns the filters run", () => {
  it("escapes literals: is anchored, contains not, case-insensitive with (?i)", () => {
    expect(literalPattern("/a.b(c)", "exact", true)).toBe("^\\/a\\.b\\(c\\)$");
    expect(literalPattern("/blog", "contains", false)).toBe("(?i)\\/blog");
    expect(pageGoalPattern("/checkout/*/done")).toBe("^\\/checkout\\/.*\\/done$");
  });

  it.each([
    "^/blog/.*",
    "/blog/",
    "^/(en|de)/pricing$",
    "^/p/[a-z]{1,50}/[0-9]{1,20}$",
    "^/docs/[^/]+$",
    "(?:foo|bar)",
    "^/a?b?c?$",
  ])("accepts %s", (pattern) => {
    expect(() => checkCallerPattern(pattern)).not.toThrow();
  });

  it.each([
    ["(a+)+b", "quantifier after a group"],
    ["^(a|a)*$", "quantifier after a group"],
    [".*x", "too long"],
    ["^a+a+b", "too long"],
    ["^a*?", "second quantifier"],
    ["^a++", "second quantifier"],
    ["(a)\\1", "escape"],
    ["\\d+", "escape"],
    ["(?=a)", "(? other than (?:"],
    ["(?i)a", "(? other than (?:"],
    ["a^b", "^ inside a branch"],
    ["a$b", "$ before the end"],
    ["[abc", "without its ]"],
    ["(ab", "without its )"],
    ["ab)", "unmatched )"],
    ["^a{0,500}", "beyond {0,100}"],
    ["", "empty pattern"],
    ["x".repeat(201), "at most 200"],
  ])("refuses %s (%s)", (pattern, why) => {
    expect(() => checkCallerPattern(pattern)).toThrow(PatternError);
    expect(() => checkCallerPattern(pattern)).toThrow(why);
  });
});
