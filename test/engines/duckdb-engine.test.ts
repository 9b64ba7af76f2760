import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { ROLLUPS, STATS_SCHEMAS } from "../../functions/core/aggregate/rollups.ts";
import { EVENTS_SCHEMA, SECURITY_SCHEMA } from "../../functions/core/zones.ts";
import { QueryEngineError } from "../../functions/ports/query-engine.ts";
import {
  event,
  securityRecord,
  tempLake,
  writeEvents,
  writeSecurity,
} from "../queries/support/fixture-lake.ts";

const DUCK_TYPE = {
  string: "VARCHAR",
  int32: "INTEGER",
  int64: "BIGINT",
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp_ms: "TIMESTAMP",
};

describe("DuckDbQueryEngine", () => {
  let lake: string;
  let engine: DuckDbQueryEngine;

  beforeAll(async () => {
    lake = tempLake();
    engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
  });

  afterAll(async () => {
    await engine.close();
    rmSync(lake, { recursive: true, force: true });
  });

  it("has every table on an empty lake, with the zone's columns and the partition columns", async () => {
    // Act
    const events = await engine.query("DESCRIBE events");
    const security = await engine.query("DESCRIBE security");
    const counts = await Promise.all(
      ["events", "security", "rejects", ...ROLLUPS.map((r) => `stats_${r}`)].map((t) =>
        engine.query(`SELECT count(*) AS n FROM ${t}`),
      ),
    );

    // Assess
    expect(events.rows.map((r) => [r.column_name, r.column_type])).toEqual([
      ...EVENTS_SCHEMA.columns.map((c) => [c.name, DUCK_TYPE[c.type]]),
      ["dt", "VARCHAR"],
    ]);
    expect(security.rows.map((r) => r.column_name)).toEqual([
      ...SECURITY_SCHEMA.columns.map((c) => c.name),
      "dt",
      "hour",
    ]);
    expect(counts.map((c) => c.rows[0]?.n)).toEqual(counts.map(() => 0));
    const totals = await engine.query("DESCRIBE stats_totals");
    expect(totals.rows.map((r) => r.column_name)).toEqual([
      ...STATS_SCHEMAS.totals.columns.map((c) => c.name),
      "dt",
    ]);
  });

  it("follows a zone that gets files, with dt and hour read as strings from the folder names", async () => {
    // Prepare
    await writeEvents(lake, "2026-03-01", "aaaa", [event({ ts: Date.parse("2026-03-01T10:00:00Z") })]);
    await writeSecurity(lake, "bbbb", [
      securityRecord({ ts: Date.parse("2026-03-01T23:59:59.250Z"), client_ip: "192.0.2.1" }),
    ]);

    // Act
    const events = await engine.query("SELECT dt, ts, visitor_id FROM events");
    const security = await engine.query("SELECT dt, hour, ts FROM security WHERE dt = ? AND hour = ?", [
      { type: "date", value: "2026-03-01" },
      { type: "string", value: "23" },
    ]);

    // Assess
    expect(events.rows).toEqual([{ dt: "2026-03-01", ts: "2026-03-01T10:00:00.000Z", visitor_id: 1 }]);
    expect(security.rows).toEqual([{ dt: "2026-03-01", hour: "23", ts: "2026-03-01T23:59:59.250Z" }]);
  });

  it("follows a zone whose files are all removed again", async () => {
    // Prepare
    const other = tempLake();
    const own = await DuckDbQueryEngine.open({ lakeDir: other, threads: 1 });
    try {
      await writeEvents(other, "2026-03-02", "cccc", [event({ ts: Date.parse("2026-03-02T10:00:00Z") })]);
      const before = await own.query("SELECT count(*) AS n FROM events");
      rmSync(`${other}/events`, { recursive: true });

      // Act
      const after = await own.query("SELECT count(*) AS n FROM events");

      // Assess
      expect(before.rows[0]?.n).toBe(1);
      expect(after.rows[0]?.n).toBe(0);
    } finally {
      await own.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("returns the same value shapes as the Athena engine: numbers, big ids as text, ISO times, days, booleans, null", async () => {
    // Act
    const result = await engine.query(
      "SELECT CAST(42 AS BIGINT) AS n, CAST(9007199254740993 AS BIGINT) AS big, sum(CAST(2 AS BIGINT)) AS huge, " +
        "TIMESTAMP '2026-03-01 10:05:03.5' AS t, DATE '2026-03-01' AS d, true AS b, NULL AS nothing, 2.5 AS x",
    );

    // Assess
    expect(result.rows).toEqual([
      {
        n: 42,
        big: "9007199254740993",
        huge: 2,
        t: "2026-03-01T10:05:03.500Z",
        d: "2026-03-01",
        b: true,
        nothing: null,
        x: 2.5,
      },
    ]);
    expect(result.columns.map((c) => c.type)).toContain("timestamp");
  });

  it("binds parameters as values, never as SQL", async () => {
    // Act
    const result = await engine.query("SELECT count(*) AS n FROM events WHERE site = ? AND dt >= ?", [
      { type: "string", value: "x' OR '1'='1" },
      { type: "date", value: "2000-01-01" },
    ]);
    const typed = await engine.query("SELECT ? + 1 AS i, ? AS s, ? AS b", [
      { type: "int", value: 41 },
      { type: "string", value: "'; DROP VIEW events; --" },
      { type: "boolean", value: false },
    ]);

    // Assess
    expect(result.rows[0]?.n).toBe(0);
    expect(typed.rows).toEqual([{ i: 42, s: "'; DROP VIEW events; --", b: false }]);
    expect((await engine.query("SELECT count(*) AS n FROM events")).rows[0]?.n).toBe(1);
  });

  it("wraps a failing statement in a QueryEngineError that keeps DuckDB's error as cause", async () => {
    // Act
    const failure = await engine.query("SELECT no_such_column FROM events").catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(QueryEngineError);
    expect((failure as Error).message).toMatch(/SELECT no_such_column/);
    expect(String((failure as Error).cause)).toMatch(/no_such_column/);
  });

  it("refuses statements once closed", async () => {
    // Prepare
    const other = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
    await other.close();

    // Act / Assess
    await expect(other.query("SELECT 1")).rejects.toThrow(/closed/);
  });
});
