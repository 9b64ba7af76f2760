import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../../functions/core/anonymize/ip.ts";
import { anonymize } from "../../../../../functions/core/ingest/steps/anonymize.ts";
import { enrichRecord } from "../../../../../functions/core/ingest/steps/enrich.ts";
import type { ConsentDecision } from "../../../../../functions/core/types.ts";
import { accessRecord, CHROME, stepRun } from "./run-fixture.ts";

const SALT = new Uint8Array(32).fill(9);

function eventFor(decision: ConsentDecision, salt: Uint8Array | null, config?: unknown) {
  const { run } = stepRun(config === undefined ? {} : { config });
  const record = accessRecord({
    timestampMs: Date.UTC(2026, 10, 20, 10, 15, 0, 789),
    clientIp: "203.0.113.10",
    target: "/b?utm_source=news&secret=1&gclid=abc#frag",
    referrer: "https://www.google.com/search?q=203.0.113.10",
  });
  const address = parseClientAddress(record.clientIp);
  if (address === null) expect.fail("test address does not parse");
  return anonymize(run, record, address, enrichRecord(run, record, address), "example.com", decision, salt);
}

describe("anonymize step", () => {
  it("builds the event from the truncated address, the scrubbed target and the referrer's host only", () => {
    // Act
    const event = eventFor({ tier: "statistics", reason: "log_default" }, SALT);
    // Assess
    expect(event).toMatchObject({
      ts: Date.UTC(2026, 10, 20, 10, 15, 0),
      site: "example.com",
      source: "log",
      event_name: "request",
      path: "/b",
      query: "utm_source=news",
      utm_source: "news",
      click_id: null,
      referrer_host: "www.google.com",
      ip_prefix: "203.0.113.0/24",
      browser: "Chrome",
      browser_major: "131",
      consent_tier: "statistics",
    });
    expect(typeof event.visitor_id).toBe("bigint");
    const text = JSON.stringify(event, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(text).not.toContain("203.0.113.10");
    expect(text).not.toContain(CHROME);
  });

  it("gives the anonymous tier no visitor id, prefix or version, even with a salt at hand", () => {
    // Act
    const event = eventFor({ tier: "anonymous", reason: "denied" }, SALT);
    // Assess
    expect(event).toMatchObject({ visitor_id: null, ip_prefix: null, browser_major: null, path: "/b" });
  });

  it("keeps click ids for the marketing tier only, and truncates to the configured prefix", () => {
    // Act
    const event = eventFor({ tier: "marketing", reason: "granted_marketing" }, SALT, {
      sites: ["example.com"],
      anonymize: { ipv4Prefix: 16 },
    });
    // Assess
    expect(event).toMatchObject({ click_id: "abc", ip_prefix: "203.0.0.0/16" });
  });
});

describe("anonymize step after an event that failed halfway", () => {
  it("builds the next event whole and right (the row objects' sink starts afresh)", () => {
    // Prepare: an enrichment whose bot name cannot be read, so the event fails after most of its values
    const { run } = stepRun({});
    const record = accessRecord({ clientIp: "203.0.113.10", target: "/a" });
    const address = parseClientAddress(record.clientIp);
    if (address === null) expect.fail("test address does not parse");
    const enrichment = enrichRecord(run, record, address);
    const broken = Object.defineProperty({ ...enrichment }, "botName", {
      get: () => {
        throw new Error("unreadable bot name");
      },
    });
    const decision: ConsentDecision = { tier: "statistics", reason: "log_default" };
    const expected = anonymize(run, record, address, enrichment, "example.com", decision, SALT);
    // Act
    expect(() => anonymize(run, record, address, broken, "example.com", decision, SALT)).toThrow(
      "unreadable bot name",
    );
    const next = anonymize(run, record, address, enrichment, "example.com", decision, SALT);
    // Assess
    expect(next).toEqual(expected);
    expect(Object.keys(next)).toHaveLength(36);
  });
});
