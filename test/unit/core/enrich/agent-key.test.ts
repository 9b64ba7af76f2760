import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { agentKey } from "../../../../functions/core/enrich/agent-key.ts";
import { classifyAgent, createEnricher } from "../../../../functions/core/enrich/enrich.ts";
import { NO_GEO } from "../../../../functions/ports/geo.ts";

/** Agents of uap-core (Apache-2.0), isbot (Unlicense) and crawler-user-agents (MIT): see the READMEs beside them. */
function fixture(path: string): string[] {
  const text = readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url), "utf8");
  return text.split("\n").filter((line) => line.length > 0);
}

const CORPORA = [
  "user-agents/uap-core-test-ua.txt",
  "user-agents/uap-core-test-device.txt",
  "bots/isbot-browsers.txt",
  "bots/isbot-crawlers.txt",
  "bots/crawler-user-agents.txt",
];

const ADDRESS = parseClientAddress("203.0.113.9");
if (ADDRESS === null) throw new Error("bad test address");

/** The agent part of what the enricher answers (country and provider are the geo lookup's). */
function enrichedAgent(enrich: ReturnType<typeof createEnricher>, ua: string) {
  const {
    country: _country,
    provider: _provider,
    ...agent
  } = enrich(ADDRESS as NonNullable<typeof ADDRESS>, ua);
  return agent;
}

/**
 * The rule of agent-key.ts as a regex replace, written independently of its scanner: a version right after a `/`
 * not followed by a token character; a first component of six digits or more and every component after the minor
 * masked digit by digit.
 */
function referenceKey(ua: string): string {
  return ua.replace(/\/(\d+)((?:\.\d+)*)(?![\w.-])/g, (_whole, first: string, rest: string) => {
    const head = first.length >= 6 ? first.replace(/\d/g, "0") : first;
    const parts = rest.split(".").slice(1);
    const masked = parts.map((part, i) => (i === 0 ? part : part.replace(/\d/g, "0")));
    return `/${head}${masked.map((part) => `.${part}`).join("")}`;
  });
}

describe("agentKey", () => {
  it("masks a browser's build and patch numbers, keeping its major and minor version", () => {
    // Act
    const key = agentKey(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Safari/537.36 Edg/120.0.2210.91",
    );

    // Assess
    expect(key).toBe(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0000.000 Safari/537.36 Edg/120.0.0000.00",
    );
  });

  it("masks an app's build number of six digits or more and keeps one of five", () => {
    // Act
    const app = agentKey(
      "Mozilla/5.0 (iPhone) Mobile/15E148 [FBAN/FBIOS;FBAV/441.0.0.23.105;FBBV/567890123]",
    );
    const five = agentKey("Foo/12345 Bar/123456");

    // Assess
    expect(app).toBe("Mozilla/5.0 (iPhone) Mobile/15E148 [FBAN/FBIOS;FBAV/441.0.0.00.000;FBBV/000000000]");
    expect(five).toBe("Foo/12345 Bar/000000");
  });

  it("leaves digits alone outside a version after a slash, and versions that run into a name", () => {
    // Prepare
    const agents = [
      "Mozilla/5.0 (Linux; Android 14; SM-G998B Build/UP1A.231005.007) AppleWebKit/537.36",
      "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
      "Tool/1.2.3beta",
      "Tool/1.2.3-rc1",
      "Tool/1.2.3_4",
      "X11; CrOS x86_64 15633.69.0",
    ];

    // Act
    const keys = agents.map(agentKey);

    // Assess
    expect(keys).toEqual(agents);
  });

  it("masks a version of more components than its scratch first holds (40), as the rule says", () => {
    // Prepare
    const ua = `App/12.34.${Array.from({ length: 38 }, (_, i) => String(i + 1)).join(".")} (x)`;

    // Act
    const key = agentKey(ua);

    // Assess
    expect(key).toBe(referenceKey(ua));
    expect(key.startsWith("App/12.34.0.0.0.0.0.0.0.0.0.00.00")).toBe(true);
  });

  it("follows the rule on any text, and keeps the agent's length, so patterns that count characters see the same agent", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("/", ".", "1", "9", "0", "a", "_", " ", ";", "-") }),
        (ua) => {
          // Act
          const key = agentKey(ua);

          // Assess
          expect(key).toBe(referenceKey(ua));
          expect(key.length).toBe(ua.length);
          expect(key.replace(/\d/g, "0")).toBe(ua.replace(/\d/g, "0"));
        },
      ),
      { numRuns: 2000, seed: 20 },
    );
  });
});

describe("the enricher classifies by agent key with the agent's own answer", () => {
  it.each(CORPORA)("every agent of %s", (path) => {
    // Prepare
    const agents = fixture(path);
    const enrich = createEnricher(NO_GEO);

    // Act
    const differing = agents.filter(
      (ua) => JSON.stringify(enrichedAgent(enrich, ua)) !== JSON.stringify(classifyAgent(ua)),
    );

    // Assess
    expect(agents.length).toBeGreaterThan(250);
    expect(differing).toEqual([]);
  });

  it("masks something in a fair share of the corpora (else the check above would prove nothing), by the rule", () => {
    // Act
    const agents = CORPORA.flatMap(fixture);
    const masked = agents.filter((ua) => agentKey(ua) !== ua);
    const offRule = agents.filter((ua) => agentKey(ua) !== referenceKey(ua));

    // Assess
    expect(masked.length).toBeGreaterThan(agents.length / 4);
    expect(offRule).toEqual([]);
  });

  it("gives browsers and apps with any build number their own answer, down to the major version", () => {
    const templates = [
      (v: number, a: number, b: number) =>
        `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.${a}.${b} Safari/537.36`,
      (v: number, a: number, b: number) =>
        `Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.${a}.${b} Mobile Safari/537.36`,
      (v: number, a: number, b: number) =>
        `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.${a}.${b}`,
      (v: number, a: number, b: number) =>
        `Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/${v}.0.0.${a % 100}.${b};FBBV/${100000000 + a * 1000 + b}]`,
      (v: number, a: number, b: number) =>
        `Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram/${v}.0.0.${a % 100}.${b}`,
    ];
    const enrich = createEnricher(NO_GEO);
    fc.assert(
      fc.property(
        fc.constantFrom(...templates),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 999 }),
        (template, major, build, patch) => {
          // Act
          const ua = template(major, build, patch);
          const answer = enrichedAgent(enrich, ua);

          // Assess
          expect(answer).toEqual(classifyAgent(ua));
          if (answer.browserMajor !== null) expect(answer.browserMajor).toBe(String(major));
        },
      ),
      { numRuns: 1500, seed: 21 },
    );
  });
});
