import { describe, expect, it } from "vitest";
import {
  looksLikeAddressList,
  normalizeHost,
  parseByteCount,
  parseStatus,
  percentDecode,
  splitRequestLine,
} from "../../../../functions/core/parse/fields.ts";

describe("percentDecode", () => {
  it.each([
    ["Mozilla/5.0%20(Windows%20NT%2010.0)", "Mozilla/5.0 (Windows NT 10.0)"],
    ["caf%C3%A9", "café"],
    ["%F0%9F%98%80", "😀"],
    ["100%", "100%"],
    ["%zz%4", "%zz%4"],
    ["%E9t%C3%A9", "%E9té"],
    ["%C0%AF", "%C0%AF"],
    ["%ED%A0%80", "%ED%A0%80"],
    ["%C3", "%C3"],
    ["no escapes", "no escapes"],
  ])("decodes %s to %s, keeping invalid escapes as logged", (input, expected) => {
    // Prepare
    const s = input;

    // Act
    const out = percentDecode(s);

    // Assess
    expect(out).toBe(expected);
  });
});

describe("normalizeHost", () => {
  it.each([
    ["Example.COM:8080", "example.com"],
    ["[2001:DB8::1]:443", "2001:db8::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["www.example.com.", "www.example.com"],
    ["-", null],
    ["", null],
    ["bad host", null],
  ])("turns %s into %s", (input, expected) => {
    // Prepare
    const s = input;

    // Act
    const host = normalizeHost(s);

    // Assess
    expect(host).toBe(expected);
  });
});

describe("splitRequestLine", () => {
  it.each([
    ["GET /a?b=c HTTP/1.1", "GET", "/a?b=c", "HTTP/1.1"],
    ["GET /", "GET", "/", null],
    ["PROPFIND /dav/ HTTP/1.1", "PROPFIND", "/dav/", "HTTP/1.1"],
    ["-", null, "-", null],
    ["", null, "", null],
    ["get / HTTP/1.1", null, "get / HTTP/1.1", null],
    ["GET  HTTP/1.1", null, "GET  HTTP/1.1", null],
  ])("splits %j", (req, method, target, protocol) => {
    // Prepare
    const input = req;

    // Act
    const r = splitRequestLine(input);

    // Assess
    expect(r).toEqual({ method, target, protocol });
  });
});

describe("numbers", () => {
  it("accepts statuses 100 to 599 written with three digits only", () => {
    // Prepare
    const inputs = ["100", "599", "200", "099", "600", "20", "2000", "2x0", " 20"];

    // Act
    const out = inputs.map((s) => parseStatus(s));

    // Assess
    expect(out).toEqual([100, 599, 200, -1, -1, -1, -1, -1, -1]);
  });

  it("reads byte counts, '-' as 0", () => {
    // Prepare
    const inputs = ["0", "-", "123456", "", "-5", "1e3", "9999999999999999"];

    // Act
    const out = inputs.map((s) => parseByteCount(s));

    // Assess
    expect(out).toEqual([0, 0, 123456, -1, -1, -1, -1]);
  });

  it("recognizes lists of addresses (nginx $http_x_forwarded_for) but not a gzip ratio", () => {
    // Prepare
    const inputs = ["203.0.113.7, 10.0.0.2", "2001:db8::1", "2.75", "-", "hello"];

    // Act
    const out = inputs.map((s) => looksLikeAddressList(s));

    // Assess
    expect(out).toEqual([true, true, false, false, false]);
  });
});
