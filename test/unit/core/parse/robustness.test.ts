import { describe, expect, it } from "vitest";
import { createParser } from "../../../../functions/core/parse/index.ts";
import { LOG_FORMATS, type LogFormat } from "../../../../functions/core/types.ts";
import { fixtureLines, recordOf, rejectionOf } from "./fixtures.ts";

const COMBINED = '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 5 "-" "Mozilla/5.0"';

describe("robustness of every parser", () => {
  it("rejects every line of an Apache error log as malformed in the CLF family, and accepts none anywhere", () => {
    // Prepare
    const lines = fixtureLines("apache_error.log");

    // Act
    const byFormat = Object.fromEntries(
      LOG_FORMATS.map((f) => {
        const p = createParser(f);
        return [f, lines.map((l) => p.parse(l))];
      }),
    );

    // Assess
    for (const f of ["combined", "common", "vhost-combined"] as const) {
      expect(byFormat[f]?.map((r) => (r.ok === false ? r.rejection.reason : "accepted"))).toEqual(
        Array(lines.length).fill("malformed"),
      );
    }
    for (const f of LOG_FORMATS) expect(byFormat[f]?.some((r) => r.ok === true)).toBe(false);
  });

  it("accepts NUL bytes, ANSI escapes and U+FFFD inside quoted fields", () => {
    // Prepare
    const parser = createParser("combined");
    const ua = "Evil\u0000Bot \u001b[31mred\u001b[0m \ufffd\ufffd \ud800";
    const line = `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /\u0000%00\ufffd HTTP/1.1" 200 5 "-" "${ua}"`;

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.target).toBe("/\u0000%00\ufffd");
    expect(r.userAgent).toBe(ua);
  });

  it.each<[LogFormat, string]>([
    ["combined", `${COMBINED}\r`],
    ["common", '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 200 5\r'],
    ["vhost-combined", `example.com:80 ${COMBINED}\r`],
    [
      "alb",
      'http 2018-07-02T22:23:00.186641Z app/x/1 192.0.2.1:2817 - 0 0 0 200 200 1 2 "GET http://h/x HTTP/1.1" "Mozilla/5.0"\r',
    ],
    ["jsonl", '{"time":1700000000,"ip":"192.0.2.1","path":"/x","user_agent":"Mozilla/5.0"}\r'],
  ])("tolerates a trailing CR in %s", (format, line) => {
    // Prepare
    const parser = createParser(format);

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.target).toBe("/x");
    expect(r.userAgent === null || r.userAgent === "Mozilla/5.0").toBe(true);
  });

  it("tolerates a trailing CR after W3C directives and rows", () => {
    // Prepare
    const parser = createParser("w3c");

    // Act
    const skip = parser.parse("#Fields: date time c-ip cs-uri-stem\r");
    const r = recordOf(parser.parse("2024-01-02\t03:04:05\t192.0.2.1\t/x\r"));

    // Assess
    expect(skip.ok).toBe("skip");
    expect(r.target).toBe("/x");
  });

  it("parses a 100 KiB user agent and a 100 KiB path", () => {
    // Prepare
    const parser = createParser("combined");
    const big = "A".repeat(100 * 1024);
    const line = `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET /${big} HTTP/1.1" 200 5 "-" "${big}"`;

    // Act
    const r = recordOf(parser.parse(line));

    // Assess
    expect(r.target).toHaveLength(big.length + 1);
    expect(r.userAgent).toHaveLength(big.length);
  });

  // Worst cases for the scanners: every character a candidate end, runs of backslashes, escapes.
  // Quadratic work on 1 MiB would be ~10^12 steps (hours); linear work is milliseconds.
  const MiB = 1024 * 1024;
  const adversarial: [LogFormat, string][] = [
    ["combined", `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "${'" '.repeat(MiB / 2)}`],
    ["combined", `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "${'\\"'.repeat(MiB / 2)}" 200 5 "-" "-"`],
    [
      "combined",
      `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "${'\\"'.repeat(MiB / 2)}`,
    ],
    ["common", `192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "${'" 20'.repeat(MiB / 4)}`],
    ["vhost-combined", `${"x".repeat(MiB)} 192.0.2.1 - - [`],
    ["alb", `http ${'"a" '.repeat(MiB / 3)}`],
    ["alb", `http ${'"'.repeat(MiB)}`],
    ["jsonl", `{"a":"${"\\u0041".repeat(MiB / 6)}"}`],
    ["jsonl", "[".repeat(MiB)],
  ];
  it.each(adversarial.map(([f, l], i) => [f, i, l] as const))(
    "stays linear on adversarial %s line #%i",
    (format, _i, line) => {
      // Prepare
      const parser = createParser(format);
      const started = performance.now();

      // Act
      const r = parser.parse(line);

      // Assess
      expect(["boolean", "string"]).toContain(typeof r.ok);
      expect(performance.now() - started).toBeLessThan(5_000);
    },
  );

  it("stays linear on adversarial W3C lines (quotes, %-escapes in the user agent)", () => {
    // Prepare
    const spaced = createParser("w3c");
    spaced.parse("#Fields: date time c-ip cs-uri-stem cs(User-Agent)");
    const tabbed = createParser("cloudfront");
    tabbed.parse("#Fields: date time c-ip cs-uri-stem cs(User-Agent) x-edge-location");
    const started = performance.now();

    // Act
    const a = spaced.parse(`2024-01-02 03:04:05 192.0.2.1 / ${'"x '.repeat(MiB / 3)}`);
    const b = tabbed.parse(`2024-01-02\t03:04:05\t192.0.2.1\t/\t${"%C3%A9%zz%E9".repeat(MiB / 12)}\tFRA`);

    // Assess
    expect(a.ok).toBe(false);
    expect(recordOf(b).userAgent?.startsWith("é%zz%E9é")).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("never copies the line into a rejection detail", () => {
    // Prepare
    const canary = "203.0.113.254";
    const lines = [
      `${canary} - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 999 5 "-" "-"`,
      `${canary} - - [99/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "-"`,
      `{"time":"${canary}","ip":"${canary}","path":"/"}`,
      `http 2018-07-02T22:23:00Z app/x/1 ${canary}:1 - 0 0 0 20 200 1 2 "GET http://h/ HTTP/1.1" "ua"`,
    ];
    const formats: LogFormat[] = ["combined", "combined", "jsonl", "alb"];

    // Act
    const details = lines.map((l, i) => rejectionOf(createParser(formats[i] ?? "combined").parse(l)).detail);

    // Assess
    for (const d of details) expect(d).not.toContain(canary);
  });
});
