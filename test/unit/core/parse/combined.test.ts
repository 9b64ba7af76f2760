import { describe, expect, it } from "vitest";
import { createCombinedParser } from "../../../../functions/core/parse/combined.ts";
import { fixtureLines, iso, recordOf, rejectionOf } from "./fixtures.ts";

const elastic = fixtureLines("elastic_apache_sample.log");
const nginx = fixtureLines("combined_nginx.log");

describe("combined parser on the Elastic Apache sample", () => {
  it("reads every field of a typical line", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(elastic[0] ?? ""));

    // Assess
    expect(r).toEqual({
      timestampMs: iso("2015-05-17T10:05:03Z"),
      clientIp: "83.149.9.216",
      forwardedFor: null,
      host: null,
      method: "GET",
      target: "/presentations/logstash-monitorama-2013/images/kibana-search.png",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 203023,
      referrer: "http://semicomplete.com/presentations/logstash-monitorama-2013/",
      userAgent:
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36",
      durationMs: null,
    });
  });

  it("keeps the query in the target and reads a 404", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(elastic[62] ?? ""));

    // Assess
    expect(r.clientIp).toBe("66.249.73.185");
    expect(r.target).toBe("/doc/index.html?org/elasticsearch/action/search/SearchResponse.html");
    expect(r.status).toBe(404);
    expect(r.bytes).toBe(294);
    expect(r.referrer).toBeNull();
    expect(r.userAgent).toBe("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
  });

  it("counts '-' bytes as 0 and '-' user agent as null", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(elastic[252] ?? ""));

    // Assess
    expect(r.method).toBe("HEAD");
    expect(r.target).toBe("/favicon.ico");
    expect(r.protocol).toBe("HTTP/1.0");
    expect(r.bytes).toBe(0);
    expect(r.userAgent).toBeNull();
    expect(r.timestampMs).toBe(iso("2015-05-20T12:05:16Z"));
  });

  it("accepts original line 8899, whose user agent has no closing quote, taking the rest of the line", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(elastic[249] ?? ""));

    // Assess
    expect(r.clientIp).toBe("46.118.127.106");
    expect(r.target).toBe("/scripts/grok-py-test/configlib.py");
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(235);
    expect(r.userAgent).toBe("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html");
  });

  it("accepts every line of the sample", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const results = elastic.map((l) => parser.parse(l));

    // Assess
    expect(results.filter((r) => r.ok !== true)).toEqual([]);
    expect(elastic).toHaveLength(256);
  });

  it("gives the same timestamps whatever the order of lines (the day cache never leaks)", () => {
    // Prepare
    const forward = createCombinedParser();
    const backward = createCombinedParser();

    // Act
    const a = elastic.map((l) => recordOf(forward.parse(l)).timestampMs);
    const b = [...elastic]
      .reverse()
      .map((l) => recordOf(backward.parse(l)).timestampMs)
      .reverse();

    // Assess
    expect(a).toEqual(b);
    expect(a[240]).toBe(iso("2015-05-20T12:05:35Z"));
    expect(a[0]).toBe(iso("2015-05-17T10:05:03Z"));
  });
});

describe("combined parser on nginx lines", () => {
  it("reads the trailing X-Forwarded-For of nginx's main format", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const with_ = recordOf(parser.parse(nginx[0] ?? ""));
    const dash = recordOf(parser.parse(nginx[1] ?? ""));

    // Assess
    expect(with_.forwardedFor).toBe("203.0.113.7, 10.0.0.2");
    expect(with_.target).toBe("/api/items?id=7");
    expect(with_.bytes).toBe(612);
    expect(dash.forwardedFor).toBeNull();
  });

  it("keeps Apache-escaped quotes in the target as logged and unescapes referrer and user agent", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(nginx[2] ?? ""));

    // Assess
    expect(r.target).toBe('/search?q=\\"quoted\\"');
    expect(r.protocol).toBe("HTTP/1.1");
    expect(r.status).toBe(200);
    expect(r.referrer).toBe('https://example.com/?a="b"');
    expect(r.userAgent).toBe('Mozilla/5.0 "quoted" agent');
  });

  it("keeps a garbage request (a TLS handshake) as the target with method null, without rejecting", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(nginx[3] ?? ""));

    // Assess
    expect(r.method).toBeNull();
    expect(r.protocol).toBeNull();
    expect(r.target).toBe("\\x16\\x03\\x01\\x00\\xA5\\x01\\x00\\x00\\xA1\\x03\\x03");
    expect(r.status).toBe(400);
  });

  it("keeps unencoded spaces inside the target", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(nginx[4] ?? ""));

    // Assess
    expect(r.method).toBe("GET");
    expect(r.target).toBe("/a b c");
    expect(r.protocol).toBe("HTTP/1.1");
  });
});

describe("combined parser edge cases", () => {
  const base = '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "ua"';

  it("tolerates a trailing carriage return", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse(`${base}\r`));

    // Assess
    expect(r.userAgent).toBe("ua");
    expect(r.timestampMs).toBe(iso("2000-10-10T20:55:36Z"));
  });

  it('accepts a request that is just "-" with method null and target "-"', () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(parser.parse('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 - "-" "-"'));

    // Assess
    expect(r.method).toBeNull();
    expect(r.target).toBe("-");
    expect(r.status).toBe(408);
    expect(r.bytes).toBe(0);
  });

  it("finds the end of a request containing a raw quote by the status that follows it", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(
      parser.parse('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a" b HTTP/1.1" 200 5 "-" "ua"'),
    );

    // Assess
    expect(r.target).toBe('/a" b');
    expect(r.status).toBe(200);
  });

  it("accepts bare - for referrer and user agent", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const r = recordOf(
      parser.parse('192.0.2.1 bob frank [25/Feb/2021:12:44:08 +0000] "PATCH /x HTTP/1.1" 401 84170 - -'),
    );

    // Assess
    expect(r.method).toBe("PATCH");
    expect(r.referrer).toBeNull();
    expect(r.userAgent).toBeNull();
  });

  it("skips blank lines", () => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const results = ["", "   ", "\r", "\t"].map((l) => parser.parse(l));

    // Assess
    expect(results).toEqual(Array(4).fill({ ok: "skip", why: "blank" }));
  });

  it.each([
    [
      "a common line (no referrer)",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5',
      "malformed",
    ],
    [
      "an Apache error log line",
      "[Tue Mar 05 10:15:31 2024] [error] [client 192.0.2.3] File does not exist",
      "malformed",
    ],
    [
      "a vhost line",
      'www.example.com 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "-"',
      "malformed",
    ],
    ["status 600", '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 600 5 "-" "-"', "bad_status"],
    ["status 99", '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 99 5 "-" "-"', "bad_status"],
    [
      "status 2000",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 5 "-" "-"',
      "bad_status",
    ],
    [
      "bytes 12k",
      '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12k "-" "-"',
      "bad_number",
    ],
    [
      "31 February",
      '192.0.2.1 - - [31/Feb/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "-"',
      "bad_timestamp",
    ],
    [
      "month Foo",
      '192.0.2.1 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "-"',
      "bad_timestamp",
    ],
    ["hour 24", '192.0.2.1 - - [10/Oct/2000:24:00:00 -0700] "GET / HTTP/1.0" 200 5 "-" "-"', "bad_timestamp"],
    ["no zone", '192.0.2.1 - - [10/Oct/2000:13:55:36] "GET / HTTP/1.0" 200 5 "-" "-"', "bad_timestamp"],
    [
      "client localhost",
      'localhost - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "-"',
      "bad_client_ip",
    ],
    ["client -", '- - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "-"', "bad_client_ip"],
    ["unterminated request", '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0', "malformed"],
    ["plain words", "not a log line at all", "malformed"],
  ])("rejects %s with reason %s", (_name, line, reason) => {
    // Prepare
    const parser = createCombinedParser();

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe(reason);
    expect(rej.detail.length).toBeGreaterThan(10);
    expect(line.includes(rej.detail)).toBe(false);
  });

  it("never echoes the client address in a rejection detail", () => {
    // Prepare
    const parser = createCombinedParser();
    const line = '203.0.113.99 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 999 5 "-" "-"';

    // Act
    const rej = rejectionOf(parser.parse(line));

    // Assess
    expect(rej.reason).toBe("bad_status");
    expect(rej.detail).not.toContain("203.0.113.99");
  });
});

describe("combined parser, lines that repeat the tail of the line before", () => {
  it("reads each line's referrer, agent and X-Forwarded-For as a parser seeing it alone does", () => {
    // Prepare: each line's tail (after the byte count) is the one before's, or differs from it in one place: its
    // first, a middle or its last character, its length, an escape, a missing quote, the X-Forwarded-For field,
    // or a byte count of another width (the tail then starts elsewhere in the line).
    const head = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200';
    const tails = [
      ' 10 "http://r.example/" "Agent/1.0 (X)"',
      ' 10 "http://r.example/" "Agent/1.0 (X)"',
      ' 10 "https://r.example/" "Agent/1.0 (X)"',
      ' 10 "https://r.example/" "Agent/1.0 (Y)"',
      ' 10 "https://r.example/" "Agent/1.0 (Y)"',
      ' 10 "https://r.example/" "Agent/1.1 (Y)"',
      ' 1000 "https://r.example/" "Agent/1.1 (Y)"',
      ' 1000 "https://r.example/" "Agent/1.1 (Y)" "10.0.0.1"',
      ' 1000 "https://r.example/" "Agent/1.1 (Y)" "10.0.0.2"',
      ' 1000 "https://r.example/" "Agent/1.1 (Y)" "10.0.0.2"',
      ' 1000 "-" "Agent/1.1 (Y)" "10.0.0.2"',
      ' 1000 "-" "-"',
      ' 1000 "-" "-"',
      ' 1000 "-" "A \\"quoted\\" agent"',
      ' 1000 "-" "A \\"quoted\\" agent"',
      ' 1000 "-" "An unclosed agent',
      ' 1000 "-" "An unclosed agent',
      ' 1000 "-"',
      ' 1000 "-" "Agent/1.0 (X)"',
    ];
    const lines = tails.map((tail) => `${head}${tail}`);
    const parser = createCombinedParser();

    // Act
    const results = lines.map((line) => parser.parse(line));

    // Assess: the same answer as a parser that never saw the line before; and the fields did change (control)
    expect(results).toEqual(lines.map((line) => createCombinedParser().parse(line)));
    const agents = new Set(results.map((r) => (r.ok === true ? r.record.userAgent : "rejected")));
    expect([...agents]).toEqual([
      "Agent/1.0 (X)",
      "Agent/1.0 (Y)",
      "Agent/1.1 (Y)",
      null,
      'A "quoted" agent',
      "An unclosed agent",
      "rejected",
    ]);
    expect(results.map((r) => (r.ok === true ? r.record.forwardedFor : "rejected"))).toContain("10.0.0.2");
  });
});
