import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { keyTime } from "../../../../functions/core/retention/partition.ts";
import { decideVersion, type PlanContext } from "../../../../functions/core/retention/plan.ts";
import { addUtcMonths, retentionRules } from "../../../../functions/core/retention/rules.ts";
import type { ObjectVersion } from "../../../../functions/ports/versioned-store.ts";

const HOUR = 3_600_000;

const version = (key: string, lastModified: number): ObjectVersion => ({
  key,
  versionId: "null",
  lastModified,
  isDeleteMarker: false,
  isLatest: true,
  size: 1,
});

describe("keyTime", () => {
  it("reads the start of hour and day partitions, at any depth", () => {
    // Prepare
    const keys = [
      "security/dt=2026-11-20/hour=13/a-0000.parquet",
      "events/dt=2026-11-20/a-0000.parquet",
      "stats/pages/dt=2026-02-28/x.parquet",
    ];

    // Act
    const times = keys.map((k) => keyTime(k));

    // Assess
    expect(times.map((t) => t?.describedFrom)).toEqual([
      Date.UTC(2026, 10, 20, 13),
      Date.UTC(2026, 10, 20),
      Date.UTC(2026, 1, 28),
    ]);
    expect(times.map((t) => t?.zone)).toEqual(["security", "events", "stats"]);
  });

  it("reads the hour a CloudFront or ALB log file name states, and refuses impossible dates", () => {
    // Prepare / Act
    const cloudfront = keyTime("incoming/cf/E2EXAMPLE.2026-11-20-13.a1b2c3d4.gz");
    const alb = keyTime(
      "incoming/AWSLogs/123456789012/elasticloadbalancing/eu-central-1/2026/11/20/123456789012_elasticloadbalancing_eu-central-1_app.lb.abc_20261120T1305Z_lbnode_3k2j.log.gz",
    );
    const impossible = keyTime("security/dt=2026-02-30/hour=01/a.parquet");
    const outside = keyTime("tmp/dt=2026-11-20/a.parquet");

    // Assess: ALB names the end of a five-minute interval; an hour before it is taken as its earliest access
    expect(cloudfront?.describedFrom).toBe(Date.UTC(2026, 10, 20, 13));
    expect(alb?.describedFrom).toBe(Date.UTC(2026, 10, 20, 12, 5));
    expect(impossible?.describedFrom).toBeNull();
    expect(outside).toBeNull();
  });
});

describe("addUtcMonths", () => {
  it("adds calendar months and clamps to the end of a shorter month", () => {
    // Prepare / Act / Assess
    expect(addUtcMonths(Date.UTC(2024, 0, 31), 1)).toBe(Date.UTC(2024, 1, 29));
    expect(addUtcMonths(Date.UTC(2024, 9, 20, 5), 25)).toBe(Date.UTC(2026, 10, 20, 5));
  });
});

describe("decideVersion", () => {
  const rules = retentionRules(parseConfig({ retention: { securityHours: 72 } }).retention);
  const ctx = (now: number, incidents: PlanContext["incidents"] = new Map()): PlanContext => ({
    now,
    rules,
    incidents,
  });

  it("follows a configured security age of 72 hours", () => {
    // Prepare
    const start = Date.UTC(2026, 10, 17, 8);
    const v = version("security/dt=2026-11-17/hour=08/a-0000.parquet", start + 10 * 60_000);

    // Act
    const before = decideVersion(v, ctx(start + 72 * HOUR - 1));
    const at = decideVersion(v, ctx(start + 72 * HOUR));

    // Assess
    expect(before.action).toBe("keep");
    expect(at).toEqual({ action: "delete", reason: "expired", zone: "security" });
  });

  it("never expires the hold audit trail, and keeps an unreleased incident's evidence whatever its age", () => {
    // Prepare
    const old = Date.UTC(2020, 0, 1);
    const now = Date.UTC(2026, 10, 20);
    const incidents = new Map([["INC-1", "active" as const]]);

    // Act
    const audit = decideVersion(
      version("evidence/audit/holds/dt=2020-01-01/x.json", old),
      ctx(now, incidents),
    );
    const held = decideVersion(version("evidence/incident=INC-1/records.parquet", old), ctx(now, incidents));
    const orphanYoung = decideVersion(
      version("evidence/incident=INC-2/records.parquet", now - HOUR),
      ctx(now, incidents),
    );
    const orphanOld = decideVersion(
      version("evidence/incident=INC-2/records.parquet", now - 25 * HOUR),
      ctx(now, incidents),
    );

    // Assess
    expect(audit.action).toBe("keep");
    expect(held).toEqual({ action: "keep", reason: "active-hold", zone: "evidence" });
    expect(orphanYoung.action).toBe("keep");
    expect(orphanOld).toEqual({ action: "delete", reason: "orphan", zone: "evidence" });
  });
});
