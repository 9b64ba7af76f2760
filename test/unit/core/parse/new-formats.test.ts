import { describe, expect, it } from "vitest";
import { createParser } from "../../../../functions/core/parse/index.ts";
import type { LogFormat, ParseResult } from "../../../../functions/core/types.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

/**
 * The built-in formats added for issue 18, each on its own fixture (written by hand after the format's documentation,
 * see test/fixtures/logs/README.md): what a typical line gives, field by field, and why each malformed line is
 * turned away (a counted rejection with a reason, never an exception).
 */

function parseAll(format: LogFormat, file: string): ParseResult[] {
  const parser = createParser(format);
  return fixtureLines(file).map((l) => parser.parse(l));
}

/** How the lines of a file ended: "ok", "skip" or the rejection reason. */
function outcomes(results: readonly ParseResult[]): string[] {
  return results.map((r) => (r.ok === true ? "ok" : r.ok === "skip" ? "skip" : r.rejection.reason));
}

describe("w3c without #Fields (IIS default field sets)", () => {
  const results = parseAll("w3c", "iis_default.log");

  it("reads IIS 8.5's 15 default fields: + as space in the agent, referrer, time-taken in ms", () => {
    // Act
    const r = recordOf(results[0] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:01Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: null,
      method: "GET",
      target: "/index.html",
      protocol: null,
      status: 200,
      bytes: 0,
      referrer: "https://www.example.org/",
      userAgent:
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
      durationMs: 31,
    });
  });

  it("appends cs-uri-query, reads IPv6 clients and IIS 7's 14 fields (no referrer)", () => {
    // Act
    const query = recordOf(results[1] as ParseResult);
    const v6 = recordOf(results[3] as ParseResult);
    const iis7 = recordOf(results[4] as ParseResult);

    // Assess
    expect(query.target).toBe("/css/site.css?v=3");
    expect(v6).toMatchObject({ clientIp: "2001:db8::17", status: 404, referrer: null });
    expect(iis7).toMatchObject({
      clientIp: "203.0.113.9",
      target: "/old.aspx",
      userAgent: "Mozilla/4.0 (compatible; MSIE 8.0)",
      referrer: null,
      status: 200,
      durationMs: 16,
    });
  });

  it("rejects a line of another field count and a month 13, each with its reason", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "ok", "ok", "ok", "no_fields_header", "bad_timestamp"]);
  });
});

describe("elb (Classic Load Balancer)", () => {
  const results = parseAll("elb", "elb_classic.log");

  it("reads time, client without port, status, sent bytes, the URL split into host and target, the agent", () => {
    // Act
    const r = recordOf(results[1] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:02.000Z"),
      clientIp: "198.51.100.23",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/index.html?lang=de",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 57,
      referrer: null,
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
      durationMs: 2.471,
    });
  });

  it("reads a backend timeout (-1 processing times) with a null duration", () => {
    // Act
    const r = recordOf(results[3] as ParseResult);

    // Assess
    expect(r).toMatchObject({ status: 504, durationMs: null, target: "/slow" });
  });

  it("rejects a TCP listener entry, a cut line and 30 February, each with its reason", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "missing_field", "ok", "field_count", "bad_timestamp"]);
  });

  it("rejects an ALB line (it starts with the request type)", () => {
    // Act
    const alb = createParser("elb").parse(fixtureLines("aws_alb_docs.log")[0] ?? "");

    // Assess
    expect(rejectionOf(alb).reason).toBe("malformed");
  });
});

describe("s3 (server access logs)", () => {
  const results = parseAll("s3", "s3_access.log");

  it("reads the bucket as host, time, remote IP, request, status, bytes sent, total time, referrer and agent", () => {
    // Act
    const r = recordOf(results[0] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:01Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/index.html",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 2662,
      referrer: "https://www.example.org/",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
      durationMs: 22,
    });
  });

  it("reads an older line that ends after the user agent, '-' bytes as 0 and a REST call", () => {
    // Act
    const old = recordOf(results[1] as ParseResult);
    const rest = recordOf(results[2] as ParseResult);

    // Assess
    expect(old).toMatchObject({ status: 304, bytes: 0, userAgent: "curl/8.5.0", referrer: null });
    expect(rest).toMatchObject({
      host: "awsexamplebucket1",
      clientIp: "192.0.2.3",
      target: "/awsexamplebucket1?versioning",
      userAgent: "S3Console/0.4",
    });
  });

  it("rejects S3's own lifecycle entry (no request) and 32 March, each with its reason", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "ok", "ok", "malformed", "bad_timestamp"]);
  });
});

describe("haproxy (HTTP log)", () => {
  const results = parseAll("haproxy", "haproxy_http.log");

  it("reads client without port, accept date with milliseconds (UTC), total time, status, bytes and request", () => {
    // Act
    const r = recordOf(results[0] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:01.584Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: null,
      method: "GET",
      target: "/index.html",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 7456,
      referrer: null,
      userAgent: null,
      durationMs: 73,
    });
  });

  it("places captured request headers by their shape: host, agent, referrer", () => {
    // Act
    const r = recordOf(results[1] as ParseResult);

    // Assess
    expect(r).toMatchObject({
      clientIp: "198.51.100.23",
      host: "www.example.com",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
      referrer: "https://www.example.org/",
      status: 304,
      durationMs: 15,
    });
  });

  it("reads a line without syslog header (stdout), an aborted request (-1) and a bad request", () => {
    // Act
    const raw = recordOf(results[2] as ParseResult);
    const aborted = recordOf(results[3] as ParseResult);
    const bad = recordOf(results[4] as ParseResult);

    // Assess
    expect(raw).toMatchObject({ clientIp: "2001:db8::17", status: 404, target: "/missing" });
    expect(aborted).toMatchObject({ status: null, durationMs: 3001, target: "/slow" });
    expect(bad).toMatchObject({ status: 408, method: null, target: "<BADREQ>" });
  });

  it("rejects a connection notice and a TCP-mode line, each with its reason", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "ok", "ok", "ok", "malformed", "field_count"]);
  });
});

describe("squid (native access log)", () => {
  const results = parseAll("squid", "squid_native.log");

  it("reads epoch time with milliseconds, elapsed, client, status, bytes, method and the URL", () => {
    // Act
    const r = recordOf(results[0] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:01.450Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/index.html",
      protocol: null,
      status: 200,
      bytes: 1330,
      referrer: null,
      userAgent: null,
      durationMs: 110,
    });
  });

  it("reads CONNECT (host:port as host and target), a denied request and a status 000 as null", () => {
    // Act
    const connect = recordOf(results[2] as ParseResult);
    const denied = recordOf(results[3] as ParseResult);
    const none = recordOf(results[4] as ParseResult);

    // Assess
    expect(connect).toMatchObject({
      method: "CONNECT",
      host: "www.example.org",
      target: "www.example.org:443",
    });
    expect(denied).toMatchObject({ clientIp: "2001:db8::17", status: 403, host: "blocked.example.net" });
    expect(none.status).toBeNull();
  });

  it("reads a line sent through syslog after its header", () => {
    // Act
    const r = recordOf(results[7] as ParseResult);

    // Assess
    expect(r).toMatchObject({
      timestampMs: iso("2026-03-02T08:15:08.250Z"),
      clientIp: "203.0.113.7",
      status: 304,
      target: "/style.css",
      durationMs: 42,
    });
  });

  it("rejects a time without milliseconds and a cut line, each with its reason", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "ok", "ok", "ok", "bad_timestamp", "field_count", "ok"]);
  });
});

describe("traefik (CLF flavour)", () => {
  const results = parseAll("traefik", "traefik_clf.log");

  it("reads the combined fields and the duration in milliseconds at the end", () => {
    // Act
    const r = recordOf(results[0] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2026-03-02T08:15:01Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: null,
      method: "GET",
      target: "/index.html",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 2326,
      referrer: "https://www.example.org/",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
      durationMs: 5,
    });
  });

  it("reads '-' router and service, and an IPv6 client", () => {
    // Act
    const r = recordOf(results[2] as ParseResult);

    // Assess
    expect(r).toMatchObject({ clientIp: "2001:db8::17", status: 404, userAgent: null, durationMs: 0 });
  });

  it("rejects a plain combined line (no Traefik fields) and a duration that is not a number", () => {
    // Assess
    expect(outcomes(results)).toEqual(["ok", "ok", "ok", "malformed", "bad_number"]);
  });
});

describe("caddy and traefik-json", () => {
  it("read their own entries as jsonl does, and reject other JSON lines", () => {
    // Prepare
    const caddyLines = fixtureLines("caddy_json.log");
    const traefikLines = fixtureLines("traefik_json.log");
    const nginxJson = fixtureLines("nginx_json.log");

    // Act
    const caddy = caddyLines.map((l) => createParser("caddy").parse(l));
    const traefik = traefikLines.map((l) => createParser("traefik-json").parse(l));
    const asJsonl = [...caddyLines, ...traefikLines].map((l) => createParser("jsonl").parse(l));
    const foreign = nginxJson.map((l) => [
      createParser("caddy").parse(l),
      createParser("traefik-json").parse(l),
    ]);

    // Assess
    expect([...caddy, ...traefik]).toEqual(asJsonl);
    expect(caddy.every((r) => r.ok === true) && traefik.every((r) => r.ok === true)).toBe(true);
    expect(foreign.flat().map((r) => (r.ok === false ? r.rejection.reason : "accepted"))).toEqual(
      nginxJson.flatMap(() => ["malformed", "malformed"]),
    );
    expect(recordOf(caddy[0] as ParseResult).clientIp).toBe("203.0.113.9");
    expect(recordOf(traefik[0] as ParseResult)).toMatchObject({ clientIp: "192.0.2.10", durationMs: 1.5 });
  });
});
