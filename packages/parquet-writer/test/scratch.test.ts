import { describe, expect, it } from "vitest";
import { ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { scratchBytes, writeParquet } from "../src/writer.ts";
import { seededRandom } from "./random.ts";
import { type Row, readWithHyparquet } from "./readers.ts";

/**
 * The writer's working memory stays at what one copy of the largest page needs. A row group of a `codes` column
 * with many long distinct values (user agents) has a dictionary page of megabytes: its values are laid out once, as
 * the page holds them, and compressed straight into the file — not copied into a buffer for page values and
 * compressed into a buffer of its own first, each of which then kept that size for the rest of the thread.
 */

const table: TableSpec = {
  name: "agents",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    { name: "agent", type: "string", nullable: true, encoding: "dictionary", collect: "codes" },
    { name: "referrer", type: "string", nullable: true, encoding: "dictionary" },
    { name: "status", type: "int32", nullable: false, encoding: "dictionary" },
  ],
};

const MIB = 1024 * 1024;
const DISTINCT = 16_000;
/** Long values of letters in no order: a dictionary page of ≈ 2.6 MB that Snappy barely shrinks. */
const VALUE_LENGTH = 160;

function distinctValues(seed: number, prefix: string): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: DISTINCT }, (_, i) => {
    let text = `${prefix}/${i} `;
    while (text.length < VALUE_LENGTH) text += String.fromCharCode(97 + Math.floor(random() * 26));
    return text;
  });
}

describe("the writer's working memory", () => {
  it("holds a megabytes-long dictionary page once, and writes it as the values given", async () => {
    // Arrange: 40,000 rows in one row group; each agent and referrer value appears about twice
    const agents = distinctValues(1, "Mozilla/5.0");
    const referrers = distinctValues(2, "https://example.com");
    const rows: Row[] = Array.from({ length: 40_000 }, (_, i) => ({
      ts: 1_700_000_000_000 + i,
      agent: i % 11 === 0 ? null : (agents[(i * 7) % DISTINCT] as string),
      referrer: i % 13 === 0 ? null : (referrers[(i * 5) % DISTINCT] as string),
      status: i % 3 === 0 ? 404 : 200,
    }));
    const batch = new ColumnBatch(table);
    for (const row of rows) batch.add(row);
    // Scratch already sized for a row group of this size (its per-row arrays), as by an earlier file of the thread
    writeParquet(table, new ColumnBatch(table).finish(), { rowGroupSize: 100_000 });
    const before = scratchBytes();

    // Act
    const file = writeParquet(table, batch.finish(), { rowGroupSize: 100_000, createdBy: "test" });

    // Assert: the file holds the rows; of the byte buffers, only the dictionary's and the file's grew past the
    // dictionary page's size, the others (page values, levels) stayed at their 1 MiB and 64 KiB
    const view = await readWithHyparquet(file);
    expect(view.rows).toEqual(rows);
    const after = scratchBytes();
    expect(after.dictionary).toBeGreaterThan(2 * MIB);
    expect(after.file).toBeGreaterThan(2 * MIB);
    expect(before.otherBuffers).toBe(MIB + 64 * 1024);
    expect(after.otherBuffers).toBe(before.otherBuffers);
  });
});
