import { describe, expect, it } from "vitest";
import { bucketSeries, bucketsOf, weekOf } from "../../../../functions/core/dashboard/series.ts";

/** The chart's weeks and months: sums of the days the timeseries query shows, gaps where there are none. */

const rows = [
  { day: "2026-11-01", visitors: 10, pageviews: 30 }, // a Sunday: week of Mon 26 Oct
  { day: "2026-11-02", visitors: 7, pageviews: 20 }, // Monday
  { day: "2026-11-08", visitors: 5, pageviews: 9 }, // Sunday, same week as the 2nd
  { day: "2026-11-30", visitors: 6, pageviews: 6 },
  { day: "2026-12-01", visitors: 8, pageviews: 16 },
  { day: "(other)", visitors: 3, pageviews: 4 }, // days under k, folded by the SQL
];

describe("bucketSeries", () => {
  it("adds days up per ISO week, Monday first, with gaps for weeks without a row", () => {
    // Act
    const series = bucketSeries(rows, { from: "2026-11-01", to: "2026-12-01" }, "week", "visitors");
    // Assess
    expect(series.keys).toEqual([
      "2026-10-26",
      "2026-11-02",
      "2026-11-09",
      "2026-11-16",
      "2026-11-23",
      "2026-11-30",
    ]);
    expect(series.values).toEqual([10, 12, null, null, null, 14]);
    expect(series.folded).toBe(3);
  });

  it("adds days up per calendar month, and per day keeps the days", () => {
    // Act
    const months = bucketSeries(rows, { from: "2026-11-01", to: "2026-12-01" }, "month", "pageviews");
    const days = bucketSeries(rows, { from: "2026-11-01", to: "2026-11-03" }, "day", "pageviews");
    // Assess
    expect(months.keys).toEqual(["2026-11", "2026-12"]);
    expect(months.values).toEqual([65, 16]);
    expect(days.keys).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"]);
    expect(days.values).toEqual([30, 20, null]);
  });

  it("keeps the total: buckets plus the folded row add up to every row", () => {
    // Act
    const series = bucketSeries(rows, { from: "2026-11-01", to: "2026-12-01" }, "week", "pageviews");
    // Assess
    const shown = series.values.reduce<number>((s, v) => s + (v ?? 0), 0);
    expect(shown + series.folded).toBe(rows.reduce((s, r) => s + r.pageviews, 0));
  });
});

describe("weeks and ranges", () => {
  it("starts weeks on Monday across month and year ends", () => {
    // Act / Assess
    expect(weekOf("2026-01-01")).toBe("2025-12-29");
    expect(weekOf("2026-11-22")).toBe("2026-11-16");
    expect(weekOf("2026-11-23")).toBe("2026-11-23");
    expect(bucketsOf("2026-02-27", "2026-03-02", "month")).toEqual(["2026-02", "2026-03"]);
  });
});
