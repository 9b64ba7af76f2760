import { describe, expect, it } from "vitest";
import { createAlbParser } from "../../../../functions/core/parse/alb.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const lines = fixtureLines("aws_alb_docs.log");

describe("ALB parser on the AWS documentation examples", () => {
  it("accepts all seven examples", () => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const results = lines.map((l) => parser.parse(l));

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true]);
  });

  it("reads the HTTP example: client without port, host without port, path, processing times summed", () => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const r = recordOf(parser.parse(lines[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2018-07-02T22:23:00.186Z"),
      clientIp: "192.168.131.39",
      forwardedFor: null,
      host: "www.example.com",
      method: "GET",
      target: "/",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 366,
      referrer: null,
      userAgent: "curl/7.46.0",
      durationMs: 1,
    });
  });

  it("sums request, target and response processing times of the HTTPS example", () => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const r = recordOf(parser.parse(lines[1] ?? ""));

    // Assess
    expect(r.durationMs).toBe(171);
    expect(r.bytes).toBe(57);
  });

  it("reads HTTP/2 with an IP host, and a WebSocket 101 without user agent", () => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const h2 = recordOf(parser.parse(lines[2] ?? ""));
    const ws = recordOf(parser.parse(lines[3] ?? ""));

    // Assess
    expect(h2.protocol).toBe("HTTP/2.0");
    expect(h2.host).toBe("10.0.2.105");
    expect(h2.clientIp).toBe("10.0.1.252");
    expect(ws.status).toBe(101);
    expect(ws.userAgent).toBeNull();
  });

  it("reads the Lambda example's elb status 502", () => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const r = recordOf(parser.parse(lines[6] ?? ""));

    // Assess
    expect(r.status).toBe(502);
    expect(r.timestampMs).toBe(iso("2018-11-30T22:23:00.186Z"));
  });
});

describe("ALB parser edge cases", () => {
  const tail =
    '"-" - - arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1 "Root=1-1" "-" "-" 0 2021-03-17T18:54:13.967000Z "-" "-" "-" "-" "-" "-" "-"';

  it("strips the port from an IPv6 client:port (no brackets in ALB logs)", () => {
    // Prepare
    const parser = createAlbParser();
    const line = `https 2021-03-16T20:20:00.135052Z app/x/1 2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599 fd6d::1:80 0.001 0.052 0.000 200 200 589 2084 "POST https://Test.Domain.com:443/api/x:search?a=1 HTTP/1.1" "User 1.0" ${tail}`;

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.clientIp).toBe("2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc");
    expect(r.host).toBe("test.domain.com");
    expect(r.target).toBe("/api/x:search?a=1");
    expect(r.method).toBe("POST");
    expect(r.durationMs).toBe(53);
  });

  it("reads elb_status_code '-' as null and -1 processing times as no duration", () => {
    // Prepare
    const parser = createAlbParser();
    const line = `http 2021-03-17T18:54:14.216357Z app/x/1 113.241.19.90:15070 - -1 -1 -1 - - 0 272 "GET http://h.example:80/ HTTP/1.1" "-" ${tail}`;

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.status).toBeNull();
    expect(r.durationMs).toBeNull();
  });

  it('keeps a request the ALB could not parse ("- http://host:80- -"): method and protocol null, target "-"', () => {
    // Prepare
    const parser = createAlbParser();
    const line = `http 2021-03-17T18:54:14.216357Z app/x/1 113.241.19.90:15070 - -1 -1 -1 400 - 0 272 "- http://awseb-1.us-east-1.elb.amazonaws.com:80- -" "-" ${tail}`;

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.method).toBeNull();
    expect(r.protocol).toBeNull();
    expect(r.target).toBe("-");
    expect(r.host).toBe("awseb-1.us-east-1.elb.amazonaws.com");
    expect(r.status).toBe(400);
  });

  it("accepts unquoted target lists and fields added after classification_reason", () => {
    // Prepare
    const parser = createAlbParser();
    const line =
      'http 2018-07-02T22:23:00.186641Z app/x/1 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn "Root=1" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" 10.0.0.1:80 200 "-" "-" TID_1 "-" "-" "-"';

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.status).toBe(200);
    expect(r.userAgent).toBe("curl/7.46.0");
  });

  it.each([
    [
      "a Classic ELB line (no type field)",
      '2015-05-13T23:39:43.945958Z my-lb 192.0.2.1:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2',
      "malformed",
    ],
    [
      "a line cut after the request",
      'http 2018-07-02T22:23:00.186641Z app/x/1 192.0.2.1:2817 - 0 0 0 200 200 1 2 "GET http://h/ HTTP/1.1"',
      "field_count",
    ],
    [
      "a bad time",
      'http 2018-07-02 app/x/1 192.0.2.1:2817 - 0 0 0 200 200 1 2 "GET http://h/ HTTP/1.1" "ua"',
      "bad_timestamp",
    ],
    [
      "a bad status",
      'http 2018-07-02T22:23:00Z app/x/1 192.0.2.1:2817 - 0 0 0 2000 200 1 2 "GET http://h/ HTTP/1.1" "ua"',
      "bad_status",
    ],
    [
      "bad sent bytes",
      'http 2018-07-02T22:23:00Z app/x/1 192.0.2.1:2817 - 0 0 0 200 200 1 x "GET http://h/ HTTP/1.1" "ua"',
      "bad_number",
    ],
    [
      "a client without digits",
      'http 2018-07-02T22:23:00Z app/x/1 client:port - 0 0 0 200 200 1 2 "GET http://h/ HTTP/1.1" "ua"',
      "bad_client_ip",
    ],
  ])("rejects %s as %s", (_name, line, reason) => {
    // Prepare
    const parser = createAlbParser();

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe(reason);
  });
});
