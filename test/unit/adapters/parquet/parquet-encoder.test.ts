import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EncodeError, ParquetEncoder } from "../../../../functions/adapters/parquet/parquet-encoder.ts";
import { ThreadedParquetEncoder } from "../../../../functions/adapters/parquet/worker-encoder.ts";
import { EVENTS_SCHEMA } from "../../../../functions/core/zones.ts";
import type { TableSchema } from "../../../../functions/ports/table-encoder.ts";

/** A table with every column type, nullable and not. */
const MIXED: TableSchema = {
  name: "mixed",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false },
    { name: "ts_opt", type: "timestamp_ms", nullable: true },
    { name: "label", type: "string", nullable: false },
    { name: "note", type: "string", nullable: true },
    { name: "n32", type: "int32", nullable: true },
    { name: "req32", type: "int32", nullable: false },
    { name: "n64", type: "int64", nullable: true },
    { name: "req64", type: "int64", nullable: false },
    { name: "ratio", type: "double", nullable: true },
    { name: "flag", type: "boolean", nullable: false },
    { name: "maybe", type: "boolean", nullable: true },
  ],
};

const HUGE = `${"ä€𝄞x".repeat(300_000)}end`; // 3 MB of UTF-8 in one value
const T = Date.UTC(2026, 10, 20, 13, 55, 36, 789);

const UNICODE = "unicode ünïcødé 日本語 😀 and a NUL \u0000 inside";
const ROW_A = {
  ts: T,
  ts_opt: null,
  label: "plain ascii",
  note: null,
  n32: null,
  req32: -2147483648,
  n64: null,
  req64: 9007199254740991,
  ratio: null,
  flag: true,
  maybe: null,
};
const ROW_B = {
  ts: BigInt(T + 1),
  ts_opt: T - 86_400_000,
  label: UNICODE,
  note: "",
  n32: 0,
  req32: 2147483647,
  n64: -9223372036854775808n,
  req64: 9223372036854775807n,
  ratio: 0.1,
  flag: false,
  maybe: false,
};
const ROW_C = {
  ts: 0,
  ts_opt: T,
  label: HUGE,
  note: 'tab\tnewline\nquote"',
  n32: 404,
  req32: 7,
  n64: 42,
  req64: -1,
  ratio: -1.5e300,
  flag: true,
  maybe: true,
};
const MIXED_ROWS = [ROW_A, ROW_B, ROW_C];

/** Event rows in the zone schema: tuned hints (dictionary, codes, delta, plain), nulls, signed ids. */
function eventRows(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    ts: T + Math.floor(i / 3) * 1000,
    site: ["example.com", "shop.example.com"][i % 2],
    source: "log",
    event_name: "request",
    method: i % 17 === 0 ? null : "GET",
    path: `/p/${i % 97}/ä`,
    query: i % 5 === 0 ? `utm_source=x${i}` : null,
    status: i % 11 === 0 ? null : [200, 304, 404][i % 3],
    bytes: i * 1000,
    is_asset: i % 4 === 0,
    referrer_host: i % 3 === 0 ? null : `r${i % 7}.example`,
    utm_source: null,
    utm_medium: null,
    utm_campaign: i % 50 === 0 ? "spring" : null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: i % 9 === 0 ? null : ["DE", "AT", "CH"][i % 3],
    browser: "Firefox",
    browser_major: "126",
    os: "Linux",
    device: "desktop",
    is_bot: i % 13 === 0,
    bot_name: i % 13 === 0 ? "Googlebot" : null,
    visitor_id: i % 10 === 0 ? null : BigInt.asIntN(64, BigInt(i) * 0x9e3779b97f4a7c15n),
    ip_prefix: i % 10 === 0 ? null : `203.0.${i % 256}.0/24`,
    consent_tier: i % 10 === 0 ? "anonymous" : "statistics",
    consent_reason: "log_default",
    prop_key_1: i % 6 === 0 ? "plan" : null,
    prop_value_1: i % 6 === 0 ? ["pro", "free"][i % 2] : null,
    prop_key_2: i % 12 === 0 ? "method" : null,
    prop_value_2: i % 12 === 0 ? "card" : null,
    prop_key_3: null,
    prop_value_3: null,
    prop_key_4: null,
    prop_value_4: null,
  }));
}

let dir: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-parquet-"));
  instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
});
afterAll(async () => {
  duck.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

async function writeParquet(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

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

describe("ParquetEncoder through DuckDB", () => {
  it("gives DuckDB the right column types and values, nulls, NULs and a 3 MB string included", async () => {
    // Prepare
    const path = await writeParquet("mixed.parquet", new ParquetEncoder().encode(MIXED, MIXED_ROWS));
    // Act
    const types = (
      await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)
    ).getRowObjectsJson();
    const rows = (
      await duck.runAndReadAll(
        `SELECT epoch_ms(ts) AS ts_ms, epoch_ms(ts_opt) AS ts_opt_ms, length(label) AS label_len,
                md5(label) AS label_md5, note, n32, req32, n64::VARCHAR AS n64, req64::VARCHAR AS req64,
                ratio, flag, maybe
         FROM read_parquet('${path}')`,
      )
    ).getRowObjectsJS();
    // Assess
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toEqual({
      ts: "TIMESTAMP",
      ts_opt: "TIMESTAMP",
      label: "VARCHAR",
      note: "VARCHAR",
      n32: "INTEGER",
      req32: "INTEGER",
      n64: "BIGINT",
      req64: "BIGINT",
      ratio: "DOUBLE",
      flag: "BOOLEAN",
      maybe: "BOOLEAN",
    });
    const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
    expect(rows).toEqual([
      {
        ts_ms: BigInt(T),
        ts_opt_ms: null,
        label_len: 11n,
        label_md5: md5("plain ascii"),
        note: null,
        n32: null,
        req32: -2147483648,
        n64: null,
        req64: "9007199254740991",
        ratio: null,
        flag: true,
        maybe: null,
      },
      {
        ts_ms: BigInt(T + 1),
        ts_opt_ms: BigInt(T - 86_400_000),
        label_len: BigInt([...UNICODE].length),
        label_md5: md5(UNICODE),
        note: "",
        n32: 0,
        req32: 2147483647,
        n64: "-9223372036854775808",
        req64: "9223372036854775807",
        ratio: 0.1,
        flag: false,
        maybe: false,
      },
      {
        ts_ms: 0n,
        ts_opt_ms: BigInt(T),
        label_len: BigInt([...HUGE].length),
        label_md5: md5(HUGE),
        note: 'tab\tnewline\nquote"',
        n32: 404,
        req32: 7,
        n64: "42",
        req64: "-1",
        ratio: -1.5e300,
        flag: true,
        maybe: true,
      },
    ]);
  });

  it("reads an events table written with the tuned encodings (dictionary, delta, plain) exactly", async () => {
    // Prepare: 3000 event rows over several row groups, ids signed, many nulls
    const rows = eventRows(3000);
    const path = await writeParquet(
      "events.parquet",
      new ParquetEncoder({ rowGroupSize: 1000 }).encode(EVENTS_SCHEMA, rows),
    );
    // Act
    const read = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjectsJS();
    // Assess
    expect(read).toHaveLength(rows.length);
    const normalized = read.map((r) => ({ ...r, ts: (r.ts as Date).getTime() }));
    expect(normalized).toEqual(rows.map((r) => ({ ...r, bytes: BigInt(r.bytes) })));
  });

  it("writes a readable file with the right columns for zero rows", async () => {
    // Prepare
    const path = await writeParquet("empty.parquet", new ParquetEncoder().encode(MIXED, []));
    // Act
    const count = (
      await duck.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${path}')`)
    ).getRowObjectsJS();
    const types = (
      await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`)
    ).getRowObjectsJson();
    // Assess
    expect(count).toEqual([{ n: 0n }]);
    expect(types.map((t) => t.column_name)).toEqual(MIXED.columns.map((c) => c.name));
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
