import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import {
  buildEvent,
  collectorEventSettings,
  eventBuilderSettings,
} from "../../../../functions/core/ingest/rows.ts";
import type { Enrichment } from "../../../../functions/core/types.ts";

/**
 * The scrub memo behind the ingest pipeline's events: one per configuration object, shared by every run (each shard
 * of an ingest is a run), so a shard does not scrub again what an earlier one did — and never shared between two
 * configurations, whose scrub rules differ.
 */

const ENRICHMENT: Enrichment = {
  browser: "Firefox",
  browserMajor: "133",
  os: "Linux",
  device: "desktop",
  isBot: false,
  botReason: null,
  botName: null,
  country: null,
  provider: null,
};
const ADDRESS = parseClientAddress("203.0.113.7");

function queryOf(
  settings: ReturnType<typeof eventBuilderSettings>,
  target: string,
  referrer: string | null = null,
): string | null {
  if (ADDRESS === null) throw new Error("the test's address does not parse");
  const event = buildEvent(
    {
      site: "example.com",
      timestampMs: Date.UTC(2026, 11, 7, 10),
      source: "log",
      eventName: "request",
      method: "GET",
      target,
      status: 200,
      bytes: 10,
      referrer,
      address: ADDRESS,
      userAgent: null,
      enrichment: ENRICHMENT,
      decision: { tier: "anonymous", reason: "log_default" },
      salt: null,
    },
    settings,
  );
  return event.query;
}

describe("the events' scrub memo", () => {
  it("keeps each configuration's own rules, for the same target, whatever the order", () => {
    // Prepare: two configurations that differ only in whether `q` is kept
    const keepsQ = parseConfig({ scrub: { allowedQueryParams: ["q"] } });
    const dropsQ = parseConfig({ scrub: { allowedQueryParams: [] } });
    const target = "/search?q=shoes&page=2";
    // Act: the same target through both, alternately, each time with settings asked for anew (as each shard does)
    const queries = [keepsQ, dropsQ, keepsQ, dropsQ, dropsQ, keepsQ].map((config) =>
      queryOf(eventBuilderSettings(config, { memo: true }), target),
    );
    // Assess
    expect(queries).toEqual(["q=shoes", null, "q=shoes", null, null, "q=shoes"]);
  });

  it("is shared by the runs over one configuration object: a later run finds what an earlier one scrubbed", () => {
    // Prepare
    const config = parseConfig({});
    const first = eventBuilderSettings(config, { memo: true });
    const target = "/products/42?utm_source=newsletter";
    // Act
    queryOf(first, target);
    const later = eventBuilderSettings(config, { memo: true });
    // Assess
    const options = later.scrubOptionsFor("example.com").statistics;
    expect(later.memo?.targetsFor(options).get(target)).toBeDefined();
    expect(eventBuilderSettings(parseConfig({}), { memo: true }).memo).not.toBe(first.memo);
    expect(eventBuilderSettings(config).memo).toBeUndefined();
  });
});

describe("the collector's scrub memo", () => {
  it("remembers a target or a referrer only when its text is what the event stores anyway", () => {
    // Prepare: the collector keeps no raw record, so its memo may hold no more than events/ does
    const settings = collectorEventSettings(parseConfig({}));
    const kept = "/articles/7?utm_source=newsletter&utm_medium=email";
    const lost = [
      "/articles/7?utm_source=newsletter&email=ann%40example.com", // a dropped parameter
      "/reset/3f9a0c2e7b1d4e5f8a6b9c0d1e2f3a4b?utm_source=mail", // a token segment
      "/articles/7?utm_source=newsletter&utm_source=other", // a repeat
      "/articles/7?utm_source=newsletter&gclid=EAIaIQobChMI", // a click id, not kept without marketing consent
    ];
    // Act
    queryOf(settings, kept, "https://www.google.com/");
    for (const target of lost) queryOf(settings, target, "https://www.google.com/search?q=ann+smith");
    // Assess
    const targets = settings.memo?.targetsFor(settings.scrubOptionsFor("example.com").statistics);
    expect(targets?.get(kept)).toBeDefined();
    for (const target of lost) expect(targets?.get(target)).toBeUndefined();
    expect(settings.memo?.referrers.get("https://www.google.com/")).toBe("www.google.com");
    expect(settings.memo?.referrers.get("https://www.google.com/search?q=ann+smith")).toBeUndefined();
  });

  it("answers a remembered target as it scrubbed it", () => {
    // Prepare
    const settings = collectorEventSettings(parseConfig({}));
    const target = "/articles/7?utm_source=newsletter&utm_medium=email";
    // Act
    const first = queryOf(settings, target);
    const again = queryOf(settings, target);
    // Assess
    expect([first, again]).toEqual([
      "utm_medium=email&utm_source=newsletter",
      "utm_medium=email&utm_source=newsletter",
    ]);
  });
});
