import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ClientAddress,
  effectivePrefix,
  parseClientAddress,
  truncate,
  truncatedAddress,
} from "../../functions/core/anonymize/ip.ts";

const RUNS = { numRuns: 10_000, seed: 20_261_120 } as const;

/** The address as a BigInt, computed independently of the code under test. */
function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function networkOf(bytes: Uint8Array, bits: number): bigint {
  const width = BigInt(bytes.length * 8);
  const mask = ((1n << width) - 1n) ^ ((1n << (width - BigInt(bits))) - 1n);
  return toBigInt(bytes) & mask;
}

function mustParse(text: string): ClientAddress {
  const addr = parseClientAddress(text);
  if (addr === null) throw new Error(`does not parse: ${text}`);
  return addr;
}

const v4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const v6Bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });
const v4Prefix = fc.integer({ min: 0, max: 32 });
const v6Prefix = fc.integer({ min: 0, max: 128 });

const dotted = (b: Uint8Array) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
const hexGroups = (b: Uint8Array) =>
  Array.from({ length: 8 }, (_, g) => (((b[g * 2] ?? 0) << 8) | (b[g * 2 + 1] ?? 0)).toString(16)).join(":");

/** IPv6 addresses that do not embed an IPv4 address (6to4, NAT64, Teredo, IPv4-compatible, IPv4-mapped). */
const plainV6 = v6Bytes.filter((b) => {
  const head = toBigInt(b) >> 96n;
  return (
    b[0] !== 0 && // excludes ::/8, which holds IPv4-compatible, IPv4-mapped and NAT64 64:ff9b::/96
    !(b[0] === 0x20 && b[1] === 0x02) &&
    !(head === 0x20010000n)
  );
});

describe("IPv4 truncation", () => {
  it("returns the network address of the configured prefix, in CIDR notation", () => {
    fc.assert(
      fc.property(v4Bytes, v4Prefix, (bytes, ipv4Prefix) => {
        // Prepare
        const addr = mustParse(dotted(bytes));

        // Act
        const cidr = truncate(addr, { ipv4Prefix, ipv6Prefix: 48 });

        // Assess
        const [net, len] = cidr.split("/");
        expect(len).toBe(String(ipv4Prefix));
        expect(toBigInt(mustParse(net ?? "").bytes)).toBe(networkOf(bytes, ipv4Prefix));
      }),
      RUNS,
    );
  });

  it("truncates an IPv4-mapped IPv6 address exactly like the IPv4 address it carries", () => {
    fc.assert(
      fc.property(v4Bytes, v4Prefix, v6Prefix, fc.boolean(), (bytes, ipv4Prefix, ipv6Prefix, hexForm) => {
        // Prepare
        const mapped = hexForm
          ? `::ffff:${(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0)).toString(16)}:${(((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)).toString(16)}`
          : `::ffff:${dotted(bytes)}`;
        const prefixes = { ipv4Prefix, ipv6Prefix };

        // Act
        const fromMapped = truncate(mustParse(mapped), prefixes);
        const fromPlain = truncate(mustParse(dotted(bytes)), prefixes);

        // Assess
        expect(fromMapped).toBe(fromPlain);
      }),
      RUNS,
    );
  });
});

describe("IPv6 truncation", () => {
  it("returns the network address of the configured prefix for addresses without embedded IPv4", () => {
    fc.assert(
      fc.property(plainV6, v6Prefix, (bytes, ipv6Prefix) => {
        // Prepare
        const addr = mustParse(hexGroups(bytes));

        // Act
        const cidr = truncate(addr, { ipv4Prefix: 24, ipv6Prefix });

        // Assess
        const [net, len] = cidr.split("/");
        expect(len).toBe(String(ipv6Prefix));
        expect(toBigInt(mustParse(net ?? "").bytes)).toBe(networkOf(bytes, ipv6Prefix));
      }),
      RUNS,
    );
  });

  it("never keeps more of an embedded IPv4 address than the IPv4 prefix, and reports the length it kept", () => {
    const embedded = fc.oneof(
      fc
        .tuple(v4Bytes, fc.uint8Array({ minLength: 10, maxLength: 10 }))
        .map(([v4, rest]) => Uint8Array.of(0x20, 0x02, ...v4, ...rest)),
      v4Bytes.map((v4) => Uint8Array.of(0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, ...v4)),
      fc.uint8Array({ minLength: 12, maxLength: 12 }).map((rest) => Uint8Array.of(0x20, 0x01, 0, 0, ...rest)),
    );
    fc.assert(
      fc.property(embedded, v4Prefix, v6Prefix, (bytes, ipv4Prefix, ipv6Prefix) => {
        // Prepare
        const addr = mustParse(hexGroups(bytes));
        const ipv4Offset = bytes[1] === 0x02 ? 16 : 96;

        // Act
        const cidr = truncate(addr, { ipv4Prefix, ipv6Prefix });

        // Assess
        const [net, len] = cidr.split("/");
        const kept = Number(len);
        expect(kept).toBe(Math.min(ipv6Prefix, ipv4Offset + ipv4Prefix));
        expect(toBigInt(mustParse(net ?? "").bytes)).toBe(networkOf(bytes, kept));
      }),
      RUNS,
    );
  });
});

describe("truncation, any address", () => {
  const anyAddress = fc.oneof(v4Bytes.map(dotted), v6Bytes.map(hexGroups), fc.ipV6(), fc.ipV4());
  const anyPrefixes = fc.record({ ipv4Prefix: v4Prefix, ipv6Prefix: v6Prefix });

  it("is idempotent: truncating a truncated address changes nothing", () => {
    fc.assert(
      fc.property(anyAddress, anyPrefixes, (text, prefixes) => {
        // Prepare
        const once = truncatedAddress(mustParse(text), prefixes);

        // Act
        const twice = truncatedAddress(mustParse(once), prefixes);

        // Assess
        expect(twice).toBe(once);
      }),
      RUNS,
    );
  });

  it("never returns its input when the input has host bits set", () => {
    fc.assert(
      fc.property(anyAddress, anyPrefixes, (text, prefixes) => {
        // Prepare
        const addr = mustParse(text);
        const bits = effectivePrefix(addr, prefixes);
        const hasHostBits = networkOf(addr.bytes, bits) !== toBigInt(addr.bytes);

        // Act
        const out = truncatedAddress(addr, prefixes);

        // Assess
        if (hasHostBits) {
          expect(out).not.toBe(addr.address);
          expect(out).not.toBe(text);
        } else {
          expect(out).toBe(addr.address);
        }
      }),
      RUNS,
    );
  });

  it("at the defaults never keeps more than 24 bits of IPv4 nor 48 bits of IPv6", () => {
    fc.assert(
      fc.property(anyAddress, (text) => {
        // Prepare
        const addr = mustParse(text);

        // Act
        const out = mustParse(truncatedAddress(addr, { ipv4Prefix: 24, ipv6Prefix: 48 }));

        // Assess
        const width = addr.bytes.length * 8;
        const hostMask = (1n << BigInt(width - (addr.kind === "ipv4" ? 24 : 48))) - 1n;
        expect(toBigInt(out.bytes) & hostMask).toBe(0n);
      }),
      RUNS,
    );
  });
});
