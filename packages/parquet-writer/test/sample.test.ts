import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { encodeRows, type TableSpec } from "../src/index.ts";

/**
 * An `auto` byte-array column decides PLAIN or dictionary as hyparquet-writer does: 1,000 values spread evenly over
 * the row group (row ⌊i·(n−1)/999⌋), and a dictionary only when their distinct values make up at most 90 % of their
 * bytes. A small row group (up to 2,000 rows) builds its dictionary first and reads that answer from its codes: the
 * decision must still be the sample's, not the whole chunk's.
 */

const TABLE: TableSpec = { name: "t", columns: [{ name: "s", type: "string", nullable: true }] };

/** The rows the sample reads, for a row group of `n` rows. */
function sampledRows(n: number): Set<number> {
  const samples = Math.min(n, 1000);
  const rows = new Set<number>();
  for (let i = 0; i < samples; i++) rows.add(samples === 1 ? 0 : Math.floor((i * (n - 1)) / (samples - 1)));
  return rows;
}

function encodingsOf(bytes: Uint8Array): readonly string[] {
  const meta = parquetMetadata(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  return meta.row_groups[0]?.columns[0]?.meta_data?.encodings ?? [];
}

async function valuesOf(bytes: Uint8Array): Promise<unknown[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return (await parquetReadObjects({ file })).map((row) => row.s);
}

const LONG = "a-long-value-repeated-by-the-rows-the-sample-skips/".repeat(20);

describe("an auto byte-array column in a small row group", () => {
  for (const n of [1500, 2000, 2001]) {
    it(`is PLAIN when the sampled rows are all distinct, though a dictionary of the chunk would pay (${n} rows)`, async () => {
      // Prepare: every sampled row a short value of its own; every other row one long value, so that a dictionary
      // of the whole chunk (its bytes mostly that one value) would pay — the sample must decide, not the chunk.
      const sampled = sampledRows(n);
      const rows = Array.from({ length: n }, (_, r) => ({ s: sampled.has(r) ? `v${r}` : LONG }));
      // Act
      const bytes = encodeRows(TABLE, rows);
      // Assess
      expect(encodingsOf(bytes)).toEqual(["PLAIN"]);
      expect(await valuesOf(bytes)).toEqual(rows.map((row) => row.s));
    });

    it(`is a dictionary when the sampled rows repeat (${n} rows)`, async () => {
      // Prepare: the sampled rows take 10 long values; a third of the others short values of their own, the rest null.
      const sampled = sampledRows(n);
      const rows = Array.from({ length: n }, (_, r) => ({
        s: sampled.has(r) ? `${LONG}${r % 10}` : r % 3 === 0 ? `once-${r}` : null,
      }));
      // Act
      const bytes = encodeRows(TABLE, rows);
      // Assess
      expect(encodingsOf(bytes)).toEqual(["PLAIN", "RLE_DICTIONARY"]);
      expect(await valuesOf(bytes)).toEqual(rows.map((row) => row.s));
    });
  }

  it("compares sampled values without a leading byte order mark, as the sample always did", async () => {
    // Prepare: 1,500 rows; the sampled rows come in pairs, a short text and the same text after U+FEFF — distinct
    // bytes, but one value to the sample, which then sees half its bytes distinct and says "dictionary"; the other
    // rows repeat one long value, so the dictionary pays. Judged by the bytes alone, the sample would say PLAIN.
    const sampled = [...sampledRows(1500)];
    const texts = new Map(sampled.map((r, i) => [r, `${i % 2 === 0 ? "\uFEFF" : ""}t${i >> 1}`]));
    const rows = Array.from({ length: 1500 }, (_, r) => ({ s: texts.get(r) ?? LONG }));
    // Act
    const bytes = encodeRows(TABLE, rows);
    // Assess
    expect(encodingsOf(bytes)).toEqual(["PLAIN", "RLE_DICTIONARY"]);
    // hyparquet decodes with TextDecoder, which drops a leading byte order mark.
    expect(await valuesOf(bytes)).toEqual(rows.map((row) => row.s.replace(/^\uFEFF/, "")));
  });
});
