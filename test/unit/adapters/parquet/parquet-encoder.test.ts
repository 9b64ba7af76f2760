import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { EncodeError, ParquetEncoder } from "../../../../functions/adapters/parquet/parquet-encoder.ts";
import { ThreadedParquetEncoder } from "../../../../functions/adapters/parquet/worker-encoder.ts";
import { EVENTS_SCHEMA } from "../../../../functions/core/zones.ts";
import { eventRows, MIXED, MIXED_ROWS, ROW_A, ROW_B, T } from "../../../helpers/parquet-rows.ts";

/** The Parquet encoder read back by hyparquet, its determinism and its errors (DuckDB's reading: test/engines/). */

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe("ParquetEncoder through the hyparquet reader", () => {
  it("round-trips every column type, nulls and odd strings", async () => {
    // Prepare
    const encoder = new ParquetEncoder();
    // Act
    const bytes = encoder.encode(MIXED, MIXED_ROWS);
    const rows = await parquetReadObjects({ file: toArrayBuffer(bytes) });
    // Assess
    expect(rows).toHaveLength(3);
    const [a, b, c] = rows;
    expect(new Date(a?.ts).getTime()).toBe(T);
    expect(new Date(b?.ts).getTime()).toBe(T + 1);
    expect(new Date(c?.ts).getTime()).toBe(0);
    expect(a?.ts_opt).toBeNull();
    expect(new Date(b?.ts_opt).getTime()).toBe(T - 86_400_000);
    expect(rows.map((r) => r.label)).toEqual(MIXED_ROWS.map((r) => r.label));
    expect(rows.map((r) => r.note)).toEqual([null, "", 'tab\tnewline\nquote"']);
    expect(rows.map((r) => r.n32)).toEqual([null, 0, 404]);
    expect(rows.map((r) => r.req32)).toEqual([-2147483648, 2147483647, 7]);
    expect(rows.map((r) => r.n64)).toEqual([null, -9223372036854775808n, 42n]);
    expect(rows.map((r) => r.req64)).toEqual([9007199254740991n, 9223372036854775807n, -1n]);
    expect(rows.map((r) => r.ratio)).toEqual([null, 0.1, -1.5e300]);
    expect(rows.map((r) => r.flag)).toEqual([true, false, true]);
    expect(rows.map((r) => r.maybe)).toEqual([null, false, true]);
  });

  it("writes SNAPPY, created_by logsieve and no key/value metadata", () => {
    // Prepare
    const encoder = new ParquetEncoder();
    // Act
    const meta = parquetMetadata(toArrayBuffer(encoder.encode(MIXED, MIXED_ROWS)));
    // Assess
    expect(meta.created_by).toBe("logsieve");
    expect(meta.key_value_metadata ?? []).toEqual([]);
    const codecs = new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(["SNAPPY"]);
    const required = meta.schema.filter((e) => e.repetition_type === "REQUIRED").map((e) => e.name);
    expect(required).toEqual(["ts", "label", "req32", "req64", "flag"]);
  });
});

describe("ParquetEncoder determinism and errors", () => {
  it("gives byte-identical output for the same rows, from separate encoders and row objects", () => {
    // Prepare
    const copy = MIXED_ROWS.map((r) => ({ ...r }));
    const many = Array.from({ length: 2500 }, (_, i) => ({ ...(i % 2 === 0 ? ROW_A : ROW_B), req32: i }));
    // Act
    const first = new ParquetEncoder().encode(MIXED, MIXED_ROWS);
    const second = new ParquetEncoder().encode(MIXED, copy);
    const bigFirst = new ParquetEncoder({ rowGroupSize: 1000 }).encode(MIXED, many);
    const bigSecond = new ParquetEncoder({ rowGroupSize: 1000 }).encode(MIXED, structuredClone(many));
    // Assess
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(bigSecond).equals(Buffer.from(bigFirst))).toBe(true);
  });

  it("refuses a null in a required column, naming table, column and row", () => {
    // Prepare
    const rows = [ROW_A, { ...ROW_A, label: null }];
    // Act
    const encoding = () => new ParquetEncoder().encode(MIXED, rows);
    // Assess
    expect(encoding).toThrow(EncodeError);
    expect(encoding).toThrow(
      'cannot encode mixed row 1, column "label": is null or missing but the column is not nullable',
    );
  });

  it.each([
    ["req32", "203.0.113.99", "expected a number"],
    ["req32", 2 ** 31, "expected a 32-bit integer"],
    ["req32", 1.5, "expected a 32-bit integer"],
    ["req64", 2 ** 53, "expected a safe integer or a bigint"],
    ["req64", 2n ** 63n, "bigint out of the signed 64-bit range"],
    ["flag", "203.0.113.99", "expected a boolean"],
    ["label", 203, "expected a string"],
    ["ts", "2026-11-20", "expected a safe integer or a bigint"],
  ])("refuses %s = %s with a message that never quotes the value", (column, value, problem) => {
    // Prepare
    const rows = [{ ...ROW_A, [column]: value }];
    // Act
    let message = "";
    try {
      new ParquetEncoder().encode(MIXED, rows);
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toContain(`column "${column}"`);
    expect(message).toContain(problem);
    expect(message).not.toContain(String(value));
  });
});

describe("ThreadedParquetEncoder", () => {
  it("gives the same bytes from encode(rows), a batch, and a batch encoded on the worker thread", async () => {
    // Prepare
    const rows = eventRows(5000);
    const encoder = new ParquetEncoder({ rowGroupSize: 2000 });
    const threaded = new ThreadedParquetEncoder({ rowGroupSize: 2000 });
    // Act
    const fromRows = encoder.encode(EVENTS_SCHEMA, rows);
    const batch = encoder.startBatch(EVENTS_SCHEMA, 1000);
    for (const row of rows) batch.add(row);
    const fromBatch = await encoder.encodeBatch(batch);
    const workerBatch = threaded.startBatch(EVENTS_SCHEMA);
    for (const row of rows) workerBatch.add(row);
    const fromWorker = await threaded.encodeBatch(workerBatch);
    await threaded.close();
    // Assess
    expect(Buffer.from(fromBatch).equals(Buffer.from(fromRows))).toBe(true);
    expect(Buffer.from(fromWorker).equals(Buffer.from(fromRows))).toBe(true);
  });

  it("refuses a batch twice and a batch of another encoder", async () => {
    // Prepare
    const encoder = new ParquetEncoder();
    const batch = encoder.startBatch(MIXED);
    batch.add(ROW_A);
    await encoder.encodeBatch(batch);
    const foreign = { schema: MIXED, rows: 0, add: () => {} };
    // Act, Assess
    await expect(encoder.encodeBatch(batch)).rejects.toThrow("already encoded");
    await expect(encoder.encodeBatch(foreign)).rejects.toThrow("not a batch of this encoder");
  });
});
