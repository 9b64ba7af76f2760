import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { ParquetFileWriter, writeParquet } from "../src/writer.ts";

/**
 * A file written row group by row group (ParquetFileWriter, what compaction streams into a multipart upload) is the
 * very file writeParquet writes from all the rows at once: same bytes, so the readers' agreement tests cover it.
 */

const table: TableSpec = {
  name: "stream",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    { name: "site", type: "string", nullable: false, encoding: "dictionary", collect: "codes" },
    { name: "path", type: "string", nullable: true, encoding: "auto" },
    { name: "status", type: "int32", nullable: false, encoding: "dictionary" },
    { name: "bytes", type: "int64", nullable: true },
    { name: "bot", type: "boolean", nullable: false },
  ],
};

function row(i: number): Record<string, unknown> {
  return {
    ts: 1_700_000_000_000 + i * 37,
    site: `site${i % 3}.example`,
    path: i % 7 === 0 ? null : `/p/${i % 50}/${i}`,
    status: [200, 304, 404][i % 3],
    bytes: i % 5 === 0 ? null : BigInt(i * 11),
    bot: i % 4 === 0,
  };
}

function batchOf(from: number, to: number) {
  const batch = new ColumnBatch(table);
  for (let i = from; i < to; i++) batch.add(row(i));
  return batch.finish();
}

describe("a file written row group by row group", () => {
  it("is byte for byte the file written at once, and reads back every row", async () => {
    // Prepare
    const rows = 2_500;
    const rowGroupSize = 1_000;
    const whole = writeParquet(table, batchOf(0, rows), { rowGroupSize, createdBy: "test" });

    // Act: batches of one row group each, the pieces concatenated as an upload would
    const writer = new ParquetFileWriter(table, { rowGroupSize, createdBy: "test" });
    const pieces: Uint8Array[] = [];
    for (let from = 0; from < rows; from += rowGroupSize)
      pieces.push(writer.writeRowGroups(batchOf(from, Math.min(rows, from + rowGroupSize))));
    pieces.push(writer.finish());
    const streamed = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) {
      streamed.set(piece, at);
      at += piece.length;
    }

    // Assess
    expect(Buffer.from(streamed).equals(Buffer.from(whole))).toBe(true);
    const read = await parquetReadObjects({ file: streamed.buffer as ArrayBuffer, columns: ["path"] });
    expect(read).toHaveLength(rows);
    expect(read[8]?.path).toBe("/p/8/8");
    expect(read[2_498]?.path).toBe("/p/48/2498");
    expect(read[2_499]?.path).toBeNull();
  });

  it("writes a valid empty file when no row was given", async () => {
    // Act
    const streamed = new ParquetFileWriter(table).finish();

    // Assess
    expect(Buffer.from(streamed).equals(Buffer.from(writeParquet(table, batchOf(0, 0))))).toBe(true);
  });
});
