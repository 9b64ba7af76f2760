import type { TableSchema } from "../../functions/ports/table-encoder.ts";

/**
 * Rows for the Parquet encoder's tests, shared by its unit test (read back by hyparquet, in
 * test/unit/adapters/parquet/) and its DuckDB read-back (test/engines/): every column type, nulls, odd strings,
 * a 3 MB value, and event rows in the zone schema.
 */

/** A table with every column type, nullable and not. */
export const MIXED: TableSchema = {
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

export const HUGE = `${"ä€𝄞x".repeat(300_000)}end`; // 3 MB of UTF-8 in one value
export const T = Date.UTC(2026, 10, 20, 13, 55, 36, 789);

export const UNICODE = "unicode ünïcødé 日本語 😀 and a NUL \u0000 inside";
export const ROW_A = {
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
export const ROW_B = {
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
export const ROW_C = {
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
export const MIXED_ROWS = [ROW_A, ROW_B, ROW_C];

/** Event rows in the zone schema: tuned hints (dictionary, codes, delta, plain), nulls, signed ids. */
export function eventRows(count: number) {
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
