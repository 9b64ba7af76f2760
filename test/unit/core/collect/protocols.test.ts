import { describe, expect, it } from "vitest";
import { readMatomo } from "../../../../functions/core/collect/protocols/matomo.ts";
import { readNative } from "../../../../functions/core/collect/protocols/native.ts";
import { readPixel } from "../../../../functions/core/collect/protocols/pixel.ts";
import { readPlausible } from "../../../../functions/core/collect/protocols/plausible.ts";
import { readUmami, umamiWebsites } from "../../../../functions/core/collect/protocols/umami.ts";
import type { CollectRequest } from "../../../../functions/core/collect/types.ts";

function post(body: string, contentType = "text/plain", rawQuery = ""): CollectRequest {
  return {
    method: "POST",
    path: "/",
    rawQuery,
    headers: { "content-type": contentType },
    body,
    bodyBytes: body.length,
    sourceIp: "203.0.113.1",
  };
}

function get(rawQuery: string, headers: Record<string, string> = {}): CollectRequest {
  return { method: "GET", path: "/", rawQuery, headers, body: null, bodyBytes: 0, sourceIp: "203.0.113.1" };
}

describe("native protocol (POST /collect)", () => {
  it("reads site, url (fragment dropped), referrer, name and consent", () => {
    // Act
    const result = readNative(
      post(
        JSON.stringify({
          site: " Example.COM. ",
          url: "https://example.com/a/b?x=1#top",
          referrer: "https://news.example.net/",
          name: "Signup",
          props: { plan: "pro", seats: 3, annual: true },
          consent: { statistics: true, marketing: null },
        }),
      ),
    );
    // Assess
    expect(result).toEqual({
      ok: true,
      hits: [
        {
          site: "example.com",
          target: "/a/b?x=1",
          referrer: "https://news.example.net/",
          eventName: "Signup",
          // As text, in the order sent; which are stored is the site's allowlist's decision (properties.ts).
          props: [
            ["plan", "pro"],
            ["seats", "3"],
            ["annual", "true"],
          ],
          consent: { statistics: true },
        },
      ],
      invalid: [],
      reply: "json",
    });
  });

  it.each([
    ["not json", "bad_json"],
    ["[1,2]", "bad_json"],
    [JSON.stringify({ url: "https://example.com/" }), "missing_site"],
    [JSON.stringify({ site: "exa mple.com", url: "https://example.com/" }), "bad_site"],
    [JSON.stringify({ site: "example.com" }), "missing_url"],
    [JSON.stringify({ site: "example.com", url: "/relative" }), "bad_url"],
    [JSON.stringify({ site: "example.com", url: "ftp://example.com/" }), "bad_url"],
    [JSON.stringify({ site: "example.com", url: "data:text/html,hi" }), "data_url"],
    [JSON.stringify({ site: "example.com", url: `https://example.com/${"a".repeat(2001)}` }), "url_too_long"],
    [JSON.stringify({ site: "example.com", url: "https://example.com/", referrer: 5 }), "bad_referrer"],
    [JSON.stringify({ site: "example.com", url: "https://example.com/", name: "   " }), "bad_event_name"],
    [JSON.stringify({ site: "example.com", url: "https://example.com/", name: "a\nb" }), "bad_event_name"],
    [JSON.stringify({ site: "example.com", url: "https://example.com/", props: [1] }), "bad_props"],
    [
      JSON.stringify({ site: "example.com", url: "https://example.com/", props: { a: { b: 1 } } }),
      "bad_props",
    ],
    [
      JSON.stringify({ site: "example.com", url: "https://example.com/", consent: { statistics: "yes" } }),
      "bad_consent",
    ],
    [JSON.stringify({ site: "example.com", url: "https://example.com/", consent: true }), "bad_consent"],
  ])("refuses %s as %s", (body, reason) => {
    // Act / Assess
    expect(readNative(post(body))).toEqual({ ok: false, reason, reply: "json" });
  });

  it("normalizes a referrer like a browser (an IPv4 host in hex becomes dotted) and drops one that is no URL", () => {
    // Act
    const read = (referrer: string) => {
      const result = readNative(
        post(JSON.stringify({ site: "example.com", url: "https://example.com/", referrer })),
      );
      return result.ok ? result.hits[0]?.referrer : result.reason;
    };
    // Assess
    expect(read("http://0x17000002/from")).toBe("http://23.0.0.2/from");
    expect(read("HTTPS://News.Example.NET")).toBe("https://news.example.net/");
    expect(read("just some text")).toBeNull();
  });

  it("refuses a body type it does not read", () => {
    // Act / Assess
    expect(readNative(post("{}", "multipart/form-data; boundary=x"))).toMatchObject({
      ok: false,
      reason: "bad_content_type",
    });
  });
});

describe("pixel (GET /p.gif)", () => {
  it("reads the query, and takes the Referer header as the page when url is missing", () => {
    // Act
    const explicit = readPixel(
      get(
        "site=example.com&url=https%3A%2F%2Fexample.com%2Fp%3Fq%3D1&ref=https%3A%2F%2Fa.example%2F&cs=1&cm=denied",
      ),
    );
    const fromReferer = readPixel(get("site=example.com", { referer: "https://example.com/from-header" }));
    // Assess
    expect(explicit).toEqual({
      ok: true,
      hits: [
        {
          site: "example.com",
          target: "/p?q=1",
          referrer: "https://a.example/",
          eventName: "pageview",
          consent: { statistics: true, marketing: false },
        },
      ],
      invalid: [],
      reply: "gif",
    });
    expect(fromReferer).toMatchObject({ ok: true, hits: [{ target: "/from-header" }] });
  });

  it("refuses a consent value it does not know", () => {
    // Act / Assess
    expect(readPixel(get("site=example.com&url=https%3A%2F%2Fexample.com%2F&cs=maybe"))).toEqual({
      ok: false,
      reason: "bad_consent",
      reply: "gif",
    });
  });
});

describe("Plausible Events API (POST /api/event)", () => {
  it("reads the short keys the trackers send", () => {
    // Act
    const result = readPlausible(
      post(
        JSON.stringify({
          n: "pageview",
          u: "https://example.com/docs#x",
          d: "example.com",
          r: null,
          v: 26,
          p: { a: "b" },
        }),
      ),
    );
    // Assess
    expect(result).toEqual({
      ok: true,
      hits: [
        { site: "example.com", target: "/docs", referrer: null, eventName: "pageview", props: [["a", "b"]] },
      ],
      invalid: [],
      reply: "plausible",
    });
  });

  it("reads the long keys, JSON sent as application/json, props as a string, a bare path and app URLs", () => {
    // Act
    const long = readPlausible(
      post(
        JSON.stringify({
          name: "Signup",
          url: "/blog",
          domain: "example.com",
          referrer: "https://a.example/",
          props: '{"k":"v"}',
        }),
        "application/json",
      ),
    );
    const app = readPlausible(
      post(JSON.stringify({ n: "pageview", u: "app://localhost/login", d: "example.com" })),
    );
    // Assess
    expect(long).toMatchObject({
      ok: true,
      hits: [{ target: "/blog", eventName: "Signup", referrer: "https://a.example/", props: [["k", "v"]] }],
    });
    expect(app).toMatchObject({ ok: true, hits: [{ target: "/login" }] });
  });

  it.each([
    [JSON.stringify({ u: "https://example.com/", d: "example.com" }), "missing_name"],
    [JSON.stringify({ n: "pageview", d: "example.com" }), "missing_url"],
    [JSON.stringify({ n: "pageview", u: "https://example.com/" }), "missing_site"],
    [JSON.stringify({ n: "pageview", u: "data:text/plain,x", d: "example.com" }), "data_url"],
    [JSON.stringify({ n: "pageview", u: "https://example.com/", d: 5 }), "bad_site"],
  ])("refuses %s as %s", (body, reason) => {
    // Act / Assess
    expect(readPlausible(post(body))).toEqual({ ok: false, reason, reply: "plausible" });
  });
});

describe("Umami collection API (POST /api/send)", () => {
  const ID = "4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b";
  const websites = umamiWebsites({
    "example.com": { umamiWebsiteIds: [ID] },
    "shop.example.org": { umamiWebsiteIds: [] },
  });
  const send = (body: unknown, contentType = "application/json") =>
    readUmami(post(JSON.stringify(body), contentType), websites);

  it("reads tracker v2's page view (url a path, title and referrer URI-encoded, an empty referrer) for the mapped site", () => {
    // Act: what umami@2.10.0's src/tracker/index.js getPayload() sends.
    const result = send({
      type: "event",
      payload: {
        website: ID,
        hostname: "example.com",
        screen: "1920x1080",
        language: "de-DE",
        title: "Preise%20%26%20Pl%C3%A4ne",
        url: "/pricing?utm_source=news",
        referrer: "",
      },
    });
    // Assess
    expect(result).toEqual({
      ok: true,
      hits: [
        { site: "example.com", target: "/pricing?utm_source=news", referrer: null, eventName: "pageview" },
      ],
      invalid: [],
      reply: "umami",
    });
  });

  it("reads tracker v3's custom event (full URLs, tag, id) and never carries what the payload claims about the visitor", () => {
    // Act: the v3 payload (trackers.md, C), with the server-side overrides Umami's API also accepts.
    const result = send({
      type: "event",
      payload: {
        website: ID.toUpperCase(),
        hostname: "www.example.com",
        url: "https://www.example.com/signup?plan=pro#form",
        referrer: "https://news.example.net/article/1",
        name: "signup-click",
        data: { plan: "pro", nested: { a: 1 } },
        tag: "variant-b",
        id: "user-12345@example.com",
        ip: "198.51.100.77",
        userAgent: "Mozilla/5.0 (forged)",
        timestamp: 1700000000,
      },
    });
    // Assess
    expect(result).toEqual({
      ok: true,
      hits: [
        {
          site: "example.com",
          target: "/signup?plan=pro",
          referrer: "https://news.example.net/article/1",
          eventName: "signup-click",
          props: [["plan", "pro"]],
        },
      ],
      invalid: [],
      reply: "umami",
    });
  });

  it("answers identify and performance messages without an event: they are dropped by that reason", () => {
    for (const type of ["identify", "performance"] as const) {
      const result = send({
        type,
        payload: { website: ID, url: "/x", id: "user-1", data: { email: "a@b.c" }, lcp: 1200 },
      });
      expect(result).toMatchObject({
        ok: true,
        hits: [{ site: "example.com", unstored: type }],
        reply: "umami",
      });
    }
  });

  it.each([
    ["not json", "bad_json", "application/json"],
    [
      JSON.stringify({ type: "event", payload: { website: ID, url: "/" } }),
      "bad_content_type",
      "application/xml",
    ],
    [
      JSON.stringify({ type: "click", payload: { website: ID, url: "/" } }),
      "bad_payload",
      "application/json",
    ],
    [JSON.stringify({ type: "event", payload: [ID] }), "bad_payload", "application/json"],
    [JSON.stringify({ type: "event", payload: { url: "/" } }), "missing_site", "application/json"],
    [JSON.stringify({ type: "event", payload: { link: ID, url: "/" } }), "missing_site", "application/json"],
    [
      JSON.stringify({ type: "event", payload: { website: "example.com", url: "/" } }),
      "bad_site",
      "application/json",
    ],
    [JSON.stringify({ type: "event", payload: { website: 42, url: "/" } }), "bad_site", "application/json"],
    [
      JSON.stringify({
        type: "event",
        payload: { website: "00000000-0000-4000-8000-000000000000", url: "/" },
      }),
      "unknown_site",
      "application/json",
    ],
    [JSON.stringify({ type: "event", payload: { website: ID } }), "missing_url", "application/json"],
    [
      JSON.stringify({ type: "event", payload: { website: ID, url: "data:text/html,x" } }),
      "data_url",
      "application/json",
    ],
    [
      JSON.stringify({ type: "event", payload: { website: ID, url: "/", name: "n".repeat(51) } }),
      "bad_event_name",
      "application/json",
    ],
    [
      JSON.stringify({ type: "event", payload: { website: ID, url: "/", data: ["x"] } }),
      "bad_props",
      "application/json",
    ],
    [
      JSON.stringify({ type: "event", payload: { website: ID, url: "/", referrer: 7 } }),
      "bad_referrer",
      "application/json",
    ],
  ])("refuses %s with %s", (body, reason, contentType) => {
    expect(readUmami(post(body, contentType), websites)).toEqual({ ok: false, reason, reply: "umami" });
  });
});

describe("Matomo tracking API (GET|POST /matomo.php)", () => {
  const page = encodeURIComponent("https://example.com/shop?utm_source=x");

  it("reads a page view; a numeric idsite stands for the URL's host; _id and friends are ignored", () => {
    // Act
    const result = readMatomo(
      get(
        `idsite=3&rec=1&r=123456&h=10&m=0&s=0&url=${page}&urlref=${encodeURIComponent("https://ref.example/")}&action_name=Shop&_id=0123456789abcdef&_idn=0&cid=fedcba9876543210&uid=someone&cip=198.51.100.1&res=1280x800&lang=de&send_image=0`,
      ),
      50,
    );
    // Assess
    expect(result).toEqual({
      ok: true,
      hits: [
        {
          site: "example.com",
          target: "/shop?utm_source=x",
          referrer: "https://ref.example/",
          eventName: "pageview",
        },
      ],
      invalid: [],
      reply: "empty",
    });
  });

  it("names events, outlinks, downloads and searches; marks heartbeats; reads consent=1", () => {
    // Act
    const names = [
      `idsite=example.com&rec=1&url=${page}&e_c=Video&e_a=Play&ca=1`,
      `idsite=example.com&rec=1&url=${page}&link=${page}`,
      `idsite=example.com&rec=1&url=${page}&download=${page}`,
      `idsite=example.com&rec=1&url=${page}&search=shoes`,
      `idsite=example.com&rec=1&url=${page}&ping=1`,
      `idsite=example.com&rec=1&url=${page}&consent=1`,
    ].map((q) => readMatomo(get(q), 50));
    // Assess
    expect(names.map((r) => (r.ok ? r.hits[0] : null))).toEqual([
      { site: "example.com", target: "/shop?utm_source=x", referrer: null, eventName: "Video/Play" },
      { site: "example.com", target: "/shop?utm_source=x", referrer: null, eventName: "outlink" },
      { site: "example.com", target: "/shop?utm_source=x", referrer: null, eventName: "download" },
      { site: "example.com", target: "/shop?utm_source=x", referrer: null, eventName: "search" },
      {
        site: "example.com",
        target: "/shop?utm_source=x",
        referrer: null,
        eventName: "pageview",
        heartbeat: true,
      },
      {
        site: "example.com",
        target: "/shop?utm_source=x",
        referrer: null,
        eventName: "pageview",
        consent: { statistics: true },
      },
    ]);
  });

  it("reads a form body over the query string, and a bulk request item by item", () => {
    // Act
    const form = readMatomo(
      {
        ...post(`idsite=example.com&rec=1&url=${page}`, "application/x-www-form-urlencoded"),
        rawQuery: "send_image=0",
      },
      50,
    );
    const bulk = readMatomo(
      post(
        JSON.stringify({
          requests: [`?idsite=example.com&rec=1&url=${page}`, "?idsite=example.com&url=x", 7],
        }),
      ),
      50,
    );
    // Assess
    expect(form).toMatchObject({ ok: true, reply: "empty", hits: [{ site: "example.com" }] });
    expect(bulk).toMatchObject({ ok: true, reply: "bulk", invalid: ["not_tracked", "bad_bulk"] });
    expect(bulk.ok && bulk.hits).toHaveLength(1);
  });

  it.each([
    [`idsite=example.com&url=${page}`, "not_tracked"],
    [`rec=1&url=${page}`, "missing_site"],
    ["idsite=1&rec=1", "missing_url"],
    ["idsite=example.com&rec=1", "missing_url"],
    [`idsite=exa mple&rec=1&url=${page}`, "bad_site"],
  ])("refuses %s as %s", (query, reason) => {
    // Act / Assess
    expect(readMatomo(get(query), 50)).toEqual({ ok: false, reason, reply: "gif" });
  });

  it("refuses a bulk request with too many events or without a list", () => {
    // Prepare
    const many = JSON.stringify({
      requests: Array.from({ length: 3 }, () => `?idsite=example.com&rec=1&url=${page}`),
    });
    // Act / Assess
    expect(readMatomo(post(many), 2)).toEqual({ ok: false, reason: "bad_bulk", reply: "bulk" });
    expect(readMatomo(post('{"requests":"?idsite=1"}'), 2)).toEqual({
      ok: false,
      reason: "bad_bulk",
      reply: "bulk",
    });
    expect(readMatomo(post("{oops"), 2)).toEqual({ ok: false, reason: "bad_json", reply: "bulk" });
  });
});
