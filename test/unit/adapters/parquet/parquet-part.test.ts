import { type BatchData, batchBuffers, ColumnBatch } from "@logsieve/parquet-writer";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import {
  BatchPool,
  ParquetEncoder,
  ParquetPart,
} from "../../../../functions/adapters/parquet/parquet-encoder.ts";
import { ThreadedParquetEncoder } from "../../../../functions/adapters/parquet/worker-encoder.ts";
import { EVENTS_SCHEMA } from "../../../../functions/core/zones.ts";
import type { TablePart } from "../../../../functions/ports/table-encoder.ts";
import { eventRows } from "../../../helpers/parquet-rows.ts";

/**
 * An object written a row group at a time as its rows arrive (`startPart`, what the ingest pipeline's partitions use)
 * must be the very file `encode` writes from all the rows at once: the lake's objects may not depend on when a row
 * group was encoded, nor on which thread.
 */

const GROUP = 1_000;

/**
 * Event rows whose later row groups meet `codes` values in another order than the first one did and values the
 * first never saw: a row group's dictionary is its own (order of first appearance in the row group), not the order
 * in which a part's batch first met the values.
 */
function rowsAcrossGroups(count: number) {
  return eventRows(count).map((row, i) => {
    const group = Math.floor(i / GROUP);
    const countries = ["DE", "AT", "CH", "FR", "NL"];
    return {
      ...row,
      country: group % 2 === 0 ? countries[i % 3] : countries[4 - ((i + group) % 5)],
      browser: group === 2 ? `Browser ${i % 4}` : "Firefox",
      path: `/g${group % 3}/${(i * 7) % 113}`,
    };
  });
}

async function streamed(part: TablePart, rows: readonly Record<string, unknown>[]): Promise<Uint8Array> {
  for (const row of rows) part.add(row);
  return part.finish();
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

describe("a part encoded row group by row group", () => {
  it.each([
    ["several full row groups and a partial one", 4_321, undefined],
    ["exactly two row groups", 2 * GROUP, undefined],
    ["fewer rows than one row group", 17, undefined],
    ["more rows than the caller expected", 3_500, 1_500],
  ])("gives the bytes encode() writes at once: %s", async (_name, count, expectedRows) => {
    // Prepare
    const rows = rowsAcrossGroups(count);
    const encoder = new ParquetEncoder({ rowGroupSize: GROUP });
    const atOnce = encoder.encode(EVENTS_SCHEMA, rows);

    // Act
    const part = encoder.startPart(EVENTS_SCHEMA, expectedRows);
    const bytes = await streamed(part, rows);

    // Assess
    expect(part.rows).toBe(count);
    expect(same(bytes, atOnce)).toBe(true);
    const meta = parquetMetadata(bytes.buffer.slice(0) as ArrayBuffer);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual(
      Array.from({ length: Math.ceil(count / GROUP) }, (_, g) => Math.min(GROUP, count - g * GROUP)),
    );
  });

  it("gives the same bytes when its row groups are encoded on the worker thread", async () => {
    // Prepare
    const rows = rowsAcrossGroups(6_500);
    const atOnce = new ParquetEncoder({ rowGroupSize: GROUP }).encode(EVENTS_SCHEMA, rows);
    const threaded = new ThreadedParquetEncoder({ rowGroupSize: GROUP });

    // Act: two parts filled side by side, as two open partitions are
    const first = threaded.startPart(EVENTS_SCHEMA);
    const second = threaded.startPart(EVENTS_SCHEMA);
    for (const row of rows) {
      first.add(row);
      second.add(row);
    }
    const [a, b] = await Promise.all([first.finish(), second.finish()]);
    await threaded.close();

    // Assess
    expect(same(a, atOnce)).toBe(true);
    expect(same(b, atOnce)).toBe(true);
    const read = await parquetReadObjects({ file: a.buffer.slice(0) as ArrayBuffer, columns: ["path"] });
    expect(read.map((r) => r.path)).toEqual(rows.map((r) => r.path));
  });

  it("holds at most one row group as columns, the earlier ones as their encoded bytes", async () => {
    // Prepare: what one row group of these rows takes as columns, and what all of them would
    const rows = rowsAcrossGroups(30 * GROUP);
    const oneGroup = new ColumnBatch(new ParquetEncoder().tableOf(EVENTS_SCHEMA), GROUP);
    for (const row of rows.slice(0, GROUP)) oneGroup.add(row);
    const oneGroupBytes = oneGroup.bytesHeld;
    const whole = new ParquetEncoder().startBatch(EVENTS_SCHEMA, rows.length);
    for (const row of rows) whole.add(row);
    const wholeBytes = whole.bytesHeld;
    const part = new ParquetEncoder({ rowGroupSize: GROUP }).startPart(EVENTS_SCHEMA, rows.length);

    // Act
    let most = 0;
    for (const row of rows) {
      part.add(row);
      most = Math.max(most, part.bytesHeld);
    }
    const file = await part.finish();

    // Assess: never more than the file's own bytes and one row group's columns
    expect(most).toBeLessThanOrEqual(file.byteLength + oneGroupBytes);
    expect(most).toBeLessThan(wholeBytes / 4);
  });

  it("reports an encoding failure when it finishes, whether the row group failed at once or on another thread", async () => {
    // Prepare
    const table = new ParquetEncoder().tableOf(EVENTS_SCHEMA);
    const rows = rowsAcrossGroups(3 * GROUP);
    const throwing = new ParquetPart(table, { rowGroupSize: GROUP }, undefined, () => {
      throw new Error("cannot encode events (1000 rows): the Parquet writer failed (Error)");
    });
    const rejecting = new ParquetPart(table, { rowGroupSize: GROUP }, undefined, (data: BatchData) =>
      Promise.reject(new Error(`cannot encode events (${data.rows} rows): the worker failed`)),
    );

    // Act
    for (const row of rows) {
      throwing.add(row);
      rejecting.add(row);
    }

    // Assess
    await expect(throwing.finish()).rejects.toThrow("the Parquet writer failed");
    await expect(rejecting.finish()).rejects.toThrow("cannot encode events (1000 rows): the worker failed");
  });

  it("takes a finished part's batch for the next part of its table, with the bytes of a fresh encoder", async () => {
    // Prepare: a first part whose rows grow its batch past one row group and widen its codes
    const first = rowsAcrossGroups(2_500).map((row, i) => ({ ...row, browser: `Browser ${i}` }));
    const next = rowsAcrossGroups(1_700).reverse();
    const encoder = new ParquetEncoder({ rowGroupSize: GROUP });
    await streamed(encoder.startPart(EVENTS_SCHEMA), first);
    const kept = encoder.batches.bytesHeld;

    // Act
    const part = encoder.startPart(EVENTS_SCHEMA);
    const taken = encoder.batches.bytesHeld;
    const bytes = await streamed(part, next);

    // Assess: the pool gave its batch and got it back; the bytes are those of rows encoded at once
    expect(kept).toBeGreaterThan(0);
    expect(taken).toBe(0);
    expect(encoder.batches.bytesHeld).toBe(kept);
    expect(same(bytes, new ParquetEncoder({ rowGroupSize: GROUP }).encode(EVENTS_SCHEMA, next))).toBe(true);
  });

  it("keeps batches in its pool up to its limit, and none whose buffers went to another thread", () => {
    // Prepare
    const table = new ParquetEncoder().tableOf(EVENTS_SCHEMA);
    const filled = () => {
      const batch = new ColumnBatch(table);
      for (const row of rowsAcrossGroups(GROUP)) batch.add(row);
      batch.finish();
      return batch;
    };
    const measured = filled();
    measured.reset();
    const one = measured.bytesHeld;
    const pool = new BatchPool(2.5 * one);

    // Act
    for (let i = 0; i < 4; i++) pool.give(filled());

    // Assess
    expect(pool.bytesHeld).toBe(2 * one);
    const sent = new ColumnBatch(table);
    for (const row of rowsAcrossGroups(10)) sent.add(row);
    const finished = sent.finish();
    structuredClone(finished, { transfer: batchBuffers(finished) });
    pool.give(sent);
    expect(pool.bytesHeld).toBe(2 * one);
    expect(pool.take(table).rows).toBe(0);
    expect(pool.bytesHeld).toBe(one);
  });

  it("gives back at once the memory of a batch it has no room for, and keeps one it has room for", () => {
    // Prepare: batches of 20,000 event rows (their timestamps alone 160 KB), finished and encoded
    const table = new ParquetEncoder().tableOf(EVENTS_SCHEMA);
    const rows = rowsAcrossGroups(20 * GROUP);
    const finished = () => {
      const batch = new ColumnBatch(table);
      for (const row of rows) batch.add(row);
      const data = batch.finish();
      const ts = data.columns[0];
      if (ts?.kind !== "double") throw new Error("ts is a double column");
      return { batch, timestamps: ts.values };
    };
    const kept = finished();
    const dropped = finished();
    const one = (() => {
      const { batch } = finished();
      batch.reset();
      return batch.bytesHeld;
    })();
    const pool = new BatchPool(1.5 * one);

    // Act
    pool.give(kept.batch);
    pool.give(dropped.batch);

    // Assess: the one past the limit is released (its arrays detached: what its finished data viewed is gone) and
    // not kept; the other is kept with its arrays
    expect(dropped.timestamps.length).toBe(0);
    expect(dropped.batch.reusable).toBe(false);
    expect(kept.timestamps.length).toBe(20 * GROUP);
    expect(pool.bytesHeld).toBe(one);
    expect(pool.take(table)).toBe(kept.batch);
  });
});
