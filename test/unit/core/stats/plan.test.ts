import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { answerStatsQuery, type StatsRow } from "../../../../functions/core/stats/plan.ts";
import { parseStatsQuery, StatsQueryError } from "../../../../functions/core/stats/query.ts";

/**
 * The planner over a recording runner: which allowlisted query files answer a request, with which parameters (never
 * k), and how their rows become Plausible's answer (metrics computed from sums, time buckets, order, pagination).
 */

const config = parseConfig({
  sites: ["example.com"],
  siteSettings: { "example.com": { goals: [{ name: "Signup", event: "signup" }] } },
});
const context = {
  today: "2026-11-20",
  sites: config.sites,
  siteSettings: config.siteSettings,
  oldestStatsDay: "2024-11-01",
};
const plan = { today: "2026-11-20", oldestEventsDay: "2026-08-23" };

function runner(answers: Record<string, readonly StatsRow[]>) {
  const calls: { id: string; params: Readonly<Record<string, string>> }[] = [];
  return {
    calls,
    run: async (id: string, params: Readonly<Record<string, string>>) => {
      calls.push({ id, params });
      return answers[id] ?? [];
    },
  };
}

const ask = (body: Record<string, unknown>, answers: Record<string, readonly StatsRow[]>) => {
  const r = runner(answers);
  const query = parseStatsQuery(
    { site_id: "example.com", date_range: ["2026-11-16", "2026-11-20"], ...body },
    context,
  );
  return { r, result: answerStatsQuery(query, r, plan) };
};

describe("the stats/ path (no filter, rollups hold the answer)", () => {
  it("adds up days for a total, the (other) day included, and computes visit metrics from sums", async () => {
    // Prepare
    const { r, result } = ask(
      { metrics: ["visitors", "pageviews", "visits", "bounce_rate", "visit_duration", "views_per_visit"] },
      {
        "dashboard.timeseries": [
          { day: "2026-11-16", pageviews: 30, visitors: 10 },
          { day: "(other)", pageviews: 4, visitors: 3 },
        ],
        "dashboard.visits": [
          {
            day: "2026-11-16",
            visits: 12,
            visitors: 10,
            bounces: 3,
            visit_duration: 600,
            visit_pageviews: 30,
          },
        ],
      },
    );
    // Assess
    expect((await result).results).toEqual([{ metrics: [13, 34, 12, 25, 50, 2.5], dimensions: [] }]);
    expect(r.calls.map((c) => c.id)).toEqual(["dashboard.timeseries", "dashboard.visits"]);
    expect(r.calls[0]?.params).toEqual({ site: "example.com", from: "2026-11-16", to: "2026-11-20" });
  });

  it("breaks down by page with the (other) row last, so the page views add up to the total", async () => {
    const { result } = ask(
      { metrics: ["pageviews"], dimensions: ["event:page"] },
      {
        "dashboard.topPages": [
          { path: "/a", pageviews: 10, visitors: 6 },
          { path: "/b", pageviews: 20, visitors: 7 },
          { path: "(other)", pageviews: 50, visitors: 9 },
        ],
      },
    );
    expect((await result).results.map((x) => [x.dimensions[0], x.metrics[0]])).toEqual([
      ["/b", 20],
      ["/a", 10],
      ["(other)", 50],
    ]);
  });

  it("buckets days into weeks (Monday) and leaves the folded day out of the buckets", async () => {
    const { result } = ask(
      {
        metrics: ["visitors"],
        dimensions: ["time:week"],
        date_range: ["2026-11-08", "2026-11-20"],
        include: { time_labels: true },
      },
      {
        "dashboard.timeseries": [
          { day: "2026-11-08", pageviews: 1, visitors: 5 },
          { day: "2026-11-09", pageviews: 1, visitors: 6 },
          { day: "2026-11-19", pageviews: 1, visitors: 7 },
          { day: "(other)", pageviews: 1, visitors: 2 },
        ],
      },
    );
    const answer = await result;
    expect(answer.results).toEqual([
      { metrics: [5], dimensions: ["2026-11-02"] },
      { metrics: [6], dimensions: ["2026-11-09"] },
      { metrics: [7], dimensions: ["2026-11-16"] },
    ]);
    expect(answer.meta.time_labels).toEqual(["2026-11-02", "2026-11-09", "2026-11-16"]);
  });

  it("answers goals with a conversion rate against the visitors of the range", async () => {
    const { result } = ask(
      { metrics: ["visitors", "events", "conversion_rate"], dimensions: ["event:goal"] },
      {
        "dashboard.goals": [{ goal: "Signup", events: 9, visitors: 8 }],
        "dashboard.timeseries": [{ day: "2026-11-16", pageviews: 100, visitors: 64 }],
      },
    );
    expect((await result).results).toEqual([{ metrics: [8, 9, 12.5], dimensions: ["Signup"] }]);
  });
});

describe("the events/ path (filters, or what the rollups do not hold)", () => {
  it("sends the filter as leaves and truth tables, never k, and merges events and visits by row", async () => {
    // Prepare
    const { r, result } = ask(
      {
        metrics: ["visitors", "bounce_rate"],
        dimensions: ["visit:country"],
        filters: [["contains", "event:page", ["/blog"]]],
      },
      {
        "stats.events": [
          { bucket: "(all)", label: "DE", events: 9, pageviews: 9, visitors: 7 },
          { bucket: "(all)", label: "FR", events: 5, pageviews: 5, visitors: 5 },
        ],
        "stats.visits": [
          {
            bucket: "(all)",
            label: "DE",
            visits: 8,
            visitors: 7,
            bounces: 2,
            visit_duration: 80,
            visit_pageviews: 9,
          },
        ],
      },
    );
    const answer = await result;
    // Assess: FR was shown by one query and left out by the other: left out.
    expect(answer.results).toEqual([{ metrics: [7, 25], dimensions: ["DE"] }]);
    const events = r.calls.find((c) => c.id === "stats.events")?.params;
    expect(events).toMatchObject({
      dimension: "country",
      grain: "all",
      scope: "pageviews",
      leaf1: "page",
      leaf1_pattern1: "\\/blog",
      leaf2: "",
      filter: "01010101",
    });
    expect(Object.keys(events ?? {})).not.toContain("k");
  });

  it("refuses a range older than the events kept, saying from when", async () => {
    const { result } = ask(
      {
        metrics: ["visitors"],
        date_range: ["2026-06-01", "2026-06-30"],
        filters: [["is", "visit:country", ["DE"]]],
      },
      {},
    );
    await expect(result).rejects.toThrow(StatsQueryError);
    await expect(result).rejects.toThrow("kept from 2026-08-23 on");
  });

  it("orders and pages as asked", async () => {
    const { result } = ask(
      {
        metrics: ["visitors"],
        dimensions: ["visit:utm_source"],
        order_by: [["visit:utm_source", "asc"]],
        pagination: { limit: 1, offset: 1 },
        include: { total_rows: true },
      },
      {
        "stats.events": [
          { bucket: "(all)", label: "b", events: 1, pageviews: 1, visitors: 9 },
          { bucket: "(all)", label: "a", events: 1, pageviews: 1, visitors: 5 },
          { bucket: "(all)", label: "c", events: 1, pageviews: 1, visitors: 7 },
        ],
      },
    );
    const answer = await result;
    expect(answer.results).toEqual([{ metrics: [9], dimensions: ["b"] }]);
    expect(answer.meta.total_rows).toBe(3);
    expect(answer.query.pagination).toEqual({ limit: 1, offset: 1 });
  });
});
