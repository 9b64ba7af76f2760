import { describe, expect, it } from "vitest";
import {
  blockListFileName,
  buildBlockList,
  parseBlock,
  renderBlockList,
} from "../../../../functions/core/dashboard/blocklist.ts";

/** The security view's block list: expected blocks and files written by hand from RFC 4632 / RFC 5952. */

const cidrs = (entries: string[], widen = {}) => buildBlockList(entries, widen).blocks.map((b) => b.cidr);

describe("block list entries", () => {
  it("reads addresses as /32 and /128 blocks and writes IPv6 in RFC 5952 form", () => {
    expect(cidrs(["203.0.113.7", "2001:DB8:0:0:0:0:0:1", "2001:0db8:0000::0001"])).toEqual([
      "203.0.113.7/32",
      "2001:db8::1/128",
    ]);
  });

  it("clears host bits below the prefix and says which entries it changed", () => {
    const list = buildBlockList(["203.0.113.7/24", "2001:db8::1/48", "198.51.100.0/24"]);
    expect(list.blocks.map((b) => b.cidr)).toEqual(["198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48"]);
    expect(list.adjusted).toEqual([
      { entry: "203.0.113.7/24", cidr: "203.0.113.0/24" },
      { entry: "2001:db8::1/48", cidr: "2001:db8::/48" },
    ]);
  });

  it("reads IPv4-mapped IPv6 as the IPv4 address or block it maps", () => {
    expect(cidrs(["::ffff:198.51.100.9", "::FFFF:192.0.2.0/120"])).toEqual([
      "192.0.2.0/24",
      "198.51.100.9/32",
    ]);
  });

  it("knows each block's first and last address, also where the prefix cuts a byte or a group", () => {
    const [v4, v6] = buildBlockList(["192.0.2.130/25", "2001:db8:abcd::/35"]).blocks;
    expect([v4?.first, v4?.last]).toEqual(["192.0.2.128", "192.0.2.255"]);
    expect([v6?.first, v6?.last]).toEqual(["2001:db8:a000::", "2001:db8:bfff:ffff:ffff:ffff:ffff:ffff"]);
  });

  it("drops duplicates and blocks inside another block, and names the block that covers them", () => {
    const list = buildBlockList([
      "203.0.113.9",
      "203.0.113.0/24",
      "203.0.113.7/24",
      "203.0.113.9",
      "2001:db8:1::5",
      "2001:db8::/32",
    ]);
    expect(list.blocks.map((b) => b.cidr)).toEqual(["203.0.113.0/24", "2001:db8::/32"]);
    expect(list.covered.map((c) => `${c.entry} in ${c.by}`).sort()).toEqual([
      "2001:db8:1::5 in 2001:db8::/32",
      "203.0.113.7/24 in 203.0.113.0/24",
      "203.0.113.9 in 203.0.113.0/24",
      "203.0.113.9 in 203.0.113.0/24",
    ]);
  });

  it("widens addresses to their network when asked, never narrows a wider block", () => {
    expect(
      cidrs(["198.51.100.7", "198.51.100.200", "10.0.0.0/16", "2001:db8:1:2:3::9", "2001:db8:1:2:ffff::1"], {
        ipv4: 24,
        ipv6: 64,
      }),
    ).toEqual(["10.0.0.0/16", "198.51.100.0/24", "2001:db8:1:2::/64"]);
  });

  it("orders IPv4 by address (9/8 before 10/8), then IPv6", () => {
    expect(cidrs(["2001:db8::1", "10.0.0.0/8", "9.0.0.0/8", "192.0.2.1", "::2"])).toEqual([
      "9.0.0.0/8",
      "10.0.0.0/8",
      "192.0.2.1/32",
      "::2/128",
      "2001:db8::1/128",
    ]);
  });

  it.each([
    ["example.com", "not an IPv4 or IPv6 address"],
    ["203.0.113.7:80", "not an IPv4 or IPv6 address"],
    ["[2001:db8::1]", "not an IPv4 or IPv6 address"],
    ["fe80::1%eth0", "not an IPv4 or IPv6 address"],
    ["1.2.3", "not an IPv4 or IPv6 address"],
    ["01.2.3.4", "not an IPv4 or IPv6 address"],
    ["10.0.0.0/33", "at most 32"],
    ["2001:db8::/129", "at most 128"],
    ["10.0.0.0/x", "must be a number"],
    ["::ffff:10.0.0.0/90", "needs /96 to /128"],
    ["10.0.0.0/7", "wider than /8"],
    ["0.0.0.0/0", "wider than /8"],
    ["::/0", "wider than /16"],
  ])("refuses %s (%s)", (entry, reason) => {
    const parsed = parseBlock(entry);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
    expect(buildBlockList([entry]).problems).toEqual([{ entry, reason: expect.stringContaining(reason) }]);
  });
});

describe("block list files", () => {
  const blocks = buildBlockList(["203.0.113.7", "198.51.100.0/24", "2001:db8::/48", "2001:db8:1::1"]).blocks;
  const meta = { generatedAt: "2026-12-06T10:00:00Z" };

  it("writes nginx deny lines: a single address bare, a network as CIDR", () => {
    expect(renderBlockList(blocks, "nginx", meta)).toBe(
      [
        "# logsieve block list: 4 entries, 2026-12-06T10:00:00Z",
        "# include it in an http, server or location block: include /etc/nginx/conf.d/logsieve-deny.conf;",
        "deny 198.51.100.0/24;",
        "deny 203.0.113.7;",
        "deny 2001:db8::/48;",
        "deny 2001:db8:1::1;",
        "",
      ].join("\n"),
    );
  });

  it("writes a plain CIDR list, every entry with its length", () => {
    expect(renderBlockList(blocks, "cidr", meta)).toBe(
      "198.51.100.0/24\n203.0.113.7/32\n2001:db8::/48\n2001:db8:1::1/128\n",
    );
  });

  it("writes CSV with the family, the length and the range of each block", () => {
    expect(renderBlockList(blocks.slice(0, 3), "csv", meta)).toBe(
      [
        "cidr,ip_version,prefix_length,first_address,last_address",
        "198.51.100.0/24,4,24,198.51.100.0,198.51.100.255",
        "203.0.113.7/32,4,32,203.0.113.7,203.0.113.7",
        "2001:db8::/48,6,48,2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff",
        "",
      ].join("\r\n"),
    );
  });

  it("names the download after the format and the day", () => {
    expect(blockListFileName("nginx", "2026-12-06")).toBe("logsieve-blocklist-2026-12-06.conf");
    expect(blockListFileName("cidr", "2026-12-06")).toBe("logsieve-blocklist-2026-12-06.txt");
    expect(blockListFileName("csv", "2026-12-06")).toBe("logsieve-blocklist-2026-12-06.csv");
  });
});
