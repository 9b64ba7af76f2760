import type { APIGatewayProxyStructuredResultV2 as CollectResult } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  harness,
  httpEvent,
  json,
  type RequestSpec,
  UA_CHROME,
  UA_GOOGLEBOT,
  UMAMI_WEBSITE_ID,
} from "./harness.ts";

/**
 * Every route of the collector through the collect function's Lambda handler (the HTTP app with the collector's
 * routes behind Hono's Lambda adapter, fed HTTP API v2 events), with the real core over in-memory ports:
 * valid, invalid, oversized, unknown site, bot and rate-limited requests, each answered as documented in
 * docs/COLLECTOR.md and counted with its reason.
 */

const BIG = "x".repeat(9 * 1024);
const PAGE = "https://example.com/pricing?utm_source=news&email=someone%40example.net#plans";

interface RouteCase {
  readonly name: string;
  readonly valid: RequestSpec;
  /** Status and body (or body prefix) of an accepted request. */
  readonly accepted: { readonly status: number; readonly body?: string; readonly contentType?: string };
  readonly invalid: { readonly spec: RequestSpec; readonly reason: string };
  readonly oversized: { readonly spec: RequestSpec; readonly status: number; readonly reason: string };
  readonly unknownSite: RequestSpec;
  /** How a bot is answered (default 202, body unchecked). */
  readonly bot?: { readonly status: number; readonly body: string };
}

const ROUTES: readonly RouteCase[] = [
  {
    name: "POST /collect",
    valid: {
      path: "/collect",
      body: json({ site: "example.com", url: PAGE, referrer: "https://www.google.com/search?q=x" }),
    },
    accepted: { status: 202, body: '{"ok":true}', contentType: "application/json; charset=utf-8" },
    invalid: { spec: { path: "/collect", body: json({ site: "example.com" }) }, reason: "missing_url" },
    oversized: {
      spec: { path: "/collect", body: json({ site: "example.com", url: PAGE, props: { big: BIG } }) },
      status: 413,
      reason: "body_too_large",
    },
    unknownSite: { path: "/collect", body: json({ site: "other.example", url: PAGE }) },
  },
  {
    name: "GET /p.gif",
    valid: {
      method: "GET",
      path: "/p.gif",
      query: `site=example.com&url=${encodeURIComponent(PAGE)}&ref=${encodeURIComponent("https://www.google.com/")}`,
      headers: { origin: null, "content-type": null },
    },
    accepted: { status: 200, contentType: "image/gif" },
    invalid: {
      spec: { method: "GET", path: "/p.gif", query: "site=example.com", headers: { origin: null } },
      reason: "missing_url",
    },
    oversized: {
      spec: {
        method: "GET",
        path: "/p.gif",
        query: `site=example.com&url=${BIG}`,
        headers: { origin: null },
      },
      status: 414,
      reason: "query_too_large",
    },
    unknownSite: {
      method: "GET",
      path: "/p.gif",
      query: `site=other.example&url=${encodeURIComponent(PAGE)}`,
      headers: { origin: null },
    },
  },
  {
    name: "POST /api/event (Plausible)",
    valid: {
      path: "/api/event",
      body: json({ n: "pageview", u: PAGE, d: "example.com", r: "https://www.google.com/search?q=x", v: 26 }),
    },
    accepted: { status: 202, body: "{}" },
    invalid: {
      spec: { path: "/api/event", body: json({ n: "pageview", d: "example.com" }) },
      reason: "missing_url",
    },
    oversized: {
      spec: { path: "/api/event", body: json({ n: "pageview", u: PAGE, d: "example.com", p: { big: BIG } }) },
      status: 413,
      reason: "body_too_large",
    },
    unknownSite: { path: "/api/event", body: json({ n: "pageview", u: PAGE, d: "other.example" }) },
  },
  {
    name: "POST /api/send (Umami)",
    valid: {
      path: "/api/send",
      headers: { "content-type": "application/json" },
      body: json({
        type: "event",
        payload: {
          website: UMAMI_WEBSITE_ID,
          hostname: "example.com",
          screen: "1920x1080",
          language: "de-DE",
          title: "Pricing",
          url: PAGE,
          referrer: "https://www.google.com/search?q=x",
        },
      }),
    },
    accepted: { status: 200, body: "{}", contentType: "application/json; charset=utf-8" },
    invalid: {
      spec: {
        path: "/api/send",
        headers: { "content-type": "application/json" },
        body: json({ type: "event", payload: { website: UMAMI_WEBSITE_ID } }),
      },
      reason: "missing_url",
    },
    oversized: {
      spec: {
        path: "/api/send",
        headers: { "content-type": "application/json" },
        body: json({ type: "event", payload: { website: UMAMI_WEBSITE_ID, url: PAGE, data: { big: BIG } } }),
      },
      status: 413,
      reason: "body_too_large",
    },
    unknownSite: {
      path: "/api/send",
      headers: { "content-type": "application/json" },
      body: json({ type: "event", payload: { website: "00000000-0000-4000-8000-000000000000", url: PAGE } }),
    },
    bot: { status: 200, body: '{"beep":"boop"}' },
  },
  {
    name: "GET /matomo.php",
    valid: {
      method: "GET",
      path: "/matomo.php",
      query: `idsite=example.com&rec=1&url=${encodeURIComponent(PAGE)}&urlref=${encodeURIComponent("https://www.google.com/")}&action_name=Pricing&_id=0123456789abcdef&send_image=0`,
      headers: { origin: null },
    },
    accepted: { status: 204, body: "" },
    invalid: {
      spec: {
        method: "GET",
        path: "/matomo.php",
        query: `idsite=example.com&url=${encodeURIComponent(PAGE)}`,
      },
      reason: "not_tracked",
    },
    oversized: {
      spec: {
        method: "POST",
        path: "/matomo.php",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
        body: `idsite=example.com&rec=1&url=${encodeURIComponent(PAGE)}&data=${BIG}`,
      },
      status: 413,
      reason: "body_too_large",
    },
    unknownSite: {
      method: "GET",
      path: "/matomo.php",
      query: `idsite=1&rec=1&url=${encodeURIComponent("https://other.example/")}`,
      headers: { origin: null },
    },
  },
];

function parsed(result: CollectResult): Record<string, unknown> {
  return JSON.parse(result.body ?? "") as Record<string, unknown>;
}

describe.each(ROUTES)("collector route $name", (route) => {
  it("accepts a valid event, answers in the protocol's style and stores it anonymized", async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(httpEvent(route.valid));
    // Assess
    expect(result.statusCode).toBe(route.accepted.status);
    if (route.accepted.body !== undefined) expect(result.body).toBe(route.accepted.body);
    if (route.accepted.contentType !== undefined) {
      expect(result.headers?.["content-type"]).toBe(route.accepted.contentType);
    }
    expect(result.headers?.["cache-control"]).toBe("no-store, max-age=0");
    expect(h.sink.rows).toHaveLength(1);
    const row = h.sink.rows[0];
    expect(row).toMatchObject({
      site: "example.com",
      source: "collector",
      event_name: "pageview",
      path: "/pricing",
      query: "utm_source=news",
      utm_source: "news",
      browser: "Chrome",
      os: "Windows",
      device: "desktop",
      is_bot: false,
      consent_tier: "anonymous",
      consent_reason: "no_consent_anonymous",
      visitor_id: null,
      ip_prefix: null,
      browser_major: null,
      ts: Date.UTC(2026, 10, 20, 10, 0, 0),
    });
    expect(row?.referrer_host).toBe("www.google.com");
    expect(h.counters().stored).toBe(1);
  });

  it("refuses an invalid event with 400 and the reason, and counts it", async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(httpEvent(route.invalid.spec));
    // Assess
    expect(result.statusCode).toBe(400);
    expect(parsed(result)).toEqual({ error: "bad_request", reason: route.invalid.reason });
    expect(h.sink.rows).toHaveLength(0);
    expect(h.counters().rejected.byReason[route.invalid.reason as "missing_url"]).toBe(1);
    expect(h.logs).toEqual([
      {
        level: "INFO",
        message: "collect refused",
        attributes: expect.objectContaining({ status: 400, reasons: [route.invalid.reason] }),
      },
    ]);
  });

  it("refuses an oversized request before reading it", async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(httpEvent(route.oversized.spec));
    // Assess
    expect(result.statusCode).toBe(route.oversized.status);
    expect(parsed(result).reason).toBe(route.oversized.reason);
    expect(h.sink.rows).toHaveLength(0);
  });

  it("refuses a site that is not configured with 403", async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(httpEvent(route.unknownSite));
    // Assess
    expect(result.statusCode).toBe(403);
    expect(parsed(result)).toEqual({ error: "forbidden", reason: "unknown_site" });
    expect(h.counters().rejected.byReason.unknown_site).toBe(1);
    expect(h.sink.rows).toHaveLength(0);
  });

  it("answers a bot 202 and drops its event with the reason", async () => {
    // Prepare
    const h = harness();
    const spec = { ...route.valid, headers: { ...route.valid.headers, "user-agent": UA_GOOGLEBOT } };
    // Act
    const result = await h.handle(httpEvent(spec));
    // Assess
    expect(result.statusCode).toBe(route.bot?.status ?? 202);
    if (route.bot !== undefined) expect(result.body).toBe(route.bot.body);
    expect(result.headers?.["x-logsieve-dropped"]).toBe("bot");
    if (route.name.includes("Plausible")) expect(result.headers?.["x-plausible-dropped"]).toBe("1");
    expect(h.sink.rows).toHaveLength(0);
    expect(h.counters().dropped.byReason.bot).toBe(1);
  });

  it("answers 429 with Retry-After once the site's token bucket is empty, and refills with time", async () => {
    // Prepare: two events at once, then one per second.
    const h = harness({ settings: { rateLimit: { perSecond: 1, burst: 2 } } });
    const handler = h.handle;
    // Act
    const first = await handler(httpEvent(route.valid));
    const second = await handler(httpEvent(route.valid));
    const third = await handler(httpEvent(route.valid));
    h.clock.advance(1000);
    const later = await handler(httpEvent(route.valid));
    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([route.accepted.status, route.accepted.status]);
    expect(third.statusCode).toBe(429);
    expect(third.headers?.["retry-after"]).toBe("1");
    expect(parsed(third)).toEqual({ error: "too_many_requests", reason: "rate_limited" });
    expect(later.statusCode).toBe(route.accepted.status);
    expect(h.sink.rows).toHaveLength(3);
    expect(h.counters().rejected.byReason.rate_limited).toBe(1);
  });
});

describe("collector route GET /logsieve.js", () => {
  it("serves the tracker script, cacheable, as JavaScript", async () => {
    // Prepare
    const h = harness({ script: "(()=>{})();" });
    // Act
    const result = await h.handle(httpEvent({ method: "GET", path: "/logsieve.js" }));
    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe("(()=>{})();");
    expect(result.headers?.["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(result.headers?.["cache-control"]).toBe("public, max-age=3600");
  });

  it("answers 405 with Allow to another method, and 404 when no script is bundled", async () => {
    // Prepare
    const h = harness();
    const without = harness({ script: null });
    // Act
    const post = await h.handle(httpEvent({ method: "POST", path: "/logsieve.js", body: "x" }));
    const missing = await without.handle(httpEvent({ method: "GET", path: "/logsieve.js" }));
    // Assess
    expect(post.statusCode).toBe(405);
    expect(post.headers?.allow).toBe("GET, OPTIONS");
    expect(missing.statusCode).toBe(404);
  });
});

describe("collector routing", () => {
  it("routes by path and answers 404 for any other path", async () => {
    // Prepare
    const h = harness();
    // Act
    const ok = await h.handle(
      httpEvent({ path: "/api/event", body: json({ n: "pageview", u: PAGE, d: "example.com" }) }),
    );
    const missing = await h.handle(httpEvent({ method: "GET", path: "/wp-login.php" }));
    // Assess
    expect(ok.statusCode).toBe(202);
    expect(missing.statusCode).toBe(404);
    expect(parsed(missing)).toEqual({ error: "not_found", reason: "not_found" });
  });

  it("decodes a base64 body as API Gateway delivers binary types", async () => {
    // Prepare
    const h = harness();
    const event = httpEvent({
      path: "/collect",
      base64: true,
      headers: { "content-type": "application/json" },
      body: json({ site: "example.com", url: "https://example.com/b64" }),
    });
    // Act
    const result = await h.handle(event);
    // Assess
    expect(result.statusCode).toBe(202);
    expect(h.sink.rows[0]?.path).toBe("/b64");
  });
});

describe("collector guards", () => {
  it("answers CORS for the site's origins (the site and its subdomains), and refuses events from other origins", async () => {
    // Prepare
    const h = harness();
    const body = json({ site: "example.com", url: PAGE });
    // Act
    const own = await h.handle(
      httpEvent({ path: "/collect", body, headers: { origin: "https://example.com" } }),
    );
    const sub = await h.handle(
      httpEvent({ path: "/collect", body, headers: { origin: "https://blog.example.com" } }),
    );
    const foreign = await h.handle(
      httpEvent({ path: "/collect", body, headers: { origin: "https://evil.example.net" } }),
    );
    const lookalike = await h.handle(
      httpEvent({ path: "/collect", body, headers: { origin: "https://notexample.com" } }),
    );
    // Assess
    expect(own.statusCode).toBe(202);
    expect(own.headers?.["access-control-allow-origin"]).toBe("https://example.com");
    expect(own.headers?.vary).toBe("origin");
    expect(sub.headers?.["access-control-allow-origin"]).toBe("https://blog.example.com");
    expect(foreign.statusCode).toBe(403);
    expect(parsed(foreign).reason).toBe("origin_not_allowed");
    expect(foreign.headers?.["access-control-allow-origin"]).toBeUndefined();
    expect(lookalike.statusCode).toBe(403);
    expect(h.sink.rows).toHaveLength(2);
  });

  it("counts an event sent for a site's alias, from a page on the alias, for the site itself", async () => {
    // Prepare
    const h = harness({
      config: { sites: ["example.com"], siteSettings: { "example.com": { aliases: ["example.de"] } } },
    });
    const body = json({ site: "www.example.de", url: "https://www.example.de/preise" });
    // Act
    const result = await h.handle(
      httpEvent({ path: "/collect", body, headers: { origin: "https://www.example.de" } }),
    );
    // Assess
    expect(result.statusCode).toBe(202);
    expect(result.headers?.["access-control-allow-origin"]).toBe("https://www.example.de");
    expect(h.sink.rows.map((r) => r.site)).toEqual(["example.com"]);
  });

  it("answers a CORS preflight for a configured site's origin, and refuses others", async () => {
    // Prepare
    const h = harness();
    const preflight = (origin: string) =>
      httpEvent({
        method: "OPTIONS",
        path: "/collect",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    // Act
    const ok = await h.handle(preflight("https://shop.example.org"));
    const refused = await h.handle(preflight("https://evil.example.net"));
    // Assess
    expect(ok.statusCode).toBe(204);
    expect(ok.headers).toMatchObject({
      "access-control-allow-origin": "https://shop.example.org",
      "access-control-allow-methods": "POST, OPTIONS",
      "access-control-allow-headers": "content-type",
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers?.["access-control-allow-origin"]).toBeUndefined();
  });

  it("takes the client address from the platform, not from X-Forwarded-For, unless the peer is a trusted proxy", async () => {
    // Prepare
    const body = json({ site: "example.com", url: PAGE, consent: { statistics: true } });
    const spoofed = { path: "/collect", body, headers: { "x-forwarded-for": "198.51.100.9" } };
    const untrusted = harness();
    const behindProxy = harness({ config: { sites: ["example.com"], trustedProxies: ["10.0.0.0/8"] } });
    // Act
    await untrusted.handle(httpEvent(spoofed));
    await behindProxy.handle(httpEvent({ ...spoofed, sourceIp: "10.1.2.3" }));
    await behindProxy.handle(httpEvent(spoofed));
    // Assess
    expect(untrusted.sink.rows[0]?.ip_prefix).toBe("203.0.113.0/24");
    expect(behindProxy.sink.rows.map((r) => r.ip_prefix)).toEqual(["198.51.100.0/24", "203.0.113.0/24"]);
  });

  it("never uses Matomo's _id as identity: the visitor id follows address and agent only", async () => {
    // Prepare
    const h = harness();
    const hit = (id: string, sourceIp: string) =>
      httpEvent({
        method: "GET",
        path: "/matomo.php",
        query: `idsite=example.com&rec=1&url=${encodeURIComponent(PAGE)}&consent=1&_id=${id}&cid=${id}&uid=user-${id}&send_image=0`,
        sourceIp,
      });
    // Act
    await h.handle(hit("aaaaaaaaaaaaaaaa", "203.0.113.77"));
    await h.handle(hit("bbbbbbbbbbbbbbbb", "203.0.113.77"));
    await h.handle(hit("aaaaaaaaaaaaaaaa", "198.51.100.9"));
    // Assess
    const ids = h.sink.rows.map((r) => r.visitor_id);
    expect(h.sink.rows.map((r) => r.consent_tier)).toEqual(["statistics", "statistics", "statistics"]);
    expect(ids[0]).not.toBeNull();
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("echoes no input in a response or a log line, even when the input is markup or an address", async () => {
    // Prepare
    const h = harness();
    const nasty = "<script>alert(1)</script>\r\nX-Injected: 1 198.51.100.23";
    // Act
    const results = [
      await h.handle(httpEvent({ path: "/collect", body: nasty })),
      await h.handle(httpEvent({ path: "/collect", body: json({ site: nasty, url: PAGE }) })),
      await h.handle(httpEvent({ path: "/api/event", body: json({ n: nasty, u: nasty, d: "example.com" }) })),
      await h.handle(
        httpEvent({ method: "GET", path: "/p.gif", query: `site=${encodeURIComponent(nasty)}` }),
      ),
      await h.handle(httpEvent({ method: "GET", path: `/${encodeURIComponent(nasty)}` })),
    ];
    // Assess
    for (const result of results) {
      expect(result.statusCode).toBeGreaterThanOrEqual(400);
      expect(result.body).not.toContain("script");
      expect(result.body).not.toContain("198.51.100");
      expect(JSON.stringify(result.headers)).not.toContain("198.51.100");
    }
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain("198.51.100");
    expect(logged).not.toContain("script");
  });

  it("answers 503 when the sink cannot take events, so the client may retry, and counts it", async () => {
    // Prepare
    const h = harness();
    h.sink.failing = true;
    // Act
    const result = await h.handle(
      httpEvent({ path: "/collect", body: json({ site: "example.com", url: PAGE }) }),
    );
    // Assess
    expect(result.statusCode).toBe(503);
    expect(parsed(result)).toEqual({ error: "unavailable", reason: "sink_unavailable" });
    expect(h.counters().rejected.byReason.sink_unavailable).toBe(1);
    expect(h.counters().stored).toBe(0);
  });

  it("answers an unexpected failure 500 with a fixed body and logs the error's name only", async () => {
    // Prepare: a sink that fails in a way the collector does not expect.
    const h = harness();
    h.sink.write = async () => {
      throw new TypeError("cannot write 198.51.100.23");
    };
    // Act
    const result = await h.handle(
      httpEvent({ path: "/collect", body: json({ site: "example.com", url: PAGE }) }),
    );
    // Assess
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('{"error":"internal"}');
    expect(h.logs).toEqual([
      {
        level: "ERROR",
        message: "collect failed",
        attributes: { route: "/collect", errorName: "TypeError" },
      },
    ]);
  });

  it("counts a Matomo bulk request per event and answers with Matomo's counts", async () => {
    // Prepare
    const h = harness();
    const page = encodeURIComponent(PAGE);
    const body = json({
      requests: [
        `?idsite=example.com&rec=1&url=${page}&action_name=A`,
        `?idsite=example.com&rec=1&url=${page}&e_c=Video&e_a=Play`,
        `?idsite=example.com&rec=1&url=${page}&ping=1`,
        `?idsite=example.com&url=${page}`,
        `?idsite=other.example&rec=1&url=${page}`,
      ],
    });
    // Act
    const result = await h.handle(
      httpEvent({ path: "/matomo.php", body, headers: { "content-type": "text/plain" } }),
    );
    // Assess
    expect(result.statusCode).toBe(200);
    expect(parsed(result)).toEqual({ status: "success", tracked: 3, invalid: 2 });
    expect(h.sink.rows.map((r) => r.event_name)).toEqual(["pageview", "Video/Play"]);
    const counts = h.counters();
    expect(counts.dropped.byReason.heartbeat).toBe(1);
    expect(counts.rejected.byReason.not_tracked).toBe(1);
    expect(counts.rejected.byReason.unknown_site).toBe(1);
  });

  it("reads Matomo's sendBeacon POST (query in the URL, empty body) and its XHR POST (form body)", async () => {
    // Prepare
    const h = harness();
    const query = `idsite=example.com&rec=1&url=${encodeURIComponent("https://example.com/beacon")}&send_image=0`;
    // Act
    const beacon = await h.handle(
      httpEvent({
        path: "/matomo.php",
        query,
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      }),
    );
    const xhr = await h.handle(
      httpEvent({
        path: "/matomo.php",
        body: `idsite=example.com&rec=1&url=${encodeURIComponent("https://example.com/xhr")}`,
        headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
      }),
    );
    // Assess
    expect(beacon.statusCode).toBe(204);
    expect(xhr.statusCode).toBe(200);
    expect(xhr.isBase64Encoded).toBe(true);
    expect(h.sink.rows.map((r) => r.path)).toEqual(["/beacon", "/xhr"]);
  });

  it("counts a Plausible event once per listed domain, stripping www.", async () => {
    // Prepare
    const h = harness();
    const body = json({
      name: "pageview",
      url: PAGE,
      domain: "www.example.com,shop.example.org",
      props: '{"a":"b"}',
    });
    // Act
    const result = await h.handle(httpEvent({ path: "/api/event", body, headers: { origin: null } }));
    // Assess
    expect(result.statusCode).toBe(202);
    expect(h.sink.rows.map((r) => r.site)).toEqual(["example.com", "shop.example.org"]);
  });

  it("stores the user agent only as classes", async () => {
    // Prepare
    const h = harness();
    // Act
    await h.handle(
      httpEvent({
        path: "/collect",
        body: json({ site: "example.com", url: PAGE }),
        headers: { "user-agent": UA_CHROME },
      }),
    );
    // Assess
    expect(JSON.stringify(h.sink.rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(
      "Mozilla",
    );
  });
});

describe("collector: Umami specifics", () => {
  const umami = (payload: Record<string, unknown>, type = "event", headers: Record<string, string> = {}) =>
    httpEvent({
      path: "/api/send",
      headers: { "content-type": "application/json", ...headers },
      body: json({ type, payload: { website: UMAMI_WEBSITE_ID, url: "/pricing", ...payload } }),
    });

  it("answers the preflight with the x-umami-cache header allowed (the v2 tracker sends it after its first event)", async () => {
    // Prepare
    const h = harness();
    // Act
    const result = await h.handle(
      httpEvent({
        method: "OPTIONS",
        path: "/api/send",
        headers: {
          origin: "https://example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,x-umami-cache",
        },
      }),
    );
    // Assess
    expect(result.statusCode).toBe(204);
    expect(result.headers?.["access-control-allow-headers"]).toBe("content-type, x-umami-cache");
  });

  it("drops identify and performance messages with their reason, answering 200 {}", async () => {
    // Prepare
    const h = harness();
    // Act
    const identify = await h.handle(
      umami({ id: "user-1", data: { email: "someone@example.net" } }, "identify"),
    );
    const performance = await h.handle(umami({ lcp: 1234, ttfb: 80 }, "performance"));
    // Assess
    for (const result of [identify, performance]) {
      expect(result.statusCode).toBe(200);
      expect(result.body).toBe("{}");
    }
    expect(identify.headers?.["x-logsieve-dropped"]).toBe("identify");
    expect(h.sink.rows).toEqual([]);
    expect(h.counters().dropped.byReason).toMatchObject({ identify: 1, performance: 1 });
  });

  it("decides consent on DNT and GPC like the other trackers, and stores a custom event by its name", async () => {
    // Prepare
    const h = harness();
    // Act
    await h.handle(umami({}, "event", { dnt: "1" }));
    await h.handle(umami({}, "event", { "sec-gpc": "1" }));
    await h.handle(umami({ name: "signup" }));
    // Assess
    expect(h.counters().dropped.byReason).toMatchObject({ dnt: 1, gpc: 1 });
    expect(h.sink.rows.map((r) => [r.event_name, r.path, r.consent_tier])).toEqual([
      ["signup", "/pricing", "anonymous"],
    ]);
  });
});

describe("collector: referrer spam", () => {
  it("drops an event of any tracker whose referrer is a listed host or its subdomain, and keeps others", async () => {
    // Prepare
    const h = harness();
    const spam = "https://www.semalt.com/crawler.php?u=example.com";
    // Act
    const answers = [
      await h.handle(
        httpEvent({ path: "/collect", body: json({ site: "example.com", url: PAGE, referrer: spam }) }),
      ),
      await h.handle(
        httpEvent({ path: "/api/event", body: json({ n: "pageview", u: PAGE, d: "example.com", r: spam }) }),
      ),
      await h.handle(
        httpEvent({
          path: "/api/send",
          headers: { "content-type": "application/json" },
          body: json({ type: "event", payload: { website: UMAMI_WEBSITE_ID, url: PAGE, referrer: spam } }),
        }),
      ),
      await h.handle(
        httpEvent({
          method: "GET",
          path: "/matomo.php",
          query: `idsite=example.com&rec=1&url=${encodeURIComponent(PAGE)}&urlref=${encodeURIComponent(spam)}&send_image=0`,
          headers: { origin: null },
        }),
      ),
      await h.handle(
        httpEvent({
          path: "/collect",
          body: json({ site: "example.com", url: PAGE, referrer: "https://semalt.com.example.net/" }),
        }),
      ),
    ];
    // Assess: answered as accepted (the spammer learns nothing), dropped with the reason, one real event stored.
    expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 200, 204, 202]);
    expect(answers.slice(0, 4).map((a) => a.headers?.["x-logsieve-dropped"])).toEqual([
      "spam_referrer",
      "spam_referrer",
      "spam_referrer",
      "spam_referrer",
    ]);
    expect(h.counters().dropped.byReason.spam_referrer).toBe(4);
    expect(h.sink.rows.map((r) => r.referrer_host)).toEqual(["semalt.com.example.net"]);
  });
});
