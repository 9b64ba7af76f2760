import { describe, expect, it } from "vitest";
import { type LogsieveConfigInput, parseConfig } from "../../../../functions/core/config.ts";
import {
  buildPolicy,
  CITATIONS,
  generatePolicy,
  type PolicyLang,
  SECTION_IDS,
} from "../../../../functions/core/policy/notice.ts";

const md = (raw: LogsieveConfigInput, lang: PolicyLang, extra: { tracker?: boolean } = {}) =>
  generatePolicy(parseConfig(raw), { lang, format: "md", ...extra });

/** Every number a reader sees: not in legal citations, the names IPv4/IPv6, HTML tags or the operator comment. */
function figures(text: string, lang: PolicyLang): number[] {
  let body = text
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/IPv[46]/g, " ");
  for (const citation of [...CITATIONS[lang]].sort((a, b) => b.length - a.length))
    body = body.split(citation).join(" ");
  return [...body.matchAll(/\d+/g)].map((m) => Number(m[0]));
}

describe("policy notice", () => {
  it("has every section in both languages and in both formats", () => {
    // Prepare
    const config = parseConfig({});

    // Act
    const docs = (["de", "en"] as const).map((lang) => buildPolicy(config, { lang }));
    const html = generatePolicy(config, { lang: "de", format: "html" });

    // Assess
    for (const doc of docs) {
      expect(doc.sections.map((s) => s.id)).toEqual([...SECTION_IDS]);
      for (const section of doc.sections) expect(section.blocks.length).toBeGreaterThan(0);
    }
    expect(docs[0]?.sections.map((s) => s.heading)).not.toEqual(docs[1]?.sections.map((s) => s.heading));
    for (const id of SECTION_IDS) expect(html).toContain(`<section id="logsieve-${id}">`);
  });

  it("states the default figures: 168 hours, /24 and /48, 90 days, 25 months, 48 hours, k = 5", () => {
    // Prepare / Act
    const de = md({}, "de");
    const en = md({}, "en");

    // Assess
    expect(de).toContain("168 Stunden (7 Tage)");
    expect(en).toContain("168 hours (7 days)");
    for (const text of [de, en]) {
      expect(text).toContain("/24");
      expect(text).toContain("/48");
    }
    expect(de).toContain("90 Tage");
    expect(en).toContain("25 months");
    expect(de).toContain("48 Stunden (2 Tage)");
    expect(en).toContain("fewer than 5 visitors");
    expect(de).toContain("weniger als 5 Besucher");
    expect(de).toContain("Art. 6 Abs. 1 lit. f DSGVO");
    expect(en).toContain("Art. 6(1)(a) GDPR in conjunction with Section 25(1) TDDDG");
  });

  it("follows changed figures in German and English, and no longer states the old ones", () => {
    // Prepare
    const config: LogsieveConfigInput = {
      anonymize: { ipv4Prefix: 16, ipv6Prefix: 40 },
      retention: {
        incomingHours: 72,
        securityHours: 72,
        rejectsHours: 72,
        eventsDays: 30,
        statsMonths: 13,
        saltHours: 26,
      },
      k: 11,
    };

    // Act
    const de = md(config, "de");
    const en = md(config, "en");

    // Assess
    for (const [text, hours, days, months] of [
      [de, "72 Stunden (3 Tage)", "30 Tage", "13 Monate"],
      [en, "72 hours (3 days)", "30 days", "13 months"],
    ] as const) {
      expect(text).toContain(hours);
      expect(text).toContain(days);
      expect(text).toContain(months);
      expect(text).toContain("/16");
      expect(text).toContain("/40");
      expect(text).toContain(" 11 ");
      for (const old of ["168", "/24", "/48", "90", "25 M", "25 m", "48"]) expect(text).not.toContain(old);
    }
  });

  it("states no figure that the configuration does not produce", () => {
    // Prepare: unusual values, so a figure written into the text by hand would show
    const config: LogsieveConfigInput = {
      anonymize: { ipv4Prefix: 20, ipv6Prefix: 36 },
      retention: {
        incomingHours: 60,
        securityHours: 100,
        rejectsHours: 50,
        eventsDays: 44,
        statsMonths: 14,
        saltHours: 30,
      },
      k: 9,
      scrub: { allowedQueryParams: ["page"] },
    };
    // What the configuration produces (hours that are whole days are also given in days), and the bit
    // lengths of IPv4 and IPv6 addresses, which the prefixes are stated against.
    const produced = new Set([20, 36, 60, 100, 50, 44, 14, 30, 9, 32, 128]);

    for (const lang of ["de", "en"] as const) {
      // Act
      const found = figures(md(config, lang), lang);
      const html = figures(generatePolicy(parseConfig(config), { lang, format: "html" }), lang);

      // Assess
      expect(found.filter((n) => !produced.has(n))).toEqual([]);
      expect(html.filter((n) => !produced.has(n))).toEqual([]);
      expect(new Set(found)).toEqual(produced);
    }
  });

  it("changes its consent text with the consent mode, the log tier and the DNT/GPC settings", () => {
    // Prepare / Act
    const anonymous = md({}, "en");
    const drop = md({ consent: { withoutConsent: "drop" } }, "en");
    const logsDropped = md({ consent: { logDefaultTier: "drop" } }, "de");
    const noSignals = md({ consent: { honorDnt: false, honorGpc: false } }, "en");
    const onlyGpc = md({ consent: { honorDnt: false } }, "de");

    // Assess
    expect(anonymous).toContain("Without consent, a page view is only counted anonymously");
    expect(drop).toContain("Without consent, the measurement script reports nothing");
    expect(drop).not.toContain("counted anonymously");
    expect(logsDropped).toContain("Server-Logdateien werden nicht für Statistiken verwendet");
    expect(anonymous).toContain(
      '"Do Not Track" or "Global Privacy Control" signal, we treat it as an objection',
    );
    expect(noSignals).toContain("are not evaluated");
    expect(noSignals).not.toContain("we treat it as an objection");
    expect(onlyGpc).toContain("Sendet Ihr Browser das Signal „Global Privacy Control“");
    expect(onlyGpc).toContain("Das Signal „Do Not Track“ wird nicht ausgewertet.");
  });

  it("names the sites and the kept query parameters only when configured, the provider unless turned off", () => {
    // Prepare / Act
    const plain = md({}, "en");
    const noProvider = md({ geo: { provider: false } }, "en");
    const configured = md(
      {
        sites: ["example.com", "shop.example.com"],
        scrub: { allowedQueryParams: ["q"] },
        siteSettings: { "shop.example.com": { allowedQueryParams: ["sku"], allowedPaths: ["/product/*"] } },
        geo: { asnDb: "/x/asn.mmdb" },
      },
      "en",
    );

    // Assess
    expect(plain).not.toContain("It applies to");
    expect(plain).toContain("access provider");
    expect(noProvider).not.toContain("access provider");
    expect(configured).toContain("It applies to example.com and shop.example.com.");
    expect(configured).toContain(
      "except utm_source, utm_medium, utm_campaign, utm_term, utm_content and q (for shop.example.com also sku);",
    );
    expect(configured).toContain("Exempt are the segments marked * in /product/*");
    expect(plain).not.toContain("Exempt are");
    expect(configured).toContain(
      "Statistics are kept for example.com and shop.example.com only. A request naming another host name is not evaluated",
    );
    expect(plain).toContain(
      "The host name a browser or program sends with a request is never taken into statistics",
    );
    expect(configured).toContain("access provider");
  });

  it("escapes HTML and leaves the tracker out when the sites do not use it", () => {
    // Prepare / Act
    const html = generatePolicy(parseConfig({}), { lang: "en", format: "html", tracker: false });

    // Assess
    expect(html).toContain("&quot;(other)&quot;");
    expect(html).not.toContain("measurement script");
    expect(html).not.toMatch(/<p>[^<]*"[^<]*<\/p>/);
  });
});
