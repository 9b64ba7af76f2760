import { describe, expect, it } from "vitest";
import { type ConfigError, parseConfig } from "../../../functions/core/config.ts";
import { goalRows, goalsOf, pageGoalLike, pageMatches } from "../../../functions/core/goals.ts";
import { generatePolicy } from "../../../functions/core/policy/notice.ts";

describe("goals and event properties in the configuration", () => {
  const valid = {
    sites: ["example.com"],
    siteSettings: {
      "example.com": {
        eventProperties: ["plan", "method"],
        goals: [
          { name: "Signup", event: "Signup" },
          { name: "Checkout", page: "/checkout/*/done" },
        ],
      },
    },
  };

  it("reads goals of both kinds and the property allowlist", () => {
    // Act
    const config = parseConfig(valid);
    // Assess
    expect(goalsOf(config, "example.com")).toEqual([
      { name: "Signup", event: "Signup" },
      { name: "Checkout", page: "/checkout/*/done" },
    ]);
    expect(goalsOf(config, "other.example")).toEqual([]);
    expect(goalRows(config)).toEqual([
      { site: "example.com", goal: "Signup", event_name: "Signup", page_like: null },
      { site: "example.com", goal: "Checkout", event_name: null, page_like: "/checkout/%/done" },
    ]);
  });

  it.each([
    [{ name: "Both", event: "a", page: "/a" }, "either event or page"],
    [{ name: "Neither" }, "either event or page"],
    [{ name: "Bad page", page: "checkout" }, "page pattern"],
    [{ name: "x\ny", event: "a" }, "no control characters"],
  ])("refuses the goal %j, naming the setting", (goal, message) => {
    // Act / Assess
    expect(() =>
      parseConfig({ sites: ["example.com"], siteSettings: { "example.com": { goals: [goal] } } }),
    ).toThrow(message);
  });

  it("refuses a goal name used twice, more than four properties, a secret property name, a repeated one", () => {
    const site = (settings: object) => ({
      sites: ["example.com"],
      siteSettings: { "example.com": settings },
    });
    const problems = (raw: object) => {
      try {
        parseConfig(raw);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(
      problems(
        site({
          goals: [
            { name: "A", event: "a" },
            { name: "A", page: "/a" },
          ],
        }),
      ),
    ).toEqual(["siteSettings.example.com.goals.1.name: the goal name A is used twice"]);
    expect(problems(site({ eventProperties: ["a", "b", "c", "d", "e"] }))[0]).toContain("at most 4");
    expect(problems(site({ eventProperties: ["token"] }))[0]).toContain("never kept");
    expect(problems(site({ eventProperties: ["a", "a"] }))[0]).toContain("listed twice");
  });
});

describe("page patterns", () => {
  it.each([
    ["/pricing", "/pricing", true],
    ["/pricing", "/pricing/", false],
    ["/blog/*", "/blog/a/b", true],
    ["/blog/*", "/blog", false],
    ["/blog*", "/blog", true],
    ["/*/done", "/checkout/x/done", true],
    ["/*/done", "/done", false],
    ["/a*b*c", "/abc", true],
    ["/a*b*c", "/acb", false],
  ])("%s matches %s: %s", (pattern, path, expected) => {
    expect(pageMatches(pattern, path)).toBe(expected);
  });

  it("escapes LIKE's own wildcards so that they match only themselves", () => {
    expect(pageGoalLike("/100%_off/*")).toBe("/100\\%\\_off/%");
  });
});

describe("the privacy notice", () => {
  it("names the event properties each site keeps, in both languages, and nothing when none are kept", () => {
    // Prepare
    const config = parseConfig({
      sites: ["example.com"],
      siteSettings: { "example.com": { eventProperties: ["plan", "method"] } },
    });
    // Act
    const en = generatePolicy(config, { lang: "en", format: "md" });
    const de = generatePolicy(config, { lang: "de", format: "md" });
    const none = generatePolicy(parseConfig({ sites: ["example.com"] }), { lang: "en", format: "md" });
    // Assess
    expect(en).toContain(
      "only these properties are stored besides the name: for example.com plan and method",
    );
    expect(de).toContain("nur diese Eigenschaften gespeichert: für example.com plan und method");
    expect(none).not.toContain("properties are stored");
  });
});
