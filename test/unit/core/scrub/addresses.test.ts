import { describe, expect, it } from "vitest";
import { holdsAddress, maskAddresses } from "../../../../functions/core/scrub/addresses.ts";
import { cleanText, decodeUntilStable, foldLookAlikes } from "../../../../functions/core/scrub/text.ts";

/** The address finder shared by the scrubber and the redactor, and the text preparation before it. */

const mask = (text: string) => maskAddresses(text, "#");

describe("maskAddresses", () => {
  it.each([
    ["from 203.0.113.7 on", "from # on"],
    ["203.000.113.007", "#"],
    ["0313.0.0161.07", "#"],
    ["0xcb.0.0x71.0x7", "#"],
    ["203-0-113-7", "#"],
    ["ip-10-0-12-7.eu-central-1.compute.internal", "ip-#.eu-central-1.compute.internal"],
    ["ec2-203-0-113-7.compute-1.amazonaws.com", "ec2-#.compute-1.amazonaws.com"],
    ["203_0_113_7", "#"],
    ["x203.0.113.7", "x#"],
    ["203.0.113.9.nip.io", "#.nip.io"],
    ["0xCB00714D", "#"],
    ["id 3405803783 end", "id # end"],
    ["::ffff:203.0.113.7", "#"],
    ["::ffff:cb00:7107", "#"],
    ["2001:db8::1", "#"],
    ["[2001:db8::1]:443", "[#]:443"],
    ["192.0.2.1:8080", "#"],
    ["fe80::1%eth0", "#%eth0"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "#"],
    ["2001:db8:85a3:8d3:1319:8a2e:370", "#"], // cut off: seven groups
    ["00:1a:2b:3c:4d:5e", "#"],
    ["00-1a-2b-3c-4d-5e", "#"],
    ["2001-db8--1.ipv6-literal.net", "#.ipv6-literal.net"],
    ["host-2001-db8-0-0-0-0-0-1.isp.example", "host-#.isp.example"],
  ])("masks %s", (text, expected) => {
    expect(mask(text)).toBe(expected);
    expect(holdsAddress(text)).toBe(true);
  });

  it.each([
    "at 12:30:45 on 2026-11-20",
    "version 1.2.3 of 20261120",
    "be-a-dad--cafe",
    "std::vector and Foo::Bar",
    "order 12345678",
    "a UUID 3f2a9c1e-7b7d-4a51-9d55-0c6f3c2b1a90",
    "::1 is loopback",
    "plain words",
  ])("keeps %s", (text) => {
    expect(mask(text)).toBe(text);
    expect(holdsAddress(text)).toBe(false);
  });

  it("finds full-width and other scripts' addresses once the text is folded", () => {
    expect(mask(foldLookAlikes("from ２０３．０．１１３．７"))).toBe("from #");
    expect(mask(foldLookAlikes("from 203。0。113。7"))).toBe("from #");
    expect(mask(foldLookAlikes("from ٢٠٣.٠.١١٣.٧"))).toBe("from #");
    expect(mask(foldLookAlikes("from 203‐0‐113‐7"))).toBe("from #"); // U+2010 hyphens
  });

  it("stays linear on long hostile runs", () => {
    // Each of these took quadratic time with naive patterns; a regression would make this test time out.
    const runs = ["1.".repeat(50_000), "1:".repeat(50_000), "a-1-".repeat(25_000), "9".repeat(100_000)];
    for (const run of runs) expect(mask(run).length).toBeGreaterThan(0);
  });
});

describe("decodeUntilStable", () => {
  it.each([
    ["john%40example.com", "john@example.com"],
    ["john%2540example.com", "john@example.com"],
    ["john%252540example.com", "john@example.com"],
    ["john&#64;example.com", "john@example.com"],
    ["john&#x40;example.com", "john@example.com"],
    ["john&commat;example.com", "john@example.com"],
    ["john%26%2364%3Bexample.com", "john@example.com"],
    ["john%u0040example.com", "john@example.com"],
    ["john\\u0040example.com", "john@example.com"],
    ["john\\x40example.com", "john@example.com"],
    ["caf%C3%A9", "café"],
    ["caf%E9", "caf%E9"],
    ["100%", "100%"],
    ["a+b", "a+b"],
  ])("decodes %s to %s", (text, expected) => {
    expect(decodeUntilStable(text)).toBe(expected);
  });

  it("gives up after eight rounds", () => {
    expect(decodeUntilStable(`%${"25".repeat(7)}40`)).toBe("@");
    expect(decodeUntilStable(`%${"25".repeat(9)}40`)).toBeNull();
  });
});

describe("cleanText", () => {
  it("removes control, format and separator characters and folds look-alikes", () => {
    expect(cleanText("a\u0000b\rc\nd\te\u007ff\u0085g")).toBe("abcdefg");
    expect(cleanText("a\u200bb\u200dc\u202ed\ufeffe\u00adf\u2028g")).toBe("abcdefg");
    expect(cleanText("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")).toBe("alice@example.com");
    expect(cleanText("alice﹫example.com")).toBe("alice@example.com");
    expect(cleanText("plain ASCII text")).toBe("plain ASCII text");
  });
});
