import { describe, expect, it } from "vitest";
import {
  type ClientAddress,
  compileTrustedProxies,
  DEFAULT_PREFIXES,
  isPublicAddress,
  parseClientAddress,
  resolveClientAddress,
  TrustedProxyError,
  truncate,
  truncatedAddress,
} from "../../../../functions/core/anonymize/ip.ts";
import { CIDR_VECTORS, INVALID_CIDRS, PARSE_VECTORS, TRUNCATION_VECTORS } from "./ip-vectors.ts";

function parsed(token: string): ClientAddress {
  const addr = parseClientAddress(token);
  if (addr === null) throw new Error(`test input does not parse: ${token}`);
  return addr;
}

describe("truncation matches the published vectors of other projects", () => {
  it.each(TRUNCATION_VECTORS.map((v) => [v.source, v.input, v] as const))(
    "%s: %s",
    (_source, _input, vector) => {
      // Prepare
      const addr = parsed(vector.input);

      // Act
      const text = truncatedAddress(addr, vector);

      // Assess
      expect(text).toBe(vector.ours);
      if (vector.note === undefined) expect(text).toBe(vector.theirs);
    },
  );

  it("writes the prefix in CIDR notation, the defaults being Google Analytics' /24 and /48", () => {
    // Prepare
    const v4 = parsed("203.0.113.77");
    const v6 = parsed("2001:db8:85a3:8d3:1319:8a2e:370:7348");

    // Act
    const outputs = [truncate(v4), truncate(v6)];

    // Assess
    expect(DEFAULT_PREFIXES).toEqual({ ipv4Prefix: 24, ipv6Prefix: 48 });
    expect(outputs).toEqual(["203.0.113.0/24", "2001:db8:85a3::/48"]);
  });

  it("keeps no more of a 6to4 address's embedded IPv4 than the IPv4 prefix allows", () => {
    // Prepare: 2002:cb00:7101::/48 carries the whole IPv4 address 203.0.113.1
    const sixToFour = parsed("2002:cb00:7101:1::5");

    // Act
    const text = truncate(sixToFour, { ipv4Prefix: 24, ipv6Prefix: 48 });

    // Assess: 16 bits of 2002::/16 plus 24 bits of the IPv4 address
    expect(text).toBe("2002:cb00:7100::/40");
  });

  it("keeps the configured prefix of other IPv6 addresses exactly", () => {
    // Prepare
    const addr = parsed("2001:db8:abcd:1234::1");

    // Act
    const texts = [0, 1, 47, 56, 127, 128].map((ipv6Prefix) =>
      truncate(addr, { ipv4Prefix: 24, ipv6Prefix }),
    );

    // Assess
    expect(texts).toEqual([
      "::/0",
      "::/1",
      "2001:db8:abcc::/47",
      "2001:db8:abcd:1200::/56",
      "2001:db8:abcd:1234::/127",
      "2001:db8:abcd:1234::1/128",
    ]);
  });

  it.each([
    [{ ipv4Prefix: 33, ipv6Prefix: 48 }, /anonymize\.ipv4Prefix/],
    [{ ipv4Prefix: -8, ipv6Prefix: 48 }, /anonymize\.ipv4Prefix/],
    [{ ipv4Prefix: 24, ipv6Prefix: 129 }, /anonymize\.ipv6Prefix/],
    [{ ipv4Prefix: 24.5, ipv6Prefix: 48 }, /anonymize\.ipv4Prefix/],
  ])(
    "refuses prefix lengths out of range (%o), naming the setting but not the address",
    (prefixes, setting) => {
      // Prepare (Matomo's anonymize(5) on IPv4 silently gives 0.0.0.0; we fail loudly)
      const addr = parsed("198.51.100.23");

      // Act
      const act = () => truncate(addr, prefixes);

      // Assess
      expect(act).toThrow(setting);
      expect(act).not.toThrow(/198\.51/);
    },
  );
});

describe("parseClientAddress", () => {
  it.each(PARSE_VECTORS.map((v) => [v.source, v.input, v] as const))("%s: %j", (_source, _input, vector) => {
    // Act
    const addr = parseClientAddress(vector.input);

    // Assess
    expect(addr === null ? null : { kind: addr.kind, address: addr.address }).toEqual(vector.ours);
  });

  it.each([
    ["1.2.3.4", "ipv4", "1.2.3.4", [1, 2, 3, 4]],
    ["  10.0.0.1\t", "ipv4", "10.0.0.1", [10, 0, 0, 1]],
    ["[2001:DB8::A]:443", "ipv6", "2001:db8::a", [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa]],
    ["[fe80::1%eth0.100]:8080", "ipv6", "fe80::1", [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ["2001:db8::1:50599", "ipv6", "2001:db8::1", [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ["[::ffff:192.0.2.1]:80", "ipv4", "192.0.2.1", [192, 0, 2, 1]],
    ["0:0:0:0:0:ffff:c000:0201", "ipv4", "192.0.2.1", [192, 0, 2, 1]],
  ])("reads %j as %s %s", (token, kind, address, bytes) => {
    // Act
    const addr = parsed(token);

    // Assess
    expect(addr.kind).toBe(kind);
    expect(addr.address).toBe(address);
    expect([...addr.bytes]).toEqual(bytes);
  });

  it.each([
    "-",
    "01.2.3.4",
    "1.2.3.04",
    "0x7f.1",
    "127.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4:",
    "1.2.3.4:65536",
    "1.2.3.4:80:80",
    "[1.2.3.4]",
    "[::1",
    "[::1]80",
    "[::1]:",
    "::1%",
    "::1%eth 0",
    "::ffff:0x7f.0.0.1",
    "::ffff:01.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    ":::",
    ":1::2",
    "1::2::3",
    "12345::1",
    "localhost",
    "unknown",
    "1.2.3.4, 5.6.7.8",
    `1.${"1".repeat(200)}`,
  ])("refuses %j", (token) => {
    // Act
    const addr = parseClientAddress(token);

    // Assess
    expect(addr).toBeNull();
  });

  it("reads a compressed IPv6 address with a short unbracketed port as the address it also is", () => {
    // Prepare: ambiguous by nature; the whole token is a valid address, so it wins (documented quirk)
    const token = "2001:db8::1:443";

    // Act
    const addr = parsed(token);

    // Assess
    expect(addr.address).toBe("2001:db8::1:443");
  });
});

describe("resolveClientAddress", () => {
  const trusted = compileTrustedProxies(["10.0.0.0/8", "2001:db8:ffff::/48"]);

  it("ignores X-Forwarded-For when the direct peer is not a trusted proxy", () => {
    // Act
    const client = resolveClientAddress("198.51.100.7", "203.0.113.9", trusted);

    // Assess
    expect(client?.address).toBe("198.51.100.7");
  });

  it("ignores X-Forwarded-For when no proxy is trusted", () => {
    // Act
    const client = resolveClientAddress("10.0.0.1", "203.0.113.9", []);

    // Assess
    expect(client?.address).toBe("10.0.0.1");
  });

  it("takes the first untrusted address from the right, not the client-controlled leftmost one", () => {
    // Prepare: the visitor forged 192.0.2.66; 203.0.113.9 is what our proxy saw
    const forwarded = "192.0.2.66, 203.0.113.9, 10.1.1.1";

    // Act
    const client = resolveClientAddress("10.0.0.2", forwarded, trusted);

    // Assess
    expect(client?.address).toBe("203.0.113.9");
  });

  it("takes the leftmost address when every hop is trusted", () => {
    // Act
    const client = resolveClientAddress("10.0.0.2", "10.9.9.9,10.1.1.1", trusted);

    // Assess
    expect(client?.address).toBe("10.9.9.9");
  });

  it("stops at an entry that does not parse and keeps the last address reached", () => {
    // Act
    const client = resolveClientAddress("10.0.0.2", "203.0.113.9, unknown, 10.1.1.1", trusted);

    // Assess
    expect(client?.address).toBe("10.1.1.1");
  });

  it("reads ports, brackets and IPv6 in the header and trusts IPv6 proxies", () => {
    // Act
    const client = resolveClientAddress(
      "[2001:db8:ffff::1]:443",
      "[2001:db8:1::7]:5000, 10.2.2.2:80",
      trusted,
    );

    // Assess
    expect(client?.address).toBe("2001:db8:1::7");
  });

  it("returns the peer for a `-` header and null for a peer that does not parse", () => {
    // Act
    const dash = resolveClientAddress("10.0.0.2", "-", trusted);
    const bad = resolveClientAddress("proxy.internal", "203.0.113.9", trusted);

    // Assess
    expect(dash?.address).toBe("10.0.0.2");
    expect(bad).toBeNull();
  });

  it("walks at most 32 hops of a header made only of trusted addresses", () => {
    // Prepare
    const hops = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

    // Act
    const client = resolveClientAddress("10.0.0.2", hops.join(","), trusted);

    // Assess: the 32nd entry from the right
    expect(client?.address).toBe(hops[100 - 32]);
  });

  it("accepts a plain list of blocks as configured", () => {
    // Act
    const client = resolveClientAddress("172.16.0.1", "203.0.113.9", ["172.16.0.0/12"]);

    // Assess
    expect(client?.address).toBe("203.0.113.9");
  });
});

describe("compileTrustedProxies", () => {
  it.each(CIDR_VECTORS.map((v) => [v.source, v.cidr, v] as const))("%s %s", (_source, _cidr, vector) => {
    // Prepare
    const proxies = compileTrustedProxies([vector.cidr]);

    // Act
    const inside = vector.inside.map((ip) => proxies.contains(parsed(ip)));
    const outside = vector.outside.map((ip) => proxies.contains(parsed(ip)));

    // Assess
    expect(inside.every(Boolean)).toBe(true);
    expect(outside.some(Boolean)).toBe(false);
  });

  it("treats a bare address as a single host and never matches across families", () => {
    // Prepare
    const proxies = compileTrustedProxies(["192.0.2.7", "::/0"]);

    // Act
    const results = ["192.0.2.7", "192.0.2.8", "2001:db8::1"].map((ip) => proxies.contains(parsed(ip)));

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it.each([...INVALID_CIDRS, "10.0.0.0/8/8", "127.1/8", "[::1]/128", "10.0.0.1:80", "::ffff:10.0.0.0/95"])(
    "refuses %j, naming its index but not its value",
    (entry) => {
      // Act
      const act = () => compileTrustedProxies(["10.0.0.0/8", entry]);

      // Assess
      expect(act).toThrow(TrustedProxyError);
      expect(act).toThrow(/^trustedProxies\[1\]: /);
    },
  );
});

describe("isPublicAddress", () => {
  it.each([
    ["8.8.8.8", true],
    ["217.0.0.1", true],
    ["2003::1", true],
    ["2a00:1450:4001::1", true],
    ["100.63.255.255", true],
    ["100.64.0.1", false],
    ["10.1.2.3", false],
    ["172.31.255.255", false],
    ["172.32.0.0", true],
    ["192.168.1.1", false],
    ["127.0.0.1", false],
    ["169.254.10.1", false],
    ["192.0.2.1", false],
    ["198.51.100.1", false],
    ["203.0.113.1", false],
    ["198.19.255.255", false],
    ["224.0.0.1", false],
    ["255.255.255.255", false],
    ["::", false],
    ["::1", false],
    ["fe80::1", false],
    ["fd12:3456::1", false],
    ["2001:db8::1", false],
    ["3fff::1", false],
    ["ff02::1", false],
    ["::ffff:10.0.0.1", false],
  ])("%s is public: %s", (ip, expected) => {
    // Act
    const isPublic = isPublicAddress(parsed(ip));

    // Assess
    expect(isPublic).toBe(expected);
  });
});
