import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ColumnHint,
  HyparquetEncoder,
} from "../../../../functions/adapters/parquet/hyparquet-encoder.ts";
import { ThreadedParquetEncoder } from "../../../../functions/adapters/parquet/worker-encoder.ts";
import { seededRandom } from "../../../../functions/apps/demo/sample-log.ts";
import type { TableSchema } from "../../../../functions/ports/table-encoder.ts";

/**
 * The columnar Parquet writer (column-batch.ts + parquet-columns.ts) against two independent readers, DuckDB and
 * hyparquet, on seeded random tables that cover every way a column can be collected and written: strings as codes
 * or bytes × dictionary / plain / auto, nulls in every pattern, several row groups, chunks of several pages,
 * delta-encoded integers beyond 2^53, non-ASCII text, empty strings, NaN and signed zeros.
 */

const TABLE: TableSchema = {
  name: "wide",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false },
    { name: "ts_opt", type: "timestamp_ms", nullable: true },
    { name: "codes_dict", type: "string", nullable: true },
    { name: "codes_auto", type: "string", nullable: false },
    { name: "codes_plain", type: "string", nullable: true },
    { name: "bytes_dict", type: "string", nullable: true },
    { name: "bytes_auto_few", type: "string", nullable: true },
    { name: "bytes_auto_many", type: "string", nullable: false },
    { name: "bytes_plain", type: "string", nullable: true },
    { name: "all_null", type: "string", nullable: true },
    { name: "n32_dict", type: "int32", nullable: true },
    { name: "n32", type: "int32", nullable: false },
    { name: "n64_delta", type: "int64", nullable: false },
    { name: "n64_big_delta", type: "int64", nullable: true },
    { name: "n64_plain", type: "int64", nullable: true },
    { name: "ratio", type: "double", nullable: true },
    { name: "flag", type: "boolean", nullable: false },
    { name: "maybe", type: "boolean", nullable: true },
  ],
};

const HINTS: Record<string, ColumnHint> = {
  ts: { encoding: "delta" },
  ts_opt: { encoding: "delta" },
  codes_dict: { encoding: "dictionary", collect: "codes" },
  codes_auto: { collect: "codes" },
  codes_plain: { encoding: "plain", collect: "codes" },
  bytes_dict: { encoding: "dictionary" },
  bytes_plain: { encoding: "plain", statistics: false },
  n32_dict: { encoding: "dictionary" },
  n64_delta: { encoding: "delta" },
  n64_big_delta: { encoding: "delta" },
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
  "Mozilla/5.0 (X11)",
];

function randomTable(seed: number, rows: number): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const maybeNull = <T>(value: T, share: number): T | null => (random() < share ? null : value);
  const out: Record<string, unknown>[] = [];
  let ts = Date.UTC(2026, 10, 20);
  let big = 2n ** 60n;
  for (let i = 0; i < rows; i++) {
    ts += Math.floor(random() * 2000) - 200;
    // Deltas beyond what numbers hold exactly now and then (2^30 · 2^22): the BigInt path of DELTA_BINARY_PACKED.
    big += BigInt(Math.floor(random() * 2 ** 30)) * (random() < 0.01 ? 2n ** 22n : 1n);
    out.push({
      ts,
      ts_opt: maybeNull(ts - Math.floor(random() * 1e6), 0.3),
      codes_dict: maybeNull(pick(WORDS), 0.2),
      codes_auto: random() < 0.5 ? pick(WORDS) : `${pick(WORDS)}-${i}`,
      codes_plain: maybeNull(pick(WORDS), 0.5),
      bytes_dict: maybeNull(`${pick(WORDS)}/${Math.floor(random() * 50)}`, 0.1),
      bytes_auto_few: maybeNull(pick(WORDS), random() < 0.001 ? 1 : 0.05),
      bytes_auto_many: `${i}-${Math.floor(random() * 1e9).toString(36)}-${pick(WORDS)}`,
      bytes_plain: maybeNull(`${pick(WORDS)}${"x".repeat(Math.floor(random() * 40))}`, 0.25),
      all_null: null,
      n32_dict: maybeNull(pick([200, 301, 304, 404, 500, -1, 2147483647, -2147483648]), 0.1),
      n32: Math.floor(random() * 2 ** 32) - 2 ** 31,
      n64_delta: i * 3 + Math.floor(random() * 5),
      n64_big_delta: maybeNull(random() < 0.5 ? big : -big, 0.1),
      n64_plain: maybeNull(
        pick([0, -1, Number.MAX_SAFE_INTEGER, -(2n ** 63n), 2n ** 63n - 1n, 42n, -9007199254740991]),
        0.2,
      ),
      ratio: maybeNull(pick([0, -0, 0.1, -1.5e300, Number.NaN, 1 / 3, 123456.789]), 0.2),
      flag: random() < 0.3,
      maybe: maybeNull(random() < 0.5, 0.3),
    });
  }
  return out;
}

/** What a reader should give back for a row (timestamps as epoch ms, int64 as bigint). */
function expected(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  for (const name of ["n64_delta", "n64_big_delta", "n64_plain"]) {
    const v = out[name];
    out[name] = v === null ? null : BigInt(v as number | bigint);
  }
  return out;
}

let dir: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-parquet-columns-"));
  instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
});
afterAll(async () => {
  duck.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function duckRows(bytes: Uint8Array, name: string): Promise<Record<string, unknown>[]> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const rows = (
    await duck.runAndReadAll(
      `SELECT * EXCLUDE (ts, ts_opt), epoch_ms(ts) AS ts, epoch_ms(ts_opt) AS ts_opt FROM read_parquet('${path}')`,
    )
  ).getRowObjectsJS();
  return rows.map((r) => ({
    ...r,
    ts: Number(r.ts),
    ts_opt: r.ts_opt === null ? null : Number(r.ts_opt),
  }));
}

function sameValues(actual: Record<string, unknown>[], rows: Record<string, unknown>[]): void {
  expect(actual).toHaveLength(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const want = expected(rows[i] as Record<string, unknown>);
    const got = actual[i] as Record<string, unknown>;
    for (const column of TABLE.columns) {
      const a = got[column.name];
      const b = want[column.name];
      if (typeof b === "number" && Number.isNaN(b))
        expect(Number.isNaN(a as number), `${column.name} row ${i}`).toBe(true);
      else if (column.name === "ratio" && b === 0)
        expect(Object.is(a, b), `signed zero, row ${i}`).toBe(true);
      else expect(a, `${column.name} row ${i}`).toEqual(b);
    }
  }
}

describe("columnar Parquet writer", () => {
  const encoder = new HyparquetEncoder({ rowGroupSize: 2500, hints: { wide: HINTS } });

  it("round-trips a random table (several row groups, nulls everywhere) through DuckDB and hyparquet", async () => {
    // Prepare
    const rows = randomTable(1, 6000);
    // Act
    const bytes = encoder.encode(TABLE, rows);
    const viaDuck = await duckRows(bytes, "wide.parquet");
    const viaHyparquet = (await parquetReadObjects({ file: toArrayBuffer(bytes) })).map((r) => ({
      ...r,
      ts: new Date(r.ts as Date).getTime(),
      ts_opt: r.ts_opt === null ? null : new Date(r.ts_opt as Date).getTime(),
    }));
    // Assess
    sameValues(viaDuck, rows);
    sameValues(viaHyparquet, rows);
    expect(parquetMetadata(toArrayBuffer(bytes)).row_groups.map((g) => Number(g.num_rows))).toEqual([
      2500, 2500, 1000,
    ]);
  });

  it("writes the encodings the hints ask for", () => {
    // Prepare
    const rows = randomTable(2, 3000);
    // Act
    const meta = parquetMetadata(toArrayBuffer(encoder.encode(TABLE, rows)));
    // Assess
    const encodings = Object.fromEntries(
      (meta.row_groups[0]?.columns ?? []).map((c) => [
        c.meta_data?.path_in_schema[0],
        c.meta_data?.encodings,
      ]),
    );
    expect(encodings).toMatchObject({
      ts: ["DELTA_BINARY_PACKED"],
      codes_dict: ["PLAIN", "RLE_DICTIONARY"],
      codes_plain: ["PLAIN"],
      bytes_dict: ["PLAIN", "RLE_DICTIONARY"],
      bytes_auto_few: ["PLAIN", "RLE_DICTIONARY"],
      bytes_auto_many: ["PLAIN"],
      bytes_plain: ["PLAIN"],
      all_null: ["PLAIN"],
      n32_dict: ["PLAIN", "RLE_DICTIONARY"],
      n32: ["PLAIN"],
      n64_delta: ["DELTA_BINARY_PACKED"],
      n64_big_delta: ["DELTA_BINARY_PACKED"],
      n64_plain: ["PLAIN"],
      ratio: ["PLAIN"],
      flag: ["RLE"],
    });
  });

  it("keeps min/max statistics in UTF-8 byte order and null counts, and none where hinted off", async () => {
    // Prepare
    const rows = randomTable(3, 2000);
    const path = join(dir, "stats.parquet");
    await writeFile(path, encoder.encode(TABLE, rows));
    // Act
    const stats = (
      await duck.runAndReadAll(
        `SELECT path_in_schema AS name, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
         FROM parquet_metadata('${path}') WHERE row_group_id = 0`,
      )
    ).getRowObjectsJS();
    const byName = Object.fromEntries(stats.map((s) => [s.name, s]));
    const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const codes = rows.map((r) => r.codes_dict).filter((v): v is string => typeof v === "string");
    const ints = rows.map((r) => r.n32_dict).filter((v): v is number => typeof v === "number");
    // Assess
    expect(byName.codes_dict?.min).toBe([...codes].sort(utf8Order)[0]);
    expect(byName.codes_dict?.max).toBe([...codes].sort(utf8Order).at(-1));
    expect(byName.codes_dict?.nulls).toBe(BigInt(rows.filter((r) => r.codes_dict === null).length));
    expect(Number(byName.n32_dict?.min)).toBe(Math.min(...ints));
    expect(Number(byName.n32_dict?.max)).toBe(Math.max(...ints));
    expect(byName.bytes_plain?.min).toBeNull();
    expect(byName.bytes_plain?.nulls).toBeNull();
  });

  it("splits long chunks into pages of about 1 MiB and reads them back", async () => {
    // Prepare: about 5 MB of distinct strings in one column chunk
    const schema: TableSchema = { name: "long", columns: [{ name: "text", type: "string", nullable: true }] };
    const rows = Array.from({ length: 40_000 }, (_, i) => ({
      text: i % 7 === 0 ? null : `${i}:${"é".repeat(70)}`,
    }));
    // Act
    const bytes = new HyparquetEncoder().encode(schema, rows);
    const path = join(dir, "long.parquet");
    await writeFile(path, bytes);
    const back = (await duck.runAndReadAll(`SELECT text FROM read_parquet('${path}')`)).getRowObjectsJS();
    const chunk = parquetMetadata(toArrayBuffer(bytes)).row_groups[0]?.columns[0]?.meta_data;
    // Assess
    expect(back.map((r) => r.text)).toEqual(rows.map((r) => r.text));
    expect(Number(chunk?.total_uncompressed_size)).toBeGreaterThan(4 * 2 ** 20);
    const dataPages = chunk?.encoding_stats?.find((s) => s.page_type === "DATA_PAGE_V2")?.count;
    expect(dataPages).toBeGreaterThanOrEqual(4);
  });

  it("widens dictionary codes past 255 and 65,535 values and reads every value back", async () => {
    // Prepare: 70,000 distinct values in a codes column, nulls in between
    const schema: TableSchema = {
      name: "wide_codes",
      columns: [{ name: "v", type: "string", nullable: true }],
    };
    const rows = Array.from({ length: 80_000 }, (_, i) => ({ v: i % 8 === 7 ? null : `v${i % 70_000}` }));
    const codes = new HyparquetEncoder({
      hints: { wide_codes: { v: { encoding: "dictionary", collect: "codes" } } },
    });
    // Act
    const path = join(dir, "wide-codes.parquet");
    await writeFile(path, codes.encode(schema, rows));
    const back = (await duck.runAndReadAll(`SELECT v FROM read_parquet('${path}')`)).getRowObjectsJS();
    // Assess
    expect(back.map((r) => r.v)).toEqual(rows.map((r) => r.v));
  });

  it("gives the same bytes from encode(rows), a batch, and a batch encoded on the worker thread", async () => {
    // Prepare
    const rows = randomTable(4, 5000);
    const threaded = new ThreadedParquetEncoder({ rowGroupSize: 2500, hints: { wide: HINTS } });
    // Act
    const fromRows = encoder.encode(TABLE, rows);
    const batch = encoder.startBatch(TABLE, 1000);
    for (const row of rows) batch.add(row);
    const fromBatch = await encoder.encodeBatch(batch);
    const workerBatch = threaded.startBatch(TABLE);
    for (const row of rows) workerBatch.add(row);
    const fromWorker = await threaded.encodeBatch(workerBatch);
    await threaded.close();
    // Assess
    expect(Buffer.from(fromBatch).equals(Buffer.from(fromRows))).toBe(true);
    expect(Buffer.from(fromWorker).equals(Buffer.from(fromRows))).toBe(true);
  });

  it("refuses a batch twice and a value of the wrong type, without quoting it", async () => {
    // Prepare
    const batch = encoder.startBatch(TABLE);
    batch.add(randomTable(5, 1)[0] as Record<string, unknown>);
    await encoder.encodeBatch(batch);
    const bad = encoder.startBatch(TABLE);
    // Act
    const again = encoder.encodeBatch(batch);
    const wrong = () => bad.add({ ...(randomTable(6, 1)[0] as Record<string, unknown>), n32: "203.0.113.9" });
    // Assess
    await expect(again).rejects.toThrow("already encoded");
    expect(wrong).toThrow('cannot encode wide row 0, column "n32": expected a number');
    expect(wrong).not.toThrow("203.0.113.9");
  });
});
