import { describe, expect, it } from "vitest";
import {
  effectivePrefix,
  formatAddress,
  networkBytes,
  parseClientAddress,
  truncate,
} from "../../../../functions/core/anonymize/ip.ts";

/**
 * truncate remembers the prefixes it wrote (a table keyed by the network): whatever it holds, each answer must be
 * the network of that address at that prefix length, written afresh.
 */
function reference(address: string, prefixes: { ipv4Prefix: number; ipv6Prefix: number }): string {
  const parsed = parseClientAddress(address);
  if (parsed === null) throw new Error(`${address} is an address`);
  const bits = effectivePrefix(parsed, prefixes);
  return `${formatAddress(networkBytes(parsed.bytes, bits))}/${bits}`;
}

describe("truncate with its table of prefixes", () => {
  it("writes each address's own network when addresses, families and prefix lengths alternate", () => {
    // Prepare: a deterministic mix of IPv4 and IPv6 addresses (6to4 among them) under four prefix settings
    const settings = [
      { ipv4Prefix: 24, ipv6Prefix: 48 },
      { ipv4Prefix: 16, ipv6Prefix: 32 },
      { ipv4Prefix: 32, ipv6Prefix: 128 },
      { ipv4Prefix: 0, ipv6Prefix: 0 },
    ];
    const addresses: string[] = [];
    let x = 12345;
    const next = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (let i = 0; i < 12_000; i++) {
      const r = next();
      if (i % 3 === 0)
        addresses.push(`2001:db8:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::${i % 7}`);
      else if (i % 11 === 0)
        addresses.push(`2002:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::1`);
      else addresses.push(`${r >>> 24}.${(r >>> 16) & 255}.${(r >>> 8) & 255}.${i % 4}`);
    }
    // Act / Assess: every address under every setting, twice (the second time from the table where it still holds)
    for (let round = 0; round < 2; round++) {
      for (const [i, address] of addresses.entries()) {
        const prefixes = settings[(i + round) % settings.length] as (typeof settings)[number];
        const parsed = parseClientAddress(address);
        if (parsed === null) throw new Error(`${address} is an address`);
        expect(truncate(parsed, prefixes)).toBe(reference(address, prefixes));
      }
    }
  });
});
