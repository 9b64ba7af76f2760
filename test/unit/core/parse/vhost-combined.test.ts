import { describe, expect, it } from "vitest";
import { createVhostCombinedParser } from "../../../../functions/core/parse/vhost-combined.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const lines = fixtureLines("vhost_combined.log");

describe("vhost-combined parser", () => {
  it("reads %v:%p as a host without port, and the combined fields after it", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const r = recordOf(parser.parse(lines[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2023-10-10T11:55:36Z"),
      clientIp: "192.0.2.1",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/index.html",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 5120,
      referrer: "https://www.google.com/",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:118.0) Gecko/20100101 Firefox/118.0",
      durationMs: null,
    });
  });

  it("lower-cases the host and keeps an IPv6 client", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const r = recordOf(parser.parse(lines[1] ?? ""));

    // Assess
    expect(r.host).toBe("shop.example.org");
    expect(r.clientIp).toBe("2001:db8::1");
    expect(r.method).toBe("POST");
    expect(r.status).toBe(303);
    expect(r.referrer).toBeNull();
    expect(r.userAgent).toBeNull();
  });

  it("reads the variant without port, and a negative offset that crosses midnight", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const r = recordOf(parser.parse(lines[2] ?? ""));

    // Assess
    expect(r.host).toBe("blog.example.net");
    expect(r.timestampMs).toBe(iso("2023-10-11T04:59:59Z"));
    expect(r.bytes).toBe(0);
    expect(r.userAgent).toBe("Feedly/1.0");
  });

  it("strips brackets and port from an IPv6 virtual host", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const r = recordOf(parser.parse(lines[3] ?? ""));

    // Assess
    expect(r.host).toBe("2001:db8::5");
    expect(r.protocol).toBe("HTTP/2.0");
  });

  it("accepts the vhost common variant with referrer and user agent null", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const r = recordOf(parser.parse(lines[4] ?? ""));

    // Assess
    expect(r.host).toBe("static.example.com");
    expect(r.status).toBe(304);
    expect(r.referrer).toBeNull();
    expect(r.userAgent).toBeNull();
  });

  it("rejects a plain combined line (no virtual host)", () => {
    // Prepare
    const parser = createVhostCombinedParser();

    // Act
    const rej = rejectionOf(
      parser.parse('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "ua"'),
    );

    // Assess
    expect(rej.reason).toBe("malformed");
  });
});
