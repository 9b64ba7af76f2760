import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { findDashboardQuery } from "../../../../functions/core/dashboard/queries.ts";
import {
  DashboardRequestError,
  previousPeriod,
  validateQueryParams,
} from "../../../../functions/core/dashboard/request.ts";

/** 2026-11-22T03:00:00Z */
const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const config = parseConfig({ sites: ["example.com", "shop.example.com"] });
const context = { config, nowMs: NOW };

function query(name: string) {
  const q = findDashboardQuery(name);
  if (q === undefined) throw new Error(`no allowlisted query ${name}`);
  return q;
}

function refusal(work: () => unknown): DashboardRequestError {
  try {
    work();
  } catch (error) {
    if (error instanceof DashboardRequestError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("validateQueryParams: marketing queries", () => {
  it("defaults to the first site and the last 30 days, today included", () => {
    // Act
    const values = validateQueryParams(query("top-pages"), {}, context);
    // Assess
    expect(values).toEqual({ site: "example.com", from: "2026-10-24", to: "2026-11-22" });
  });

  it("takes a configured site and a range as given", () => {
    // Act
    const values = validateQueryParams(
      query("countries"),
      { site: "shop.example.com", from: "2026-01-01", to: "2026-01-31" },
      context,
    );
    // Assess
    expect(values).toEqual({ site: "shop.example.com", from: "2026-01-01", to: "2026-01-31" });
  });

  it("refuses k: the browser can neither lower nor raise the suppression threshold", () => {
    // Act
    const error = refusal(() => validateQueryParams(query("top-pages"), { k: "1" }, context));
    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toContain("no parameter k");
  });

  it("refuses a site that is not configured, and names the sites that are", () => {
    // Act
    const error = refusal(() => validateQueryParams(query("top-pages"), { site: "evil.example" }, context));
    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toBe("site must be one of: example.com, shop.example.com");
  });

  it("refuses malformed days, a reversed range and a range over 800 days", () => {
    // Act
    const errors = [
      refusal(() => validateQueryParams(query("top-pages"), { from: "2026-02-30" }, context)),
      refusal(() =>
        validateQueryParams(query("top-pages"), { from: "2026-11-02", to: "2026-11-01" }, context),
      ),
      refusal(() =>
        validateQueryParams(query("top-pages"), { from: "2024-01-01", to: "2026-11-01" }, context),
      ),
    ];
    // Assess
    expect(errors.map((e) => e.message)).toEqual([
      "from must be a day written YYYY-MM-DD",
      "from must not be after to",
      "a range spans at most 800 days",
    ]);
  });

  it("refuses a parameter name it does not know without echoing a strange one", () => {
    // Act
    const error = refusal(() => validateQueryParams(query("top-pages"), { "x'; DROP": "1" }, context));
    // Assess
    expect(error.message).toBe("top-pages takes only: site, from, to");
  });
});

describe("validateQueryParams: security queries", () => {
  it("defaults to the security zone's window: 168 hours back to today", () => {
    // Act
    const values = validateQueryParams(query("top-talkers"), {}, context);
    // Assess
    expect(values).toEqual({ from: "2026-11-15", to: "2026-11-22" });
  });

  it("refuses days outside the window (the records there are deleted)", () => {
    // Act
    const error = refusal(() => validateQueryParams(query("scanners"), { from: "2026-11-01" }, context));
    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toContain("from 2026-11-15 to 2026-11-22");
  });

  it("normalizes the address of a timeline like security.client_ip stores it", () => {
    // Act
    const v6 = validateQueryParams(query("ip-timeline"), { ip: "2001:DB8:0:0:0:0:0:7" }, context);
    const mapped = validateQueryParams(query("ip-timeline"), { ip: "203.0.113.7" }, context);
    // Assess
    expect(v6.ip).toBe("2001:db8::7");
    expect(mapped.ip).toBe("203.0.113.7");
  });

  it("refuses a timeline without an address or with a bad one, without repeating the value", () => {
    // Act
    const missing = refusal(() => validateQueryParams(query("ip-timeline"), {}, context));
    const bad = refusal(() => validateQueryParams(query("ip-timeline"), { ip: "203.0.113.300" }, context));
    const cidr = refusal(() => validateQueryParams(query("ip-timeline"), { ip: "203.0.113.0/24" }, context));
    // Assess
    expect(missing.message).toBe("ip is required: one IP address");
    expect(bad.message).not.toContain("203.0.113");
    expect(cidr.message).toBe("ip must be one IPv4 or IPv6 address, without port or prefix length");
  });

  it("keeps limits within the allowlist's bounds", () => {
    // Act
    const ok = validateQueryParams(query("top-talkers"), { limit: "500" }, context);
    const errors = ["0", "501", "-1", "1e3", "12abc"].map((limit) =>
      refusal(() => validateQueryParams(query("top-talkers"), { limit }, context)),
    );
    // Assess
    expect(ok.limit).toBe("500");
    for (const e of errors) expect(e.message).toBe("limit must be a whole number from 1 to 500");
  });
});

describe("previousPeriod", () => {
  it("is the range of the same length just before", () => {
    // Act
    const week = previousPeriod("2026-11-16", "2026-11-22");
    const day = previousPeriod("2026-03-01", "2026-03-01");
    // Assess
    expect(week).toEqual({ from: "2026-11-09", to: "2026-11-15" });
    expect(day).toEqual({ from: "2026-02-28", to: "2026-02-28" });
  });
});
