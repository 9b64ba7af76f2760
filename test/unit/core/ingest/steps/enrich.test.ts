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
});
