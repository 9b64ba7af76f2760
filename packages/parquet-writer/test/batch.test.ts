import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { ColumnBatch, EncodeError, encodeRows, type TableSpec, writeParquet } from "../src/index.ts";

/** A table with every column type, nullable and not. */
const MIXED: TableSpec = {
  name: "mixed",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false, encoding: "delta" },
    { name: "label", type: "string", nullable: false, collect: "codes" },
    { name: "note", type: "string", nullable: true },
    { name: "n32", type: "int32", nullable: true },
    { name: "req32", type: "int32", nullable: false },
    { name: "req64", type: "int64", nullable: false },
    { name: "ratio", type: "double", nullable: true },
    { name: "flag", type: "boolean", nullable: false },
  ],
};

const T = Date.UTC(2026, 10, 20, 13, 55, 36, 789);
const ROW = {
  ts: T,
  label: "plain ascii",
  note: null,
  n32: null,
  req32: -2147483648,
  req64: 9007199254740991,
  ratio: 0.5,
  flag: true,
};

function rows(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    ...ROW,
    ts: T + i * 1000,
    label: ["a", "b", "ü"][i % 3],
    note: i % 4 === 0 ? null : `note ${i}`,
    req32: i,
  }));
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe("ColumnBatch and writeParquet", () => {
  it("give the same bytes for the same rows: separate batches, equal table objects, a batch that outgrew its size", () => {
    // Prepare
    const input = rows(40_000);
    const copy = structuredClone(MIXED);
    // Act
    const first = encodeRows(MIXED, input, { rowGroupSize: 15_000 });
    const second = encodeRows(copy, structuredClone(input), { rowGroupSize: 15_000 });
    const small = new ColumnBatch(MIXED, 10);
    for (const row of input) small.add(row);
    const third = writeParquet(MIXED, small.finish(), { rowGroupSize: 15_000 });
    // Assess
    expect(same(second, first)).toBe(true);
    expect(same(third, first)).toBe(true);
  });

  it("write created_by as given, SNAPPY, and no key/value metadata", async () => {
    // Prepare
    const input = rows(5);
    // Act
    const named = parquetMetadata(encodeRows(MIXED, input, { createdBy: "someone" }).buffer as ArrayBuffer);
    const unnamed = parquetMetadata(encodeRows(MIXED, input).buffer as ArrayBuffer);
    // Assess
    expect(named.created_by).toBe("someone");
    expect(unnamed.created_by).toBe("@logsieve/parquet-writer");
    expect(named.key_value_metadata ?? []).toEqual([]);
    const codecs = new Set(named.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual(["SNAPPY"]);
  });

  it("refuse a null in a required column, naming table, column and row", () => {
    // Prepare
    const batch = new ColumnBatch(MIXED);
    batch.add(ROW);
    // Act
    const adding = () => batch.add({ ...ROW, label: null });
    // Assess
    expect(adding).toThrow(EncodeError);
    expect(() => new ColumnBatch(MIXED).add({ ...ROW, label: undefined })).toThrow(
      'cannot encode mixed row 0, column "label": is null or missing but the column is not nullable',
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
    ["ts", 2n ** 60n, "timestamp outside the safe integer range"],
  ])("refuse %s = %s with a message that never quotes the value", (name, value, problem) => {
    // Prepare
    const batch = new ColumnBatch(MIXED);
    // Act
    let message = "";
    try {
      batch.add({ ...ROW, [name]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toContain(`column "${name}"`);
    expect(message).toContain(problem);
    expect(message).not.toContain(String(value));
  });

  it("refuse a row that is not an object, a spent batch, and a batch written twice", () => {
    // Prepare
    const broken = new ColumnBatch(MIXED);
    const done = new ColumnBatch(MIXED);
    done.add(ROW);
    done.finish();
    // Act, Assess
    expect(() => broken.add(null as never)).toThrow('cannot encode mixed row 0, column "(row)"');
    expect(() => broken.add(ROW)).toThrow("already encoded");
    expect(() => done.add(ROW)).toThrow("already encoded");
    expect(() => done.finish()).toThrow("already encoded");
  });

  it("refuse bad tables: no columns, a name that is not an identifier, a name twice", () => {
    // Prepare
    const empty: TableSpec = { name: "t", columns: [] };
    const bad: TableSpec = {
      name: "t",
      columns: [{ name: 'x"); process.exit(1); ("', type: "int32", nullable: false }],
    };
    const twice: TableSpec = {
      name: "t",
      columns: [
        { name: "a", type: "int32", nullable: false },
        { name: "a", type: "string", nullable: true },
      ],
    };
    // Act, Assess
    expect(() => new ColumnBatch(empty)).toThrow("table t has no columns");
    expect(() => new ColumnBatch(bad)).toThrow("bad column name");
    expect(() => encodeRows(bad, [])).toThrow("bad column name");
    expect(() => new ColumnBatch(twice)).toThrow("column a appears twice");
  });

  it("refuse columns that do not fit the table, and a row group size that is not a positive integer", () => {
    // Prepare
    const other: TableSpec = { name: "other", columns: [{ name: "x", type: "double", nullable: false }] };
    const batch = new ColumnBatch(other);
    batch.add({ x: 1.5 });
    const data = batch.finish();
    const narrow: TableSpec = { name: "narrow", columns: [{ name: "x", type: "int32", nullable: false }] };
    // Act, Assess
    expect(() => writeParquet(MIXED, data)).toThrow("the batch has 1 columns, the table 8");
    expect(() => writeParquet(narrow, data)).toThrow("holds double values, not int32");
    expect(() => encodeRows(MIXED, rows(2), { rowGroupSize: 0 })).toThrow(RangeError);
    expect(() => encodeRows(MIXED, rows(2), { rowGroupSize: 1.5 })).toThrow(RangeError);
  });

  it("ignore properties that are not columns", async () => {
    // Prepare
    const input = rows(3).map((r) => ({ ...r, extra: "not written" }));
    // Act
    const read = await parquetReadObjects({ file: encodeRows(MIXED, input).buffer as ArrayBuffer });
    // Assess
    expect(Object.keys(read[0] ?? {})).toEqual(MIXED.columns.map((c) => c.name));
  });

  it("give the same bytes for rows written value by value as for the same rows added as objects", () => {
    // Prepare: 40,000 rows (the batches grow from their first 32 rows), nulls and non-ASCII among them
    const input = rows(40_000);
    const byValue = new ColumnBatch(MIXED, 10);
    // Act
    for (const row of input) {
      byValue.number(row.ts as number);
      byValue.string(row.label as string);
      byValue.string(row.note as string | null);
      byValue.number(row.n32 as number | null);
      byValue.number(row.req32 as number);
      byValue.bigint(BigInt(row.req64 as number));
      byValue.number(row.ratio as number | null);
      byValue.boolean(row.flag as boolean);
      byValue.endRow();
    }
    // Assess
    const written = writeParquet(MIXED, byValue.finish(), { rowGroupSize: 15_000 });
    expect(same(written, encodeRows(MIXED, input, { rowGroupSize: 15_000 }))).toBe(true);
  });

  it.each([
    [
      "a string where a timestamp goes (values out of order)",
      (b: ColumnBatch) => b.string("x"),
      "ts",
      "another type",
    ],
    ["a null in a required column", (b: ColumnBatch) => b.number(null), "ts", "not nullable"],
    [
      "a timestamp that is not a safe integer",
      (b: ColumnBatch) => b.number(2 ** 53),
      "ts",
      "timestamp outside",
    ],
    ["an int32 out of range", (b: ColumnBatch) => fill(b, 4).number(2 ** 31), "req32", "32-bit integer"],
    [
      "an int64 bigint out of range",
      (b: ColumnBatch) => fill(b, 5).bigint(2n ** 63n),
      "req64",
      "64-bit range",
    ],
    ["a boolean where a string goes", (b: ColumnBatch) => fill(b, 2).boolean(true), "note", "another type"],
    ["a row ended early", (b: ColumnBatch) => fill(b, 7).endRow(), "(row)", "value missing"],
    ["a value too many", (b: ColumnBatch) => fill(b, 8).boolean(true), "?", "another type"],
  ])("refuse %s, naming the column, never the value", (_, act, column, problem) => {
    // Prepare
    const batch = new ColumnBatch(MIXED);
    // Act
    let message = "";
    try {
      act(batch);
    } catch (error) {
      message = (error as Error).message;
    }
    // Assess
    expect(message).toContain(`column "${column}"`);
    expect(message).toContain(problem);
    expect(() => batch.number(T)).toThrow();
  });

  it("refuse values for a spent batch, and a batch finished in the middle of a row", () => {
    // Prepare
    const done = new ColumnBatch(MIXED);
    fill(done, 8).endRow();
    done.finish();
    const halfway = new ColumnBatch(MIXED);
    fill(halfway, 3);
    // Act, Assess
    expect(() => done.number(T)).toThrow("already encoded");
    expect(() => halfway.finish()).toThrow("value missing");
  });
});

/** The first `count` values of {@link ROW}, given value by value. */
function fill(batch: ColumnBatch, count: number): ColumnBatch {
  const values = [
    () => batch.number(ROW.ts),
    () => batch.string(ROW.label),
    () => batch.string(ROW.note),
    () => batch.number(ROW.n32),
    () => batch.number(ROW.req32),
    () => batch.number(ROW.req64),
    () => batch.number(ROW.ratio),
    () => batch.boolean(ROW.flag),
  ];
  for (const give of values.slice(0, count)) give();
  return batch;
}
