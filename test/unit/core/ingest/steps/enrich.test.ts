import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../../functions/core/anonymize/ip.ts";
import { enrichRecord } from "../../../../../functions/core/ingest/steps/enrich.ts";
import type { GeoLookup } from "../../../../../functions/ports/geo.ts";
import { accessRecord, CHROME, stepRun } from "./run-fixture.ts";

describe("enrich step", () => {
  it("looks the full address up in the geo database and classifies the raw user agent", () => {
    // Prepare: a geo database that knows one full address (not its network).
    const asked: string[] = [];
    const geo: GeoLookup = {
      country: (ip) => {
        asked.push(ip);
        return ip === "203.0.113.10" ? "DE" : null;
      },
      provider: (ip) => (ip === "203.0.113.10" ? "Example Networks" : null),
    };
    const { run } = stepRun({ geo });
    const address = parseClientAddress("203.0.113.10");
    if (address === null) expect.fail("test address does not parse");
    // Act
    const human = enrichRecord(run, accessRecord({ userAgent: CHROME }), address);
    const bot = enrichRecord(
      run,
      accessRecord({ userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" }),
      address,
    );
    // Assess
    expect(asked).toContain("203.0.113.10");
    expect(human).toMatchObject({
      country: "DE",
      provider: "Example Networks",
      browser: "Chrome",
      browserMajor: "131",
      os: "Windows",
      device: "desktop",
      isBot: false,
    });
    expect(bot).toMatchObject({ isBot: true, device: "bot", country: "DE" });
    expect(bot.botReason).not.toBeNull();
  });

  it("answers each line by its own address, agent and run when consecutive lines share some of them", () => {
    // Prepare: two runs whose geo databases disagree, and lines that repeat the address object, the agent or both
    // (the step answers a repeat of both from the line before)
    const geoSaying = (country: string): GeoLookup => ({
      country: (ip) => (ip === "203.0.113.10" ? country : "NL"),
      provider: () => null,
    });
    const de = stepRun({ geo: geoSaying("DE") }).run;
    const fr = stepRun({ geo: geoSaying("FR") }).run;
    const first = parseClientAddress("203.0.113.10");
    const second = parseClientAddress("198.51.100.1");
    if (first === null || second === null) expect.fail("test addresses do not parse");
    const bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const line = (run: typeof de, address: typeof first, userAgent: string) => {
      const e = enrichRecord(run, accessRecord({ userAgent }), address);
      return `${e.country} ${e.browser} ${e.isBot}`;
    };
    // Act
    const answers = [
      line(de, first, CHROME),
      line(de, first, CHROME),
      line(de, first, bot),
      line(de, first, bot),
      line(de, second, bot),
      line(de, first, bot),
      line(fr, first, bot),
      line(fr, first, firefox),
      line(fr, first, firefox),
      line(de, first, firefox),
    ];
    // Assess
    expect(answers).toEqual([
      "DE Chrome false",
      "DE Chrome false",
      "DE null true",
      "DE null true",
      "NL null true",
      "DE null true",
      "FR null true",
      "FR Firefox false",
      "FR Firefox false",
      "DE Firefox false",
    ]);
  });
});
