import { parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { encodeRowGroups, ParquetFileWriter, writeParquet } from "../src/writer.ts";

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

  it("is the same file when its row groups are encoded apart (as on another thread) and appended in order", () => {
    // Prepare
    const rows = 2_500;
    const options = { rowGroupSize: 1_000, createdBy: "test" };
    const whole = writeParquet(table, batchOf(0, rows), options);

    // Act: each row group encoded on its own, its result cloned as a message between threads is
    const writer = new ParquetFileWriter(table, options);
    const pieces: Uint8Array[] = [];
    for (let from = 0; from < rows; from += 1_000) {
      const encoded = encodeRowGroups(
        table,
        batchOf(from, Math.min(rows, from + 1_000)),
        options,
        from === 0,
      );
      pieces.push(writer.append(structuredClone(encoded)));
    }
    pieces.push(writer.finish());

    // Assess
    expect(Buffer.concat(pieces).equals(Buffer.from(whole))).toBe(true);
  });

  it("refuses row groups encoded for another place in the file", () => {
    // Prepare
    const writer = new ParquetFileWriter(table);
    const first = encodeRowGroups(table, batchOf(0, 10), {}, true);
    const later = encodeRowGroups(table, batchOf(10, 20), {}, false);

    // Act and assess
    expect(() => writer.append(later)).toThrow("encoded after the file's start, appended at it");
    writer.append(first);
    expect(() => writer.append(first)).toThrow("encoded for the file's start, appended after it");
  });

  it("writes a valid empty file when no row was given", async () => {
    // Act
    const streamed = new ParquetFileWriter(table).finish();

    // Assess
    expect(Buffer.from(streamed).equals(Buffer.from(writeParquet(table, batchOf(0, 0))))).toBe(true);
  });
});
