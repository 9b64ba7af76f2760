import { describe, expect, it } from "vitest";
import { batchBuffers, ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { ParquetFileWriter, writeParquet } from "../src/writer.ts";

/**
 * A batch made ready again with `reset` (ingest reuses one row group's arrays for the next, and a finished part's
 * for the next part) gives the bytes a fresh batch gives for the same rows, whatever the rows before it held.
 */

const table: TableSpec = {
  name: "reuse",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    // codes: the first fill passes 255 and 65,535 distinct values (codes widen to 2, then 4 bytes)
    { name: "agent", type: "string", nullable: true, encoding: "auto", collect: "codes" },
    // bytes with statistics: short values, whose min and max the writer finds as views into the batch's bytes
    { name: "path", type: "string", nullable: true, encoding: "auto" },
    { name: "ip", type: "string", nullable: false, encoding: "plain", statistics: false },
    { name: "status", type: "int32", nullable: true, encoding: "dictionary" },
    { name: "bytes", type: "int64", nullable: true },
    { name: "ratio", type: "double", nullable: true },
    { name: "bot", type: "boolean", nullable: true },
  ],
};

const agents = new Map<number, string>();
/** The same string object for the same agent, as the enricher's cache hands them out. */
function agent(n: number): string {
  let text = agents.get(n);
  if (text === undefined) {
    text = `agent/${n}`;
    agents.set(n, text);
  }
  return text;
}

/** Rows of one "kind": distinct values, lengths and null patterns per kind, so a later fill differs everywhere. */
function row(kind: number, i: number): Record<string, unknown> {
  if (kind === 0)
    return {
      ts: 1_700_000_000_000 + i,
      agent: agent(i), // all distinct: 70,000 values
      path: `/zz/${"long-path-segment-".repeat(4)}${i}`,
      ip: `2001:db8::${i.toString(16)}`,
      status: 200 + (i % 300),
      bytes: BigInt(i) * 1_000_003n,
      ratio: i / 7,
      bot: i % 2 === 0,
    };
  return {
    ts: 1_800_000_000_000 - i * 3,
    agent: i % 5 === 0 ? null : agent(i % 4),
    path: i % 3 === 0 ? null : `/a/${i % 11}`,
    ip: `10.0.${i % 256}.${i % 7}`,
    status: i % 4 === 0 ? null : 404,
    bytes: i % 6 === 0 ? null : i,
    ratio: i % 8 === 0 ? null : -i,
    bot: i % 9 === 0 ? null : false,
  };
}

function fill(batch: ColumnBatch, kind: number, rows: number): ColumnBatch {
  for (let i = 0; i < rows; i++) batch.add(row(kind, i));
  return batch;
}

const options = { rowGroupSize: 50_000, createdBy: "test" };

describe("a column batch reset for new rows", () => {
  it("gives the bytes of a fresh batch, after a fill with wider codes, longer strings and other nulls", () => {
    // Prepare: the first fill grows every array and widens the codes to 4 bytes
    const batch = fill(new ColumnBatch(table), 0, 70_000);
    writeParquet(table, batch.finish(), options);

    // Act
    batch.reset();
    fill(batch, 1, 3_000);
    const reused = writeParquet(table, batch.finish(), options);

    // Assert
    const fresh = writeParquet(table, fill(new ColumnBatch(table), 1, 3_000).finish(), options);
    expect(Buffer.from(reused).equals(Buffer.from(fresh))).toBe(true);
  });

  it("gives the bytes of a fresh batch when the new rows outgrow the old ones", () => {
    const batch = fill(new ColumnBatch(table, 100), 1, 100);
    batch.finish();
    batch.reset(20_000);
    fill(batch, 0, 20_000);
    const reused = writeParquet(table, batch.finish(), options);
    const fresh = writeParquet(table, fill(new ColumnBatch(table), 0, 20_000).finish(), options);
    expect(Buffer.from(reused).equals(Buffer.from(fresh))).toBe(true);
  });

  it("keeps a file's earlier row groups intact when their batch is refilled before the footer", () => {
    // The footer holds each row group's min and max of `path`, found in the batch's bytes: refilling the batch
    // before the footer is written must not change them (fails when the writer keeps views into the batch).
    const writer = new ParquetFileWriter(table, options);
    const batch = new ColumnBatch(table);
    const pieces: Uint8Array[] = [];
    pieces.push(writer.writeRowGroups(fill(batch, 1, 5_000).finish()));
    batch.reset();
    pieces.push(writer.writeRowGroups(fill(batch, 0, 5_000).finish()));
    batch.reset();
    fill(batch, 0, 4_000); // overwrites the bytes the first row group's bounds came from, footer not yet written
    pieces.push(writer.finish());

    const all = new ColumnBatch(table);
    fill(all, 1, 5_000);
    for (let i = 0; i < 5_000; i++) all.add(row(0, i));
    const whole = writeParquet(table, all.finish(), { ...options, rowGroupSize: 5_000 });
    expect(Buffer.from(Buffer.concat(pieces)).equals(Buffer.from(whole))).toBe(true);
  });

  it("drops the rows it held, finished or not, and refuses none of the next", () => {
    const batch = fill(new ColumnBatch(table), 1, 10);
    batch.reset();
    expect(batch.rows).toBe(0);
    fill(batch, 1, 4);
    const data = batch.finish();
    expect(data.rows).toBe(4);
    expect(Buffer.from(writeParquet(table, data, options))).toEqual(
      Buffer.from(writeParquet(table, fill(new ColumnBatch(table), 1, 4).finish(), options)),
    );
  });

  it("is not reusable once its buffers were transferred to another thread", () => {
    const batch = fill(new ColumnBatch(table), 1, 10);
    expect(batch.reusable).toBe(true);
    const data = batch.finish();
    structuredClone(data, { transfer: batchBuffers(data) });
    expect(batch.reusable).toBe(false);
  });
});
