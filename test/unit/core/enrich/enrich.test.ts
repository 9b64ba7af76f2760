import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { createEnricher } from "../../../../functions/core/enrich/enrich.ts";
import type { GeoLookup } from "../../../../functions/ports/geo.ts";

const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const GOOGLEBOT_SMARTPHONE =
  "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/** A geo lookup that records what it was asked. */
function recordingGeo(): GeoLookup & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    country: (ip) => {
      asked.push(ip);
      return ip.startsWith("217.") ? "DE" : null;
    },
    provider: (ip) => (ip.startsWith("217.") ? "Deutsche Telekom AG" : null),
  };
}

function address(text: string) {
  const addr = parseClientAddress(text);
  if (addr === null) throw new Error("bad test address");
  return addr;
}

describe("createEnricher", () => {
  it("combines country, provider and the agent's classes for a person", () => {
    // Prepare
    const enrich = createEnricher(recordingGeo());

    // Act
    const enrichment = enrich(address("217.0.0.1"), CHROME_WINDOWS);

    // Assess
    expect(enrichment).toEqual({
      browser: "Chrome",
      browserMajor: "120",
      os: "Windows",
      device: "desktop",
      isBot: false,
      botReason: null,
      botName: null,
      country: "DE",
      provider: "Deutsche Telekom AG",
    });
  });

  it("gives bots the device class `bot`, with reason and name, even when they claim a phone", () => {
    // Prepare
    const enrich = createEnricher(recordingGeo());

    // Act
    const enrichment = enrich(address("66.249.66.1"), GOOGLEBOT_SMARTPHONE);

    // Assess
    expect(enrichment.device).toBe("bot");
    expect(enrichment.isBot).toBe(true);
    expect(enrichment.botReason).toBe("self_declared");
    expect(enrichment.botName).toBe("Googlebot");
  });

  it("treats a missing agent as a bot with reason empty_ua", () => {
    // Prepare
    const enrich = createEnricher(recordingGeo());

    // Act
    const enrichment = enrich(address("203.0.113.7"), null);

    // Assess
    expect(enrichment).toMatchObject({ isBot: true, botReason: "empty_ua", device: "bot", browser: null });
  });

  it("looks the country up with the canonical full address, for every request (addresses are not cached)", () => {
    // Prepare
    const geo = recordingGeo();
    const enrich = createEnricher(geo);

    // Act
    enrich(address("[2003:DB8::0001]:443"), CHROME_WINDOWS);
    enrich(address("::ffff:217.0.0.1"), CHROME_WINDOWS);
    enrich(address("::ffff:217.0.0.1"), CHROME_WINDOWS);

    // Assess
    expect(geo.asked).toEqual(["2003:db8::1", "217.0.0.1", "217.0.0.1"]);
  });

  it("with the geo memo, asks the geo lookup once per address while it is remembered, with the same answers", () => {
    // Prepare
    const geo = recordingGeo();
    const enrich = createEnricher(geo, { geoMemo: true });
    const plain = createEnricher(recordingGeo());

    // Act: the same address in two objects, another address, then the first again
    const first = enrich(address("217.0.0.1"), CHROME_WINDOWS);
    const again = enrich(address("::ffff:217.0.0.1"), CHROME_WINDOWS);
    const other = enrich(address("217.0.0.2"), CHROME_WINDOWS);
    const third = enrich(address("217.0.0.1"), GOOGLEBOT_SMARTPHONE);

    // Assess
    expect(geo.asked).toEqual(["217.0.0.1", "217.0.0.2"]);
    expect(first).toEqual(plain(address("217.0.0.1"), CHROME_WINDOWS));
    expect(again).toEqual(first);
    expect(other.country).toBe("DE");
    expect([third.country, third.provider]).toEqual(["DE", "Deutsche Telekom AG"]);
  });

  it("answers the same for an agent whether it comes from the cache or not", () => {
    // Prepare: a cache of one entry, so agents keep being evicted and parsed again
    const enrich = createEnricher(recordingGeo(), { userAgentCacheSize: 1 });
    const agents = [
      CHROME_WINDOWS,
      GOOGLEBOT_SMARTPHONE,
      "curl/8.4.0",
      `${CHROME_WINDOWS} ${"x".repeat(600)}`,
    ];
    const first = agents.map((ua) => enrich(address("198.51.100.1"), ua));

    // Act
    const again = [...agents, ...agents].map((ua) => enrich(address("198.51.100.1"), ua));

    // Assess
    expect(again).toEqual([...first, ...first]);
  });

  it("answers the same for 3,000 agents through one enricher as each alone, while its table of answers grows", () => {
    // Prepare: more agents than the 1,024 answers the enricher keeps at first
    const agents = Array.from({ length: 3000 }, (_, i) =>
      i % 2 === 0 ? `${CHROME_WINDOWS} app/${i}x` : `curl/8.${i % 10}.0 probe-${i}x`,
    );
    const enrich = createEnricher(recordingGeo());

    // Act: each agent twice, the second time after the table grew
    const first = agents.map((ua) => enrich(address("198.51.100.1"), ua));
    const again = agents.map((ua) => enrich(address("198.51.100.1"), ua));

    // Assess
    const alone = (ua: string) =>
      createEnricher(recordingGeo(), { userAgentCacheSize: 1 })(address("198.51.100.1"), ua);
    for (let i = 0; i < agents.length; i += 37) expect(first[i]).toEqual(alone(agents[i] as string));
    expect(again).toEqual(first);
  });

  it("keeps apart agents whose answers differ in one class only, when answers are shared between agents", () => {
    // Prepare: each agent's answer as a fresh enricher gives it, alone
    const agents = [
      CHROME_WINDOWS,
      CHROME_WINDOWS.replace("Chrome/120.", "Chrome/121."),
      CHROME_WINDOWS.replace("Windows NT 10.0; Win64; x64", "X11; Linux x86_64"),
      CHROME_WINDOWS.replace("Windows NT 10.0; Win64; x64", "X11; Linux x86_64").replace(
        "Chrome/120.",
        "Chrome/121.",
      ),
      GOOGLEBOT_SMARTPHONE,
      GOOGLEBOT_SMARTPHONE.replace("Googlebot/2.1", "bingbot/2.0"),
      "curl/8.4.0",
      "Wget/1.21",
    ];
    const alone = agents.map((ua) => createEnricher(recordingGeo())(address("198.51.100.1"), ua));
    expect(new Set(alone.map((answer) => JSON.stringify(answer))).size).toBe(agents.length);

    // Act: one enricher, every agent twice, both orders
    const enrich = createEnricher(recordingGeo(), { userAgentCacheSize: 1, agentKeyCacheSize: 1 });
    const together = [...agents, ...agents.toReversed()].map((ua) => enrich(address("198.51.100.1"), ua));

    // Assess
    expect(together).toEqual([...alone, ...alone.toReversed()]);
  });
});

describe("createEnricher on malformed agents", () => {
  it("reports no browser or OS for an injection payload that imitates one", () => {
    // Prepare
    const enrich = createEnricher(recordingGeo());

    // Act
    const enrichment = enrich(address("203.0.113.7"), `${CHROME_WINDOWS} \${jndi:ldap://x/a}`);

    // Assess
    expect(enrichment).toMatchObject({
      isBot: true,
      botReason: "malformed",
      device: "bot",
      browser: null,
      os: null,
    });
  });
});
