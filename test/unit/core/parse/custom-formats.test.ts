import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import {
  compileApacheFormat,
  compileGoAccessFormat,
  compileNginxFormat,
  FormatError,
} from "../../../../functions/core/parse/custom/index.ts";
import type { AccessRecord, ParseResult } from "../../../../functions/core/types.ts";
import { iso, recordOf, rejectionOf } from "./fixtures.ts";

/**
 * Formats as users write them: nginx `log_format` bodies and Apache `LogFormat` strings posted in GoAccess issues
 * (test/fixtures/formats/README.md), pasted verbatim, each with sample lines; GoAccess's own specifiers; and the
 * errors a format that cannot work gets.
 */

const DIR = new URL("../../../fixtures/formats/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, DIR), "utf8");
const linesOf = (name: string) =>
  read(name)
    .split("\n")
    .filter((l) => l.length > 0);

/** Every line of a fixture through one parser (one per input, as the pipeline makes it). */
function records(parse: (line: string) => ParseResult, name: string): AccessRecord[] {
  return linesOf(`${name}.log`).map((l) => recordOf(parse(l)));
}

/** The address logsieve keeps for a record, with and without trusting the proxies in front of the server. */
function client(r: AccessRecord, trusted: readonly string[] = []): string | undefined {
  return resolveClientAddress(r.clientIp, r.forwardedFor, trusted)?.address;
}

function compileError(compile: () => unknown): FormatError {
  try {
    compile();
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  return expect.fail("expected a FormatError");
}

describe("nginx log_format from GoAccess issues, pasted as written in nginx.conf", () => {
  it("#1066 host_time_combined: $time_iso8601 with its zone, the host in quotes, $request_time last", () => {
    // Prepare
    const parser = compileNginxFormat(read("nginx-1066.format")).createParser();

    // Act
    const [a, b, c] = records((l) => parser.parse(l), "nginx-1066");

    // Assess
    expect(a).toEqual({
      timestampMs: iso("2019-07-31T06:33:06Z"),
      clientIp: "203.0.113.7",
      forwardedFor: null,
      host: "localhost",
      method: "GET",
      target: "/health.php",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 5,
      referrer: null,
      userAgent: "curl/7.35.0",
      durationMs: 38,
    });
    expect(b).toMatchObject({
      timestampMs: iso("2019-07-31T06:33:36Z"),
      host: "www.example.com",
      target: "/shop/cart?item=3",
      protocol: "HTTP/2.0",
      bytes: 5120,
      referrer: "https://www.example.org/",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      durationMs: 105,
    });
    expect(c).toMatchObject({ clientIp: "2001:db8::17", method: "POST", status: 401, bytes: 0 });
    expect(client(a as AccessRecord)).toBe("203.0.113.7");
  });

  it("#2348 plain_trace: an own variable declared, the forwarded client believed only past a trusted proxy", () => {
    // Prepare
    const format = read("nginx-2348.format");
    const undeclared = compileError(() => compileNginxFormat(format));
    const parser = compileNginxFormat(format, { customVariables: ["int_request_id"] }).createParser();

    // Act
    const [a, b, c] = records((l) => parser.parse(l), "nginx-2348");

    // Assess
    expect(undeclared.message).toContain("$int_request_id");
    expect(undeclared.message).toContain("--nginx-variables int_request_id");
    expect(a).toEqual({
      timestampMs: iso("2022-06-30T02:30:08Z"),
      clientIp: "10.81.142.115",
      forwardedFor: "203.0.113.50",
      host: null,
      method: "GET",
      target: "/api/modules/data-hash",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 10,
      referrer: null,
      userAgent: null,
      durationMs: 0,
    });
    expect(b).toMatchObject({
      bytes: 7456,
      referrer: "https://www.example.org/",
      userAgent:
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/103.0.0.0 Safari/537.36",
      durationMs: 12,
    });
    // The peer 10.81.142.115 is the proxy: its X-Forwarded-For is believed only when 10.0.0.0/8 is trusted.
    expect(client(a as AccessRecord)).toBe("10.81.142.115");
    expect(client(a as AccessRecord, ["10.0.0.0/8"])).toBe("203.0.113.50");
    expect(client(b as AccessRecord, ["10.0.0.0/8"])).toBe("198.51.100.9");
    expect(client(c as AccessRecord, ["10.0.0.0/8"])).toBe("203.0.113.60");
  });

  it("#1115: time first, status before the client, a local proxy with the client in X-Forwarded-For", () => {
    // Prepare
    const parser = compileNginxFormat(read("nginx-1115.format")).createParser();

    // Act
    const [a, b, c] = records((l) => parser.parse(l), "nginx-1115");

    // Assess
    expect(a).toEqual({
      timestampMs: iso("2018-05-14T16:05:48Z"),
      clientIp: "127.0.0.1",
      forwardedFor: "198.51.100.7",
      host: "www.example.com",
      method: "GET",
      target: "/images/cover.jpg",
      protocol: "HTTP/1.0",
      status: 200,
      bytes: 4811,
      referrer: "http://www.example.com/4992",
      userAgent:
        "Mozilla/5.0 (iPhone; CPU iPhone OS 11_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/11.0 Mobile/15E148 Safari/604.1",
      durationMs: 202,
    });
    expect(b).toMatchObject({ status: 304, bytes: 189, host: "img.example.com", referrer: null });
    expect(c).toMatchObject({ status: 404, forwardedFor: null, userAgent: null });
    expect(client(a as AccessRecord, ["127.0.0.1"])).toBe("198.51.100.7");
    // Only the last hop is the trusted proxy's word; 203.0.113.77 was written by the client itself.
    expect(client(b as AccessRecord, ["127.0.0.1"])).toBe("198.51.100.7");
    expect(client(c as AccessRecord, ["127.0.0.1"])).toBe("127.0.0.1");
  });

  it("#394: a format pasted with two variables run together is an error naming both", () => {
    // Prepare: the body as the issue quotes it (`$host'` then `'$status`: nginx concatenates the strings).
    const pasted = `'$remote_addr - $remote_user [$time_local] "$request" $host'
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for" "$server_name"'`;

    // Act
    const error = compileError(() => compileNginxFormat(pasted));

    // Assess
    expect(error.message).toContain("$host is directly followed by $status");
  });
});

describe('Apache LogFormat from GoAccess issues, with or without the \\" escapes of apache2.conf', () => {
  it('#1161 combined_with_forwarded_for: %h (%{X-Forwarded-For}i), "-" bytes, the forwarded client when trusted', () => {
    // Prepare
    const line = read("apache-1161.format");
    const bare = line.slice(line.indexOf('"') + 1, line.lastIndexOf('"')).replaceAll('\\"', '"');
    const parser = compileApacheFormat(line).createParser();
    const bareParser = compileApacheFormat(bare).createParser();

    // Act
    const [a, b, c] = records((l) => parser.parse(l), "apache-1161");
    const fromBare = records((l) => bareParser.parse(l), "apache-1161");

    // Assess
    expect(a).toEqual({
      timestampMs: iso("2018-06-27T10:54:33Z"),
      clientIp: "10.0.2.100",
      forwardedFor: "198.51.100.41, 162.158.74.157",
      host: null,
      method: "GET",
      target: "/car-for-sale/2015-sedan-2717296/",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 24917,
      referrer: null,
      userAgent:
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.115 Safari/537.36",
      durationMs: null,
    });
    expect(b).toMatchObject({
      status: 301,
      bytes: 0,
      forwardedFor: null,
      referrer: "http://www.example.com/car-for-sale/2015-sedan-2717296/",
      userAgent: "Serf/1.3.8 (mod_pagespeed/1.12.34.2-0)",
    });
    expect(fromBare).toEqual([a, b, c]);
    expect(client(a as AccessRecord)).toBe("10.0.2.100");
    expect(client(a as AccessRecord, ["10.0.0.0/8", "162.158.0.0/15"])).toBe("198.51.100.41");
    expect(client(c as AccessRecord, ["10.0.0.0/8", "162.158.0.0/15"])).toBe("203.0.113.15");
    expect(client(b as AccessRecord, ["10.0.0.0/8"])).toBe("10.0.2.101");
  });

  it("#2625: %I %O before the request, %b (not %O) as the bytes, %V as the host", () => {
    // Prepare
    const parser = compileApacheFormat(read("apache-2625.format")).createParser();

    // Act
    const [a, b, c] = records((l) => parser.parse(l), "apache-2625");

    // Assess
    expect(a).toEqual({
      timestampMs: iso("2024-02-04T11:02:15Z"),
      clientIp: "192.0.2.4",
      forwardedFor: null,
      host: "foo.example.com",
      method: "GET",
      target: "/favicon.ico",
      protocol: "HTTP/2.0",
      status: 200,
      bytes: 16618,
      referrer: "https://foo.example.com/something",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
      durationMs: null,
    });
    expect(b).toMatchObject({ clientIp: "2001:db8::4", method: "POST", status: 302, bytes: 0 });
    expect(c).toMatchObject({ bytes: 5080, referrer: null, host: "www.example.com" });
  });
});

describe("more of what formats are written with", () => {
  it("nginx escape=json: a JSON template, escapes undone in the agent", () => {
    // Prepare
    const format = `log_format json_analytics escape=json '{"time":"$time_iso8601","remote_addr":"$remote_addr",'
      '"request_uri":"$request_uri","status":$status,"bytes":$body_bytes_sent,'
      '"referer":"$http_referer","ua":"$http_user_agent","rt":$request_time}';`;
    const parser = compileNginxFormat(format).createParser();

    // Act
    const r = recordOf(
      parser.parse(
        '{"time":"2026-03-02T08:15:01+01:00","remote_addr":"203.0.113.7","request_uri":"/a?b=1","status":200,"bytes":12,"referer":"","ua":"Mozilla/5.0 \\"quoted\\" \\u00e9","rt":0.004}',
      ),
    );

    // Assess
    expect(r).toMatchObject({
      timestampMs: iso("2026-03-02T07:15:01Z"),
      target: "/a?b=1",
      status: 200,
      bytes: 12,
      referrer: null,
      userAgent: 'Mozilla/5.0 "quoted" é',
      durationMs: 4,
    });
  });

  it("nginx default escaping: \\xHH decoded as UTF-8 in the agent; $uri$is_args$args and $scheme://$host$request_uri", () => {
    // Prepare
    const a = compileNginxFormat(
      '$remote_addr [$time_local] "$request_method $uri$is_args$args" $status "$http_user_agent"',
    ).createParser();
    const b = compileNginxFormat(
      '$remote_addr [$time_local] "$scheme://$host$request_uri" $status $bytes_sent',
    ).createParser();

    // Act
    const withArgs = recordOf(
      a.parse('192.0.2.1 [02/Mar/2026:08:15:01 +0000] "GET /p?x=1" 200 "caf\\xC3\\xA9 \\x22q\\x22"'),
    );
    const noArgs = recordOf(a.parse('192.0.2.1 [02/Mar/2026:08:15:01 +0000] "GET /p" 200 "-"'));
    const url = recordOf(
      b.parse('192.0.2.1 [02/Mar/2026:08:15:01 +0000] "https://Shop.Example.com/c?d=1" 200 512'),
    );

    // Assess
    expect(withArgs).toMatchObject({ method: "GET", target: "/p?x=1", userAgent: 'café "q"' });
    expect(noArgs).toMatchObject({ target: "/p", userAgent: null });
    expect(url).toMatchObject({ host: "shop.example.com", target: "/c?d=1", bytes: 512 });
  });

  it("Apache %{strftime}t, %U%q, %{ms}T, %a over %h and a status-conditional header", () => {
    // Prepare
    const parser = compileApacheFormat(
      '%h %a %{%Y-%m-%d %H:%M:%S %z}t "%m %U%q %H" %>s %B %{ms}T "%400,501{Referer}i" "%{User-Agent}i"',
    ).createParser();

    // Act
    const r = recordOf(
      parser.parse(
        'proxy.example.net 203.0.113.7 2026-03-02 09:15:01 +0100 "GET /search?q=x %H" 200 1024 17 "-" "curl/8.5.0"'.replace(
          "%H",
          "HTTP/1.1",
        ),
      ),
    );
    const noQuery = recordOf(
      parser.parse(
        'proxy.example.net 203.0.113.7 2026-03-02 09:15:01 +0100 "GET /plain HTTP/1.1" 200 1024 17 "-" "-"',
      ),
    );

    // Assess
    expect(r).toMatchObject({
      timestampMs: iso("2026-03-02T08:15:01Z"),
      clientIp: "203.0.113.7",
      method: "GET",
      target: "/search?q=x",
      protocol: "HTTP/1.1",
      bytes: 1024,
      durationMs: 17,
    });
    expect(noQuery.target).toBe("/plain");
  });

  it("GoAccess specifiers: #2676's format, #2348's, and ~h{, } for an X-Forwarded-For list", () => {
    // Prepare
    const issue2676 = compileGoAccessFormat('[%d:%t %^] %^ "%h" "%r" %s %b "%R" "%u" %^ %^ "%v" "%T" %^', {
      dateFormat: "%d/%b/%Y",
      timeFormat: "%T",
    }).createParser();
    const issue2348 = compileGoAccessFormat('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %^ %^ %^ %^ %^ %^ %T', {
      dateFormat: "%d/%b/%Y",
      timeFormat: "%T",
    }).createParser();
    const xff = compileGoAccessFormat('%^[%d:%t %^] "%r" %s %b "%R" "%u" ~h{," }', {
      dateFormat: "%d/%b/%Y",
      timeFormat: "%H:%M:%S",
    }).createParser();

    // Act
    const a = recordOf(
      issue2676.parse(
        '[28/Apr/2024:10:19:40 +0545] "125043" "203.0.113.7" "GET /api/hello/load-mode HTTP/1.1" 200 145 "https://www.example.org/search/111555" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" "198.51.100.1" "192.0.2.9:7671" "www.example.org" "0.002" "0.001"',
      ),
    );
    const b = recordOf(issue2348.parse(linesOf("nginx-2348.log")[0] ?? ""));
    const c = recordOf(
      xff.parse(
        '10.0.0.5 - - [07/Feb/2022:21:59:41 +0000] "GET /media/x.png HTTP/1.1" 304 0 "-" "Amazon CloudFront" "198.51.100.20, 64.252.0.9"',
      ),
    );

    // Assess: GoAccess reads the time without its zone (%^ skips it), and so does this format: 10:19:40 as UTC.
    expect(a).toMatchObject({
      timestampMs: iso("2024-04-28T10:19:40Z"),
      clientIp: "203.0.113.7",
      host: "www.example.org",
      target: "/api/hello/load-mode",
      status: 200,
      bytes: 145,
      referrer: "https://www.example.org/search/111555",
      durationMs: 2,
    });
    expect(b).toMatchObject({ clientIp: "10.81.142.115", status: 200, bytes: 10, durationMs: 0 });
    // The last entry of the list is the proxy's word; earlier ones only past trusted proxies.
    expect(c).toMatchObject({ clientIp: "64.252.0.9", forwardedFor: "198.51.100.20", status: 304 });
    expect(client(c, ["64.252.0.0/16"])).toBe("198.51.100.20");
  });

  it("rejects a line of another layout with a reason naming what was expected, never echoing the line", () => {
    // Prepare
    const parser = compileNginxFormat(read("nginx-1066.format")).createParser();

    // Act
    const rej = rejectionOf(
      parser.parse('192.0.2.1 - - [02/Mar/2026:08:15:01 +0000] "GET / HTTP/1.1" 200 5'),
    );
    const badTime = rejectionOf(
      parser.parse('192.0.2.1 - - [2026-02-30T08:15:01+00:00] "h" "GET / HTTP/1.1" 200 5 "-" "-" 0.1'),
    );

    // Assess
    expect(rej).toEqual({ reason: "malformed", detail: `'" "' after $host not found` });
    expect(badTime.reason).toBe("bad_timestamp");
    const other = rejectionOf(parser.parse("192.0.2.1 garbage"));
    expect(other).toEqual({ reason: "malformed", detail: "' - ' after $remote_addr not found" });
  });
});

describe("formats that cannot work are errors naming the first piece and what to write instead", () => {
  it.each([
    [
      "nginx without a time",
      () => compileNginxFormat('$remote_addr "$request" $status'),
      "no time",
      "$time_local",
    ],
    [
      "nginx without a request",
      () => compileNginxFormat("$remote_addr [$time_local] $status"),
      "no request",
      "$request",
    ],
    [
      "nginx without a client",
      () => compileNginxFormat('[$time_local] "$request"'),
      "no client address",
      "$remote_addr",
    ],
    [
      "an nginx typo",
      () => compileNginxFormat('$remote_adr [$time_local] "$request"'),
      "$remote_adr",
      "did you mean $remote_addr?",
    ],
    [
      "nginx $binary_remote_addr",
      () => compileNginxFormat('$binary_remote_addr [$time_local] "$request"'),
      "raw bytes",
      "$remote_addr",
    ],
    ["an unknown Apache directive", () => compileApacheFormat('%h %t "%r" %Z'), "%Z", "mod_log_config"],
    [
      "Apache %i without a name",
      () => compileApacheFormat('%h %t "%r" %i'),
      "names no header",
      "%{User-Agent}i",
    ],
    ["an unknown strftime specifier", () => compileApacheFormat('%h %{%d/%Q/%Y}t "%r"'), "%Q", "%Y"],
    [
      "GoAccess %d without --date-format",
      () => compileGoAccessFormat('%h [%d:%t] "%r"', { timeFormat: "%T" }),
      "--date-format",
      "%d/%b/%Y",
    ],
    [
      "GoAccess with only a date",
      () => compileGoAccessFormat('%h [%d] "%r"', { dateFormat: "%d/%b/%Y" }),
      "no time of day",
      "%t",
    ],
    [
      "an unknown GoAccess specifier",
      () => compileGoAccessFormat('%h %x "%r" %Y', { datetimeFormat: "%s" }),
      "%Y",
      "%x %d %t",
    ],
    [
      "a GoAccess preset name",
      () => compileGoAccessFormat("VCOMBINED"),
      "predefined",
      "--format vhost-combined",
    ],
  ])("%s", (_name, compile, piece, instead) => {
    // Act
    const error = compileError(compile);

    // Assess
    expect(error.problem).toContain(piece);
    expect(error.message).toContain(instead);
  });
});
