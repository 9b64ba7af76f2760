import { describe, expect, it } from "vitest";
import { createCloudFrontParser } from "../../../../functions/core/parse/cloudfront.ts";
import { createW3cParser } from "../../../../functions/core/parse/w3c.ts";
import type { ParseResult } from "../../../../functions/core/types.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const cf = fixtureLines("aws_cloudfront_docs.log");
const iis = fixtureLines("iis_w3c.log");
const CHROME_78 =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36";

function parseAll(lines: readonly string[], parser = createCloudFrontParser()): ParseResult[] {
  return lines.map((l) => parser.parse(l));
}

describe("CloudFront standard log (AWS documentation sample)", () => {
  it("skips #Version and #Fields and accepts the six rows", () => {
    // Prepare
    const lines = cf;

    // Act
    const results = parseAll(lines);

    // Assess
    expect(results.slice(0, 2)).toEqual([
      { ok: "skip", why: "directive" },
      { ok: "skip", why: "directive" },
    ]);
    expect(results.slice(2).map((r) => r.ok)).toEqual([true, true, true, true, true, true]);
  });

  it("reads the first row, decoding the %-encoded user agent", () => {
    // Prepare
    const results = parseAll(cf);

    // Act
    const r = recordOf(results[2] as ParseResult);

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2019-12-04T21:02:31Z"),
      clientIp: "192.0.2.100",
      forwardedFor: null,
      host: "d111111abcdef8.cloudfront.net",
      method: "GET",
      target: "/index.html",
      protocol: "HTTP/2.0",
      status: 200,
      bytes: 392,
      referrer: null,
      userAgent: CHROME_78,
      durationMs: 1,
    });
  });

  it("accepts the row that ends with a trailing tab", () => {
    // Prepare
    const results = parseAll(cf);

    // Act
    const r = recordOf(results[4] as ParseResult);

    // Assess
    expect(r.durationMs).toBe(1);
    expect(r.userAgent).toBe(CHROME_78);
  });

  it("prefers x-host-header (the viewer's Host) and reads referrer, 502 and seconds of time-taken", () => {
    // Prepare
    const results = parseAll(cf);

    // Act
    const r = recordOf(results[5] as ParseResult);

    // Assess
    expect(r.host).toBe("www.example.com");
    expect(r.target).toBe("/favicon.ico");
    expect(r.status).toBe(502);
    expect(r.bytes).toBe(900);
    expect(r.referrer).toBe("http://www.example.com/");
    expect(r.durationMs).toBe(102);
    expect(r.protocol).toBe("HTTP/1.1");
  });

  it("appends cs-uri-query to the stem", () => {
    // Prepare
    const parser = createW3cParser();
    parser.parse("#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status sc-bytes");

    // Act
    const r = recordOf(parser.parse("2024-01-02\t03:04:05\t192.0.2.1\tGET\t/p\ta=1&b=2\t200\t10"));

    // Assess
    expect(r.target).toBe("/p?a=1&b=2");
    expect(r.timestampMs).toBe(iso("2024-01-02T03:04:05Z"));
  });

  it("decodes a doubly encoded user agent and keeps invalid escapes as they are", () => {
    // Prepare
    const parser = createCloudFrontParser();
    parser.parse("#Fields: date time c-ip cs-method cs-uri-stem sc-status cs(User-Agent) x-edge-location");

    // Act
    const twice = recordOf(
      parser.parse("2024-01-02\t03:04:05\t192.0.2.1\tGET\t/\t200\tA%2520B%2528x%2529\tFRA2"),
    );
    const bad = recordOf(
      parser.parse("2024-01-02\t03:04:05\t192.0.2.1\tGET\t/\t200\t100%25%zz%E9%C3%A9\tFRA2"),
    );

    // Assess
    expect(twice.userAgent).toBe("A B(x)");
    expect(bad.userAgent).toBe("100%%zz%E9é");
  });

  it("reads CloudFront status 000 (viewer left before the reply) as null", () => {
    // Prepare
    const parser = createCloudFrontParser();
    parser.parse("#Fields: date time c-ip cs-uri-stem sc-status x-edge-location");

    // Act
    const r = recordOf(parser.parse("2024-01-02\t03:04:05\t192.0.2.1\t/\t000\tFRA2"));

    // Assess
    expect(r.status).toBeNull();
  });

  it.each([
    ["a data line before #Fields", [], "2024-01-02\t03:04:05\t192.0.2.1\t/", "no_fields_header"],
    [
      "too few fields",
      ["#Fields: date time c-ip cs-uri-stem sc-status"],
      "2024-01-02\t03:04:05\t192.0.2.1\t/",
      "field_count",
    ],
    [
      "an extra non-empty field",
      ["#Fields: date time c-ip cs-uri-stem"],
      "2024-01-02\t03:04:05\t192.0.2.1\t/\tx",
      "field_count",
    ],
    ["no date column", ["#Fields: time c-ip cs-uri-stem"], "03:04:05\t192.0.2.1\t/", "missing_field"],
    [
      "local time only (IIS advanced)",
      ["#Fields: date-local time-local c-ip cs-uri-stem"],
      "2024-01-02 03:04:05 192.0.2.1 /",
      "missing_field",
    ],
    [
      "a bad date",
      ["#Fields: date time c-ip cs-uri-stem"],
      "2024-13-02\t03:04:05\t192.0.2.1\t/",
      "bad_timestamp",
    ],
    [
      "a bad status",
      ["#Fields: date time c-ip cs-uri-stem sc-status"],
      "2024-01-02\t03:04:05\t192.0.2.1\t/\t20x",
      "bad_status",
    ],
    [
      "a client without digits",
      ["#Fields: date time c-ip cs-uri-stem"],
      "2024-01-02\t03:04:05\tunknown\t/",
      "bad_client_ip",
    ],
  ])("rejects %s as %s", (_name, header, line, reason) => {
    // Prepare
    const parser = createW3cParser();
    for (const h of header) parser.parse(h);

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe(reason);
  });
});

describe("generic W3C extended log (IIS)", () => {
  it("reads space-separated fields, + as space in the user agent, cs-host and milliseconds of time-taken", () => {
    // Prepare
    const results = parseAll(iis, createW3cParser());

    // Act
    const r = recordOf(results[4] as ParseResult);

    // Assess
    expect(results.slice(0, 4).every((x) => x.ok === "skip")).toBe(true);
    expect(r).toEqual({
      timestampMs: iso("2024-04-02T08:00:01Z"),
      clientIp: "192.0.2.33",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/default.aspx?id=5",
      protocol: null,
      status: 200,
      bytes: 0,
      referrer: "https://www.example.com/",
      userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
      durationMs: 31,
    });
  });

  it("reads '-' values as absent", () => {
    // Prepare
    const results = parseAll(iis, createW3cParser());

    // Act
    const r = recordOf(results[5] as ParseResult);

    // Assess
    expect(r.clientIp).toBe("2001:db8::33");
    expect(r.userAgent).toBeNull();
    expect(r.referrer).toBeNull();
    expect(r.status).toBe(500);
    expect(r.durationMs).toBe(1204);
  });

  it("reads double-quoted values with spaces inside", () => {
    // Prepare
    const parser = createW3cParser();
    parser.parse("#Fields: date time c-ip cs-uri-stem cs(User-Agent) sc-status");

    // Act
    const r = recordOf(
      parser.parse('"2024-01-02" "03:04:05.250" "192.0.2.1" "/x" "Mozilla/5.0 (X11; Linux)" "200"'),
    );

    // Assess
    expect(r.userAgent).toBe("Mozilla/5.0 (X11; Linux)");
    expect(r.timestampMs).toBe(iso("2024-01-02T03:04:05.250Z"));
    expect(r.status).toBe(200);
  });

  it("replaces the columns when a new #Fields directive comes", () => {
    // Prepare
    const parser = createW3cParser();
    parser.parse("#Fields: date time c-ip cs-uri-stem");
    parser.parse("2024-01-02 03:04:05 192.0.2.1 /a");

    // Act
    const skip = parser.parse("#Fields: c-ip date time cs-uri-stem");
    const r = recordOf(parser.parse("192.0.2.2 2024-01-02 03:04:06 /b"));

    // Assess
    expect(skip).toEqual({ ok: "skip", why: "directive" });
    expect(r.clientIp).toBe("192.0.2.2");
    expect(r.target).toBe("/b");
  });
});
