import { describe, expect, it } from "vitest";
import {
  isAssetPath,
  maskPersonalData,
  referrerHost,
  scrubTarget,
} from "../../../../functions/core/scrub/scrub.ts";

const statistics = { allowedParams: new Set<string>(), keepClickIds: false };

describe("scrubTarget", () => {
  it("keeps utm parameters, drops every other parameter and the fragment", () => {
    // Act
    const s = scrubTarget("/shop/item?id=17&utm_source=news&session=abc&utm_medium=email#top", statistics);
    // Assess
    expect(s.path).toBe("/shop/item");
    expect(s.query).toBe("utm_medium=email&utm_source=news");
    expect(s.utm).toEqual({ source: "news", medium: "email", campaign: null, term: null, content: null });
    expect(s.clickId).toBeNull();
  });

  it("keeps operator-allowlisted parameters and click ids only with marketing consent", () => {
    // Prepare
    const target = "/p?lang=de&gclid=Cj0KCQ&q=secret";
    // Act
    const stats = scrubTarget(target, { allowedParams: new Set(["lang"]), keepClickIds: false });
    const marketing = scrubTarget(target, { allowedParams: new Set(["lang"]), keepClickIds: true });
    // Assess
    expect(stats.query).toBe("lang=de");
    expect(stats.clickId).toBeNull();
    expect(marketing.query).toBe("lang=de");
    expect(marketing.clickId).toBe("Cj0KCQ");
  });

  it("masks e-mail addresses, IP addresses in every spelling, and long tokens in paths", () => {
    expect(scrubTarget("/users/jane.doe@example.org/profile", statistics).path).toBe(
      "/users/[email]/profile",
    );
    expect(scrubTarget("/users/jane.doe%40example.org", statistics).path).toBe("/users/[email]");
    expect(scrubTarget("/ip/203.0.113.77/x", statistics).path).toBe("/ip/[ip]/x");
    expect(scrubTarget("/ip/203%2E0%2E113%2E77", statistics).path).toBe("/ip/[ip]");
    expect(scrubTarget("/ip/2001:db8:85a3::8a2e:370:7334/x", statistics).path).toBe("/ip/[ip]/x");
    expect(scrubTarget("/ip/::ffff:203.0.113.77", statistics).path).not.toContain("203.0.113.77");
    expect(scrubTarget("/h/0xCB00714D", statistics).path).toBe("/h/[token]");
    expect(scrubTarget("/reset/3f2a9c1e-7b7d-4a51-9d55-0c6f3c2b1a90", statistics).path).toBe(
      "/reset/[token]",
    );
    expect(scrubTarget("/s/AbCdEf0123456789GhIjKlMnOp", statistics).path).toBe("/s/[token]");
  });

  it("masks IP addresses hidden in kept campaign values", () => {
    // Act
    const s = scrubTarget("/?utm_source=198.51.100.9&utm_campaign=a%40b.example", statistics);
    // Assess
    expect(s.utm.source).toBe("[ip]");
    expect(s.utm.campaign).toBe("[email]");
  });

  it("keeps ordinary paths and words readable", () => {
    expect(scrubTarget("/blog/2026/11/how-we-count-visitors", statistics).path).toBe(
      "/blog/2026/11/how-we-count-visitors",
    );
    expect(scrubTarget("/caf%C3%A9", statistics).path).toBe("/café");
    expect(scrubTarget("-", statistics).path).toBe("/");
    expect(scrubTarget("http://proxy.example/abs/path?x=1", statistics).path).toBe("/abs/path");
  });

  it("survives invalid percent escapes", () => {
    expect(scrubTarget("/bad%zz%e0%80", statistics).path).toBe("/bad%zz%e0%80");
  });
});

describe("referrerHost", () => {
  it("reduces a referrer to its lower-case host", () => {
    expect(referrerHost("https://WWW.Google.de/search?q=private+words")).toBe("www.google.de");
    expect(referrerHost("http://user:pw@news.example:8080/a")).toBe("news.example");
    expect(referrerHost("-")).toBeNull();
    expect(referrerHost("not a url")).toBeNull();
  });

  it("masks hosts that are IP addresses", () => {
    expect(referrerHost("http://203.0.113.5/admin")).toBe("[ip]");
    expect(referrerHost("http://[2001:db8::1]:8080/")).toBe("[ip]");
    // Spellings a browser also resolves to an IPv4 address.
    expect(referrerHost("http://0x17000002/")).toBe("[ip]");
    expect(referrerHost("http://0xcb.0.0x71.5/")).toBe("[ip]");
    expect(referrerHost("http://3405803845/x")).toBe("[ip]");
    expect(referrerHost("http://0313.0.0161.5/")).toBe("[ip]");
    expect(referrerHost("https://1password.com/")).toBe("1password.com");
  });
});

describe("maskPersonalData", () => {
  it("leaves text without personal data untouched", () => {
    expect(maskPersonalData("Chrome")).toBe("Chrome");
    expect(maskPersonalData("/a/b.html")).toBe("/a/b.html");
  });
});

describe("isAssetPath", () => {
  it("tells static files from pages", () => {
    expect(isAssetPath("/static/app.css")).toBe(true);
    expect(isAssetPath("/img/logo.PNG")).toBe(true);
    expect(isAssetPath("/blog/post")).toBe(false);
    expect(isAssetPath("/index.html")).toBe(false);
    expect(isAssetPath("/v1.2/docs/")).toBe(false);
  });
});
