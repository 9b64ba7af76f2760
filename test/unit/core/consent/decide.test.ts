import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { decideConsent } from "../../../../functions/core/consent/decide.ts";
import type { PrivacySignals } from "../../../../functions/core/types.ts";

const defaults = parseConfig({}).consent;

describe("decideConsent", () => {
  it("drops on Global Privacy Control and on Do-Not-Track when honoured, GPC named first", () => {
    // Prepare
    const both: PrivacySignals = { dnt: true, gpc: true, consent: { statistics: true, marketing: true } };
    // Act / Assess
    expect(decideConsent("collector", both, defaults)).toEqual({ tier: "drop", reason: "gpc" });
    expect(decideConsent("log", { dnt: true }, defaults)).toEqual({ tier: "drop", reason: "dnt" });
    expect(decideConsent("collector", { gpc: true }, defaults)).toEqual({ tier: "drop", reason: "gpc" });
  });

  it("ignores DNT and GPC when the operator turned them off", () => {
    // Prepare
    const policy = { ...defaults, honorDnt: false, honorGpc: false };
    // Act
    const decision = decideConsent(
      "collector",
      { dnt: true, gpc: true, consent: { statistics: true } },
      policy,
    );
    // Assess
    expect(decision).toEqual({ tier: "statistics", reason: "granted_statistics" });
  });

  it("never yields an identifying tier when statistics were denied, even with marketing granted", () => {
    for (const withoutConsent of ["anonymous", "drop"] as const) {
      // Prepare
      const policy = { ...defaults, withoutConsent };
      // Act
      const decision = decideConsent(
        "collector",
        { consent: { statistics: false, marketing: true } },
        policy,
      );
      // Assess
      expect(decision).toEqual({ tier: withoutConsent, reason: "denied" });
    }
  });

  it("grants marketing and statistics from the banner", () => {
    expect(
      decideConsent("collector", { consent: { statistics: true, marketing: true } }, defaults).tier,
    ).toBe("marketing");
    expect(decideConsent("collector", { consent: { marketing: true } }, defaults).tier).toBe("marketing");
    expect(decideConsent("collector", { consent: { statistics: true, marketing: false } }, defaults)).toEqual(
      {
        tier: "statistics",
        reason: "granted_statistics",
      },
    );
  });

  it("gives server log lines the configured log tier and collector events the no-consent tier", () => {
    expect(decideConsent("log", undefined, defaults)).toEqual({ tier: "statistics", reason: "log_default" });
    expect(decideConsent("log", {}, { ...defaults, logDefaultTier: "anonymous" })).toEqual({
      tier: "anonymous",
      reason: "log_default",
    });
    expect(decideConsent("collector", undefined, defaults)).toEqual({
      tier: "anonymous",
      reason: "no_consent_anonymous",
    });
    expect(decideConsent("collector", {}, { ...defaults, withoutConsent: "drop" })).toEqual({
      tier: "drop",
      reason: "no_consent_drop",
    });
  });
});
