/**
 * IP truncation and parsing vectors written by other projects, as facts (inputs and their published outputs).
 *
 * Sources (compiled in the team's validation notes, ip-vectors.md):
 * - Google Analytics `anonymizeIp`: support.google.com/analytics/answer/2763052 ("last octet of IPv4 … last 80 bits
 *   of IPv6 … to zeros"), worked example from webmasters.stackexchange.com/questions/115493.
 * - GoAccess `--anonymize-ip` / `--anonymize-level`: allinurl/goaccess @0784e0e `src/gholder.c`, man page
 *   `goaccess.1`, and runs of Debian goaccess 1.7.
 * - Matomo `anonymize($byteCount)`: matomo-org/component-network `tests/IPv4Test.php`, `tests/IPv6Test.php`,
 *   `IPUtilsTest.php` (facts only: no code or file is copied, the tests are LGPL-3.0).
 * - Vector VRL `ip_subnet`: vectordotdev/vrl `src/stdlib/ip_subnet.rs`.
 * - ipaddr.js: whitequark/ipaddr.js `test/ipaddr.test.js` (v2.5.0).
 * - AWS ALB client:port shapes: VRL `parse_aws_alb_log.rs`, AWS ALB access-log documentation.
 *
 * `theirs` is what the other project outputs; `ours` is what logsieve must output. They differ only where a
 * `note` says why (a documented decision in docs/PRIVACY-IP.md).
 */

export interface TruncationVector {
  readonly source: string;
  readonly input: string;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
  /** The other project's output, as it writes it. */
  readonly theirs: string;
  /** The network address logsieve must produce (without the /length). */
  readonly ours: string;
  readonly note?: string;
}

const GA = { ipv4Prefix: 24, ipv6Prefix: 48 } as const;

/** Google Analytics at our defaults (/24, /48): ours must equal theirs. */
export const GOOGLE_ANALYTICS: readonly TruncationVector[] = [
  {
    source: "Google Analytics",
    input: "2001:db8:85a3:8d3:1319:8a2e:370:7348",
    ...GA,
    theirs: "2001:db8:85a3::",
    ours: "2001:db8:85a3::",
  },
  {
    source: "Google Analytics",
    input: "192.168.20.100",
    ...GA,
    theirs: "192.168.20.0",
    ours: "192.168.20.0",
  },
  { source: "Google Analytics", input: "8.8.4.4", ...GA, theirs: "8.8.4.0", ours: "8.8.4.0" },
  {
    source: "Google Analytics",
    input: "255.255.255.255",
    ...GA,
    theirs: "255.255.255.0",
    ours: "255.255.255.0",
  },
];

/** GoAccess levels as prefixes: 1 = (/24, /64), 2 = (/16, /48), 3 = (/8, /32). */
export const GOACCESS_LEVELS = {
  1: { ipv4Prefix: 24, ipv6Prefix: 64 },
  2: { ipv4Prefix: 16, ipv6Prefix: 48 },
  3: { ipv4Prefix: 8, ipv6Prefix: 32 },
} as const;

const GOACCESS_TABLE: readonly (readonly [string, string, string, string])[] = [
  ["192.168.20.100", "192.168.20.0", "192.168.0.0", "192.0.0.0"],
  ["8.8.4.4", "8.8.4.0", "8.8.0.0", "8.0.0.0"],
  ["255.255.255.255", "255.255.255.0", "255.255.0.0", "255.0.0.0"],
  ["0.0.0.1", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["2a03:2880:2110:df07:face:b00c::1", "2a03:2880:2110:df07::", "2a03:2880:2110::", "2a03:2880::"],
  ["2001:db8:0:8d3:0:8a2e:70:7344", "2001:db8:0:8d3::", "2001:db8::", "2001:db8::"],
  ["2001:6f8:900:724::2", "2001:6f8:900:724::", "2001:6f8:900::", "2001:6f8::"],
  ["2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3:8d3::", "2001:db8:85a3::", "2001:db8::"],
  ["::1", "::", "::", "::"],
  ["::ffff:192.168.0.1", "::", "::", "::"],
  ["fe80::1", "fe80::", "fe80::", "fe80::"],
];

/** GoAccess wipes IPv4-mapped addresses as IPv6; we truncate them as the IPv4 address they carry. */
const GOACCESS_MAPPED_OURS: Readonly<Record<string, readonly [string, string, string]>> = {
  "::ffff:192.168.0.1": ["192.168.0.0", "192.168.0.0", "192.0.0.0"],
};

export const GOACCESS: readonly TruncationVector[] = GOACCESS_TABLE.flatMap(([input, ...outputs]) =>
  ([1, 2, 3] as const).map((level): TruncationVector => {
    const theirs = outputs[level - 1] ?? "";
    const mapped = GOACCESS_MAPPED_OURS[input];
    return mapped === undefined
      ? { source: `GoAccess level ${level}`, input, ...GOACCESS_LEVELS[level], theirs, ours: theirs }
      : {
          source: `GoAccess level ${level}`,
          input,
          ...GOACCESS_LEVELS[level],
          theirs,
          ours: mapped[level - 1] ?? "",
          note: "IPv4-mapped is IPv4 for us; GoAccess masks it as IPv6 and wipes the embedded address",
        };
  }),
);

/** Matomo's byte counts as prefixes: IPv4 N bytes = /(32 - 8N); IPv6 masks give /128, /64, /48, /24, /0. */
export const MATOMO_LEVELS = [
  { ipv4Prefix: 32, ipv6Prefix: 128 },
  { ipv4Prefix: 24, ipv6Prefix: 64 },
  { ipv4Prefix: 16, ipv6Prefix: 48 },
  { ipv4Prefix: 8, ipv6Prefix: 24 },
  { ipv4Prefix: 0, ipv6Prefix: 0 },
] as const;

const MATOMO_TABLE: readonly (readonly [string, string, string, string, string, string])[] = [
  [
    "2001:db8:0:8d3:0:8a2e:70:7344",
    "2001:db8:0:8d3:0:8a2e:70:7344",
    "2001:db8:0:8d3::",
    "2001:db8::",
    "2001:d00::",
    "::",
  ],
  ["2001:6f8:900:724::2", "2001:6f8:900:724::2", "2001:6f8:900:724::", "2001:6f8:900::", "2001:600::", "::"],
  ["0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.0.0.1", "0.0.0.1", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.0.0.255", "0.0.0.255", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.0.1.0", "0.0.1.0", "0.0.1.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.0.1.1", "0.0.1.1", "0.0.1.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.0.255.255", "0.0.255.255", "0.0.255.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.1.0.0", "0.1.0.0", "0.1.0.0", "0.1.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.1.1.1", "0.1.1.1", "0.1.1.0", "0.1.0.0", "0.0.0.0", "0.0.0.0"],
  ["0.255.255.255", "0.255.255.255", "0.255.255.0", "0.255.0.0", "0.0.0.0", "0.0.0.0"],
  ["1.0.0.0", "1.0.0.0", "1.0.0.0", "1.0.0.0", "1.0.0.0", "0.0.0.0"],
  ["127.255.255.255", "127.255.255.255", "127.255.255.0", "127.255.0.0", "127.0.0.0", "0.0.0.0"],
  ["128.0.0.0", "128.0.0.0", "128.0.0.0", "128.0.0.0", "128.0.0.0", "0.0.0.0"],
  ["255.255.255.255", "255.255.255.255", "255.255.255.0", "255.255.0.0", "255.0.0.0", "0.0.0.0"],
];

export const MATOMO: readonly TruncationVector[] = [
  ...MATOMO_TABLE.flatMap(([input, ...outputs]) =>
    MATOMO_LEVELS.map(
      (prefixes, level): TruncationVector => ({
        source: `Matomo anonymize(${level})`,
        input,
        ...prefixes,
        theirs: outputs[level] ?? "",
        ours: outputs[level] ?? "",
      }),
    ),
  ),
  // Mapped addresses: Matomo masks the embedded IPv4 bytewise and keeps the ::ffff: form.
  {
    source: "Matomo anonymize(2)",
    input: "::ffff:255.255.255.255",
    ...MATOMO_LEVELS[2],
    theirs: "::ffff:255.255.0.0",
    ours: "255.255.0.0",
    note: "same network; we write IPv4-mapped addresses as IPv4",
  },
];

/** Vector VRL `ip_subnet` with a prefix length (a mask such as 255.255.0.0 is the same prefix). */
export const VRL: readonly TruncationVector[] = [
  {
    source: "VRL ip_subnet 255.255.0.0",
    input: "192.168.10.23",
    ipv4Prefix: 16,
    ipv6Prefix: 48,
    theirs: "192.168.0.0",
    ours: "192.168.0.0",
  },
  {
    source: "VRL ip_subnet /16",
    input: "192.168.10.23",
    ipv4Prefix: 16,
    ipv6Prefix: 48,
    theirs: "192.168.0.0",
    ours: "192.168.0.0",
  },
  {
    source: "VRL ip_subnet /12",
    input: "192.168.10.23",
    ipv4Prefix: 12,
    ipv6Prefix: 48,
    theirs: "192.160.0.0",
    ours: "192.160.0.0",
  },
  {
    source: "VRL ip_subnet 255.255.255.0",
    input: "192.168.10.32",
    ipv4Prefix: 24,
    ipv6Prefix: 48,
    theirs: "192.168.10.0",
    ours: "192.168.10.0",
  },
  {
    source: "VRL ip_subnet /1",
    input: "192.168.0.1",
    ipv4Prefix: 1,
    ipv6Prefix: 48,
    theirs: "128.0.0.0",
    ours: "128.0.0.0",
  },
  {
    source: "VRL ip_subnet ff00::",
    input: "2404:6800:4003:c02::64",
    ipv4Prefix: 24,
    ipv6Prefix: 8,
    theirs: "2400::",
    ours: "2400::",
  },
  {
    source: "VRL ip_subnet /32",
    input: "2404:6800:4003:c02::64",
    ipv4Prefix: 24,
    ipv6Prefix: 32,
    theirs: "2404:6800::",
    ours: "2404:6800::",
  },
];

export const TRUNCATION_VECTORS: readonly TruncationVector[] = [
  ...GOOGLE_ANALYTICS,
  ...GOACCESS,
  ...MATOMO,
  ...VRL,
];

export interface ParseVector {
  readonly source: string;
  readonly input: string;
  /** What the other project does with it, in words. */
  readonly theirs: string;
  /** Our canonical address, or null when we refuse the token. */
  readonly ours: { readonly kind: "ipv4" | "ipv6"; readonly address: string } | null;
  readonly note?: string;
}

const v4 = (address: string) => ({ kind: "ipv4", address }) as const;
const v6 = (address: string) => ({ kind: "ipv6", address }) as const;

const IPADDR_NON_CANONICAL_V4 = [
  "0xc0.168.1.1",
  "192.0250.1.1",
  "0xc0a80101",
  "030052000401",
  "3232235777",
  "127.42.258",
  "127.66051",
  "10.1.1.0xff",
  "1",
  "192.0000168.100.2",
];

export const PARSE_VECTORS: readonly ParseVector[] = [
  ...IPADDR_NON_CANONICAL_V4.map(
    (input): ParseVector => ({
      source: "ipaddr.js IPv4.parse",
      input,
      theirs: "accepted (non-canonical form); isValidFourPartDecimal rejects it",
      ours: null,
      note: "strict four-part decimal only",
    }),
  ),
  ...["10.0.0.wtf", "8.0x1ffffff", "8.8.0x1ffff", "10.048.1.1"].map(
    (input): ParseVector => ({ source: "ipaddr.js IPv4.parse", input, theirs: "throws", ours: null }),
  ),
  {
    source: "ipaddr.js zone",
    input: "2001:db8:f53a::1%2",
    theirs: "2001:db8:f53a::1%2",
    ours: v6("2001:db8:f53a::1"),
    note: "zone dropped",
  },
  {
    source: "ipaddr.js zone",
    input: "2001:db8:f53a::1%WAT",
    theirs: "2001:db8:f53a::1%WAT",
    ours: v6("2001:db8:f53a::1"),
    note: "zone dropped",
  },
  {
    source: "ipaddr.js zone",
    input: "2001:db8:f53a::1%sUp",
    theirs: "2001:db8:f53a::1%sUp",
    ours: v6("2001:db8:f53a::1"),
    note: "zone dropped",
  },
  {
    source: "ipaddr.js zone",
    input: "fe80::%eth0",
    theirs: "fe80::%eth0",
    ours: v6("fe80::"),
    note: "zone dropped",
  },
  { source: "ipaddr.js zone", input: "::%z", theirs: "valid", ours: v6("::"), note: "zone dropped" },
  { source: "ipaddr.js zone", input: "fe80::%", theirs: "invalid", ours: null },
  {
    source: "ipaddr.js zone",
    input: "::ffff:192.168.1.1%eth0",
    theirs: "::ffff:c0a8:101%eth0",
    ours: v4("192.168.1.1"),
    note: "mapped is IPv4",
  },
  { source: "ipaddr.js process", input: "::ffff:192.168.1.1", theirs: "kind ipv4", ours: v4("192.168.1.1") },
  {
    source: "ipaddr.js process",
    input: "::8.8.8.8",
    theirs: "kind ipv4 (parsed as ::ffff:8.8.8.8)",
    ours: v6("::808:808"),
    note: "IPv4-compatible is not IPv4-mapped (RFC 4291); truncation still protects the embedded IPv4",
  },
  {
    source: "ipaddr.js parse",
    input: "FFFF::255.255.255.255",
    theirs: "[0xffff,0,0,0,0,0,0xffff,0xffff]",
    ours: v6("ffff::ffff:ffff"),
  },
  {
    source: "ipaddr.js parse",
    input: "64:ff9a::0.0.0.0",
    theirs: "[0x64,0xff9a,0,…]",
    ours: v6("64:ff9a::"),
  },
  {
    source: "ipaddr.js RFC 5952",
    input: "0:0:ff:ff:0:0:ff:ff",
    theirs: "::ff:ff:0:0:ff:ff",
    ours: v6("::ff:ff:0:0:ff:ff"),
  },
  {
    source: "ipaddr.js RFC 5952",
    input: "2001:db8:0:0:1:0:0:1",
    theirs: "2001:db8::1:0:0:1",
    ours: v6("2001:db8::1:0:0:1"),
  },
  {
    source: "ipaddr.js RFC 5952",
    input: "2001:db8:ff:abc:0:123b:456c:78d",
    theirs: "2001:db8:ff:abc:0:123b:456c:78d",
    ours: v6("2001:db8:ff:abc:0:123b:456c:78d"),
  },
  ...[
    "200001::1",
    "00000::1",
    "2001:db8::F53A::1",
    "fe80::wtf",
    "2002::2:",
    "::ffff:300.168.1.1",
    "::ffff:222.1.41.9000",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
  ].map((input): ParseVector => ({ source: "ipaddr.js IPv6.isValid", input, theirs: "invalid", ours: null })),
  {
    source: "ipaddr.js IPv6.isValid",
    input: "1:2:3:4:5:6:7::",
    theirs: "valid",
    ours: v6("1:2:3:4:5:6:7:0"),
  },
  { source: "ipaddr.js IPv6.isValid", input: "::1.1.1.1", theirs: "valid", ours: v6("::101:101") },
  {
    source: "ALB client:port (VRL parse_aws_alb_log)",
    input: "2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599",
    theirs: "kept unsplit by VRL; split on the last ':'",
    ours: v6("2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc"),
  },
  {
    source: "ALB client:port",
    input: "192.168.131.39:2817",
    theirs: "192.168.131.39",
    ours: v4("192.168.131.39"),
  },
  {
    source: "ALB client:port",
    input: "113.241.19.90:15070",
    theirs: "113.241.19.90",
    ours: v4("113.241.19.90"),
  },
  { source: "Matomo sanitizeIp", input: "[::1]:80", theirs: "::1", ours: v6("::1") },
  { source: "Matomo sanitizeIp", input: "192.168.1.2:80", theirs: "192.168.1.2", ours: v4("192.168.1.2") },
  {
    source: "Matomo sanitizeIp",
    input: "[2001:5c0:1000:b::90f8]:80",
    theirs: "2001:5c0:1000:b::90f8",
    ours: v6("2001:5c0:1000:b::90f8"),
  },
  {
    source: "Matomo sanitizeIp",
    input: "::1/128",
    theirs: "::1",
    ours: null,
    note: "a CIDR is not a client address",
  },
  {
    source: "Matomo sanitizeIp",
    input: "192.168.1.1/32",
    theirs: "192.168.1.1",
    ours: null,
    note: "a CIDR is not a client address",
  },
  {
    source: "Matomo sanitizeIp",
    input: "example.com:8080",
    theirs: "example.com",
    ours: null,
    note: "host names are refused",
  },
  {
    source: "Matomo sanitizeIp",
    input: "::ffff:127.0.0.1",
    theirs: "::ffff:127.0.0.1 (kept as is)",
    ours: v4("127.0.0.1"),
    note: "mapped is IPv4",
  },
  ...["", "alpha", "...", ".0.0.0", "0..0.0", "0.0.0.", "-1.0.0.0", "1.1.1.256"].map(
    (input): ParseVector => ({
      source: "Matomo stringToBinaryIP",
      input,
      theirs: "0.0.0.0",
      ours: null,
      note: "refused, not zero",
    }),
  ),
  {
    source: "Matomo toIPv4String",
    input: "::ffff:192.168.0.1",
    theirs: "192.168.0.1",
    ours: v4("192.168.0.1"),
  },
  {
    source: "Matomo toIPv4String",
    input: "2001:5c0:1000:b::90f8",
    theirs: "null (not IPv4)",
    ours: v6("2001:5c0:1000:b::90f8"),
  },
  {
    source: "Matomo isMappedIPv4",
    input: "::c0a8:101",
    theirs: "true (IPv4-compatible)",
    ours: v6("::c0a8:101"),
    note: "IPv4-compatible stays IPv6",
  },
  { source: "Matomo isMappedIPv4", input: "::ff00:c0a8:103", theirs: "false", ours: v6("::ff00:c0a8:103") },
  { source: "Matomo isMappedIPv4", input: "::1:c0a8:104", theirs: "false", ours: v6("::1:c0a8:104") },
  { source: "Matomo isMappedIPv4", input: "100::c0a8:105", theirs: "false", ours: v6("100::c0a8:105") },
];

export interface CidrVector {
  readonly source: string;
  readonly cidr: string;
  readonly inside: readonly string[];
  readonly outside: readonly string[];
}

/** Range bounds from Matomo `IPUtils::getIPRangeBounds` and ipaddr.js `match`, used for trusted proxy blocks. */
export const CIDR_VECTORS: readonly CidrVector[] = [
  {
    source: "Matomo getIPRangeBounds",
    cidr: "192.168.1.127/25",
    inside: ["192.168.1.0", "192.168.1.127"],
    outside: ["192.168.1.128", "192.168.0.255"],
  },
  {
    source: "Matomo getIPRangeBounds",
    cidr: "192.168.255.255/15",
    inside: ["192.168.0.0", "192.169.255.255"],
    outside: ["192.170.0.0", "192.167.255.255"],
  },
  {
    source: "Matomo getIPRangeBounds",
    cidr: "::ffff:127.0.0.1/120",
    inside: ["127.0.0.0", "127.0.0.255", "::ffff:7f00:ff"],
    outside: ["127.0.1.0"],
  },
  {
    source: "Matomo getIPRangeBounds",
    cidr: "2001:ca11:911::b0b:15:dead/112",
    inside: ["2001:ca11:911::b0b:15:0", "2001:ca11:911::b0b:15:ffff"],
    outside: ["2001:ca11:911::b0b:16:0", "2001:ca11:911::b0b:14:ffff"],
  },
  { source: "ipaddr.js match", cidr: "2001:db8:f531::1:1/44", inside: ["2001:db8:f53a::1"], outside: [] },
  { source: "ipaddr.js match", cidr: "2001:db8:f53b::1:1/48", inside: [], outside: ["2001:db8:f53a::1"] },
  { source: "ipaddr.js match", cidr: "10.4.5.0/15", inside: ["10.5.0.1"], outside: ["10.6.0.0"] },
];

/** CIDR texts both Matomo and ipaddr.js refuse. */
export const INVALID_CIDRS: readonly string[] = [
  "192.168.255.255/33",
  "192.168.255.255/-1",
  "192.168.1.1/",
  "2001:db8::/129",
];
