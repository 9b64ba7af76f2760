import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GEO_MEMO_SLOTS, GeoMemo } from "../../../../functions/core/enrich/geo-memo.ts";

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 });
/** Few distinct bytes, so that addresses repeat, share words across families and collide in slots. */
const narrowIpv6 = fc
  .array(fc.constantFrom(0, 1, 255), { minLength: 16, maxLength: 16 })
  .map((b) => Uint8Array.from(b));
const narrowIpv4 = fc
  .array(fc.constantFrom(0, 1, 255), { minLength: 4, maxLength: 4 })
  .map((b) => Uint8Array.from(b));
const address = fc.oneof(ipv4, ipv6, narrowIpv4, narrowIpv6);
const answer = fc.option(fc.constantFrom("DE", "FR", "Telekom", "OVH SAS"), { nil: null });

const keyOf = (bytes: Uint8Array) => `${bytes.length}:${bytes.join(".")}`;

describe("GeoMemo", () => {
  it("finds an address only with the answers last remembered for those very bytes, in either family", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(address, answer, answer), { maxLength: 300 }), (steps) => {
        // Prepare: a plain Map of every address remembered, as the model
        const memo = new GeoMemo();
        const model = new Map<string, [string | null, string | null]>();

        for (const [bytes, country, provider] of steps) {
          // Act
          const found = memo.has(bytes);

          // Assess: a hit is an address remembered before, with its latest answers (a miss is allowed: evicted)
          if (found) expect([memo.country, memo.provider]).toEqual(model.get(keyOf(bytes)));
          if (!model.has(keyOf(bytes))) expect(found).toBe(false);
          memo.remember(country, provider);
          model.set(keyOf(bytes), [country, provider]);
        }
      }),
    );
  });

  it("tells an IPv4 address from the IPv6 address that ends in the same four bytes", () => {
    // Prepare
    const memo = new GeoMemo();
    const v4 = Uint8Array.of(217, 0, 0, 1);
    const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 217, 0, 0, 1);
    memo.has(v4);
    memo.remember("DE", "Telekom");

    // Act
    const v6Found = memo.has(mapped);
    const v4Found = memo.has(v4);

    // Assess
    expect(v6Found).toBe(false);
    expect(v4Found).toBe(true);
    expect(memo.country).toBe("DE");
  });

  it("tells apart two addresses that share a slot and differ in one word only, for each of the four words", () => {
    for (let word = 0; word < 4; word++) {
      // Prepare: B differs from A in one 32-bit word; search for a B whose slot is A's (remembering it evicts A)
      const a = Uint8Array.of(32, 1, 13, 184, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3);
      let collider: Uint8Array | undefined;
      for (let i = 1; i < 1_000_000 && collider === undefined; i++) {
        const b = a.slice();
        const view = new DataView(b.buffer);
        view.setUint32(word * 4, view.getUint32(word * 4) ^ i);
        const probe = new GeoMemo();
        probe.has(a);
        probe.remember("A", null);
        probe.has(b);
        probe.remember("B", null);
        if (!probe.has(a) || probe.country !== "A") collider = b;
      }
      if (collider === undefined) throw new Error(`no address sharing A's slot, differing in word ${word}`);
      const memo = new GeoMemo();
      memo.has(a);
      memo.remember("A", null);

      // Act
      const found = memo.has(collider);

      // Assess
      expect(found).toBe(false);
    }
  });

  it("finds most of the last few thousand distinct addresses, and forgets the older ones' slots", () => {
    // Prepare: 2,000 distinct addresses remembered, each with its own answer
    const memo = new GeoMemo();
    const addresses = Array.from({ length: 2_000 }, (_, i) => Uint8Array.of(10, (i >> 8) & 255, i & 255, 7));
    for (const [i, bytes] of addresses.entries()) {
      memo.has(bytes);
      memo.remember(`country ${i}`, null);
    }

    // Act
    let found = 0;
    for (const [i, bytes] of addresses.entries()) {
      if (memo.has(bytes)) {
        found++;
        expect(memo.country).toBe(`country ${i}`);
      }
    }

    // Assess: a direct-mapped table of 4,096 slots keeps most of 2,000 (collisions take some)
    expect(GEO_MEMO_SLOTS).toBe(4_096);
    expect(found).toBeGreaterThan(1_400);
  });

  it("remembers nothing when disabled, and nothing for bytes that are not an address", () => {
    // Prepare
    const disabled = GeoMemo.disabled();
    const memo = new GeoMemo();
    const v4 = Uint8Array.of(217, 0, 0, 1);
    const odd = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

    // Act
    disabled.has(v4);
    disabled.remember("DE", null);
    memo.has(odd);
    memo.remember("DE", null);

    // Assess
    expect(disabled.has(v4)).toBe(false);
    expect(memo.has(odd)).toBe(false);
  });
});
