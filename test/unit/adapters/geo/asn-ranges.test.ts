import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsnDatabaseError, AsnRangeTable } from "../../../../functions/adapters/geo/asn-ranges.ts";
import { fileTextSource, GeoDatabaseError } from "../../../../functions/adapters/geo/mmdb-geo.ts";
import { type ClientAddress, parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";

/** The range tables read from the CSV layout of `@ip-location-db/asn`, on rows written here by hand. */

const addr = (ip: string): ClientAddress => {
  const parsed = parseClientAddress(ip);
  if (parsed === null) throw new Error(`bad test address ${ip}`);
  return parsed;
};
/** An IPv4 address as the unsigned number the -num files use. */
const n4 = (ip: string): number => ip.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
/** An IPv6 address as the decimal 128-bit number the -num files use. */
const n6 = (ip: string): string => {
  const bytes = addr(ip).bytes;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value.toString();
};

const V4 = [
  `${n4("1.0.0.0")},${n4("1.0.0.255")},13335,"Cloudflare, Inc."`,
  `${n4("5.0.0.0")},${n4("5.0.255.255")},201907,"LLC ""SPUTNIK"""`,
  `${n4("9.0.0.0")},${n4("9.0.0.127")},64500,`,
  `${n4("20.0.0.0")},${n4("20.0.9.255")},64501,First Org`,
  // Overlaps the row before (the published file has such a row): the later one wins from its start on.
  `${n4("20.0.8.0")},${n4("20.0.12.255")},64502,Second Org`,
  `${n4("255.255.255.0")},${n4("255.255.255.255")},64503,Top`,
].join("\r\n");

const V6 = [
  `${n6("2001:db8::")},${n6("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")},64510,Doc Net`,
  `${n6("2606:4700::")},${n6("2606:4700:ffff:ffff:ffff:ffff:ffff:ffff")},13335,"Cloudflare, Inc."`,
  `${n6("2606:4701::")},${n6("2606:4701::ffff")},64511,Small Net`,
].join("\n");

describe("AsnRangeTable", () => {
  const table = AsnRangeTable.fromCsv(`${V4}\n`, V6);

  it("finds the organisation of an IPv4 address, ranges inclusive at both ends, names unquoted", () => {
    expect(table.size).toEqual({ ipv4: 6, ipv6: 3 });
    const lookups = ["1.0.0.0", "1.0.0.255", "1.0.1.0", "0.255.255.255", "5.0.200.1", "255.255.255.255"].map(
      (ip) => table.organisation(addr(ip)),
    );
    expect(lookups).toEqual(["Cloudflare, Inc.", "Cloudflare, Inc.", null, null, 'LLC "SPUTNIK"', "Top"]);
  });

  it("gives no organisation for a row without one, and lets an overlapping row win from its start", () => {
    expect(table.organisation(addr("9.0.0.5"))).toBeNull();
    expect(
      ["20.0.7.255", "20.0.8.0", "20.0.12.255", "20.0.13.0"].map((ip) => table.organisation(addr(ip))),
    ).toEqual(["First Org", "Second Org", "Second Org", null]);
  });

  it("finds the organisation of an IPv6 address across all four 32-bit words", () => {
    const lookups = ["2606:4700:4700::1111", "2606:4701::ffff", "2606:4701::1:0", "2606:46ff::1", "::1"].map(
      (ip) => table.organisation(addr(ip)),
    );
    expect(lookups).toEqual(["Cloudflare, Inc.", "Small Net", null, null, null]);
  });

  it("lets an overlapping IPv6 row win from its start on, too", () => {
    const overlapping = AsnRangeTable.fromCsv(
      "",
      `${n6("2a00::")},${n6("2a00::ffff")},1,A\n${n6("2a00::ff00")},${n6("2a00::1:0")},2,B\n`,
    );
    expect(
      ["2a00::feff", "2a00::ff00", "2a00::1:0", "2a00::1:1"].map((ip) => overlapping.organisation(addr(ip))),
    ).toEqual(["A", "B", "B", null]);
  });

  it("reads IPv6 numbers of every length up to 2^128 - 1 (read four digits at a time)", () => {
    const max = (1n << 128n) - 1n;
    const starts = [0n, 7n, 4321n, 54321n, 987654321n, max - 10n];
    const csv = starts.map((start, i) => `${start},${start + (i === 5 ? 10n : 5n)},${i},Net ${i}`).join("\n");
    const table = AsnRangeTable.fromCsv("", csv);
    const at = (value: bigint): ClientAddress => {
      const hex = value.toString(16).padStart(32, "0");
      return addr(hex.match(/.{4}/g)?.join(":") ?? "");
    };
    expect(starts.map((start) => table.organisation(at(start + 1n)))).toEqual(
      starts.map((_, i) => `Net ${i}`),
    );
    expect(table.organisation(at(max))).toBe("Net 5");
    expect(table.organisation(at(6n))).toBeNull();
  });

  it("gives another thread the same organisations, names in shared memory and decoded on first use", () => {
    const named = AsnRangeTable.fromCsv(
      `${V4}\n`,
      `${V6}\n${n6("2a00::")},${n6("2a00::ff")},3,"Zürich Ünïcode, AG"\n${n6("2a00::100")},${n6("2a00::1ff")},4,Ωmega`,
    );
    const ips = [
      "1.0.0.7",
      "5.0.200.1",
      "9.0.0.5",
      "20.0.8.0",
      "20.0.13.0",
      "2606:4700::1",
      "2a00::5",
      "2a00::150",
    ];
    const expected = ["Cloudflare, Inc.", 'LLC "SPUTNIK"', null, "Second Org", null, "Cloudflare, Inc."];
    expect(ips.map((ip) => named.organisation(addr(ip)))).toEqual([
      ...expected,
      "Zürich Ünïcode, AG",
      "Ωmega",
    ]);
    // What a worker receives: the data cloned as postMessage clones it (shared buffers stay shared).
    const data = structuredClone(named.shared());
    expect("offsets" in data.names && data.names.text.buffer instanceof SharedArrayBuffer).toBe(true);
    const adopted = AsnRangeTable.fromData(data);
    expect(ips.map((ip) => adopted.organisation(addr(ip)))).toEqual([
      ...expected,
      "Zürich Ünïcode, AG",
      "Ωmega",
    ]);
    // The table that gave its data away answers the same, twice (the second time from what it decoded).
    for (let round = 0; round < 2; round++) {
      expect(ips.map((ip) => named.organisation(addr(ip)))).toEqual([
        ...expected,
        "Zürich Ünïcode, AG",
        "Ωmega",
      ]);
    }
    expect(named.data().names).toEqual([
      "Cloudflare, Inc.",
      'LLC "SPUTNIK"',
      "First Org",
      "Second Org",
      "Top",
      "Doc Net",
      "Small Net",
      "Zürich Ünïcode, AG",
      "Ωmega",
    ]);
  });

  it("refuses a malformed row, an unsorted file and a range past the address space, naming the line", () => {
    expect(() => AsnRangeTable.fromCsv("1,2,3,x\nfoo\n", "")).toThrow(/asn-ipv4-num\.csv line 2: not a row/);
    expect(() => AsnRangeTable.fromCsv("10,20,1,a\n5,8,2,b\n", "")).toThrow(/line 2: ranges are not sorted/);
    expect(() => AsnRangeTable.fromCsv("1,4294967296,1,a\n", "")).toThrow(AsnDatabaseError);
    expect(() => AsnRangeTable.fromCsv("", "1,x,1,a\n")).toThrow(/asn-ipv6-num\.csv line 1/);
    expect(() => AsnRangeTable.fromCsv("", `1,${(1n << 128n).toString()},1,a\n`)).toThrow(/not a range/);
  });

  it("reads the files a few bytes at a time as it reads them whole: same networks, names and errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "logsieve-asn-"));
    try {
      const write = (name: string, text: string): string => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const v4 = write("v4.csv", `${V4}\n`);
      const v6 = write("v6.csv", V6);
      const ips = [
        "1.0.0.7",
        "5.0.200.1",
        "9.0.0.5",
        "20.0.8.0",
        "20.0.13.0",
        "2606:4700::1",
        "2606:4701::ffff",
      ];
      // 7 bytes: every line is cut into several reads, and a line longer than the buffer makes it grow.
      for (const pieceBytes of [7, 64, 1 << 20]) {
        const pieces = AsnRangeTable.fromSources(
          fileTextSource(v4, "test", pieceBytes),
          fileTextSource(v6, "test", pieceBytes),
        );
        expect(pieces.size).toEqual(table.size);
        expect(ips.map((ip) => pieces.organisation(addr(ip)))).toEqual(
          ips.map((ip) => table.organisation(addr(ip))),
        );
      }
      const bad = write("bad.csv", "1,2,3,x\n4,5,6,y\nfoo\n");
      expect(() =>
        AsnRangeTable.fromSources(fileTextSource(bad, "test", 5), fileTextSource(v6, "test")),
      ).toThrow(/asn-ipv4-num\.csv line 3: not a row/);
      expect(() => fileTextSource(join(dir, "missing.csv"), "bundled AS database")).toThrow(GeoDatabaseError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
