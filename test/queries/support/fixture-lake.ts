import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { seededRandom } from "../../../functions/apps/demo/sample-log.ts";
import { EVENTS_SCHEMA, SECURITY_SCHEMA } from "../../../functions/core/zones.ts";
import type { ColumnType, TableSchema } from "../../../functions/ports/table-encoder.ts";

/**
 * Builds lakes for the query tests: Parquet files that follow EVENTS_SCHEMA / SECURITY_SCHEMA, written by DuckDB
 * from rows given here (not by logsieve's ingestion), so the queries are checked against rows whose numbers we
 * know independently.
 */

export interface Event {
  ts: number;
  site: string;
  source: "log" | "collector";
  event_name: string;
  method: string | null;
  path: string;
  query: string | null;
  status: number | null;
  bytes: number;
  is_asset: boolean;
  referrer_host: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  click_id: string | null;
  country: string | null;
  browser: string | null;
  browser_major: string | null;
  os: string | null;
  device: string;
  is_bot: boolean;
  bot_name: string | null;
  visitor_id: bigint | null;
  ip_prefix: string | null;
  consent_tier: string;
  consent_reason: string;
  prop_key_1: string | null;
  prop_value_1: string | null;
  prop_key_2: string | null;
  prop_value_2: string | null;
  prop_key_3: string | null;
  prop_value_3: string | null;
  prop_key_4: string | null;
  prop_value_4: string | null;
}

export interface SecurityRecord {
  ts: number;
  site: string | null;
  client_ip: string;
  forwarded_for: string | null;
  method: string | null;
  target: string;
  protocol: string | null;
  status: number | null;
  bytes: number;
  referrer: string | null;
  user_agent: string | null;
  duration_ms: number | null;
  country: string | null;
  provider: string | null;
  browser: string | null;
  os: string | null;
  device: string;
  is_bot: boolean;
  bot_reason: string | null;
  format: string;
  input_id: string;
  line_no: number;
}

/** A logged GET of a page by a human with a visitor id: override what the case needs. */
export function event(overrides: Partial<Event> & Pick<Event, "ts">): Event {
  return {
    site: "example.com",
    source: "log",
    event_name: "request",
    method: "GET",
    path: "/",
    query: null,
    status: 200,
    bytes: 1000,
    is_asset: false,
    referrer_host: null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: "DE",
    browser: "Firefox",
    browser_major: "120",
    os: "Linux",
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: 1n,
    ip_prefix: "203.0.113.0/24",
    consent_tier: "statistics",
    consent_reason: "log_default",
    prop_key_1: null,
    prop_value_1: null,
    prop_key_2: null,
    prop_value_2: null,
    prop_key_3: null,
    prop_value_3: null,
    prop_key_4: null,
    prop_value_4: null,
    ...overrides,
  };
}

export function securityRecord(
  overrides: Partial<SecurityRecord> & Pick<SecurityRecord, "ts" | "client_ip">,
): SecurityRecord {
  return {
    site: "example.com",
    forwarded_for: null,
    method: "GET",
    target: "/",
    protocol: "HTTP/1.1",
    status: 200,
    bytes: 500,
    referrer: null,
    user_agent: "Mozilla/5.0",
    duration_ms: null,
    country: "DE",
    provider: null,
    browser: "Firefox",
    os: "Linux",
    device: "desktop",
    is_bot: false,
    bot_reason: null,
    format: "combined",
    input_id: "input-a",
    line_no: 1,
    ...overrides,
  };
}

const JSON_TYPE: Readonly<Record<ColumnType, string>> = {
  string: "VARCHAR",
  int32: "INTEGER",
  int64: "VARCHAR", // written as text so 64-bit ids survive JSON, cast below
  double: "DOUBLE",
  boolean: "BOOLEAN",
  timestamp_ms: "BIGINT",
};

function castFor(name: string, type: ColumnType): string {
  if (type === "int64") return `CAST("${name}" AS BIGINT) AS "${name}"`;
  if (type === "timestamp_ms") return `epoch_ms("${name}") AS "${name}"`;
  return `"${name}"`;
}

let instance: Promise<DuckDBInstance> | undefined;

async function connection() {
  instance ??= DuckDBInstance.create(":memory:", { threads: "1" });
  const db = await instance;
  return db.connect();
}

/** Writes rows as one Parquet file at `path` with the zone's columns and types. */
export async function writeParquet(
  path: string,
  schema: TableSchema,
  rows: readonly object[],
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), "logsieve-fixture-"));
  try {
    const jsonPath = join(scratch, "rows.ndjson");
    const lines = rows.map((row) =>
      JSON.stringify(row, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value)),
    );
    writeFileSync(jsonPath, lines.length > 0 ? `${lines.join("\n")}\n` : "");
    const columns = schema.columns.map((c) => `'${c.name}': '${JSON_TYPE[c.type]}'`).join(", ");
    const select = schema.columns.map((c) => castFor(c.name, c.type)).join(", ");
    const source =
      rows.length > 0
        ? `read_json('${jsonPath}', format = 'newline_delimited', columns = {${columns}})`
        : `(SELECT ${schema.columns.map((c) => `CAST(NULL AS ${JSON_TYPE[c.type]}) AS "${c.name}"`).join(", ")} WHERE false)`;
    const conn = await connection();
    try {
      await conn.run(`COPY (SELECT ${select} FROM ${source}) TO '${path}' (FORMAT parquet)`);
    } finally {
      conn.closeSync();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `events/dt=<day>/<inputId>-<part>.parquet`, as ingestion names them. */
export async function writeEvents(
  lakeDir: string,
  day: string,
  inputId: string,
  rows: readonly Event[],
  part = 0,
) {
  const key = `events/dt=${day}/${inputId}-${String(part).padStart(4, "0")}.parquet`;
  await writeParquet(join(lakeDir, key), EVENTS_SCHEMA, rows);
  return key;
}

/** `security/dt=<day>/hour=<HH>/<inputId>-0000.parquet`, one file per hour the rows fall in. */
export async function writeSecurity(lakeDir: string, inputId: string, rows: readonly SecurityRecord[]) {
  const byHour = new Map<string, SecurityRecord[]>();
  for (const row of rows) {
    const iso = new Date(row.ts).toISOString();
    const partition = `security/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
    byHour.set(partition, [...(byHour.get(partition) ?? []), row]);
  }
  for (const [partition, list] of byHour) {
    await writeParquet(join(lakeDir, `${partition}${inputId}-0000.parquet`), SECURITY_SCHEMA, list);
  }
}

/** Splits events into day partitions by their UTC day and writes them, `perFile` rows per object. */
export async function writeEventsByDay(
  lakeDir: string,
  inputId: string,
  rows: readonly Event[],
  perFile = 1_000_000,
) {
  const byDay = new Map<string, Event[]>();
  for (const row of rows) {
    const day = new Date(row.ts).toISOString().slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), row]);
  }
  const keys: string[] = [];
  for (const [day, list] of byDay) {
    for (let part = 0; part * perFile < list.length; part++) {
      keys.push(
        await writeEvents(lakeDir, day, inputId, list.slice(part * perFile, (part + 1) * perFile), part),
      );
    }
  }
  return keys;
}

export function tempLake(): string {
  return mkdtempSync(join(tmpdir(), "logsieve-lake-"));
}

/** A small deterministic pseudo-random generator, so generated fixtures are the same every run. */
export const seeded = seededRandom;
