import { describe, expect, it } from "vitest";
import { hourlySeries } from "../../../../functions/core/dashboard/hourly.ts";

describe("the security chart's hours", () => {
  it("lays the rows on every hour of the days, zero where no request came, up to the current hour", () => {
    // Prepare: two days; now is 2026-12-06 02:30 UTC, so the second day has hours 00, 01 and 02.
    const rows = [
      { hour: "2026-12-05T00:00:00.000Z", requests: 5, status_4xx: 1, status_5xx: 0 },
      { hour: "2026-12-05T23:00:00.000Z", requests: "7", status_4xx: "2", status_5xx: "3" },
      { hour: "2026-12-06T02:00:00.000Z", requests: 1, status_4xx: 0, status_5xx: 1 },
    ];
    // Act
    const series = hourlySeries(rows, { from: "2026-12-05", to: "2026-12-06" }, Date.UTC(2026, 11, 6, 2, 30));
    // Assess
    expect(series.hours).toHaveLength(24 + 3);
    expect(series.hours[0]).toBe(Date.UTC(2026, 11, 5) / 1000);
    expect(series.hours.at(-1)).toBe(Date.UTC(2026, 11, 6, 2) / 1000);
    expect(series.requests.slice(0, 2)).toEqual([5, 0]);
    expect(series.requests[23]).toBe(7);
    expect(series.status5xx.slice(-3)).toEqual([0, 0, 1]);
    expect(series.totals).toEqual({ requests: 13, status4xx: 3, status5xx: 4 });
  });

  it("covers whole days in the past, and ignores rows outside the range", () => {
    const series = hourlySeries(
      [{ hour: "2026-11-30T12:00:00.000Z", requests: 9 }],
      { from: "2026-12-01", to: "2026-12-01" },
      Date.UTC(2026, 11, 6),
    );
    expect(series.hours).toHaveLength(24);
    expect(series.totals.requests).toBe(0);
  });
});
