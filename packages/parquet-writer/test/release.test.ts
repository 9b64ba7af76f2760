import { describe, expect, it } from "vitest";
import { ColumnBatch, freeNow } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { writeParquet } from "../src/writer.ts";
import { type Row, readWithHyparquet } from "./readers.ts";

/**
 * A batch gives the memory of the arrays it no longer uses back at once (`freeNow`: their buffers detached), not
 * when a full garbage collection finds them: the arrays it outgrew, and all of its arrays when it is released. What
 * it writes must not change — a buffer detached while still in use would read back as zeros or throw — and a
 * released batch must not be used again.
 */

const table: TableSpec = {
  name: "released",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    // codes widen from one byte to two at the 256th value and to four at the 65,536th
    { name: "agent", type: "string", nullable: true, encoding: "auto", collect: "codes" },
    // bytes: its data grows apart from the rows, and a late first value sizes its arrays to the batch's capacity
    { name: "path", type: "string", nullable: true, encoding: "auto" },
    { name: "note", type: "string", nullable: true, encoding: "plain" },
    { name: "status", type: "int32", nullable: true, encoding: "dictionary" },
    { name: "bytes", type: "int64", nullable: true },
    { name: "bot", type: "boolean", nullable: true },
  ],
};

const ROWS = 70_000;

function row(i: number): Row {
  return {
    ts: 1_700_000_000_000 + i * 1_000,
    agent: i % 9 === 0 ? null : `agent/${i}`,
    path: i % 5 === 0 ? null : `/p/${"segment-".repeat(i % 4)}${i}`,
    note: i >= 40_000 && i % 3 === 0 ? `n${i}` : null,
    status: i % 4 === 0 ? null : 200 + (i % 7),
    bytes: i % 6 === 0 ? null : BigInt(i) * 1_000_003n,
    bot: i % 8 === 0 ? null : i % 2 === 0,
  };
}

describe("a batch giving memory back at once", () => {
  it("reads back as the rows given after growing from 32 rows past arrays of 64 KiB and more", async () => {
    // Arrange: every column's arrays are outgrown several times beyond the size freeNow gives back
    const rows = Array.from({ length: ROWS }, (_, i) => row(i));
    const batch = new ColumnBatch(table);

    // Act
    for (const each of rows) batch.add(each);
    const file = writeParquet(table, batch.finish(), { rowGroupSize: 100_000, createdBy: "test" });

    // Assert
    const view = await readWithHyparquet(file);
    expect(view.rows).toEqual(rows);
  });

  it("detaches the arrays of a released batch, which then refuses rows and cannot be reused", () => {
    // Arrange: a finished batch whose timestamps (8 bytes a row) are well above 64 KiB
    const batch = new ColumnBatch(table);
    for (let i = 0; i < 20_000; i++) batch.add(row(i));
    const data = batch.finish();
    const column = data.columns[0];
    if (column?.kind !== "double") throw new Error("ts is a double column");
    const timestamps = column.values;
    expect(timestamps.length).toBe(20_000);
    batch.reset();

    // Act
    batch.release();

    // Assert
    expect(timestamps.length).toBe(0);
    expect(batch.reusable).toBe(false);
    expect(batch.bytesHeld).toBe(0);
    expect(() => batch.add(row(0))).toThrow("already encoded");
  });

  it("leaves small arrays to the collector, and takes a large array's whole buffer, with every view of it", () => {
    // Arrange
    const small = new Uint8Array(1_024);
    const large = new Uint8Array(256 * 1024);
    const view = new Uint8Array(large.buffer, 0, 16);

    // Act
    freeNow(small);
    freeNow(large);

    // Assert: the small one stays; the large one's buffer went, and with it every view of it
    expect(small.length).toBe(1_024);
    expect(large.length).toBe(0);
    expect(view.length).toBe(0);
  });
});

describe("a batch's room for rows", () => {
  it("is never more than half as much again as its rows need, whatever their number", () => {
    // Arrange: one fixed-width column (4 bytes a row), so the memory held is the room for rows
    const narrow: TableSpec = { name: "narrow", columns: [{ name: "n", type: "int32", nullable: false }] };

    for (const rows of [1_000, 10_000, 40_000, 100_000]) {
      // Act
      const batch = new ColumnBatch(narrow);
      for (let i = 0; i < rows; i++) batch.add({ n: i });

      // Assert: doubling would hold up to twice (10,000 rows in room for 16,384: 1.64×)
      expect(batch.bytesHeld).toBeGreaterThanOrEqual(4 * rows);
      expect(batch.bytesHeld).toBeLessThanOrEqual(1.5 * 4 * rows);
    }
  });
});
