import { describe, expect, it } from "vitest";
import { parseOrigin } from "../../../../functions/core/collect/sites.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import { LineSites, SiteSet } from "../../../../functions/core/sites.ts";

describe("SiteSet", () => {
  const sites = new SiteSet(["example.com", "shop.example.org"]);

  it("resolves a sent site to the configured one, with or without www.", () => {
    // Act / Assess
    expect(sites.resolve("example.com")).toBe("example.com");
    expect(sites.resolve("www.example.com")).toBe("example.com");
    expect(sites.resolve("www.other.example")).toBeNull();
    expect(sites.resolve("blog.example.com")).toBeNull();
  });

  it("lets a site's own host and its subdomains be its origins, and nothing that merely ends like it", () => {
    // Act / Assess
    expect(SiteSet.hostBelongsTo("example.com", "example.com")).toBe(true);
    expect(SiteSet.hostBelongsTo("a.b.example.com", "example.com")).toBe(true);
    expect(SiteSet.hostBelongsTo("badexample.com", "example.com")).toBe(false);
    expect(SiteSet.hostBelongsTo("example.com.evil.net", "example.com")).toBe(false);
    expect(sites.anyOwns("www.shop.example.org")).toBe(true);
  });
});

describe("SiteSet with aliases", () => {
  const sites = SiteSet.fromConfig(
    parseConfig({
      sites: ["example.com", "shop.example.org"],
      siteSettings: { "example.com": { aliases: ["example.de", "Beispiel.example"] } },
    }),
  );

  it("resolves an alias, also with www., to its site", () => {
    expect(sites.resolve("example.de")).toBe("example.com");
    expect(sites.resolve("www.example.de")).toBe("example.com");
    expect(sites.resolve("beispiel.example")).toBe("example.com");
    expect(sites.resolve("shop.example.org")).toBe("shop.example.org");
    expect(sites.size).toBe(2);
  });

  it("never resolves a host that is not configured, however it is shaped", () => {
    for (const host of [
      "alice.smith@example.com",
      "203.0.113.200",
      "203-0-113-9.example.com",
      "example.de.evil",
    ]) {
      expect(sites.resolve(host)).toBeNull();
    }
  });

  it("lets pages on an alias send for the site, and no other site's pages", () => {
    expect(sites.belongsTo("www.example.de", "example.com")).toBe(true);
    expect(sites.belongsTo("example.com", "example.com")).toBe(true);
    expect(sites.belongsTo("shop.example.org", "example.com")).toBe(false);
    expect(sites.anyOwns("m.example.de")).toBe(true);
  });
});

describe("LineSites", () => {
  const configured = new LineSites(
    parseConfig({
      sites: ["example.com", "blog.example.com"],
      siteSettings: { "example.com": { aliases: ["example.de"] } },
    }),
  );

  it("takes a line's host only when it is a configured site or alias", () => {
    expect(configured.siteOfHost("example.com")).toBe("example.com");
    expect(configured.siteOfHost("www.example.de")).toBe("example.com");
    expect(configured.siteOfHost("blog.example.com")).toBe("blog.example.com");
    expect(configured.siteOfHost("alice.smith@example.com")).toBeNull();
    expect(configured.siteOfHost("203.0.113.200")).toBeNull();
    expect(configured.siteOfHost("shop.example.com")).toBeNull();
  });

  it("counts a line without a host for the default site (the first site unless defaultSite says otherwise)", () => {
    expect(configured.siteOfHost(null)).toBe("example.com");
    const other = new LineSites(parseConfig({ sites: ["a.example", "b.example"], defaultSite: "b.example" }));
    expect(other.siteOfHost(null)).toBe("b.example");
  });

  it("resolves a forced site like a host: configured or null", () => {
    expect(configured.resolveForced("EXAMPLE.de")).toBe("example.com");
    expect(configured.resolveForced("other.example")).toBeNull();
  });

  it("with no sites configured, takes no host from the input: every line is the default site", () => {
    // Prepare
    const open = new LineSites(parseConfig({}));
    const named = new LineSites(parseConfig({ defaultSite: "mysite.example" }));
    // Act / Assess
    expect(open.siteOfHost("alice.smith@example.com")).toBe("default");
    expect(open.siteOfHost("203.0.113.200")).toBe("default");
    expect(open.siteOfHost(null)).toBe("default");
    expect(named.siteOfHost("anything.example")).toBe("mysite.example");
    expect(named.resolveForced("mysite.example")).toBe("mysite.example");
    expect(named.resolveForced("other.example")).toBeNull();
  });
});

describe("parseOrigin", () => {
  it("parses http(s) origins to their serialization", () => {
    // Act / Assess
    expect(parseOrigin("https://Example.COM:443")).toEqual({
      origin: "https://example.com",
      host: "example.com",
    });
    expect(parseOrigin("http://site.test:8080")).toEqual({
      origin: "http://site.test:8080",
      host: "site.test",
    });
  });

  it.each([
    "null",
    "file://",
    "chrome-extension://abc",
    "https://user:pw@example.com",
    "https://example.com/path",
    "not a url",
  ])("refuses %s", (header) => {
    // Act / Assess
    expect(parseOrigin(header)).toBeNull();
  });
});
