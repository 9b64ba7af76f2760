import { describe, expect, it } from "vitest";
import { findDashboardQuery } from "../../../../functions/core/dashboard/queries.ts";
import {
  exportFileName,
  projectResult,
  ResultShapeError,
} from "../../../../functions/core/dashboard/results.ts";

const topPages = findDashboardQuery("top-pages");
const timeline = findDashboardQuery("ip-timeline");
if (topPages === undefined || timeline === undefined) throw new Error("allowlist changed");

describe("projectResult", () => {
  it("returns only the allowlisted columns, in the allowlist's order", () => {
    // Prepare: a query file that (wrongly) also returned an identifier
    const result = {
      columns: [
        { name: "visitors", type: "bigint" },
        { name: "client_ip", type: "varchar" },
        { name: "path", type: "varchar" },
        { name: "pageviews", type: "bigint" },
      ],
      rows: [{ visitors: 9, client_ip: "203.0.113.7", path: "/", pageviews: 12 }],
    };
    // Act
    const rows = projectResult(topPages, result);
    // Assess
    expect(rows).toEqual([{ path: "/", pageviews: 12, visitors: 9 }]);
    expect(Object.keys(rows[0] ?? {})).toEqual(["path", "pageviews", "visitors"]);
  });

  it("fails when the query no longer returns an allowlisted column", () => {
    // Prepare
    const result = { columns: [{ name: "path", type: "varchar" }], rows: [] };
    // Act / Assess
    expect(() => projectResult(topPages, result)).toThrow(ResultShapeError);
  });
});

describe("exportFileName", () => {
  it("names the query, site and range, never the address of a timeline", () => {
    // Act
    const marketing = exportFileName(topPages, {
      site: "shop.example.com",
      from: "2026-11-01",
      to: "2026-11-22",
    });
    const security = exportFileName(timeline, { from: "2026-11-15", to: "2026-11-22", ip: "203.0.113.7" });
    const odd = exportFileName(topPages, { site: 'a"b/c', from: "2026-11-01", to: "2026-11-02" });
    // Assess
    expect(marketing).toBe("logsieve-top-pages-shop.example.com-2026-11-01-to-2026-11-22.csv");
    expect(security).toBe("logsieve-ip-timeline-2026-11-15-to-2026-11-22.csv");
    expect(odd).toBe("logsieve-top-pages-a_b_c-2026-11-01-to-2026-11-02.csv");
  });
});
