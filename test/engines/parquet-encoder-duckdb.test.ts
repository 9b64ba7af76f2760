import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParquetEncoder } from "../../functions/adapters/parquet/parquet-encoder.ts";
import { EVENTS_SCHEMA } from "../../functions/core/zones.ts";
import { eventRows, HUGE, MIXED, MIXED_ROWS, T, UNICODE } from "../helpers/parquet-rows.ts";

/**
 * The Parquet encoder's files read by DuckDB, the engine that runs every local query: column types, values,
 * NULs, a 3 MB string, the tuned encodings of the events table and a file of zero rows. (Read back by hyparquet:
 * test/unit/adapters/parquet/parquet-encoder.test.ts.)
 */

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
