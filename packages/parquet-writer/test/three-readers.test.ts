import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ColumnSpec, encodeRows, type TableSpec } from "../src/index.ts";
import { expectAgreement, readThree } from "./agreement.ts";
import { seededRandom } from "./random.ts";
import { closeDuckDB } from "./readers.ts";

/**
 * Every file here is read by DuckDB, hyparquet and arrow-rs (parquet-wasm); all three must give the written rows,
 * the column types, the row groups, and statistics equal to the values' (see agreement.ts).
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "parquet-writer-readers-"));
});
afterAll(async () => {
  closeDuckDB();
  await rm(dir, { recursive: true, force: true });
});

const column = (
  name: string,
  type: ColumnSpec["type"],
  nullable: boolean,
  more: Partial<ColumnSpec> = {},
): ColumnSpec => ({ name, type, nullable, ...more });

/** Every type × encoding × way of collecting strings, required and nullable. */
const EVERYTHING: TableSpec = {
  name: "everything",
  columns: [
    column("ts", "timestamp_ms", false, { encoding: "delta" }),
    column("ts_plain", "timestamp_ms", true, { encoding: "plain" }),
    column("ts_sparse", "timestamp_ms", true, { encoding: "delta" }),
    column("s_codes_dict", "string", true, { encoding: "dictionary", collect: "codes" }),
    column("s_codes_auto", "string", false, { collect: "codes" }),
    column("s_codes_plain", "string", true, { encoding: "plain", collect: "codes" }),
    column("s_bytes_dict", "string", true, { encoding: "dictionary" }),
    column("s_bytes_auto_few", "string", true),
    column("s_bytes_auto_many", "string", false),
    column("s_bytes_plain", "string", true, { encoding: "plain", statistics: false }),
    column("s_null_runs", "string", true),
    column("s_all_null", "string", true),
    column("s_codes_all_null", "string", true, { collect: "codes", encoding: "dictionary" }),
    column("i32_dict", "int32", true, { encoding: "dictionary" }),
    column("i32", "int32", false),
    column("i32_all_null", "int32", true, { encoding: "dictionary" }),
    column("i64_delta", "int64", false, { encoding: "delta" }),
    column("i64_big_delta", "int64", true, { encoding: "delta" }),
    column("i64_plain", "int64", true),
    column("f64", "double", true),
    column("f64_req", "double", false, { statistics: false }),
    column("b", "boolean", false),
    column("b_opt", "boolean", true),
  ],
};

const WORDS = [
  "",
  "a",
  "/",
  "/index.html",
  "ünïcødé",
  "日本語",
  "😀 emoji",
  'tab\tquote"',
  "NUL \u0000 inside",
  "Mozilla/5.0 (X11; Linux x86_64)",
];

function everythingRows(seed: number, count: number): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const orNull = <T>(value: T, share: number): T | null => (random() < share ? null : value);
  const rows: Record<string, unknown>[] = [];
  let ts = Date.UTC(2026, 10, 20);
  let big = 2n ** 60n;
  for (let i = 0; i < count; i++) {
    ts += Math.floor(random() * 2000) - 200;
    // Now and then a delta beyond what doubles hold exactly: the BigInt path of DELTA_BINARY_PACKED.
    big += BigInt(Math.floor(random() * 2 ** 30)) * (random() < 0.01 ? 2n ** 22n : 1n);
    rows.push({
      ts,
      ts_plain: orNull(ts - Math.floor(random() * 1e9), 0.3),
      ts_sparse: i % 2 === 0 ? null : BigInt(ts),
      s_codes_dict: orNull(pick(WORDS), 0.2),
      s_codes_auto: random() < 0.5 ? pick(WORDS) : `${pick(WORDS)}-${i}`,
      s_codes_plain: orNull(pick(WORDS), 0.5),
      s_bytes_dict: orNull(`${pick(WORDS)}/${Math.floor(random() * 50)}`, 0.1),
      s_bytes_auto_few: orNull(pick(WORDS), 0.05),
      s_bytes_auto_many: `${i}-${Math.floor(random() * 1e9).toString(36)}-${pick(WORDS)}`,
      s_bytes_plain: orNull(`${pick(WORDS)}${"x".repeat(Math.floor(random() * 40))}`, 0.25),
      // Runs of 0–200 nulls and values: RLE runs and bit-packed groups in the definition levels.
      s_null_runs: Math.floor(i / 97) % 3 === 0 ? null : `run ${Math.floor(i / 97)}`,
      s_all_null: null,
      s_codes_all_null: null,
      i32_dict: orNull(pick([200, 301, 304, 404, 500, -1, 2147483647, -2147483648]), 0.1),
      i32: Math.floor(random() * 2 ** 32) - 2 ** 31,
      i32_all_null: null,
      i64_delta: i * 3 + Math.floor(random() * 5),
      i64_big_delta: orNull(random() < 0.5 ? big : -big, 0.1),
      i64_plain: orNull(
        pick([0, -1, Number.MAX_SAFE_INTEGER, -(2n ** 63n), 2n ** 63n - 1n, 42n, -9007199254740991]),
        0.2,
      ),
      f64: orNull(pick([0, -0, 0.1, -1.5e300, Number.NaN, 1 / 3, 5e-324, Infinity, -Infinity]), 0.2),
      f64_req: pick([1.25, -0, 3e10]),
      b: random() < 0.3,
      b_opt: orNull(random() < 0.5, 0.3),
    });
  }
  return rows;
}

const NO_STATISTICS = ["s_bytes_plain", "f64_req"];

describe("three readers, one file", () => {
  it("agree on every type, encoding and null pattern over several row groups", async () => {
    // Prepare
    const rows = everythingRows(1, 6000);
    // Act
    const bytes = encodeRows(EVERYTHING, rows, { rowGroupSize: 2500 });
    const views = await readThree(bytes, dir, "everything.parquet");
    // Assess
    expectAgreement(views, EVERYTHING, rows, { rowGroupSize: 2500, withoutStatistics: NO_STATISTICS });
  });

  it("write the encodings each column asks for (as DuckDB and hyparquet list them)", async () => {
    // Prepare
    const rows = everythingRows(2, 3000);
    const bytes = encodeRows(EVERYTHING, rows);
    // Act
    const meta = parquetMetadata(bytes.buffer as ArrayBuffer);
    const encodings = Object.fromEntries(
      (meta.row_groups[0]?.columns ?? []).map((c) => [
        c.meta_data?.path_in_schema[0],
        c.meta_data?.encodings,
      ]),
    );
    const [duck] = await readThree(bytes, dir, "encodings.parquet");
    // Assess
    expect(duck.rows).toHaveLength(3000);
    expect(encodings).toEqual({
      ts: ["DELTA_BINARY_PACKED"],
      ts_plain: ["PLAIN"],
      ts_sparse: ["DELTA_BINARY_PACKED"],
      s_codes_dict: ["PLAIN", "RLE_DICTIONARY"],
      s_codes_auto: ["PLAIN"],
      s_codes_plain: ["PLAIN"],
      s_bytes_dict: ["PLAIN", "RLE_DICTIONARY"],
      s_bytes_auto_few: ["PLAIN", "RLE_DICTIONARY"],
      s_bytes_auto_many: ["PLAIN"],
      s_bytes_plain: ["PLAIN"],
      s_null_runs: ["PLAIN", "RLE_DICTIONARY"],
      s_all_null: ["PLAIN"],
      s_codes_all_null: ["PLAIN"],
      i32_dict: ["PLAIN", "RLE_DICTIONARY"],
      i32: ["PLAIN"],
      i32_all_null: ["PLAIN"],
      i64_delta: ["DELTA_BINARY_PACKED"],
      i64_big_delta: ["DELTA_BINARY_PACKED"],
      i64_plain: ["PLAIN"],
      f64: ["PLAIN"],
      f64_req: ["PLAIN"],
      b: ["RLE"],
      b_opt: ["RLE"],
    });
  });

  it("agree on an empty table: no rows, no row groups, the right columns", async () => {
    // Prepare, Act
    const bytes = encodeRows(EVERYTHING, []);
    const views = await readThree(bytes, dir, "empty.parquet");
    // Assess
    expectAgreement(views, EVERYTHING, [], { rowGroupSize: 1 });
  });

  it("agree on a table where every nullable column is null", async () => {
    // Prepare: required columns keep values, every nullable one is null in all 300 rows
    const rows = everythingRows(3, 300).map((row) =>
      Object.fromEntries(EVERYTHING.columns.map((c) => [c.name, c.nullable ? null : row[c.name]])),
    );
    // Act
    const bytes = encodeRows(EVERYTHING, rows, { rowGroupSize: 128 });
    const views = await readThree(bytes, dir, "all-null.parquet");
    // Assess
    expectAgreement(views, EVERYTHING, rows, { rowGroupSize: 128, withoutStatistics: NO_STATISTICS });
  });

  it("agree on many small row groups", async () => {
    // Prepare
    const rows = everythingRows(4, 400);
    // Act
    const bytes = encodeRows(EVERYTHING, rows, { rowGroupSize: 7 });
    const views = await readThree(bytes, dir, "many-groups.parquet");
    // Assess
    expect(views[0].rowGroupSizes).toHaveLength(58);
    expectAgreement(views, EVERYTHING, rows, { rowGroupSize: 7, withoutStatistics: NO_STATISTICS });
  });

  it("agree on long strings: a 3 MB value, chunks of several 1 MiB pages, bounds shortened to 16 bytes", async () => {
    // Prepare
    const table: TableSpec = {
      name: "long",
      columns: [
        column("text", "string", true),
        column("plain", "string", false, { encoding: "plain" }),
        column("dict", "string", true, { encoding: "dictionary", collect: "codes" }),
      ],
    };
    const huge = `${"ä€𝄞x".repeat(300_000)}end`;
    const rows = Array.from({ length: 40_000 }, (_, i) => ({
      text: i === 5 ? huge : i % 7 === 0 ? null : `${i}:${"é".repeat(70)}`,
      plain: `${"€".repeat(6)}${i % 10}`,
      // Bounds of 20 bytes of U+10FFFF: no shorter string is greater, so the max stays whole.
      dict: i % 3 === 0 ? "\u{10FFFF}".repeat(5) : i % 3 === 1 ? `aaaaaaaaaaaaaaaaaaaa${i % 5}` : null,
    }));
    // Act
    const bytes = encodeRows(table, rows, { rowGroupSize: 30_000 });
    const views = await readThree(bytes, dir, "long.parquet");
    const chunk = parquetMetadata(bytes.buffer as ArrayBuffer).row_groups[0]?.columns[0]?.meta_data;
    // Assess
    expectAgreement(views, table, rows, { rowGroupSize: 30_000 });
    const pages = chunk?.encoding_stats?.find((s) => s.page_type === "DATA_PAGE_V2")?.count;
    expect(pages).toBeGreaterThanOrEqual(4);
    const stats = views[0].statistics[0];
    expect(stats?.text?.minExact).toBe(false);
    expect(stats?.text?.maxExact).toBe(false);
    expect(stats?.dict?.max).toBe(`s:${"\u{10FFFF}".repeat(5)}`);
    expect(stats?.dict?.maxExact).toBe(true);
  });

  it("agree on unicode: 4-byte characters, NUL, BOM, combining marks; a lone surrogate becomes U+FFFD", async () => {
    // Prepare
    const table: TableSpec = {
      name: "unicode",
      columns: [
        column("bytes", "string", true),
        column("codes", "string", true, { collect: "codes", encoding: "dictionary" }),
      ],
    };
    const texts = [
      "plain",
      "\u0000",
      "\uFEFFbom",
      "e\u0301 combining",
      "😀🇩🇪",
      "𝄞 music",
      "\u{10FFFF}",
      "\uD800 lone high",
      "lone low \uDC00",
      "ÿ",
      "\u07FF\u0800\uFFFF",
      "",
    ];
    const rows = Array.from({ length: 600 }, (_, i) => ({
      bytes: i % 13 === 12 ? null : texts[i % texts.length],
      codes: i % 11 === 10 ? null : texts[(i * 7) % texts.length],
    }));
    // Act
    const bytes = encodeRows(table, rows, { rowGroupSize: 250 });
    const views = await readThree(bytes, dir, "unicode.parquet");
    // Assess
    expectAgreement(views, table, rows, { rowGroupSize: 250 });
    expect(views[2].rows[7]?.bytes).toBe("\uFFFD lone high");
  });

  it("agree on large dictionaries: codes past 255 and 65,535 values, 100,000 distinct byte strings", async () => {
    // Prepare
    const table: TableSpec = {
      name: "dictionaries",
      columns: [
        column("codes", "string", true, { encoding: "dictionary", collect: "codes" }),
        column("bytes", "string", false, { encoding: "dictionary" }),
        column("ints", "int32", false, { encoding: "dictionary" }),
      ],
    };
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      codes: i % 8 === 7 ? null : `v${i % 70_000}`,
      bytes: `b${(i * 7919) % 100_000}`,
      ints: (i * 31) % 65_537,
    }));
    // Act
    const bytes = encodeRows(table, rows);
    const views = await readThree(bytes, dir, "dictionaries.parquet");
    // Assess
    expectAgreement(views, table, rows, { rowGroupSize: 100_000 });
  });

  it("catch a footer whose statistics do not match the data, and a value that differs (positive controls)", async () => {
    // Prepare: an int32 column whose minimum, 0x12345678, occurs once in the footer; patch it to 0x12345679
    const table: TableSpec = { name: "tampered", columns: [column("n", "int32", false)] };
    const rows = Array.from({ length: 50 }, (_, i) => ({ n: 0x12345678 + i }));
    const bytes = encodeRows(table, rows);
    const footer = bytes.length - 8 - new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    const at = Buffer.from(bytes).indexOf(Buffer.from([0x78, 0x56, 0x34, 0x12]), footer);
    expect(at).toBeGreaterThan(footer);
    bytes[at] = 0x79;
    // Act
    const views = await readThree(bytes, dir, "tampered.parquet");
    // Assess
    expect(() => expectAgreement(views, table, rows, { rowGroupSize: 100_000 })).toThrow(
      /row group 0, n: min/,
    );
    // and a value that differs from the input
    const other = rows.map((r, i) => (i === 3 ? { n: r.n + 1 } : r));
    expect(() => expectAgreement(views, table, other, { rowGroupSize: 100_000 })).toThrow(/duckdb: row 3/);
  });
});
