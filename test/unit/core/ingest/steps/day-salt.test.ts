import { describe, expect, it } from "vitest";
import {
  fetchDaySalt,
  knownDaySalt,
  needsSalt,
} from "../../../../../functions/core/ingest/steps/day-salt.ts";
import { stepRun } from "./run-fixture.ts";

describe("day salt step", () => {
  it("needs a salt for the identifying tiers only", () => {
    expect(needsSalt({ tier: "anonymous", reason: "no_consent_anonymous" })).toBe(false);
    expect(needsSalt({ tier: "statistics", reason: "log_default" })).toBe(true);
    expect(needsSalt({ tier: "marketing", reason: "granted_marketing" })).toBe(true);
  });

  it("asks the salt store once per day of the input and remembers each day's salt", async () => {
    // Prepare
    const { run, saltRequests } = stepRun();
    // Act
    const before = knownDaySalt(run, "2026-11-20");
    const fetched = await fetchDaySalt(run, "2026-11-20");
    const again = knownDaySalt(run, "2026-11-20");
    const otherDay = knownDaySalt(run, "2026-11-21") ?? (await fetchDaySalt(run, "2026-11-21"));
    const backAgain = knownDaySalt(run, "2026-11-20");
    // Assess
    expect(before).toBeUndefined();
    expect(again).toBe(fetched);
    expect(backAgain).toBe(fetched);
    expect(otherDay).not.toEqual(fetched);
    expect(saltRequests).toEqual(["2026-11-20", "2026-11-21"]);
  });
});
