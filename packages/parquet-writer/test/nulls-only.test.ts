import { describe, expect, it } from "vitest";
import { batchBuffers, ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { writeParquet } from "../src/writer.ts";
import { type Row, readWithHyparquet } from "./readers.ts";

/**
 * A `bytes` string column that holds only nulls writes nothing per row and keeps its arrays small until its first
 * value (what an ingest thread holds for the events table's empty columns: property slots, campaign tags). What is
 * read back must be exactly the rows given — nulls where they were null, each value where it was set — also in a
 * batch reused after rows that set the column everywhere (its arrays then hold the earlier rows' flags and ends).
 * The rows are checked against the rows given, read by hyparquet (another project's reader).
 */

const table: TableSpec = {
  name: "sparse",
  columns: [
    { name: "n", type: "int32", nullable: false },
    { name: "tag", type: "string", nullable: true, encoding: "plain" },
    { name: "note", type: "string", nullable: true, encoding: "auto" },
    { name: "key", type: "string", nullable: false, encoding: "plain" },
  ],
};

const options = { rowGroupSize: 100_000, createdBy: "test" };

/** Row i: `tag` set only from row `firstTag` on (every 7th row), `note` never. */
function row(i: number, firstTag: number): Row {
  return {
    n: i,
    tag: i >= firstTag && i % 7 === 0 ? `t${i}` : null,
    note: null,
    key: `k${i}`,
  };
}

function rowsOf(count: number, firstTag: number): Row[] {
  return Array.from({ length: count }, (_, i) => row(i, firstTag));
}

function fill(batch: ColumnBatch, rows: readonly Row[]): ColumnBatch {
  for (const each of rows) batch.add(each);
  return batch;
}

describe("a string column holding only nulls", () => {
  it("reads back as the rows given when its first value comes late in a large batch", async () => {
    // Arrange: `tag` null for the first 5,000 rows (the batch grows past them meanwhile), `note` null throughout
    const rows = rowsOf(20_000, 5_000);

    // Act
    const file = writeParquet(table, fill(new ColumnBatch(table), rows).finish(), options);

    // Assert
    const view = await readWithHyparquet(file);
    expect(view.rows).toEqual(rows);
  });

  it("reads back as the rows given in a batch reused after rows that set it everywhere", async () => {
    // Arrange: a first fill sets `tag` and `note` on every row (their flags and ends are all written)
    const batch = new ColumnBatch(table);
    for (let i = 0; i < 30_000; i++) batch.add({ n: i, tag: `first-${i}`, note: `note-${i}`, key: `x${i}` });
    writeParquet(table, batch.finish(), options);
    batch.reset();
    const rows = rowsOf(25_000, 12_000);

    // Act
    const file = writeParquet(table, fill(batch, rows).finish(), options);

    // Assert
    const view = await readWithHyparquet(file);
    expect(view.rows).toEqual(rows);
  });

  it("leaves its shared zeros out of the buffers a post transfers, so other finished batches still read", async () => {
    // Arrange: two batches finished, each with `note` all null
    const first = fill(new ColumnBatch(table), rowsOf(3_000, 0)).finish();
    const second = fill(new ColumnBatch(table), rowsOf(2_000, 100)).finish();

    // Act: the first batch's buffers are transferred (as the threaded encoder posts them) before the second is written
    const posted = structuredClone(first, { transfer: batchBuffers(first) });
    const file = writeParquet(table, second, options);

    // Assert: the posted copy and the second batch both read back as their rows
    expect((await readWithHyparquet(writeParquet(table, posted, options))).rows).toEqual(rowsOf(3_000, 0));
    expect((await readWithHyparquet(file)).rows).toEqual(rowsOf(2_000, 100));
  });
});
