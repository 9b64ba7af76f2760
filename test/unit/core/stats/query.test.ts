import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { parseStatsQuery, StatsQueryError } from "../../../../functions/core/stats/query.ts";

const config = parseConfig({
  sites: ["example.com"],
  siteSettings: {
    "example.com": {
      goals: [
        { name: "Signup", event: "signup" },
        { name: "Pricing", page: "/pricing*" },
      ],
    },
  },
});
const context = {
  today: "2026-11-20",
  sites: config.sites,
  siteSettings: config.siteSettings,
  oldestStatsDay: "2024-11-01",
};
const parse = (body: Record<string, unknown>) =>
  parseStatsQuery({ site_id: "example.com", metrics: ["visitors"], date_range: "7d", ...body }, context);
const refusal = (body: Record<string, unknown>) => {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof StatsQueryError) return error.message;
    throw error;
  }
  return null;
};

describe("Stats API v2 requests", () => {
  it.each([
    ["day", "2026-11-20", "2026-11-20"],
    ["7d", "2026-11-14", "2026-11-20"],
    ["30d", "2026-10-21", "2026-11-20"],
    ["month", "2026-11-01", "2026-11-30"],
    ["6mo", "2026-06-01", "2026-11-30"],
    ["12mo", "2025-12-01", "2026-11-30"],
    ["year", "2026-01-01", "2026-12-31"],
    ["all", "2024-11-01", "2026-11-20"],
    [["2026-02-01", "2026-02-28"], "2026-02-01", "2026-02-28"],
  ])("reads the date range %j as %s to %s (Plausible's shortcuts, UTC)", (range, from, to) => {
    expect(parse({ date_range: range })).toMatchObject({ from, to });
  });

  it("answers unknown fields, metrics and dimensions with Plausible's messages", () => {
    expect(refusal({ foo: 1 })).toBe("#/foo: Schema does not allow additional properties.");
    expect(refusal({ metrics: ["visitors", "nope"] })).toBe('#/metrics/1: Invalid metric "nope"');
    expect(refusal({ dimensions: ["event:nope"] })).toBe('#/dimensions/0: Invalid dimension "event:nope"');
    expect(refusal({ date_range: "3w" })).toBe('#/date_range: Invalid date range "3w"');
    expect(refusal({ filters: [["like", "event:page", ["/"]]] })).toBe(
      '#/filters/0: Invalid filter ["like","event:page",["/"]]',
    );
    expect(parseStatsQuery.bind(null, { metrics: ["visitors"], date_range: "7d" }, context)).toThrow(
      "#: Required property site_id was not present.",
    );
  });

  it("names what logsieve does not keep instead of calling it unknown", () => {
    expect(refusal({ dimensions: ["visit:city"] })).toBe(
      "#/dimensions/0: logsieve does not keep visit:city (see docs/STATS-API.md)",
    );
    expect(refusal({ metrics: ["percentage"] })).toContain("logsieve does not compute percentage");
    expect(refusal({ date_range: ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"] })).toContain(
      "whole UTC days",
    );
  });

  it("turns filters into at most three leaves with up to four patterns, and a formula", () => {
    const q = parse({
      filters: [
        ["is", "visit:country", ["DE", "AT"]],
        ["not", ["contains", "event:page", ["/blog"], { case_sensitive: false }]],
        [
          "or",
          [
            ["matches", "visit:source", ["^news\\."]],
            ["is", "visit:country", ["DE", "AT"]],
          ],
        ],
      ],
    });
    expect(q.leaves).toEqual([
      { dimension: "country", patterns: ["^DE$", "^AT$"] },
      { dimension: "page", patterns: ["(?i)\\/blog"] },
      { dimension: "source", patterns: ["^news\\."] },
    ]);
    expect(q.formula).toEqual({
      kind: "and",
      of: [
        { kind: "leaf", leaf: 0 },
        { kind: "not", of: { kind: "leaf", leaf: 1 } },
        {
          kind: "or",
          of: [
            { kind: "leaf", leaf: 2 },
            { kind: "leaf", leaf: 0 },
          ],
        },
      ],
    });
    expect(
      refusal({
        filters: [
          ["is", "visit:os", ["a"]],
          ["is", "visit:browser", ["b"]],
          ["is", "visit:device", ["c"]],
          ["is", "event:page", ["/"]],
        ],
      }),
    ).toContain("at most 3 filter conditions");
    expect(refusal({ filters: [["is", "event:page", ["/a", "/b", "/c", "/d", "/e"]]] })).toContain(
      "at most 4 values",
    );
    expect(refusal({ filters: [["is", "visit:country", ["Germany"]]] })).toContain("2-letter country code");
  });

  it("reads a goal filter as the goals' own conditions: an event name, a page pattern", () => {
    const q = parse({ filters: [["is", "event:goal", ["Signup", "Pricing"]]] });
    expect(q.goalFilter).toBe(true);
    expect(q.leaves).toEqual([
      { dimension: "goal_event", patterns: ["^signup$"] },
      { dimension: "goal_page", patterns: ["^\\/pricing.*$"] },
    ]);
    expect(refusal({ filters: [["is", "event:goal", ["Nope"]]] })).toContain(
      "The goal `Nope` is not configured",
    );
  });

  it("refuses combinations logsieve cannot answer, saying which", () => {
    expect(refusal({ metrics: ["bounce_rate"], dimensions: ["event:page"] })).toContain(
      "cannot be queried with the dimension `event:page`",
    );
    expect(refusal({ metrics: ["conversion_rate"] })).toContain("can only be queried with event:goal");
    expect(refusal({ dimensions: ["event:page", "visit:country"] })).toContain("one dimension besides time");
    expect(
      refusal({ dimensions: ["event:props:plan"], filters: [["is", "visit:country", ["DE"]]] }),
    ).toContain("without filters only");
    expect(refusal({ order_by: [["pageviews", "desc"]] })).toContain(
      "Entry is not a queried metric or dimension",
    );
    expect(refusal({ pagination: { limit: 0 } })).toContain("#/pagination/limit");
  });
});
