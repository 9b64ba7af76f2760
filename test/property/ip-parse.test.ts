import { isIP } from "node:net";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../functions/core/anonymize/ip.ts";

const RUNS = { numRuns: 10_000, seed: 20_261_121 } as const;

/** ipaddr.js stores the deprecated `::a.b.c.d` as `::ffff:a.b.c.d`; we keep RFC 4291's meaning (see ip-vectors). */
const IPV4_COMPATIBLE_TEXT = /^::\d+\.\d+\.\d+\.\d+$/;

describe("parseClientAddress against independent parsers", () => {
  it("reads every valid IPv6 text form to the bytes and RFC 5952 text ipaddr.js gives", () => {
    fc.assert(
      fc.property(
        fc.ipV6().filter((text) => !IPV4_COMPATIBLE_TEXT.test(text)),
        fc.boolean(),
        (text, upper) => {
          // Prepare
          const input = upper ? text.toUpperCase() : text;
          const oracle = ipaddr.process(text);

          // Act
          const addr = parseClientAddress(input);

          // Assess
          expect(addr).not.toBeNull();
          expect(addr?.kind).toBe(oracle.kind());
          expect([...(addr?.bytes ?? [])]).toEqual(oracle.toByteArray());
          expect(addr?.address).toBe(oracle.toString());
        },
      ),
      RUNS,
    );
  });

  it("refuses every IPv4 form that is not strict four-part decimal", () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (text) => {
        // Prepare
        const strict = ipaddr.IPv4.isValidFourPartDecimal(text);

        // Act
        const addr = parseClientAddress(text);

        // Assess
        expect(addr !== null).toBe(strict);
        if (addr !== null) expect(addr.address).toBe(text);
      }),
      RUNS,
    );
  });

  it("accepts exactly what Node's isIP accepts, apart from ports and zones", () => {
    const chars = fc.constantFrom(..."0123456789abcdefABCDEF.:".split(""), "::", "0.", ".1", "ffff");
    const garbage = fc.array(chars, { maxLength: 24 }).map((parts) => parts.join(""));
    const mutated = fc
      .tuple(fc.oneof(fc.ipV6(), fc.ipV4()), fc.nat(), chars, fc.boolean())
      .map(([text, at, ch, insert]) => {
        const i = at % (text.length + 1);
        return insert ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + text.slice(i + 1);
      });
    fc.assert(
      fc.property(fc.oneof(garbage, mutated), (text) => {
        // Prepare
        const nodeSays = isIP(text) !== 0;

        // Act
        const addr = parseClientAddress(text);

        // Assess: everything Node accepts we accept; what we accept beyond it is an address followed by a port
        if (nodeSays) expect(addr).not.toBeNull();
        if (addr !== null && !nodeSays) {
          const lastColon = text.lastIndexOf(":");
          expect(text.slice(lastColon + 1)).toMatch(/^\d{1,5}$/);
          expect(isIP(text.slice(0, lastColon))).not.toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("drops zone ids and ports without changing the address", () => {
    const zone = fc.stringMatching(/^[A-Za-z0-9._~-]{1,16}$/);
    fc.assert(
      fc.property(fc.ipV6(), zone, fc.integer({ min: 0, max: 65535 }), (text, zoneId, port) => {
        // Prepare
        const plain = parseClientAddress(text);

        // Act
        const zoned = parseClientAddress(`${text}%${zoneId}`);
        const bracketed = parseClientAddress(`[${text}%${zoneId}]:${port}`);

        // Assess
        expect(zoned).toEqual(plain);
        expect(bracketed).toEqual(plain);
      }),
      RUNS,
    );
  });
});
