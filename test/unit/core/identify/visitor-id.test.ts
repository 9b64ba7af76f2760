import { createHmac, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hmacSha256, visitorId, visitorIdUncached } from "../../../../functions/core/identify/visitor-id.ts";

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (h: string): Uint8Array =>
  Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

/** The visitor id computed independently with node:crypto, as the design defines it. */
function referenceId(salt: Uint8Array, site: string, ip: string, ua: string): bigint {
  const digest = createHmac("sha256", salt).update(`${site}\0${ip}\0${ua}`, "utf8").digest();
  return digest.readBigInt64BE(0);
}

describe("hmacSha256 (the HMAC under the visitor id)", () => {
  // RFC 4231, test cases 1, 2, 6 and 7 (keys shorter and longer than the SHA-256 block).
  it.each([
    ["0b".repeat(20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [
      hex(new TextEncoder().encode("Jefe")),
      "what do ya want for nothing?",
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ],
    [
      "aa".repeat(131),
      "Test Using Larger Than Block-Size Key - Hash Key First",
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ],
    [
      "aa".repeat(131),
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ])("matches RFC 4231 for key %s…", (keyHex, message, expected) => {
    // Prepare
    const key = fromHex(keyHex);
    // Act
    const mac = hmacSha256(key, message);
    // Assess
    expect(hex(mac)).toBe(expected);
  });
});

describe("visitorId", () => {
  it("equals the first 8 bytes, signed big-endian, of createHmac over site NUL ip NUL ua", () => {
    // Prepare
    const salt = randomBytes(32);
    const ua =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
    // Act
    const id = visitorId(salt, "example.com", "203.0.113.7", ua);
    // Assess
    expect(id).toBe(referenceId(salt, "example.com", "203.0.113.7", ua));
    expect(id >= -(2n ** 63n) && id < 2n ** 63n).toBe(true);
  });

  it("agrees with createHmac for random salts and inputs of any length and script", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.string({ unit: "grapheme", maxLength: 60 }),
        fc.string({ maxLength: 45 }),
        fc.string({ unit: "binary", maxLength: 600 }),
        (salt, site, ip, ua) => {
          // Prepare / Act
          const cached = visitorId(salt, site, ip, ua);
          const uncached = visitorIdUncached(salt, site, ip, ua);
          // Assess
          const expected = referenceId(salt, site, ip, ua);
          expect(cached).toBe(expected);
          expect(uncached).toBe(expected);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("gives negative ids too (the 64 bits are signed)", () => {
    // Prepare
    const salt = randomBytes(32);
    const ids: bigint[] = [];
    // Act
    for (let i = 0; i < 200; i++) ids.push(visitorId(salt, "example.com", `198.51.100.${i}`, "ua"));
    // Assess
    expect(ids.some((id) => id < 0n)).toBe(true);
    expect(ids.some((id) => id > 0n)).toBe(true);
    for (const [i, id] of ids.entries())
      expect(id).toBe(referenceId(salt, "example.com", `198.51.100.${i}`, "ua"));
  });

  it("separates the fields so shifted boundaries give different ids", () => {
    // Prepare
    const salt = randomBytes(32);
    // Act
    const a = visitorId(salt, "example.com", "10.0.0.1", "1ua");
    const b = visitorId(salt, "example.com", "10.0.0.11", "ua");
    // Assess
    expect(a).not.toBe(b);
  });

  it("differs between salts (days) for the same visitor, and is stable for one salt", () => {
    // Prepare
    const day1 = randomBytes(32);
    const day2 = randomBytes(32);
    // Act
    const first = visitorId(day1, "example.com", "2001:db8::1", "curl/8");
    const again = visitorId(day1, "example.com", "2001:db8::1", "curl/8");
    const other = visitorId(day2, "example.com", "2001:db8::1", "curl/8");
    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it("notices a salt array whose bytes changed and keys itself again", () => {
    // Prepare
    const salt = new Uint8Array(32).fill(7);
    const before = visitorId(salt, "example.com", "192.0.2.1", "ua");
    // Act
    salt.fill(9);
    const after = visitorId(salt, "example.com", "192.0.2.1", "ua");
    // Assess
    expect(before).toBe(referenceId(new Uint8Array(32).fill(7), "example.com", "192.0.2.1", "ua"));
    expect(after).toBe(referenceId(new Uint8Array(32).fill(9), "example.com", "192.0.2.1", "ua"));
  });

  it("keeps answering correctly after its memo fills and is cleared", () => {
    // Prepare
    const salt = randomBytes(32);
    // Act / Assess: more distinct visitors than the memo holds, then the first ones again
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 9000; i += 997) {
        const ip = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
        expect(visitorId(salt, "s", ip, "ua")).toBe(referenceId(salt, "s", ip, "ua"));
      }
      for (let i = 0; i < 9000; i++) visitorId(salt, "s", `172.16.${i >> 8}.${i & 255}`, "ua");
    }
  });
});

describe("visitorId with text that is not well-formed", () => {
  it("encodes lone surrogates as U+FFFD, like createHmac does", () => {
    // Prepare
    const salt = randomBytes(32);
    const ua = "bad \ud800 surrogate \udfff end";
    // Act
    const id = visitorId(salt, "example.com", "192.0.2.1", ua);
    // Assess
    expect(id).toBe(referenceId(salt, "example.com", "192.0.2.1", "bad \ufffd surrogate \ufffd end"));
  });
});
