import { domainToASCII } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { MIN_LIST_HOSTS, parseSpamList } from "../../../../functions/core/spam/list-source.ts";
import {
  ReferrerSpamFilter,
  rawReferrerHost,
  referrerSpamFilterFor,
} from "../../../../functions/core/spam/referrer-spam.ts";
import { REFERRER_SPAM_LIST } from "../../../../functions/core/spam/referrer-spam-list.ts";

describe("referrer spam filter", () => {
  const filter = new ReferrerSpamFilter([
    "semalt.com",
    "spammer.tumblr.com",
    "QIWI.xyz",
    "trailing.example.",
  ]);

  it("matches a listed host and every subdomain of it, whatever the scheme, port, path or credentials", () => {
    for (const referrer of [
      "https://semalt.com/",
      "http://semalt.com",
      "http://www.semalt.com/crawler.php?u=x",
      "https://a.b.semalt.com:8443/x",
      "http://user:pw@semalt.com/",
      "HTTPS://SEMALT.COM./",
      "https://spammer.tumblr.com/post/1",
      "https://qiwi.xyz/",
      "https://trailing.example/",
      "android-app://x.semalt.com\\path",
    ]) {
      expect(filter.isSpam(referrer), referrer).toBe(true);
    }
  });

  it("does not match look-alikes, parents of a listed subdomain, other hosts or what is no URL", () => {
    for (const referrer of [
      "https://notsemalt.com/",
      "https://semalt.com.example.org/",
      "https://tumblr.com/",
      "https://other.tumblr.com/",
      "https://www.google.com/search?q=semalt.com",
      "https://example.org/?r=https://semalt.com/",
      "semalt.com",
      "/semalt.com",
      "-",
      "",
      "http://[2001:db8::1]/",
    ]) {
      expect(filter.isSpam(referrer), referrer).toBe(false);
    }
    expect(filter.isSpam(null)).toBe(false);
  });

  it("reads the host as sent, before any masking: a host with digit runs still matches", () => {
    const digits = new ReferrerSpamFilter(["hydra2020zerkalo.com"]);
    expect(rawReferrerHost("https://x.Hydra2020Zerkalo.com:80/p")).toBe("x.hydra2020zerkalo.com");
    expect(digits.isSpam("https://x.hydra2020zerkalo.com/")).toBe(true);
  });

  it("uses the shipped list plus the operator's hosts, and nothing when turned off", () => {
    // Prepare
    const defaults = referrerSpamFilterFor(parseConfig({}));
    const extra = referrerSpamFilterFor(parseConfig({ referrerSpam: { extraHosts: ["spam.example"] } }));
    const off = referrerSpamFilterFor(parseConfig({ referrerSpam: { enabled: false } }));
    // Assess
    expect(defaults.isSpam("https://semalt.com/")).toBe(true);
    expect(defaults.isSpam("https://spam.example/")).toBe(false);
    expect(extra.isSpam("https://www.spam.example/")).toBe(true);
    expect(extra.isSpam("https://semalt.com/")).toBe(true);
    expect(off.isSpam("https://semalt.com/")).toBe(false);
  });
});

describe("the shipped copy of Matomo's list", () => {
  it("is dated, names where it was read and holds the list: sorted, lower-case host names, no duplicates", () => {
    expect(REFERRER_SPAM_LIST.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(REFERRER_SPAM_LIST.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(REFERRER_SPAM_LIST.readFrom).not.toBe("");
    const hosts = REFERRER_SPAM_LIST.hosts;
    expect(hosts.length).toBeGreaterThan(MIN_LIST_HOSTS);
    expect([...hosts].sort()).toEqual(hosts);
    expect(new Set(hosts).size).toBe(hosts.length);
    for (const host of hosts) expect(host).toMatch(/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/);
    // Entries everyone knows from Matomo's list.
    expect(hosts).toEqual(expect.arrayContaining(["semalt.com", "darodar.com", "qiwi.xyz"]));
  });
});

describe("reading spammers.txt", () => {
  it("skips blank lines, lower-cases, drops duplicates and converts internationalized names to punycode", () => {
    // Act
    const parsed = parseSpamList("b.example\r\n\nA.example\n  b.example  \nпример.рф\n", domainToASCII);
    // Assess
    expect(parsed.problems).toEqual([]);
    expect(parsed.hosts).toEqual(["a.example", "b.example", "xn--e1afmkfd.xn--p1ai"]);
  });

  it("names every line that is not a host name by its number", () => {
    const parsed = parseSpamList("ok.example\n<html>\nno-dot\nhttp://x.example/\n", domainToASCII);
    expect(parsed.problems).toEqual([
      "line 2: not a host name",
      "line 3: not a host name",
      "line 4: not a host name",
    ]);
    expect(parsed.hosts).toEqual(["ok.example"]);
  });
});
