import { describe, expect, it } from "vitest";
import { ByteBuffer } from "../src/bytes.ts";
import { deltaPackBigInts, deltaPackNumbers, writeHybrid } from "../src/encodings.ts";
import { writePageHeader } from "../src/thrift.ts";
import { seededRandom } from "./random.ts";

/**
 * Pieces of the format checked against bytes worked out by hand from the Parquet and Thrift specifications (the
 * readers' tests check the whole files).
 */

const bytesOf = (write: (out: ByteBuffer) => void): number[] => {
  const out = new ByteBuffer(4);
  write(out);
  return [...out.view()];
};

describe("Thrift compact protocol", () => {
  it("writes a dictionary page header", () => {
    // Act
    const bytes = bytesOf((out) =>
      writePageHeader(out, {
        type: "DICTIONARY_PAGE",
        uncompressedSize: 10,
        compressedSize: 300,
        numValues: 3,
      }),
    );
    // Assess
    // biome-ignore format: the bytes grouped by field
    expect(bytes).toEqual([
      0x15, 0x04, // field 1 (delta 1, i32): type DICTIONARY_PAGE = 2, zigzag 4
      0x15, 0x14, // field 2: uncompressed 10, zigzag 20
      0x15, 0xd8, 0x04, // field 3: compressed 300, zigzag 600 = 0x258 as varint d8 04
      0x4c, // field 7 (delta 4, struct): DictionaryPageHeader
      0x15, 0x06, // num_values 3
      0x15, 0x00, // encoding PLAIN = 0
      0x00, // end of DictionaryPageHeader
      0x00, // end of PageHeader
    ]);
  });

  it("writes a DATA_PAGE_V2 header, leaving is_compressed at its default (true)", () => {
    // Act
    const bytes = bytesOf((out) =>
      writePageHeader(out, {
        type: "DATA_PAGE_V2",
        uncompressedSize: 5,
        compressedSize: 4,
        numValues: 2,
        numNulls: 1,
        numRows: 2,
        encoding: "RLE_DICTIONARY",
        definitionLevelsLength: 2,
        compressed: true,
      }),
    );
    // Assess
    // biome-ignore format: the bytes grouped by field
    expect(bytes).toEqual([
      0x15, 0x06, // type DATA_PAGE_V2 = 3
      0x15, 0x0a, // uncompressed 5
      0x15, 0x08, // compressed 4
      0x5c, // field 8 (delta 5, struct): DataPageHeaderV2
      0x15, 0x04, // num_values 2
      0x15, 0x02, // num_nulls 1
      0x15, 0x04, // num_rows 2
      0x15, 0x10, // encoding RLE_DICTIONARY = 8
      0x15, 0x04, // definition_levels_byte_length 2
      0x15, 0x00, // repetition_levels_byte_length 0
      0x00, 0x00,
    ]);
  });
});

describe("RLE / bit-packed hybrid", () => {
  it("writes a run of 8 as an RLE run and the rest as one bit-packed group of 8", () => {
    // Act
    const bytes = bytesOf((out) => writeHybrid(out, [1, 1, 1, 1, 1, 1, 1, 1, 0, 1], 0, 10, 1));
    // Assess: header 8 << 1, value 1; header (1 group << 1) | 1, bits 0 and 1 → 0b10
    expect(bytes).toEqual([0x10, 0x01, 0x03, 0x02]);
  });

  it("packs 3-bit values LSB first", () => {
    // Act
    const bytes = bytesOf((out) => writeHybrid(out, [0, 1, 2, 3, 4, 5, 6, 7], 0, 8, 3));
    // Assess: 0b_111_110_101_100_011_010_001_000 little-endian = 0x88 0xc6 0xfa
    expect(bytes).toEqual([0x03, 0x88, 0xc6, 0xfa]);
  });
});

describe("DELTA_BINARY_PACKED", () => {
  it("writes the header, first value and one block of 4 miniblocks", () => {
    // Act: 1, 2, 3: deltas 1, 1 → min delta 1, every adjusted delta 0 → bit widths 0, no packed data
    const bytes = bytesOf((out) => deltaPackNumbers(out, [1, 2, 3], 3));
    // Assess: block 128 (80 01), 4 miniblocks, 3 values, first value zigzag 2, min delta zigzag 2, widths 0 0 0 0
    expect(bytes).toEqual([0x80, 0x01, 0x04, 0x03, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00]);
  });

  it("gives the same bytes with numbers as with BigInt wherever numbers take the values", () => {
    // Prepare: runs of small steps, big jumps and random walks, 1 to 700 values within ±2^51
    const random = seededRandom(42);
    let packedRounds = 0;
    for (let round = 0; round < 200; round++) {
      const count = 1 + Math.floor(random() * 700);
      const scale = 2 ** Math.floor(random() * 50);
      let v = Math.floor((random() - 0.5) * 2 ** 50);
      const values: number[] = [];
      for (let i = 0; i < count; i++) {
        v += Math.floor((random() - 0.4) * scale);
        values.push(Math.max(-(2 ** 51), Math.min(2 ** 51, v)));
      }
      // Act
      let packed = false;
      const viaNumbers = bytesOf((out) => {
        packed = deltaPackNumbers(out, values, count);
      });
      const viaBigInts = bytesOf((out) => deltaPackBigInts(out, values.map(BigInt)));
      // Assess: numbers decline (writing nothing) only where a miniblock needs more than 45 bits
      if (packed) {
        packedRounds++;
        expect(viaNumbers, `round ${round}`).toEqual(viaBigInts);
      } else expect(viaNumbers, `round ${round}`).toEqual([]);
    }
    expect(packedRounds).toBeGreaterThan(150);
  });

  it("declines values beyond ±2^51 with numbers, writing nothing (BigInt then takes over)", () => {
    // Act
    const bytes = bytesOf((out) => expect(deltaPackNumbers(out, [0, 2 ** 52], 2)).toBe(false));
    // Assess
    expect(bytes).toEqual([]);
  });
});
