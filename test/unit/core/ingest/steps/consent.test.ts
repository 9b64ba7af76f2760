import { describe, expect, it } from "vitest";
import { decideLineConsent } from "../../../../../functions/core/ingest/steps/consent.ts";
import { accessRecord, stepRun } from "./run-fixture.ts";

const sites = ["example.com"];

describe("consent step", () => {
  it("drops a line that sent DNT or GPC, counted by its reason", () => {
    // Prepare
    const { run } = stepRun();
    // Act
    const decisions = [
      decideLineConsent(run, accessRecord({ signals: { dnt: true } })),
      decideLineConsent(run, accessRecord({ signals: { gpc: true } })),
      decideLineConsent(run, accessRecord({ signals: { dnt: true, gpc: true } })),
    ];
    // Assess
    expect(decisions).toEqual([null, null, null]);
    expect(run.dropped).toBe(3);
    expect(run.droppedByReason).toEqual({ dnt: 1, gpc: 2 });
  });

  it("keeps a line with DNT when the operator does not honour it, in the log tier", () => {
    // Prepare
    const { run } = stepRun({ config: { sites, consent: { honorDnt: false } } });
    // Act
    const decision = decideLineConsent(run, accessRecord({ signals: { dnt: true } }));
    // Assess
    expect(decision).toEqual({ tier: "statistics", reason: "log_default" });
    expect(run.dropped).toBe(0);
  });

  it("drops a denial where unconsented events are dropped, and every line when logs default to drop", () => {
    // Prepare
    const strict = stepRun({ config: { sites, consent: { withoutConsent: "drop" } } }).run;
    const noLogs = stepRun({ config: { sites, consent: { logDefaultTier: "drop" } } }).run;
    // Act
    const denied = decideLineConsent(strict, accessRecord({ signals: { consent: { statistics: false } } }));
    const silent = decideLineConsent(noLogs, accessRecord());
    // Assess
    expect([denied, silent]).toEqual([null, null]);
    expect(strict.droppedByReason).toEqual({ denied: 1 });
    expect(noLogs.droppedByReason).toEqual({ log_default: 1 });
  });

  it("passes the tier on when the line may be counted", () => {
    // Prepare
    const { run } = stepRun();
    // Act
    const granted = decideLineConsent(run, accessRecord({ signals: { consent: { marketing: true } } }));
    // Assess
    expect(granted).toEqual({ tier: "marketing", reason: "granted_marketing" });
  });
});
