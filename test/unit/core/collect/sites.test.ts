import { describe, expect, it } from "vitest";
import { parseOrigin, SiteSet } from "../../../../functions/core/collect/sites.ts";

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
