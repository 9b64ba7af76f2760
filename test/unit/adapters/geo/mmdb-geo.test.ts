import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundledCountryDbPath,
  countryOf,
  GeoDatabaseError,
  loadGeoLookup,
} from "../../../../functions/adapters/geo/mmdb-geo.ts";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import type { GeoLookup } from "../../../../functions/ports/geo.ts";
import { writeMmdb } from "../../../fixtures/geo/mmdb-writer.ts";

let dir: string;
let asnDb: string;
let geoLite2CountryDb: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "logsieve-geo-"));
  asnDb = join(dir, "asn.mmdb");
  writeFileSync(
    asnDb,
    writeMmdb(
      [
        {
          cidr: "81.2.69.0/24",
          data: { autonomous_system_number: 64500, autonomous_system_organization: "Example Net GmbH" },
        },
        {
          cidr: "2a02:ff0::/32",
          data: { autonomous_system_number: 64501, autonomous_system_organization: "Doc Six AG" },
        },
        { cidr: "89.160.20.0/24", data: { autonomous_system_number: 64502 } },
      ],
      "GeoLite2-ASN",
    ),
  );
  geoLite2CountryDb = join(dir, "country.mmdb");
  writeFileSync(
    geoLite2CountryDb,
    writeMmdb(
      [
        { cidr: "81.2.69.0/24", data: { country: { iso_code: "FR", names: { en: "France" } } } },
        { cidr: "89.160.20.0/24", data: { registered_country: { iso_code: "NL" } } },
        { cidr: "2a02:ff0::/32", data: { continent: { code: "EU" } } },
        { cidr: "192.168.0.0/16", data: { country: { iso_code: "AU" } } },
      ],
      "GeoLite2-Country",
    ),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("loadGeoLookup with the bundled country database", () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await loadGeoLookup({});
  });

  it.each([
    ["217.0.0.1", "DE"], // Deutsche Telekom, 217.0.0.0/13
    ["80.128.0.1", "DE"], // Deutsche Telekom, 80.128.0.0/11
    ["2003::1", "DE"], // Deutsche Telekom IPv6, 2003::/19
    ["133.1.1.1", "JP"], // Osaka University, 133.1.0.0/16
    ["128.112.0.1", "US"], // Princeton University, 128.112.0.0/16
  ])("places %s in %s", (ip, country) => {
    // Act
    const found = geo.country(ip);

    // Assess
    expect(found).toBe(country);
  });

  // The bundled data places 172.16/12, 192.168/16 and TEST-NET-2/3 in AU and 2001:db8::/32 in JP (whois registrations)
  it.each([
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "198.51.100.1",
    "203.0.113.1",
    "::1",
    "fe80::1",
    "2001:db8::1",
  ])("knows no country for the non-public address %s", (ip) => {
    // Act
    const found = geo.country(ip);

    // Assess
    expect(found).toBeNull();
  });

  it("fills the provider from the bundled AS database for public addresses, IPv4 and IPv6, and none for others", () => {
    // Act
    const providers = [
      "1.1.1.1",
      "2606:4700:4700::1111",
      "8.8.8.8",
      "2001:4860:4860::8888",
      "10.0.0.1",
      "203.0.113.5",
      "2001:db8::1",
    ].map((ip) => geo.provider(ip));

    // Assess: well-known networks (their operators publish these addresses); private and documentation: none.
    expect(providers).toEqual([
      "Cloudflare, Inc.",
      "Cloudflare, Inc.",
      "Google LLC",
      "Google LLC",
      null,
      null,
      null,
    ]);
  });

  it("loads no AS database and knows no provider when providers are turned off", async () => {
    // Act
    const without = await loadGeoLookup({ provider: false });

    // Assess
    expect(without.provider("1.1.1.1")).toBeNull();
    expect(without.country("1.1.1.1")).not.toBeNull();
  });

  it("is found on disk", () => {
    // Act
    const path = bundledCountryDbPath();

    // Assess
    expect(path).toMatch(/geo-whois-asn-country\.mmdb$/);
  });
});

describe("loadGeoLookup with operator databases", () => {
  it("reads the provider from a GeoLite2-ASN layout, for IPv4 and IPv6", async () => {
    // Prepare
    const geo = await loadGeoLookup({ countryDb: geoLite2CountryDb, asnDb });

    // Act
    const providers = ["81.2.69.9", "2a02:ff0:5::1", "89.160.20.1", "1.1.1.1"].map((ip) => geo.provider(ip));

    // Assess
    expect(providers).toEqual(["Example Net GmbH", "Doc Six AG", null, null]);
  });

  it("reads the country from a GeoLite2-Country layout, falling back to the registered country", async () => {
    // Prepare
    const geo = await loadGeoLookup({ countryDb: geoLite2CountryDb, provider: false });

    // Act
    const countries = ["81.2.69.9", "89.160.20.1", "2a02:ff0::1", "217.0.0.1", "192.168.1.1"].map((ip) =>
      geo.country(ip),
    );

    // Assess: a private address has no country even when the file gives it one
    expect(countries).toEqual(["FR", "NL", null, null, null]);
  });

  it("names the setting and the path when a file is missing", async () => {
    // Prepare
    const missing = join(dir, "nope.mmdb");

    // Act
    const loading = loadGeoLookup({ asnDb: missing });

    // Assess
    await expect(loading).rejects.toThrow(GeoDatabaseError);
    await expect(loading).rejects.toThrow(
      /^geo\.asnDb: cannot read the database file .*nope\.mmdb \(ENOENT\)/,
    );
  });

  it("names the setting when a file is not an MMDB", async () => {
    // Prepare
    const notMmdb = join(dir, "country.csv");
    writeFileSync(notMmdb, "1.0.0.0,1.0.0.255,AU\n");

    // Act
    const loading = loadGeoLookup({ countryDb: notMmdb, provider: false });

    // Assess
    await expect(loading).rejects.toThrow(
      /^geo\.countryDb: .*country\.csv is not a MaxMind-format \(\.mmdb\) database/,
    );
  });
});

describe("the bundled AS database's files", () => {
  it("names the database and the path when one is missing, and the line of a malformed row", async () => {
    // Prepare
    const good = join(dir, "v6.csv");
    writeFileSync(
      good,
      "42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,HE\n",
    );
    const bad = join(dir, "v4.csv");
    writeFileSync(bad, "16777216,16777471,13335,ok\nnot,a,row\n");

    // Act
    const missing = loadGeoLookup({ bundledAsn: { ipv4: join(dir, "absent.csv"), ipv6: good } });
    const malformed = loadGeoLookup({ bundledAsn: { ipv4: bad, ipv6: good } });

    // Assess
    await expect(missing).rejects.toThrow(
      /^bundled AS database: cannot read the database file .*absent\.csv \(ENOENT\)/,
    );
    await expect(malformed).rejects.toThrow(/^bundled AS database: asn-ipv4-num\.csv line 2: not a row/);
  });
});

describe("countryOf", () => {
  it.each([
    [{ country_code: "de" }, "DE"],
    [{ country: { iso_code: "AT" } }, "AT"],
    [{ registered_country: { iso_code: "CH" } }, "CH"],
    [{ country_code: "Germany" }, null],
    [{}, null],
    [null, null],
  ])("%j gives %j", (record, expected) => {
    // Act
    const code = countryOf(record);

    // Assess
    expect(code).toBe(expected);
  });
});

describe("lookups by parsed address (the ingest pipeline's path)", () => {
  /** Random addresses, many in the ranges the databases hold, plus the non-public and mapped forms. */
  function sampleAddresses(count: number): string[] {
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    const fixed = [
      "81.2.69.9",
      "89.160.20.1",
      "2a02:ff0:5::1",
      "192.168.1.1",
      "::ffff:217.0.0.1",
      "::1",
      "10.1.2.3",
    ];
    const out = [...fixed];
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) {
        const group = () => (next() & 0xffff).toString(16);
        out.push(`${["2003", "2a02", "2001", "2600", "2a01"][i % 5]}:${group()}:${group()}::${group()}`);
      } else out.push(`${next() & 0xff}.${next() & 0xff}.${next() & 0xff}.${next() & 0xff}`);
    }
    return out;
  }

  it.each([
    ["the bundled country database", {}],
    ["operator databases (GeoLite2 layouts)", "operator"],
  ] as const)("gives the answers of the text lookup with %s", async (_, which) => {
    // Prepare
    const geo = await loadGeoLookup(which === "operator" ? { countryDb: geoLite2CountryDb, asnDb } : {});
    const addresses = sampleAddresses(20_000).map((ip) => parseClientAddress(ip));

    // Act
    const mismatches = addresses.filter(
      (address) =>
        address !== null &&
        (geo.countryOfAddress?.(address) !== geo.country(address.address) ||
          geo.providerOfAddress?.(address) !== geo.provider(address.address)),
    );

    // Assess: every address answered the same way; and the sample reached known networks (positive control)
    expect(mismatches).toEqual([]);
    const known = addresses.filter((a) => a !== null && geo.countryOfAddress?.(a) !== null).length;
    expect(known).toBeGreaterThan(which === "operator" ? 0 : 5_000);
    expect(geo.countryOfAddress).toBeTypeOf("function");
  });
});
