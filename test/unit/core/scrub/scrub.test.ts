import { describe, expect, it } from "vitest";
import { isAssetPath } from "../../../../functions/core/scrub/assets.ts";
import { compilePathPatterns } from "../../../../functions/core/scrub/path-patterns.ts";
import {
  referrerHost,
  type ScrubOptions,
  scrubFreeText,
  scrubPath,
  scrubTarget,
  scrubValue,
} from "../../../../functions/core/scrub/scrub.ts";

/**
 * The scrub policy of docs/PRIVACY.md ("The scrub policy"), rule by rule, with the examples the document shows.
 * Expected values are written by hand from the policy, never produced by the code.
 */

const statistics: ScrubOptions = { allowedParams: new Set(), allowedPaths: null, keepClickIds: false };
const marketing: ScrubOptions = { ...statistics, keepClickIds: true };

describe("the path", () => {
  it.each([
    // Plain paths stay readable: words, slugs, years, months, small numbers, file names.
    ["/blog/2026/11/how-we-count-visitors", "/blog/2026/11/how-we-count-visitors"],
    ["/docs/article-153", "/docs/article-153"],
    ["/page/2", "/page/2"],
    ["/files/blogposts/20070901/glow.c", "/files/blogposts/20070901/glow.c"],
    ["/static/app.css", "/static/app.css"],
    ["/iphone15/covid19/win10pro64", "/iphone15/covid19/win10pro64"],
    ["/caf%C3%A9", "/café"],
    ["-", "/"],
    ["", "/"],
  ])("keeps %s as %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it.each([
    // Identifiers as whole segments become :id.
    ["/user/12345/profile", "/user/:id/profile"],
    ["/user/1234", "/user/:id"],
    ["/user/20071399", "/user/:id"], // not a day
    ["/blog/keynav-20091231.html", "/blog/keynav-[number].html"], // inside a word, any long number goes
    ["/u/u12345", "/u/:id"],
    ["/order/id-4711", "/order/:id"],
    ["/reset/3f2a9c1e-7b7d-4a51-9d55-0c6f3c2b1a90", "/reset/:id"],
    ["/doc/507f1f77bcf86cd799439011", "/doc/:id"],
    ["/s/AbCdEf0123456789GhIjKlMnOp", "/s/:id"],
    ["/x/a1b2c3d4", "/x/:id"],
    // A token after a word that announces one, even without digits when it mixes case.
    ["/password/reset/XyZabcDEFghi", "/password/reset/:token"],
    ["/invite/k7Pq2x", "/invite/:token"],
  ])("masks the identifier in %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it.each([
    // E-mail addresses, however written.
    ["/users/jane.doe@example.org/profile", "/users/[email]/profile"],
    ["/users/jane.doe%40example.org", "/users/[email]"],
    ["/users/john%2540example.com", "/users/[email]"],
    ["/users/john%25252540example.com", "/users/[email]"],
    ["/u/alice+news@example.org", "/u/[email]"],
    ["/u/J%C3%B6rg.M%C3%BCller@b%C3%BCcher.de", "/u/[email]"],
    ["/u/%E7%94%A8%E6%88%B7@%E4%BE%8B%E5%AD%90.%E5%B9%BF%E5%91%8A", "/u/[email]"],
    ["/u/alice%EF%BC%A0example.com", "/u/[email]"], // full-width ＠
    ["/u/alice%26%2364%3Bexample.com", "/u/[email]"], // &#64;
    ["/u/alice(at)example.com", "/u/[email]"],
    ["/u/alice%20%5Bat%5D%20example.com", "/u/[email]"],
    ["/u/alice@localhost", "/u/[email]"],
    // A package version in a CDN path is not an address.
    ["/npm/react@18.2.0/umd/react.js", "/npm/react@18.2.0/umd/react.js"],
  ])("masks the e-mail address in %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it.each([
    // IP addresses in every notation, also inside host names.
    ["/ip/203.0.113.77/x", "/ip/[ip]/x"],
    ["/ip/203%2E0%2E113%2E77", "/ip/[ip]"],
    ["/ip/203-0-113-77", "/ip/[ip]"],
    ["/ip/203_0_113_77", "/ip/[ip]"],
    [
      "/host/ec2-203-0-113-77.eu-central-1.compute.amazonaws.com",
      "/host/ec2-[ip].eu-central-1.compute.amazonaws.com",
    ],
    ["/h/x203.0.113.77", "/h/x[ip]"],
    ["/h/203.0.113.9.nip.io", "/h/[ip].nip.io"],
    ["/h/app.203.0.113.9.nip.io", "/h/app.[ip].nip.io"],
    ["/h/0313.0.0161.0115", "/h/[ip]"],
    ["/h/0xcb.0x0.0x71.0x4d", "/h/[ip]"],
    ["/h/at-0xCB00714D-now", "/h/at-[ip]-now"],
    ["/h/n3405803789x", "/h/n[ip]x"],
    ["/ip/::ffff:203.0.113.77", "/ip/[ip]"],
    ["/ip/::ffff:cb00:714d", "/ip/[ip]"],
    ["/ip/2001:db8:85a3::8a2e:370:7334/x", "/ip/[ip]/x"],
    ["/ip/2001:0db8:85a3:0000:0000:8a2e:0370:7334", "/ip/[ip]"],
    ["/h/2001-db8-85a3--8a2e-370-7334.ipv6-literal.net", "/h/[ip].ipv6-literal.net"],
    ["/ip/%EF%BC%92%EF%BC%90%EF%BC%93%EF%BC%8E0%EF%BC%8E113%EF%BC%8E77", "/ip/[ip]"], // full-width
    ["/ip/%D9%A2%D9%A0%D9%A3.0.113.77", "/ip/[ip]"], // Arabic-Indic digits
    ["/ip/203%E3%80%820%E3%80%82113%E3%80%8277", "/ip/[ip]"], // ideographic full stops
    ["/ip/203.0.113.%E2%80%8B77", "/ip/[ip]"], // a zero-width space inside
    ["/mac/00:1a:2b:3c:4d:5e", "/mac/[ip]"],
  ])("masks the address in %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it.each([
    // Phone numbers and long numbers; dates stay.
    ["/call/+49 170 5550123", "/call/[phone]"],
    ["/call/0170-555-0123", "/call/[phone]"],
    ["/call/(030) 555 0123", "/call/([phone]"],
    ["/pay/4111 1111 1111 1111", "/pay/[number]"],
    ["/a/order-1234567-confirmed", "/a/order-[number]-confirmed"],
    ["/news/2026-11-20-launch", "/news/2026-11-20-launch"],
    ["/news/20.11.2026", "/news/20.11.2026"],
  ])("masks the number in %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it.each([
    // Session ids: matrix parameters go, secret name=value pairs lose their value at any length.
    ["/shop;jsessionid=a1b2c3d4e5f6g7h8", "/shop"],
    ["/shop;jsessionid=A1B2/cart;foo=bar", "/shop/cart"],
    ["/x/sid=abc/y", "/x/sid=[token]/y"],
    ["/cb/code=xyz&state=q", "/cb/code=[token]&state=[token]"],
  ])("removes the session in %s", (raw, expected) => {
    expect(scrubPath(raw)).toBe(expected);
  });

  it("removes control and invisible characters", () => {
    expect(scrubPath("/a%00b%0D%0Ac%09d")).toBe("/abcd");
    expect(scrubPath("/a\u0000b\rc\nd")).toBe("/abcd");
    expect(scrubPath("/a%E2%80%AEb%C2%ADc")).toBe("/abc"); // right-to-left override, soft hyphen
    expect(scrubPath("/a%C2%85b")).toBe("/ab"); // C1 control (NEL)
  });

  it("replaces what is still encoded after eight rounds of decoding", () => {
    expect(scrubPath(`/u/john%${"25".repeat(12)}40example.com`)).toBe("/[encoded]");
  });

  it("survives invalid escapes, keeping what cannot be decoded", () => {
    expect(scrubPath("/bad%zz%e0%80")).toBe("/bad%zz%E0%80");
    expect(scrubPath("/latin1/caf%E9%40example.com")).toBe("/latin1/[email]");
  });

  it("keeps the segments a site allows, masking only e-mails and addresses in them", () => {
    // Prepare
    const allowed = compilePathPatterns(["/product/*", "/c/*/p/*"]);
    // Act & Assess
    expect(scrubPath("/product/12345", allowed)).toBe("/product/12345");
    expect(scrubPath("/product/12345/reviews/67890", allowed)).toBe("/product/12345/reviews/:id");
    expect(scrubPath("/c/4711/p/0815", allowed)).toBe("/c/4711/p/0815");
    expect(scrubPath("/product/alice@example.com", allowed)).toBe("/product/[email]");
    expect(scrubPath("/product/203-0-113-77", allowed)).toBe("/product/[ip]");
    expect(scrubPath("/other/12345", allowed)).toBe("/other/:id");
  });

  it("cuts a path at 1,024 characters", () => {
    expect(scrubPath(`/${"a".repeat(3000)}`)).toHaveLength(1024);
  });
});

describe("the query string", () => {
  it("keeps the five utm parameters by exact name, drops every other parameter and the fragment", () => {
    // Act
    const s = scrubTarget(
      "/shop/item?id=17&utm_source=news&session=abc&utm_medium=email&utm_id=9&utm_foo=x#top",
      statistics,
    );
    // Assess
    expect(s.path).toBe("/shop/item");
    expect(s.query).toBe("utm_medium=email&utm_source=news");
    expect(s.utm).toEqual({ source: "news", medium: "email", campaign: null, term: null, content: null });
    expect(s.clickId).toBeNull();
  });

  it("drops parameters whose name carries data (only the exact names are kept)", () => {
    // Act
    const s = scrubTarget(
      "/?utm_alice@example.com=1&utm_source%40x=2&utm_203.0.113.7=3&UTM_Campaign=Spring&utm%255fterm=shoes",
      statistics,
    );
    // Assess
    expect(s.query).toBe("utm_campaign=Spring&utm_term=shoes");
  });

  it.each([
    ["utm_source=198.51.100.9", "[ip]"],
    ["utm_campaign=a%40b.example", "[email]"],
    ["utm_campaign=a%2540b.example", "[email]"],
    ["utm_content=call+%2B49+170+5550123", "call [phone]"],
    ["utm_content=ref+4711+0815+3333", "ref [phone]"],
    ["utm_term=user+1234567", "user [number]"],
    ["utm_term=%2B491705550123", "[phone]"],
    ["utm_content=banner_300x250", "banner_300x250"],
    ["utm_campaign=spring_sale_2026", "spring_sale_2026"],
    ["utm_campaign=summer+sale", "summer sale"],
    ["utm_content=session%3Dabc123", "session=[token]"],
    ["utm_content=%00x%0Ay", "xy"],
  ])("masks inside kept values: %s", (pair, expected) => {
    expect(scrubTarget(`/?${pair}`, statistics).query).toBe(
      `${pair.slice(0, pair.indexOf("="))}=${encodeURIComponent(expected)}`,
    );
  });

  it("keeps operator-allowed parameters with masked values, and click ids only in the marketing tier", () => {
    // Prepare
    const target = "/p?lang=de&gclid=Cj0KCQ&q=secret&ref=alice%40example.com";
    const allowed: ScrubOptions = { ...statistics, allowedParams: new Set(["lang", "ref"]) };
    // Act
    const stats = scrubTarget(target, allowed);
    const market = scrubTarget(target, { ...allowed, keepClickIds: true });
    // Assess
    expect(stats.query).toBe("lang=de&ref=%5Bemail%5D");
    expect(stats.clickId).toBeNull();
    expect(market.query).toBe("lang=de&ref=%5Bemail%5D");
    expect(market.clickId).toBe("Cj0KCQ");
  });

  it.each([
    ["gclid=EAIaIQobChMI8uGx4L2t-AIV", "EAIaIQobChMI8uGx4L2t-AIV"],
    ["yclid=6917384618396418303", "6917384618396418303"],
    ["gclid=alice%40example.com", null],
    ["fbclid=203-0-113-77", null],
    ["fbclid=01705550123", null],
    ["msclkid=call-0170-5550123", null],
    ["gclid=a%2Fb", null],
  ])("keeps a click id only when it has the shape of one: %s", (pair, expected) => {
    expect(scrubTarget(`/?${pair}`, marketing).clickId).toBe(expected);
  });

  it("keeps the first value of a parameter sent twice", () => {
    expect(scrubTarget("/?utm_source=a&utm_source=b&utm_source=c", statistics).query).toBe("utm_source=a");
  });

  it("cuts a kept value at 200 characters", () => {
    expect(scrubValue("a".repeat(500))).toHaveLength(200);
  });
});

describe("absolute targets", () => {
  it("keeps the path of a proxy's absolute-form target", () => {
    expect(scrubTarget("http://proxy.example/abs/path?x=1", statistics).path).toBe("/abs/path");
  });
});

describe("referrerHost", () => {
  it("reduces a referrer to its lower-case host", () => {
    expect(referrerHost("https://WWW.Google.de/search?q=private+words")).toBe("www.google.de");
    expect(referrerHost("http://user:pw@news.example:8080/a")).toBe("news.example");
    expect(referrerHost("https://xn--bcher-kva.de/")).toBe("xn--bcher-kva.de");
    expect(referrerHost("https://1password.com/")).toBe("1password.com");
    expect(referrerHost("-")).toBeNull();
    expect(referrerHost("not a url")).toBeNull();
  });

  it("masks hosts that are IP addresses in any notation a browser accepts", () => {
    expect(referrerHost("http://203.0.113.5/admin")).toBe("[ip]");
    expect(referrerHost("http://[2001:db8::1]:8080/")).toBe("[ip]");
    expect(referrerHost("http://0x17000002/")).toBe("[ip]");
    expect(referrerHost("http://0xcb.0.0x71.5/")).toBe("[ip]");
    expect(referrerHost("http://3405803845/x")).toBe("[ip]");
    expect(referrerHost("http://0313.0.0161.5/")).toBe("[ip]");
    expect(referrerHost("http://203.7434189/")).toBe("[ip]");
  });

  it("masks addresses, numbers and tokens inside host names", () => {
    expect(referrerHost("https://203-0-113-9.example.net/a")).toBe("[ip].example.net");
    expect(referrerHost("https://ec2-203-0-113-9.compute-1.amazonaws.com/")).toBe(
      "ec2-[ip].compute-1.amazonaws.com",
    );
    expect(referrerHost("https://203.0.113.9.nip.io/")).toBe("[ip].nip.io");
    expect(referrerHost("https://a1b2c3d4e5f6a7b8c9d0.tunnel.example/")).toBe("[token].tunnel.example");
    expect(referrerHost("https://%EF%BC%92%EF%BC%90%EF%BC%93.0.113.9.example/")).toBe("[ip].example");
  });

  it("never keeps credentials: user names and e-mail addresses before the host are dropped", () => {
    expect(referrerHost("http://alice@host/")).toBe("host");
    expect(referrerHost("http://alice%40example.com@evil.example/")).toBe("evil.example");
    expect(referrerHost("http://alice%2540example.com@evil.example/")).toBe("evil.example");
  });
});

describe("free text: event names, property values, bot names", () => {
  it("decodes until stable before masking, as every value (found by the red team in property values)", () => {
    expect(scrubFreeText("Signup john%2540example.com")).toBe("Signup [email]");
    expect(scrubFreeText("john%252540example.com")).toBe("[email]");
    expect(scrubFreeText("john&#64;example.com")).toBe("[email]");
    expect(scrubFreeText("john\\u0040example.com")).toBe("[email]");
    expect(scrubFreeText("from 203%2E0%2E113%2E7")).toBe("from [ip]");
  });

  it("masks what is written plainly, keeps a plus and ordinary words as they are", () => {
    expect(scrubFreeText("Call +49 170 5550001")).toBe("Call [phone]");
    expect(scrubFreeText("pageview")).toBe("pageview");
    expect(scrubFreeText("Plan A+B")).toBe("Plan A+B");
    expect(scrubFreeText("50% off")).toBe("50% off");
  });

  it("replaces what is still encoded after eight rounds", () => {
    expect(scrubFreeText(`x%${"25".repeat(12)}40example.com`)).toBe("[encoded]");
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
