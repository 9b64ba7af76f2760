import type { APIGatewayProxyStructuredResultV2 as CollectResult } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { harness, httpEvent, json } from "./harness.ts";

/**
 * The whole consent matrix through the collect function's handler: statistics and marketing each granted / denied / absent, times
 * Do-Not-Track, times Global Privacy Control, against a reference table written by hand from the design's rules
 * (DESIGN.md "Decide consent", docs/COLLECTOR.md) — not computed by the code under test. Default policy: DNT and
 * GPC honoured, no consent → `anonymous`.
 */

type Category = "granted" | "denied" | "absent";
type Expected =
  | "drop:gpc"
  | "drop:dnt"
  | "anonymous:denied"
  | "anonymous:no_consent_anonymous"
  | "statistics:granted_statistics"
  | "marketing:granted_marketing"
  | "drop:denied"
  | "drop:no_consent_drop";

// statistics, marketing, DNT, GPC → what is stored
const REFERENCE: readonly (readonly [Category, Category, boolean, boolean, Expected])[] = [
  ["granted", "granted", false, false, "marketing:granted_marketing"],
  ["granted", "granted", true, false, "drop:dnt"],
  ["granted", "granted", false, true, "drop:gpc"],
  ["granted", "granted", true, true, "drop:gpc"],
  ["granted", "denied", false, false, "statistics:granted_statistics"],
  ["granted", "denied", true, false, "drop:dnt"],
  ["granted", "denied", false, true, "drop:gpc"],
  ["granted", "denied", true, true, "drop:gpc"],
  ["granted", "absent", false, false, "statistics:granted_statistics"],
  ["granted", "absent", true, false, "drop:dnt"],
  ["granted", "absent", false, true, "drop:gpc"],
  ["granted", "absent", true, true, "drop:gpc"],
  ["denied", "granted", false, false, "anonymous:denied"],
  ["denied", "granted", true, false, "drop:dnt"],
  ["denied", "granted", false, true, "drop:gpc"],
  ["denied", "granted", true, true, "drop:gpc"],
  ["denied", "denied", false, false, "anonymous:denied"],
  ["denied", "denied", true, false, "drop:dnt"],
  ["denied", "denied", false, true, "drop:gpc"],
  ["denied", "denied", true, true, "drop:gpc"],
  ["denied", "absent", false, false, "anonymous:denied"],
  ["denied", "absent", true, false, "drop:dnt"],
  ["denied", "absent", false, true, "drop:gpc"],
  ["denied", "absent", true, true, "drop:gpc"],
  ["absent", "granted", false, false, "marketing:granted_marketing"],
  ["absent", "granted", true, false, "drop:dnt"],
  ["absent", "granted", false, true, "drop:gpc"],
  ["absent", "granted", true, true, "drop:gpc"],
  ["absent", "denied", false, false, "anonymous:no_consent_anonymous"],
  ["absent", "denied", true, false, "drop:dnt"],
  ["absent", "denied", false, true, "drop:gpc"],
  ["absent", "denied", true, true, "drop:gpc"],
  ["absent", "absent", false, false, "anonymous:no_consent_anonymous"],
  ["absent", "absent", true, false, "drop:dnt"],
  ["absent", "absent", false, true, "drop:gpc"],
  ["absent", "absent", true, true, "drop:gpc"],
];

const PAGE = "https://example.com/offer?utm_campaign=spring&gclid=abc123";

const asJson = (c: Category) => (c === "granted" ? true : c === "denied" ? false : undefined);
const asQuery = (c: Category) => (c === "granted" ? "1" : c === "denied" ? "0" : null);

function signalHeaders(dnt: boolean, gpc: boolean): Record<string, string> {
  return { ...(dnt ? { dnt: "1" } : {}), ...(gpc ? { "sec-gpc": "1" } : {}) };
}

async function send(
  route: "collect" | "pixel",
  statistics: Category,
  marketing: Category,
  dnt: boolean,
  gpc: boolean,
  config?: unknown,
) {
  const h = harness(config === undefined ? {} : { config });
  let result: CollectResult;
  if (route === "collect") {
    const consent: Record<string, boolean> = {};
    const s = asJson(statistics);
    const m = asJson(marketing);
    if (s !== undefined) consent.statistics = s;
    if (m !== undefined) consent.marketing = m;
    const body = json({
      site: "example.com",
      url: PAGE,
      ...(Object.keys(consent).length > 0 ? { consent } : {}),
    });
    result = await h.handle(httpEvent({ path: "/collect", body, headers: signalHeaders(dnt, gpc) }));
  } else {
    const params = new URLSearchParams({ site: "example.com", url: PAGE });
    const s = asQuery(statistics);
    const m = asQuery(marketing);
    if (s !== null) params.set("cs", s);
    if (m !== null) params.set("cm", m);
    result = await h.handle(
      httpEvent({
        method: "GET",
        path: "/p.gif",
        query: params.toString(),
        headers: signalHeaders(dnt, gpc),
      }),
    );
  }
  return { h, result };
}

async function checkRow(
  route: "collect" | "pixel",
  statistics: Category,
  marketing: Category,
  dnt: boolean,
  gpc: boolean,
  expected: Expected,
  config?: unknown,
) {
  // Act
  const { h, result } = await send(route, statistics, marketing, dnt, gpc, config);
  // Assess
  const [tier, reason] = expected.split(":") as [string, string];
  const accepted = route === "collect" ? 202 : 200;
  expect(result.statusCode).toBe(accepted);
  if (tier === "drop") {
    expect(h.sink.rows).toHaveLength(0);
    expect(result.headers?.["x-logsieve-dropped"]).toBe(reason);
    expect(h.counters().dropped.byReason[reason as "dnt"]).toBe(1);
    return;
  }
  expect(h.sink.rows).toHaveLength(1);
  const row = h.sink.rows[0];
  expect(row?.consent_tier).toBe(tier);
  expect(row?.consent_reason).toBe(reason);
  expect(row?.utm_campaign).toBe("spring");
  if (tier === "anonymous") {
    // No identifier, no prefix, no version: a denial never yields an identifier.
    expect(row?.visitor_id).toBeNull();
    expect(row?.ip_prefix).toBeNull();
    expect(row?.browser_major).toBeNull();
    expect(row?.click_id).toBeNull();
  } else {
    expect(typeof row?.visitor_id).toBe("bigint");
    expect(row?.ip_prefix).toBe("203.0.113.0/24");
    expect(row?.browser_major).toBe("131");
    // Click ids are marketing data.
    expect(row?.click_id).toBe(tier === "marketing" ? "abc123" : null);
  }
  expect(h.counters().storedByTier[tier as "anonymous"]).toBe(1);
}

describe.each(["collect", "pixel"] as const)("consent matrix on %s (default policy)", (route) => {
  it.each(REFERENCE)("statistics %s, marketing %s, DNT %s, GPC %s → %s", async (s, m, dnt, gpc, expected) => {
    await checkRow(route, s, m, dnt, gpc, expected);
  });
});

describe("consent matrix under other policies", () => {
  const dropWithout = { sites: ["example.com"], consent: { withoutConsent: "drop" } };
  const signalsIgnored = { sites: ["example.com"], consent: { honorDnt: false, honorGpc: false } };
  const cases: readonly (readonly [string, unknown, Category, Category, boolean, boolean, Expected])[] = [
    ["withoutConsent drop", dropWithout, "absent", "absent", false, false, "drop:no_consent_drop"],
    ["withoutConsent drop", dropWithout, "denied", "granted", false, false, "drop:denied"],
    ["withoutConsent drop", dropWithout, "granted", "absent", false, false, "statistics:granted_statistics"],
    ["withoutConsent drop", dropWithout, "absent", "denied", false, false, "drop:no_consent_drop"],
    [
      "DNT and GPC not honoured",
      signalsIgnored,
      "absent",
      "absent",
      true,
      true,
      "anonymous:no_consent_anonymous",
    ],
    [
      "DNT and GPC not honoured",
      signalsIgnored,
      "granted",
      "absent",
      true,
      true,
      "statistics:granted_statistics",
    ],
    ["DNT and GPC not honoured", signalsIgnored, "denied", "absent", true, false, "anonymous:denied"],
  ];
  it.each(cases)("%s: statistics %s… → %s", async (_name, config, s, m, dnt, gpc, expected) => {
    await checkRow("collect", s, m, dnt, gpc, expected, config);
  });

  it("reads Plausible events (which carry no consent) as no consent, and honours DNT and GPC on them", async () => {
    // Prepare
    const h = harness();
    const body = json({ n: "pageview", u: PAGE, d: "example.com" });
    // Act
    const plain = await h.handle(httpEvent({ path: "/api/event", body }));
    const dnt = await h.handle(httpEvent({ path: "/api/event", body, headers: { dnt: "1" } }));
    const gpc = await h.handle(httpEvent({ path: "/api/event", body, headers: { "sec-gpc": "1" } }));
    // Assess
    expect([plain.statusCode, dnt.statusCode, gpc.statusCode]).toEqual([202, 202, 202]);
    expect(dnt.headers?.["x-plausible-dropped"]).toBe("1");
    expect(h.sink.rows.map((r) => `${r.consent_tier}:${r.consent_reason}`)).toEqual([
      "anonymous:no_consent_anonymous",
    ]);
    expect(h.counters().dropped.byReason).toMatchObject({ dnt: 1, gpc: 1 });
  });

  it("reads Matomo's consent=1 as statistics granted, and its absence as no consent", async () => {
    // Prepare
    const h = harness();
    const base = `idsite=example.com&rec=1&url=${encodeURIComponent(PAGE)}&send_image=0`;
    // Act
    await h.handle(httpEvent({ method: "GET", path: "/matomo.php", query: `${base}&consent=1` }));
    await h.handle(httpEvent({ method: "GET", path: "/matomo.php", query: base }));
    // Assess
    expect(h.sink.rows.map((r) => `${r.consent_tier}:${r.consent_reason}`)).toEqual([
      "statistics:granted_statistics",
      "anonymous:no_consent_anonymous",
    ]);
  });
});
