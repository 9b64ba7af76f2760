import { describe, expect, it } from "vitest";
import {
  createParser,
  DETECT_SAMPLE_LINES,
  detect,
  detectFormat,
  SPECIFICITY,
} from "../../../../functions/core/parse/index.ts";
import { LOG_FORMATS, type LogFormat } from "../../../../functions/core/types.ts";
import { fixtureLines } from "./fixtures.ts";

describe("detectFormat", () => {
  it.each<[string, LogFormat, number?]>([
    ["elastic_apache_sample.log", "combined"],
    ["combined_nginx.log", "combined"],
    ["common.log", "common"],
    ["vhost_combined.log", "vhost-combined"],
    ["aws_cloudfront_docs.log", "cloudfront"],
    ["iis_w3c.log", "w3c"],
    ["iis_default.log", "w3c"],
    ["aws_alb_docs.log", "alb"],
    ["elb_classic.log", "elb"],
    ["s3_access.log", "s3"],
    ["haproxy_http.log", "haproxy"],
    ["squid_native.log", "squid"],
    ["nginx_json.log", "jsonl"],
    ["caddy_json.log", "caddy"],
    ["traefik_json.log", "traefik-json"],
    // Its first three lines: the other two are a plain combined line and a broken one, for the parser's own tests.
    ["traefik_clf.log", "traefik", 3],
  ])("detects %s as %s", (file, format, lines = DETECT_SAMPLE_LINES) => {
    // Prepare
    const sample = fixtureLines(file).slice(0, lines);

    // Act
    const detected = detectFormat(sample);

    // Assess
    expect(detected).toBe(format);
  });

  it("returns null for an Apache error log, and the error log is rejected by every parser", () => {
    // Prepare
    const lines = fixtureLines("apache_error.log");

    // Act
    const detected = detectFormat(lines);
    const accepted = LOG_FORMATS.flatMap((f) => {
      const p = createParser(f);
      return lines.filter((l) => p.parse(l).ok === true).map(() => f);
    });

    // Assess
    expect(detected).toBeNull();
    expect(accepted).toEqual([]);
  });

  it("returns null for blank input and for a format none reads (an Apache error log, a custom date)", () => {
    // Prepare
    const errorLog =
      "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties";
    const customDate = '192.0.2.1 - - [February - 10, 2026:16:42:07] "GET / HTTP/1.0" 301 368';

    // Act
    const results = [
      detectFormat([]),
      detectFormat(["", "  "]),
      detectFormat([errorLog]),
      detectFormat([customDate]),
    ];

    // Assess
    expect(results).toEqual([null, null, null, null]);
  });

  it("says how many sample lines the chosen format accepted", () => {
    // Prepare
    const sample = [...fixtureLines("common.log"), "garbage", ""];

    // Act
    const detection = detect(sample);

    // Assess
    expect(detection).toEqual({
      format: "common",
      matched: fixtureLines("common.log").length,
      considered: fixtureLines("common.log").length + 1,
    });
  });

  it("names a W3C log whose #Fields lack a UTC time, so its rejections say why, rather than no format", () => {
    // Prepare
    const sample = [
      "#Fields: date-local time-local c-ip cs-method cs-uri-stem sc-status",
      "2026-03-02 09:15:01 203.0.113.7 GET / 200",
    ];

    // Act
    const detection = detect(sample);
    const rejected = createParser("w3c");
    rejected.parse(sample[0] ?? "");

    // Assess
    expect(detection).toEqual({ format: "w3c", matched: 0, considered: 1 });
    expect(rejected.parse(sample[1] ?? "")).toMatchObject({
      ok: false,
      rejection: { reason: "missing_field" },
    });
  });

  it("tells an IIS log from a CloudFront log, and a Caddy or Traefik JSON line from other JSON", () => {
    // Prepare
    const iis = fixtureLines("iis_w3c.log");
    const cloudfront = createParser("cloudfront");
    const caddy = createParser("caddy");
    const nginxJson = fixtureLines("nginx_json.log")[0] ?? "";

    // Act
    const iisAsCloudFront = iis.map((l) => cloudfront.parse(l)).filter((r) => r.ok !== "skip");
    const nginxAsCaddy = caddy.parse(nginxJson);

    // Assess
    expect(iisAsCloudFront.every((r) => r.ok === false && r.rejection.reason === "malformed")).toBe(true);
    expect(nginxAsCaddy).toMatchObject({ ok: false, rejection: { reason: "malformed" } });
  });

  it("prefers combined over common when both accept every line", () => {
    // Prepare
    const sample = fixtureLines("elastic_apache_sample.log").slice(0, 50);
    const common = createParser("common");

    // Act
    const commonAccepts = sample.every((l) => common.parse(l).ok === true);
    const detected = detectFormat(sample);

    // Assess
    expect(commonAccepts).toBe(true);
    expect(detected).toBe("combined");
  });

  it("picks the format accepting the most lines when a file mixes in a few bad lines", () => {
    // Prepare
    const sample = [...fixtureLines("common.log"), "garbage", "more garbage"];

    // Act
    const detected = detectFormat(sample);

    // Assess
    expect(detected).toBe("common");
  });

  it("ranks every supported format for tie-breaking", () => {
    // Prepare
    const all = [...LOG_FORMATS].sort();

    // Act
    const ranked = [...SPECIFICITY].sort();

    // Assess
    expect(ranked).toEqual(all);
    expect(SPECIFICITY.indexOf("vhost-combined")).toBeLessThan(SPECIFICITY.indexOf("combined"));
    expect(SPECIFICITY.indexOf("combined")).toBeLessThan(SPECIFICITY.indexOf("common"));
    expect(SPECIFICITY.indexOf("traefik")).toBeLessThan(SPECIFICITY.indexOf("combined"));
    expect(SPECIFICITY.indexOf("cloudfront")).toBeLessThan(SPECIFICITY.indexOf("w3c"));
    expect(SPECIFICITY.indexOf("caddy")).toBeLessThan(SPECIFICITY.indexOf("jsonl"));
    expect(SPECIFICITY.indexOf("traefik-json")).toBeLessThan(SPECIFICITY.indexOf("jsonl"));
  });
});

describe("createParser", () => {
  it("makes a parser of the requested format, fresh each time (W3C state is per input)", () => {
    // Prepare
    const a = createParser("w3c");
    const b = createParser("w3c");
    a.parse("#Fields: date time c-ip cs-uri-stem");

    // Act
    const fromA = a.parse("2024-01-02 03:04:05 192.0.2.1 /");
    const fromB = b.parse("2024-01-02 03:04:05 192.0.2.1 /");

    // Assess
    expect(LOG_FORMATS.map((f) => createParser(f).format)).toEqual([...LOG_FORMATS]);
    expect(fromA.ok).toBe(true);
    expect(fromB).toMatchObject({ ok: false, rejection: { reason: "no_fields_header" } });
  });
});
