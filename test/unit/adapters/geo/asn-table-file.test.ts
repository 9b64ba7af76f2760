import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AsnRangeTable } from "../../../../functions/adapters/geo/asn-ranges.ts";
import {
  asnTableBytes,
  asnTableFromBytes,
  cachedAsnTable,
  ensureAsnTableFile,
  readAsnTableFile,
} from "../../../../functions/adapters/geo/asn-table-file.ts";
import {
  bundledAsnPaths,
  fileTextSource,
  loadGeoLookup,
} from "../../../../functions/adapters/geo/mmdb-geo.ts";
import type { ClientAddress } from "../../../../functions/core/anonymize/ip.ts";

/**
 * The AS table pre-parsed at synth (what the ingest function ships instead of the two CSV files) answers exactly as
 * the CSV files read at start-up do: checked on the real files of `@ip-location-db/asn`, at every row's first and
 * last address and the addresses just outside them, the rows' bounds taken from the CSV text here (BigInt for IPv6,
 * not the adapter's limbs).
 */

const dir = mkdtempSync(join(tmpdir(), "logsieve-asn-table-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAX_V4 = 2 ** 32 - 1;
const MAX_V6 = (1n << 128n) - 1n;

/** The first two fields (start and end, never quoted) of each row of a `-num.csv` file. */
function rowBounds(path: string): { starts: string[]; ends: string[] } {
  const starts: string[] = [];
  const ends: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const first = line.indexOf(",");
    const second = line.indexOf(",", first + 1);
    starts.push(line.slice(0, first));
    ends.push(line.slice(first + 1, second));
  }
  return { starts, ends };
}

/** An address as the tables read it (kind and bytes; the text is not used by a lookup). */
function v4Address(value: number): ClientAddress {
  const bytes = new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
  return { kind: "ipv4", address: "", bytes };
}
function v6Address(value: bigint): ClientAddress {
  const bytes = new Uint8Array(16);
  let rest = value;
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(rest & 255n);
    rest >>= 8n;
  }
  return { kind: "ipv6", address: "", bytes };
}

/**
 * Every row's start − 1, start, end and end + 1 (inside the address space). Arrays, repeats kept: a Set of BigInts
 * hashes them so badly that 400,000 of them take minutes.
 */
function probes(): { v4: ClientAddress[]; v6: ClientAddress[] } {
  const paths = bundledAsnPaths();
  const v4Rows = rowBounds(paths.ipv4);
  const v4: number[] = [];
  v4Rows.starts.forEach((start, i) => {
    const s = Number(start);
    const e = Number(v4Rows.ends[i]);
    for (const value of [s - 1, s, e, e + 1]) if (value >= 0 && value <= MAX_V4) v4.push(value);
  });
  const v6Rows = rowBounds(paths.ipv6);
  const v6: bigint[] = [];
  v6Rows.starts.forEach((start, i) => {
    const s = BigInt(start);
    const e = BigInt(v6Rows.ends[i] as string);
    for (const value of [s - 1n, s, e, e + 1n]) if (value >= 0n && value <= MAX_V6) v6.push(value);
  });
  return { v4: v4.map(v4Address), v6: v6.map(v6Address) };
}

/** The addresses two tables answer differently for, with both answers, each once (at most `limit`). */
function differences(
  expected: AsnRangeTable,
  actual: AsnRangeTable,
  addresses: readonly ClientAddress[],
  limit = 5,
): { bytes: string; expected: string | null; actual: string | null }[] {
  const found: { bytes: string; expected: string | null; actual: string | null }[] = [];
  for (const address of addresses) {
    const want = expected.organisation(address);
    const got = actual.organisation(address);
    const bytes = Buffer.from(address.bytes).toString("hex");
    if (want !== got && !found.some((f) => f.bytes === bytes)) {
      found.push({ bytes, expected: want, actual: got });
      if (found.length >= limit) break;
    }
  }
  return found;
}

describe("the pre-parsed AS table file, on the real CSV files", () => {
  const paths = bundledAsnPaths();
  // The CSV files read as the command reads them (a piece at a time), and the file synth builds from them.
  const csv = AsnRangeTable.fromSources(
    fileTextSource(paths.ipv4, "test"),
    fileTextSource(paths.ipv6, "test"),
  );
  const tablePath = ensureAsnTableFile(paths, dir);
  const binary = readAsnTableFile(tablePath);
  const addresses = probes();

  it("answers exactly as the CSV files at every row's bounds and just outside them", () => {
    expect(binary.size).toEqual(csv.size);
    // The published files: ≈ 412,000 IPv4 and ≈ 103,000 IPv6 networks (docs/PRIVACY-IP.md).
    expect(csv.size.ipv4).toBeGreaterThan(400_000);
    expect(csv.size.ipv6).toBeGreaterThan(100_000);
    expect(addresses.v4.length).toBeGreaterThan(800_000);
    expect(differences(csv, binary, addresses.v4)).toEqual([]);
    expect(differences(csv, binary, addresses.v6)).toEqual([]);
    // Not vacuous: the probes reach named rows and addresses no row covers.
    const v4Answers = new Set(addresses.v4.slice(0, 2000).map((a) => binary.organisation(a)));
    expect(v4Answers.has(null)).toBe(true);
    expect(v4Answers.size).toBeGreaterThan(100);
  });

  it("is found again, not rebuilt, for the same CSV files, under a name of its own", () => {
    expect(tablePath).toMatch(/asn-table-[0-9a-f]{16}\.bin$/);
    expect(ensureAsnTableFile(paths, dir)).toBe(tablePath);
  });

  it("would be caught by the comparison if one row's bound were off by one (the check's positive control)", () => {
    const { v4, v6 } = binary.data();
    // A named IPv4 row followed by a gap, and a named IPv6 row preceded by one: moving the bound into the gap
    // keeps the table valid, so only the answers can tell.
    let row4 = 0;
    while (
      !((v4.names[row4] as number) >= 0 && (v4.ends[row4] as number) + 1 < (v4.starts[row4 + 1] as number))
    ) {
      row4++;
    }
    let row6 = 1;
    const word = (array: Uint32Array, row: number, w: number) => array[row * 4 + w] as number;
    while (
      !(
        (v6.names[row6] as number) >= 0 &&
        word(v6.starts, row6, 3) > 0 &&
        (word(v6.starts, row6, 0) !== word(v6.ends, row6 - 1, 0) ||
          word(v6.starts, row6, 1) !== word(v6.ends, row6 - 1, 1) ||
          word(v6.starts, row6, 2) !== word(v6.ends, row6 - 1, 2) ||
          word(v6.starts, row6, 3) - 1 > word(v6.ends, row6 - 1, 3))
      )
    ) {
      row6++;
    }
    const bytes = Buffer.from(readFileSync(tablePath));
    const header = new Uint32Array(bytes.buffer, bytes.byteOffset, 6);
    const v4Rows = header[2] as number;
    const v6Rows = header[3] as number;
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    const HEADER_WORDS = 6;
    // The IPv4 row's end one later; the IPv6 row's start one earlier (its lowest word).
    u32[HEADER_WORDS + v4Rows + row4] = (v4.ends[row4] as number) + 1;
    u32[HEADER_WORDS + v4Rows * 3 + row6 * 4 + 3] = word(v6.starts, row6, 3) - 1;
    expect(v6Rows).toBe(binary.size.ipv6);
    const offByOne = asnTableFromBytes(bytes);

    const name4 = binary.organisation(v4Address(v4.ends[row4] as number));
    expect(differences(csv, offByOne, addresses.v4)).toEqual([
      {
        bytes: Buffer.from(v4Address((v4.ends[row4] as number) + 1).bytes).toString("hex"),
        expected: null,
        actual: name4,
      },
    ]);
    const start6 = [0, 1, 2, 3].reduce((sum, w) => (sum << 32n) | BigInt(word(v6.starts, row6, w)), 0n);
    expect(differences(csv, offByOne, addresses.v6)).toEqual([
      {
        bytes: Buffer.from(v6Address(start6 - 1n).bytes).toString("hex"),
        expected: null,
        actual: binary.organisation(v6Address(start6)),
      },
    ]);
  });
});

describe("reading a table file", () => {
  const small = AsnRangeTable.fromCsv(
    '16777216,16777471,13335,"Cloudflare, Inc."\n16777472,16777727,1,\n',
    "42540578165168458964837862691227828224,42540578244396621479102200284771778559,6939,Hurricane Électrique\n",
  );

  it("is what the ingest function reads through its configuration: providers of both kinds of address", async () => {
    const path = join(dir, "small.bin");
    writeFileSync(path, asnTableBytes(small));
    const geo = await loadGeoLookup({ bundledAsnTable: path });
    expect([geo.provider("1.0.0.9"), geo.provider("1.0.1.9"), geo.provider("2001:470::1")]).toEqual([
      "Cloudflare, Inc.",
      null,
      "Hurricane Électrique",
    ]);
  });

  it("refuses a file that is not one, cut short, or out of order, naming the database and the path", async () => {
    const bytes = asnTableBytes(small);
    const write = (name: string, content: Uint8Array): string => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    };
    const unordered = Buffer.from(bytes);
    // The first IPv4 row's start after its end.
    new Uint32Array(unordered.buffer, unordered.byteOffset, 8)[6] = 16777472;
    const oneNameMore = Buffer.from(bytes);
    const header = new Uint32Array(oneNameMore.buffer, oneNameMore.byteOffset + 8, 4);
    header[2] = (header[2] as number) + 1;
    const cases = [
      [write("csv.bin", Buffer.from("16777216,16777471,13335,x\n")), /no LSASNT01 header/],
      [write("names.bin", oneNameMore), /organisation names: \d+ organisation names where \d+ were expected/],
      [write("short.bin", bytes.subarray(0, bytes.length - 4)), /bytes where its header says/],
      [write("unordered.bin", unordered), /IPv4 row 1 is not a range/],
      [join(dir, "absent.bin"), /cannot read the database file .*absent\.bin \(ENOENT\)/],
    ] as const;
    for (const [path, message] of cases) {
      const opening = loadGeoLookup({ bundledAsnTable: path });
      await expect(opening).rejects.toThrow(/^bundled AS database: /);
      await expect(opening).rejects.toThrow(message);
    }
  });
});

describe("the command's cache of the parsed CSV files", () => {
  const csvDir = mkdtempSync(join(dir, "csv-"));
  const csv = { ipv4: join(csvDir, "v4.csv"), ipv6: join(csvDir, "v6.csv") };
  writeFileSync(csv.ipv4, "16777216,16777471,13335,First\n");
  writeFileSync(csv.ipv6, "");
  const address = v4Address(16777300);
  let parses = 0;
  const parse = () => {
    parses++;
    return AsnRangeTable.fromCsv(readFileSync(csv.ipv4, "utf8"), readFileSync(csv.ipv6, "utf8"));
  };

  it("parses the CSV once, then reads the table it wrote; a changed CSV file is parsed again", () => {
    const cache = join(dir, "cache");
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("First");
    expect(parses).toBe(1);
    const written = readdirSync(cache);
    expect(written).toEqual([expect.stringMatching(/^asn-table-[0-9a-f]{16}\.bin$/)]);
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("First");
    expect(parses).toBe(1);

    // An update of the package: new content (same size here), a new modification time.
    writeFileSync(csv.ipv4, "16777216,16777471,13335,Other\n");
    utimesSync(csv.ipv4, new Date(), new Date(Date.now() + 5_000));
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("Other");
    expect(parses).toBe(2);
    // The earlier version's table is gone.
    expect(readdirSync(cache)).toEqual([expect.not.stringMatching(written[0] as string)]);
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("Other");
    expect(parses).toBe(2);
  });

  it("parses the CSV when the cached table is damaged or the cache cannot be written, and says nothing", () => {
    const cache = join(dir, "damaged");
    cachedAsnTable(csv, cache, parse);
    const [name] = readdirSync(cache);
    writeFileSync(join(cache, name as string), "LSASNT01 and then nothing");
    const before = parses;
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("Other");
    expect(parses).toBe(before + 1);
    // Rewritten whole: read again without a parse.
    expect(cachedAsnTable(csv, cache, parse).organisation(address)).toBe("Other");
    expect(parses).toBe(before + 1);

    // A cache folder that cannot be made (its parent is a file: refused even to root).
    const aFile = join(dir, "a-file");
    writeFileSync(aFile, "");
    const where = join(aFile, "cache");
    expect(cachedAsnTable(csv, where, parse).organisation(address)).toBe("Other");
    expect(cachedAsnTable(csv, where, parse).organisation(address)).toBe("Other");
    expect(parses).toBe(before + 3);
  });

  it("passes a CSV file's error on (a missing file is named by the parse, as without a cache)", () => {
    const missing = { ipv4: join(csvDir, "absent.csv"), ipv6: csv.ipv6 };
    expect(() =>
      cachedAsnTable(missing, join(dir, "cache-missing"), () => {
        throw new Error("the parse's own error");
      }),
    ).toThrow("the parse's own error");
  });
});
