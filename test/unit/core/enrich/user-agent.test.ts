import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUserAgent, safeProductName } from "../../../../functions/core/enrich/user-agent.ts";

describe("parseUserAgent", () => {
  it.each([
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      { browser: "Chrome", browserMajor: "120", os: "Windows", device: "desktop" },
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
      { browser: "Edge", browserMajor: "120", os: "Windows", device: "desktop" },
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
      { browser: "Safari", browserMajor: "17", os: "Mac OS", device: "desktop" },
    ],
    [
      "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      { browser: "Firefox", browserMajor: "120", os: "Ubuntu", device: "desktop" },
    ],
    [
      "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      { browser: "Chrome", browserMajor: "120", os: "Chromium OS", device: "desktop" },
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
      { browser: "Safari", browserMajor: "17", os: "iOS", device: "mobile" },
    ],
    [
      "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
      { browser: "Safari", browserMajor: "16", os: "iOS", device: "tablet" },
    ],
    [
      "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
      { browser: "Chrome", browserMajor: "119", os: "Android", device: "mobile" },
    ],
    [
      // Chrome's reduced agent on an Android tablet: no "Mobile" token
      "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      { browser: "Chrome", browserMajor: "120", os: "Android", device: "tablet" },
    ],
    [
      "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
      { browser: "Samsung Internet", browserMajor: "4", os: "Tizen", device: "other" },
    ],
    [
      "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
      { browser: "WebKit", browserMajor: "605", os: "PlayStation", device: "other" },
    ],
    ["curl/8.4.0", { browser: null, browserMajor: null, os: null, device: "other" }],
    [null, { browser: null, browserMajor: null, os: null, device: "other" }],
  ])("%j", (ua, expected) => {
    // Act
    const classes = parseUserAgent(ua);

    // Assess
    expect(classes).toEqual(expected);
  });

  it.each([
    ["Chrome", "Chrome"],
    ["Samsung Internet", "Samsung Internet"],
    ["Mac OS", "Mac OS"],
    ["192.168.1.1", null],
    ["Browser 10.1.2.3", null],
    ["c0a80101", null],
    ["Foo 3232235777", null],
    ["fe80::1", null],
    ["", null],
    ["A".repeat(41), null],
  ])("safeProductName(%j) is %j", (name, expected) => {
    // Act
    const safe = safeProductName(name);

    // Assess
    expect(safe).toBe(expected);
  });

  it("never reports an address hidden in the agent as a browser, OS or version", () => {
    const agents = [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
      "Opera/9.80 (X11; Linux i686; U; en) Presto/2.12.388 Version/12.16",
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...agents),
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.constantFrom("", "/", " ", ";", "(", ")", "Browser/", "Version/"),
        (agent, at, bytes, glue) => {
          // Prepare
          const dotted = bytes.join(".");
          const i = at % (agent.length + 1);
          const ua = `${agent.slice(0, i)}${glue}${dotted}${glue}${agent.slice(i)}`;

          // Act
          const classes = parseUserAgent(ua);

          // Assess
          for (const value of [classes.browser, classes.os, classes.browserMajor]) {
            if (value !== null) expect(value).not.toContain(dotted);
          }
          if (classes.browserMajor !== null) expect(classes.browserMajor).toMatch(/^\d{1,5}$/);
        },
      ),
      { numRuns: 2000, seed: 11 },
    );
  });
});
