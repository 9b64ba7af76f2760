import { describe, expect, it } from "vitest";
import {
  ClfTimeCache,
  epochToMs,
  parseClfTime,
  parseIsoTime,
  parseW3cDateTime,
} from "../../../../functions/core/parse/time.ts";
import { iso } from "./fixtures.ts";

describe("CLF timestamps", () => {
  it.each([
    ["10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"],
    ["01/Jan/2024:00:00:00 +0000", "2024-01-01T00:00:00Z"],
    ["01/Jan/2024:00:30:00 +0100", "2023-12-31T23:30:00Z"],
    ["29/Feb/2024:12:00:00 +0530", "2024-02-29T06:30:00Z"],
    ["31/Dec/2023:23:59:60 +0000", "2023-12-31T23:59:59Z"],
  ])("reads %s as %s", (text, expected) => {
    // Prepare
    const cache = new ClfTimeCache();

    // Act
    const direct = parseClfTime(text);
    const cached = cache.parse(text, 0, text.length);

    // Assess
    expect(direct).toBe(iso(expected));
    expect(cached).toBe(iso(expected));
  });

  it.each([
    "29/Feb/2023:12:00:00 +0000",
    "31/Apr/2024:12:00:00 +0000",
    "00/Jan/2024:12:00:00 +0000",
    "10/oct/2000:13:55:36 -0700",
    "10/Oct/2000:13:60:36 -0700",
    "10/Oct/2000 13:55:36 -0700",
    "1a/Oct/2000:13:55:36 -0700",
    "10/Oct/20x0:13:55:36 -0700",
    "10/Oct/2000:13:55:36 -07:0",
    "10/Oct/2000:13:55:36 +1900",
    "10/Oct/1969:13:55:36 +0000",
  ])("rejects %s", (text) => {
    // Prepare
    const cache = new ClfTimeCache();

    // Act
    const direct = parseClfTime(text);
    const cached = cache.parse(text, 0, text.length);

    // Assess
    expect(direct).toBeNaN();
    expect(cached).toBeNaN();
  });

  it("answers from its day cache exactly as a fresh parse would, across day and zone changes", () => {
    // Prepare
    const cache = new ClfTimeCache();
    const texts = [
      "10/Oct/2000:13:55:36 -0700",
      "10/Oct/2000:13:55:37 -0700",
      "10/Oct/2000:23:59:59 -0700",
      "10/Oct/2000:00:00:00 +0000",
      "11/Oct/2000:00:00:00 +0000",
      "10/Oct/2000:13:55:36 -0700",
      "10/Oct/2000:1x:55:36 -0700",
      "10/Oct/2000:13:55:36 -0700",
    ];

    // Act
    const viaCache = texts.map((t) => cache.parse(t, 0, t.length));

    // Assess
    expect(viaCache.slice(0, 6)).toEqual([
      iso("2000-10-10T20:55:36Z"),
      iso("2000-10-10T20:55:37Z"),
      iso("2000-10-11T06:59:59Z"),
      iso("2000-10-10T00:00:00Z"),
      iso("2000-10-11T00:00:00Z"),
      iso("2000-10-10T20:55:36Z"),
    ]);
    expect(viaCache[6]).toBeNaN();
    expect(viaCache[7]).toBe(iso("2000-10-10T20:55:36Z"));
  });

  it("does not mistake non-ASCII look-alikes for the cached day", () => {
    // Prepare
    const cache = new ClfTimeCache();
    const good = "10/Oct/2000:13:55:36 -0700";
    // U+3130 has low byte 0x30 ('0'); a byte-packing cache would confuse it with "0".
    const evil = "1\u3130/Oct/2000:13:55:36 -0700";

    // Act
    cache.parse(good, 0, good.length);
    const r = cache.parse(evil, 0, evil.length);

    // Assess
    expect(r).toBeNaN();
  });
});

describe("ISO 8601 and W3C timestamps", () => {
  it.each([
    ["2018-07-02T22:23:00.186641Z", "2018-07-02T22:23:00.186Z"],
    ["2013-10-10T16:52:00+02:00", "2013-10-10T14:52:00Z"],
    ["2013-10-10T16:52:00-0230", "2013-10-10T19:22:00Z"],
    ["2023-08-11 11:41:25", "2023-08-11T11:41:25Z"],
    ["2024-06-01T10:00:00.123456789Z", "2024-06-01T10:00:00.123Z"],
  ])("reads %s", (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseIsoTime(input);

    // Assess
    expect(ms).toBe(iso(expected));
  });

  it.each([
    "2018-07-02",
    "2018-07-02T22:23:00.Z",
    "2018-07-02T22:23:00ZZ",
    "2018-02-30T00:00:00Z",
    "yesterday at noon!!",
  ])("rejects %s", (text) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseIsoTime(input);

    // Assess
    expect(ms).toBeNaN();
  });

  it("reads W3C date and time columns, with and without fraction", () => {
    // Prepare
    const cases = [
      parseW3cDateTime("2019-12-04", "21:02:31"),
      parseW3cDateTime("2012-08-15", "17:00:00.363"),
    ];

    // Act
    const bad = [parseW3cDateTime("2019-12-4", "21:02:31"), parseW3cDateTime("2019-12-04", "21:02")];

    // Assess
    expect(cases).toEqual([iso("2019-12-04T21:02:31Z"), iso("2012-08-15T17:00:00.363Z")]);
    expect(bad.every(Number.isNaN)).toBe(true);
  });

  it("reads epoch numbers in seconds, milliseconds, microseconds and nanoseconds", () => {
    // Prepare
    const expected = iso("2023-11-14T22:13:20.500Z");

    // Act
    const values = [
      epochToMs(1700000000.5),
      epochToMs(1700000000500),
      epochToMs(1700000000500000),
      epochToMs(1.7000000005e18),
    ];

    // Assess
    expect(values).toEqual([expected, expected, expected, expected]);
    expect(epochToMs(-1)).toBeNaN();
    expect(epochToMs(Number.POSITIVE_INFINITY)).toBeNaN();
  });
});
