import { describe, expect, it } from "vitest";
import { type Field, readPageTarget, readReferrer } from "../../../../functions/core/collect/fields.ts";

/**
 * Page URLs and referrers of the common form are read without the WHATWG URL parser (fields.ts, PLAIN_URL): what
 * they read must be what `new URL` reads, for every URL, so they are held against it on tricky and generated ones.
 */

/** What readPageTarget answered before the plain-URL reading: always through `new URL`. */
function targetByParser(text: string, anyScheme: boolean): Field<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: "bad_url" };
  }
  if (!anyScheme && url.protocol !== "http:" && url.protocol !== "https:")
    return { ok: false, reason: "bad_url" };
  if (!url.pathname.startsWith("/")) return { ok: false, reason: "bad_url" };
  const target = `${url.pathname}${url.search}`;
  const pathEnd = target.indexOf("?");
  return (pathEnd < 0 ? target.length : pathEnd) > 2000
    ? { ok: false, reason: "url_too_long" }
    : { ok: true, value: target };
}

/** What readReferrer answered before: the parser's href, or no referrer. */
function referrerByParser(text: string): Field<string | null> {
  try {
    return { ok: true, value: new URL(text).href };
  } catch {
    return { ok: true, value: null };
  }
}

const TRICKY = [
  "https://example.com/",
  "https://example.com",
  "https://example.com?x=1",
  "https://example.com/a/b?utm_source=news&utm_medium=email#top",
  "https://example.com/a/./b",
  "https://example.com/a/../b",
  "https://example.com/a/.",
  "https://example.com/.well-known/x",
  "https://example.com/a./b",
  "https://example.com/a%2e%2e/b",
  "https://example.com/a?",
  "https://example.com/a?#x",
  "https://example.com/a?b?c=d/e",
  "https://example.com/a?q=it's",
  "https://example.com/a b",
  "https://example.com/a\\b",
  "https://example.com/a^b",
  "https://example.com/a`b",
  "https://example.com/a{b}",
  "https://example.com/a|b",
  "https://example.com/über",
  "https://example.com/a#frag ment ü",
  "https://Example.com/a",
  "HTTPS://example.com/a",
  "https://example.com./a",
  "https://example.com:443/a",
  "https://example.com:8080/a",
  "https://user:pw@example.com/a",
  "https://127.0.0.1/a",
  "https://0x7f.1/a",
  "https://1.2.3.4.a/x",
  "https://xn--nxasmq6b.com/a",
  "https://xn--invalid-.com/a",
  "https://a-b.c-d.example/a",
  "https://a--b.example/a",
  "https://-a.example/a",
  "https://a..b/a",
  "https://localhost/a",
  "https://example.com//a//b",
  "https://example.com/a;b=c,d+e$f!g*h(i)j~k@l:m",
  "https://example.com/a?x=%ZZ&y=%41",
  "http://example.com/a?x=1&x=2",
  "ftp://example.com/a",
  "mailto:ann@example.com",
  "app://example/a",
  "/relative",
  "//example.com/a",
];

/** A seeded generator (mulberry32), so the generated URLs are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(count: number): string[] {
  const next = random(20261208);
  const pick = (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
  const hostChars = "abcxz019-.";
  const rest = "abcXYZ019/.?#%&=;:@!$'()*+,~_-^`{}|\\ \"<>[]é";
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const scheme = next() < 0.5 ? "https://" : "http://";
    out.push(
      `${scheme}${pick(hostChars, 1 + Math.floor(next() * 12))}/${pick(rest, Math.floor(next() * 24))}`,
    );
  }
  return out;
}

describe("page URLs and referrers read without the URL parser", () => {
  it("read every URL as the parser reads it", () => {
    // Prepare
    const texts = [...TRICKY, ...generated(20_000)];
    // Act
    const differing = texts.filter(
      (text) =>
        JSON.stringify(readPageTarget(text, { anyScheme: false })) !==
          JSON.stringify(targetByParser(text, false)) ||
        JSON.stringify(readPageTarget(text, { anyScheme: true })) !==
          JSON.stringify(
            text.startsWith("/") && !text.startsWith("//")
              ? readPageTarget(text, { anyScheme: true })
              : targetByParser(text, true),
          ) ||
        JSON.stringify(readReferrer(text)) !== JSON.stringify(referrerByParser(text)),
    );
    // Assess
    expect(differing).toEqual([]);
  });
});
