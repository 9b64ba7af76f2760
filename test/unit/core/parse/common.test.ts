import { describe, expect, it } from "vitest";
import { createCommonParser } from "../../../../functions/core/parse/common.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const lines = fixtureLines("common.log");

describe("common parser", () => {
  it("reads the Apache documentation example, applying the -0700 offset", () => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const r = recordOf(parser.parse(lines[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2000-10-10T20:55:36Z"),
      clientIp: "127.0.0.1",
      forwardedFor: null,
      host: null,
      method: "GET",
      target: "/apache_pb.gif",
      protocol: "HTTP/1.0",
      status: 200,
      bytes: 2326,
      referrer: null,
      userAgent: null,
      durationMs: null,
    });
  });

  it("reads '-' bytes as 0", () => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const r = recordOf(parser.parse(lines[1] ?? ""));

    // Assess
    expect(r.status).toBe(404);
    expect(r.bytes).toBe(0);
    expect(r.timestampMs).toBe(iso("2024-01-01T00:00:00Z"));
  });

  it('keeps an IPv6 client and a "-" request (method null, target "-"), on a leap day', () => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const r = recordOf(parser.parse(lines[2] ?? ""));

    // Assess
    expect(r.clientIp).toBe("2001:db8::9");
    expect(r.method).toBeNull();
    expect(r.target).toBe("-");
    expect(r.status).toBe(408);
    expect(r.timestampMs).toBe(iso("2024-02-29T23:59:59Z"));
  });

  it("applies a half-hour offset", () => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const r = recordOf(parser.parse(lines[3] ?? ""));

    // Assess
    expect(r.timestampMs).toBe(iso("2024-06-15T03:00:00Z"));
    expect(r.method).toBe("OPTIONS");
    expect(r.target).toBe("*");
  });

  it("also accepts a combined line, ignoring referrer and user agent", () => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const r = recordOf(
      parser.parse('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "http://r/" "ua"'),
    );

    // Assess
    expect(r.referrer).toBeNull();
    expect(r.userAgent).toBeNull();
    expect(r.bytes).toBe(5);
  });

  it.each([
    [
      "a line cut after the status",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200',
      "malformed",
    ],
    ["no timestamp brackets", '192.0.2.1 - - 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 5', "malformed"],
    [
      "an unclosed timestamp",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 5',
      "malformed",
    ],
    ["VRL's '- - - [1234] - - -'", "- - - [1234] - - -", "malformed"],
    ["year 1969", '192.0.2.1 - - [31/Dec/1969:23:59:59 +0000] "GET / HTTP/1.0" 200 5', "bad_timestamp"],
    ["offset +2500", '192.0.2.1 - - [10/Oct/2000:13:55:36 +2500] "GET / HTTP/1.0" 200 5', "bad_timestamp"],
    [
      "a negative byte count",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 -5',
      "bad_number",
    ],
  ])("rejects %s as %s", (_name, line, reason) => {
    // Prepare
    const parser = createCommonParser();

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe(reason);
  });
});
