import { createHmac } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { MAX_AGENTS } from "../../../../functions/core/enrich/text-numbering.ts";
import { visitorId, visitorIdOf } from "../../../../functions/core/identify/visitor-id.ts";

/** The memo behind visitorId: one for all salts, bounded; answers must always equal the HMAC itself. */

function expected(salt: Uint8Array, site: string, ip: string, ua: string): bigint {
  return createHmac("sha256", salt).update(`${site}\0${ip}\0${ua}`, "utf8").digest().readBigInt64BE(0);
}

describe("visitorId memo", () => {
  it("never answers one salt's id for another, in either order, even for the line just seen", () => {
    // Prepare
    const day1 = new Uint8Array(32).fill(1);
    const day2 = new Uint8Array(32).fill(2);
    const args = ["example.com", "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"] as const;
    // Act
    const ids = [day1, day2, day1, day2, day2, day1].map((salt) => visitorId(salt, ...args));
    // Assess
    const a = expected(day1, ...args);
    const b = expected(day2, ...args);
    expect(a).not.toBe(b);
    expect(ids).toEqual([a, b, a, b, b, a]);
  });

  it("never trusts a salt array whose bytes changed since the last line, aligned or not", () => {
    // Prepare: the same array object line after line, its bytes changed in between (as a salt store destroying an
    // expired salt in place would); one salt on whole 32-bit words, one at an odd offset of a larger buffer.
    const aligned = new Uint8Array(32).fill(5);
    const unaligned = new Uint8Array(new ArrayBuffer(40), 3, 32).fill(6);
    const args = ["example.com", "203.0.113.9", "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"] as const;
    for (const salt of [aligned, unaligned]) {
      const before = visitorId(salt, ...args);
      const wantBefore = expected(salt.slice(), ...args);
      // Act: change one byte near the end, then every byte
      salt[29] = (salt[29] as number) ^ 1;
      const afterOne = visitorId(salt, ...args);
      const wantOne = expected(salt.slice(), ...args);
      salt.fill(0);
      const afterAll = visitorId(salt, ...args);
      // Assess
      expect(before).toBe(wantBefore);
      expect(afterOne).toBe(wantOne);
      expect(afterOne).not.toBe(before);
      expect(afterAll).toBe(expected(salt.slice(), ...args));
    }
  });

  it("stays exact for an address with more agents than it remembers and past a generation flip", () => {
    // Prepare: 12 agents on one address (8 are remembered), then 40,000 other addresses, then the first again
    const salt = new Uint8Array(32).fill(3);
    const agents = Array.from({ length: 12 }, (_, i) => `agent/${i}`);
    // Act
    const first = agents.map((ua) => visitorId(salt, "s", "198.51.100.1", ua));
    for (let i = 0; i < 40_000; i++)
      visitorId(salt, "s", `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "x");
    const again = agents.map((ua) => visitorId(salt, "s", "198.51.100.1", ua));
    // Assess
    const want = agents.map((ua) => expected(salt, "s", "198.51.100.1", ua));
    expect(first).toEqual(want);
    expect(again).toEqual(want);
  });

  it("stays exact for visitors promoted from the older generation, again and again", () => {
    // Prepare: three visitors of one address, then 20,000 other addresses (one generation flip: they are in the
    // older generation), then the same three (promoted), and so on three times
    const salt = new Uint8Array(32).fill(5);
    const agents = ["agent/a", "agent/b", "agent/c"];
    const want = agents.map((ua) => expected(salt, "s", "198.51.100.2", ua));
    const rounds: bigint[][] = [];
    // Act
    for (let round = 0; round < 3; round++) {
      rounds.push(agents.map((ua) => visitorId(salt, "s", "198.51.100.2", ua)));
      for (let i = 0; i < 20_000; i++)
        visitorId(salt, "s", `10.${round}.${(i >> 8) & 255}.${i & 255}`, agents[i % 3] as string);
    }
    // Assess
    expect(rounds).toEqual([want, want, want]);
    expect(visitorId(salt, "s", "10.2.0.7", "agent/b")).toBe(expected(salt, "s", "10.2.0.7", "agent/b"));
  });

  it("tells sites apart for the same address and agent", () => {
    // Prepare
    const salt = new Uint8Array(32).fill(4);
    // Act
    const ids = ["a.example", "b.example", "a.example"].map((site) =>
      visitorId(salt, site, "192.0.2.1", "ua"),
    );
    // Assess
    expect(ids).toEqual(
      ["a.example", "b.example", "a.example"].map((site) => expected(salt, site, "192.0.2.1", "ua")),
    );
  });

  it("keys its memo by the address, not its spelling: non-canonical text is hashed as written", () => {
    // Prepare: one address in canonical and in other text forms, each hashing its own text
    const salt = new Uint8Array(32).fill(6);
    const forms = ["2001:db8::1", "2001:DB8::1", "2001:0db8::1", "2001:db8::1", "2001:DB8::1"];
    // Act
    const ids = forms.map((ip) => visitorId(salt, "s", ip, "ua"));
    // Assess
    expect(ids).toEqual(forms.map((ip) => expected(salt, "s", ip, "ua")));
    expect(new Set(ids).size).toBe(3);
  });

  it("tells apart an IPv4 address and the IPv6 address whose first 32 bits are the same", () => {
    // Prepare: 192.0.2.1 is the word 0xc0000201; c000:201:: starts with the same word and has only zeros after it
    const salt = new Uint8Array(32).fill(8);
    const ips = ["192.0.2.1", "c000:201::", "192.0.2.1", "c000:201::"];
    // Act
    const ids = ips.map((ip) => visitorId(salt, "s", ip, "ua"));
    // Assess
    expect(ids).toEqual(ips.map((ip) => expected(salt, "s", ip, "ua")));
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("gives visitorIdOf a parsed address the id of its canonical text, through the same memo", () => {
    // Prepare: addresses as a log writes them (a port, IPv4-mapped IPv6), many visitors so buckets fill and evict
    const salt = new Uint8Array(32).fill(9);
    const tokens = ["203.0.113.9:8080", "::ffff:198.51.100.4", "[2001:db8::7]:443"];
    for (let i = 0; i < 3000; i++) tokens.push(`10.9.${(i >> 8) & 255}.${i & 255}`);
    // Act / Assess: twice, the second time from the memo
    for (let round = 0; round < 2; round++) {
      for (const token of tokens) {
        const address = parseClientAddress(token);
        if (address === null) throw new Error(`${token} is an address`);
        const ua = `agent/${token.length % 5}`;
        expect(visitorIdOf(salt, "site", address, ua)).toBe(expected(salt, "site", address.address, ua));
      }
    }
  });

  it("stays exact while it grows from its first size to its last: 40,000 visitors, then each again", async () => {
    // Prepare: a fresh memo (it starts small and doubles when a bucket is full), 40,000 visitors on two agents
    vi.resetModules();
    const fresh = await import("../../../../functions/core/identify/visitor-id.ts");
    const salt = new Uint8Array(32).fill(11);
    const visitors = Array.from({ length: 40_000 }, (_, i) => ({
      ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      ua: i % 3 === 0 ? "agent/A" : "agent/B",
    }));
    const first = visitors.map(({ ip, ua }) => fresh.visitorId(salt, "s", ip, ua));

    // Act: every visitor again, last seen first (the oldest entries moved by the most doublings come last)
    const again = visitors.toReversed().map(({ ip, ua }) => fresh.visitorId(salt, "s", ip, ua));

    // Assess: the same ids, and every 97th checked against createHmac
    expect(again).toEqual(first.toReversed());
    for (let i = 0; i < visitors.length; i += 97) {
      const { ip, ua } = visitors[i] as { ip: string; ua: string };
      expect(first[i]).toBe(expected(salt, "s", ip, ua));
    }
  });

  it("stays exact after more distinct agents than it numbers: a number is never given to another agent", async () => {
    // Prepare: a fresh memo (this file's earlier tests numbered agents); agent X on address A, then other agents until
    // the numbering is full, then X on A again (the last answer is now A with X's number)
    vi.resetModules();
    const { visitorId } = await import("../../../../functions/core/identify/visitor-id.ts");
    const salt = new Uint8Array(32).fill(10);
    const a = "198.51.100.9";
    const first = visitorId(salt, "s", a, "agent/X");
    for (let i = 0; i < MAX_AGENTS - 1; i++)
      visitorId(salt, "s", `10.20.${(i >> 8) & 255}.${i & 255}`, `agent/${i}`);
    const again = visitorId(salt, "s", a, "agent/X");
    // Act: a new agent on A starts the numbering afresh; were X's number given to it, the last answer would be X's
    const other = visitorId(salt, "s", a, "agent/Z");
    const later = visitorId(salt, "s", "10.20.0.1", "agent/1");
    // Assess
    expect([first, again]).toEqual([expected(salt, "s", a, "agent/X"), expected(salt, "s", a, "agent/X")]);
    expect(other).toBe(expected(salt, "s", a, "agent/Z"));
    expect(later).toBe(expected(salt, "s", "10.20.0.1", "agent/1"));
  });
});
