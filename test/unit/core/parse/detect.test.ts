import { describe, expect, it } from "vitest";
import {
  createParser,
  DETECT_SAMPLE_LINES,
  detectFormat,
  SPECIFICITY,
} from "../../../../functions/core/parse/index.ts";
import { LOG_FORMATS, type LogFormat } from "../../../../functions/core/types.ts";
import { fixtureLines } from "./fixtures.ts";

describe("detectFormat", () => {
  it.each<[string, LogFormat]>([
    ["elastic_apache_sample.log", "combined"],
    ["combined_nginx.log", "combined"],
    ["common.log", "common"],
    ["vhost_combined.log", "vhost-combined"],
    ["aws_cloudfront_docs.log", "cloudfront"],
    ["iis_w3c.log", "cloudfront"],
    ["aws_alb_docs.log", "alb"],
    ["nginx_json.log", "jsonl"],
    ["caddy_json.log", "jsonl"],
    ["traefik_json.log", "jsonl"],
  ])("detects %s as %s", (file, format) => {
    // Prepare
    const sample = fixtureLines(file).slice(0, DETECT_SAMPLE_LINES);

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

  it("returns null for blank input and for unsupported formats (haproxy, S3 server access)", () => {
    // Prepare
    const haproxy =
      'Sep 25 06:05:27 host haproxy[6801]: 192.0.2.1:55008 [25/Sep/2018:06:05:27.584] ft~ bk/abc 0/0/0/72/72 200 7456 - - ---- 5/4/0/1/0 0/0 "POST /user/ HTTP/1.1"';
    const s3 =
      '79a5 awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a5 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -';

    // Act
    const results = [detectFormat([]), detectFormat(["", "  "]), detectFormat([haproxy]), detectFormat([s3])];

    // Assess
    expect(results).toEqual([null, null, null, null]);
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
  });
});

describe("createParser", () => {
  it("makes a parser of the requested format, fresh each time (W3C state is per input)", () => {
    // Prepare
    const a = createParser("cloudfront");
    const b = createParser("cloudfront");
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
