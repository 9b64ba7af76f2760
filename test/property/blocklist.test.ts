import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { buildBlockList, parseBlock } from "../../functions/core/dashboard/blocklist.ts";

/**
 * Block list normalization against ipaddr.js (an independent implementation): for any address and prefix length,
 * the block's network is ipaddr.js's network address, the address lies in the block, and normalizing a block's
 * own CIDR again gives it back unchanged.
 */

const RUNS = { numRuns: 5_000, seed: 20_261_206 } as const;
const dotted = (b: Uint8Array) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
const hexGroups = (b: Uint8Array) =>
  Array.from({ length: 8 }, (_, g) => (((b[g * 2] ?? 0) << 8) | (b[g * 2 + 1] ?? 0)).toString(16)).join(":");

describe("block list normalization (property)", () => {
  it("IPv4: the network and range are ipaddr.js's, and a block's CIDR is a fixed point", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 8, max: 32 }),
        (bytes, bits) => {
          const text = `${dotted(bytes)}/${bits}`;
          const parsed = parseBlock(text);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const oracle = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
          expect(parsed.block.cidr).toBe(`${oracle}/${bits}`);
          expect(parsed.block.last).toBe(ipaddr.IPv4.broadcastAddressFromCIDR(text).toString());
          expect(ipaddr.parse(dotted(bytes)).match(ipaddr.parseCIDR(parsed.block.cidr))).toBe(true);
          expect(buildBlockList([parsed.block.cidr]).blocks.map((b) => b.cidr)).toEqual([parsed.block.cidr]);
        },
      ),
      RUNS,
    );
  });

  it("IPv6: the network is ipaddr.js's (RFC 5952 text), the address is inside, and a block's CIDR is a fixed point", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 16, max: 128 }),
        (bytes, bits) => {
          // Not an IPv4-mapped address (those are IPv4 blocks, tested above).
          fc.pre(!(bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff));
          const text = `${hexGroups(bytes)}/${bits}`;
          const parsed = parseBlock(text);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          const oracle = ipaddr.IPv6.networkAddressFromCIDR(text).toRFC5952String();
          expect(parsed.block.cidr).toBe(`${oracle}/${bits}`);
          expect(parsed.block.last).toBe(ipaddr.IPv6.broadcastAddressFromCIDR(text).toRFC5952String());
          expect(ipaddr.parse(hexGroups(bytes)).match(ipaddr.parseCIDR(parsed.block.cidr))).toBe(true);
          expect(buildBlockList([parsed.block.cidr]).blocks.map((b) => b.cidr)).toEqual([parsed.block.cidr]);
        },
      ),
      RUNS,
    );
  });

  it("a list never holds a block inside another, and every entry is in some block of it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 8, max: 32 })), {
          minLength: 1,
          maxLength: 12,
        }),
        (entries) => {
          // Few distinct first octets, so that blocks overlap often.
          const texts = entries.map(
            ([b, bits]) => `${10 + ((b[0] ?? 0) % 2)}.${(b[1] ?? 0) % 4}.${b[2]}.${b[3]}/${bits}`,
          );
          const { blocks } = buildBlockList(texts);
          for (const a of blocks) {
            for (const b of blocks) {
              if (a !== b)
                expect(ipaddr.parse(a.first).match(ipaddr.parseCIDR(b.cidr)) && b.bits <= a.bits).toBe(false);
            }
          }
          for (const text of texts) {
            const address = ipaddr.parse(text.slice(0, text.indexOf("/")));
            expect(blocks.some((b) => address.match(ipaddr.parseCIDR(b.cidr)))).toBe(true);
          }
        },
      ),
      { numRuns: 1_000, seed: 20_261_206 },
    );
  });
});
