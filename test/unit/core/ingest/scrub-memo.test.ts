import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import { buildEvent, eventBuilderSettings } from "../../../../functions/core/ingest/rows.ts";
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

function queryOf(settings: ReturnType<typeof eventBuilderSettings>, target: string): string | null {
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
      referrer: null,
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
