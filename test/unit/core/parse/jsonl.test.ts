import { describe, expect, it } from "vitest";
import { createJsonLinesParser } from "../../../../functions/core/parse/jsonl.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const nginx = fixtureLines("nginx_json.log");
const caddy = fixtureLines("caddy_json.log");
const traefik = fixtureLines("traefik_json.log");

describe("JSON lines: nginx escape=json", () => {
  it("reads $time_iso8601 with offset, a $request line, $host and $request_time, and DNT", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(nginx[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2024-03-05T09:15:30Z"),
      clientIp: "192.0.2.44",
      forwardedFor: null,
      host: "www.example.org",
      method: "GET",
      target: "/blog/post-1?utm_source=news",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 1234,
      referrer: "https://news.example.com/",
      userAgent:
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
      durationMs: 12,
      signals: { dnt: true },
    });
  });

  it("reads $time_local, separate method/uri/protocol, string status and a consent string", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(nginx[1] ?? ""));

    // Assess
    expect(r.timestampMs).toBe(iso("2024-03-05T09:15:31Z"));
    expect(r.clientIp).toBe("2001:db8:85a3::8a2e:370:7334");
    expect(r.method).toBe("HEAD");
    expect(r.target).toBe("/");
    expect(r.protocol).toBe("HTTP/2.0");
    expect(r.status).toBe(304);
    expect(r.bytes).toBe(0);
    expect(r.referrer).toBeNull();
    expect(r.durationMs).toBe(0);
    expect(r.signals).toEqual({ consent: { statistics: true, marketing: false } });
  });

  it("reads $msec, $uri + $args, a consent object and Sec-GPC", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(nginx[2] ?? ""));

    // Assess
    expect(r.timestampMs).toBe(1709630132250);
    expect(r.target).toBe("/search?q=shoes");
    expect(r.bytes).toBe(2048);
    expect(r.durationMs).toBeNull();
    expect(r.signals).toEqual({ gpc: true, consent: { statistics: true, marketing: false } });
  });
});

describe("JSON lines: Caddy", () => {
  it("reads the nested request, the first header values, ts in seconds and duration in seconds", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(caddy[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: 1700000000500,
      clientIp: "203.0.113.9",
      forwardedFor: "203.0.113.9",
      host: "shop.example.org",
      method: "GET",
      target: "/cart?item=3",
      protocol: "HTTP/2.0",
      status: 200,
      bytes: 5120,
      referrer: "https://www.example.net/",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      durationMs: 2.5,
      signals: { dnt: true, gpc: true },
    });
  });

  it("falls back to remote_ip and has no signals when no header carries one", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(caddy[1] ?? ""));

    // Assess
    expect(r.clientIp).toBe("2001:db8::42");
    expect(r.status).toBe(404);
    expect(r.bytes).toBe(0);
    expect(r.durationMs).toBe(0.512);
    expect(r.referrer).toBeNull();
    expect(r.signals).toBeUndefined();
    expect("signals" in r).toBe(false);
  });

  it("reads a Go duration string and header names in any case", () => {
    // Prepare
    const parser = createJsonLinesParser();
    const line = JSON.stringify({
      ts: "2024-01-01T00:00:00Z",
      request: {
        remote_ip: "192.0.2.1",
        method: "GET",
        uri: "/",
        headers: { "user-agent": ["x/1"], DNT: ["0"] },
      },
      status: 200,
      duration: "1m2.5s",
    });

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.durationMs).toBe(62500);
    expect(r.userAgent).toBe("x/1");
    expect(r.signals).toEqual({ dnt: false });
  });
});

describe("JSON lines: Traefik", () => {
  it("reads ClientHost, RequestHost, StartUTC, DownstreamStatus, Duration in nanoseconds and request_ headers", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const r = recordOf(parser.parse(traefik[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2024-06-01T10:00:00.123Z"),
      clientIp: "192.0.2.10",
      forwardedFor: null,
      host: "app.example.com",
      method: "GET",
      target: "/login?next=%2Fdashboard",
      protocol: "HTTP/1.1",
      status: 302,
      bytes: 842,
      referrer: "https://app.example.com/",
      userAgent:
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
      durationMs: 1.5,
      signals: { dnt: true },
    });
  });
});

describe("JSON lines: rejections", () => {
  it.each([
    ["not JSON", "{not json", "bad_json"],
    ["an array", "[1,2,3]", "bad_json"],
    ["a string", '"x"', "bad_json"],
    ["deep nesting", `${"[".repeat(100_000)}${"]".repeat(100_000)}`, "bad_json"],
    ["no time", '{"remote_addr":"192.0.2.1","request_uri":"/"}', "missing_field"],
    ["no client", '{"time":"2024-01-01T00:00:00Z","request_uri":"/"}', "missing_field"],
    ["no target", '{"time":"2024-01-01T00:00:00Z","remote_addr":"192.0.2.1"}', "missing_field"],
    ["a bad time", '{"time":"yesterday","remote_addr":"192.0.2.1","request_uri":"/"}', "bad_timestamp"],
    [
      "a client with spaces",
      '{"time":1,"remote_addr":"192.0.2.1, 10.0.0.1","request_uri":"/"}',
      "bad_client_ip",
    ],
    ["a numeric client", '{"time":1,"remote_addr":12345,"request_uri":"/"}', "bad_client_ip"],
    ["status 0", '{"time":1700000000,"remote_addr":"192.0.2.1","request_uri":"/","status":0}', "bad_status"],
    [
      "status 200.5",
      '{"time":1700000000,"remote_addr":"192.0.2.1","request_uri":"/","status":200.5}',
      "bad_status",
    ],
    [
      "negative bytes",
      '{"time":1700000000,"remote_addr":"192.0.2.1","request_uri":"/","bytes_sent":-1}',
      "bad_number",
    ],
    [
      "a bad duration",
      '{"time":1700000000,"remote_addr":"192.0.2.1","request_uri":"/","request_time":"soon"}',
      "bad_number",
    ],
  ])("rejects %s as %s", (_name, line, reason) => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe(reason);
    expect(rej.detail).not.toContain("192.0.2.1");
  });

  it("reads an epoch in milliseconds and in nanoseconds by magnitude", () => {
    // Prepare
    const parser = createJsonLinesParser();

    // Act
    const ms = recordOf(parser.parse('{"timestamp":1700000000123,"ip":"192.0.2.1","path":"/"}'));
    const ns = recordOf(parser.parse('{"timestamp":1700000000123456789,"ip":"192.0.2.1","path":"/"}'));

    // Assess
    expect(ms.timestampMs).toBe(1700000000123);
    expect(ns.timestampMs).toBe(1700000000123);
    expect(ms.status).toBeNull();
  });
});
