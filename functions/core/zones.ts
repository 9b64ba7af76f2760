import type { TableSchema } from "../ports/table-encoder.ts";
import { EVENT_PROP_SLOTS } from "./goals.ts";
import { HOUR_MS } from "./time.ts";

/**
 * The lake layout, identical on S3 and on the local disk. One place defines where each zone's objects go and
 * what columns its Parquet files have, so the writer, DuckDB's views, the Glue tables and the sweeper agree.
 */

/**
 * `checkpoints/` holds how far each input stream was read (core/ingest/checkpoint.ts): digests and offsets, no log
 * bytes; it sits with the raw zones (security-only bucket on AWS) because it describes raw input.
 */
export const ZONES = [
  "incoming",
  "security",
  "rejects",
  "evidence",
  "events",
  "stats",
  "salts",
  "checkpoints",
] as const;
export type Zone = (typeof ZONES)[number];

/** Zones partitioned by hour as well as by day, so a 168-hour promise holds to the hour. */
export const HOURLY_ZONES: ReadonlySet<Zone> = new Set<Zone>(["incoming", "security", "rejects"]);

// Formatting a date costs more than the rest of a line's partitioning; consecutive log lines almost always
// share their hour, so the last hour's strings are remembered (a memo: the functions stay pure).
let memoHour = Number.NaN;
let memoDay = "";
let memoHourText = "";

function remember(epochMs: number): void {
  const hour = Math.floor(epochMs / HOUR_MS);
  if (hour === memoHour) return;
  const iso = new Date(hour * HOUR_MS).toISOString();
  memoDay = iso.slice(0, 10);
  memoHourText = iso.slice(11, 13);
  memoHour = hour;
}

/** `YYYY-MM-DD` of a UTC epoch-ms instant. Pure: the instant is given, never read. */
export function utcDay(epochMs: number): string {
  remember(epochMs);
  return memoDay;
}

/** `HH` (00–23) of a UTC epoch-ms instant. */
export function utcHour(epochMs: number): string {
  remember(epochMs);
  return memoHourText;
}

/** The Hive-style partition folder of a zone for an instant, e.g. `security/dt=2026-11-20/hour=13/`. */
export function partitionPrefix(zone: Zone, epochMs: number): string {
  remember(epochMs);
  // The same string for the same hour (a memo like the one above): callers compare prefixes line after line.
  const known = memoPrefixes.get(zone);
  if (known !== undefined && known.hour === memoHour) return known.prefix;
  const day = `${zone}/dt=${memoDay}/`;
  const prefix = HOURLY_ZONES.has(zone) ? `${day}hour=${memoHourText}/` : day;
  memoPrefixes.set(zone, { hour: memoHour, prefix });
  return prefix;
}

const memoPrefixes = new Map<Zone, { readonly hour: number; readonly prefix: string }>();

/**
 * An object key inside a partition. `inputId` is derived from the input's identity (bucket/key/version, or file
 * content), and `part` counts the objects one input writes into one partition: ingesting the same input again
 * produces the same keys, so it overwrites instead of adding.
 */
export function objectKey(partition: string, inputId: string, part: number, extension: string): string {
  return `${partition}${inputId}-${String(part).padStart(4, "0")}.${extension}`;
}

export const SECURITY_SCHEMA: TableSchema = {
  name: "security",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false },
    { name: "site", type: "string", nullable: true },
    { name: "client_ip", type: "string", nullable: false },
    { name: "forwarded_for", type: "string", nullable: true },
    { name: "method", type: "string", nullable: true },
    { name: "target", type: "string", nullable: false },
    { name: "protocol", type: "string", nullable: true },
    { name: "status", type: "int32", nullable: true },
    { name: "bytes", type: "int64", nullable: false },
    { name: "referrer", type: "string", nullable: true },
    { name: "user_agent", type: "string", nullable: true },
    { name: "duration_ms", type: "double", nullable: true },
    { name: "country", type: "string", nullable: true },
    { name: "provider", type: "string", nullable: true },
    { name: "browser", type: "string", nullable: true },
    { name: "os", type: "string", nullable: true },
    { name: "device", type: "string", nullable: false },
    { name: "is_bot", type: "boolean", nullable: false },
    { name: "bot_reason", type: "string", nullable: true },
    { name: "format", type: "string", nullable: false },
    { name: "input_id", type: "string", nullable: false },
    { name: "line_no", type: "int64", nullable: false },
  ],
};

export const EVENTS_SCHEMA: TableSchema = {
  name: "events",
  columns: [
    { name: "ts", type: "timestamp_ms", nullable: false },
    { name: "site", type: "string", nullable: false },
    { name: "source", type: "string", nullable: false },
    { name: "event_name", type: "string", nullable: false },
    { name: "method", type: "string", nullable: true },
    { name: "path", type: "string", nullable: false },
    { name: "query", type: "string", nullable: true },
    { name: "status", type: "int32", nullable: true },
    { name: "bytes", type: "int64", nullable: false },
    { name: "is_asset", type: "boolean", nullable: false },
    { name: "referrer_host", type: "string", nullable: true },
    { name: "utm_source", type: "string", nullable: true },
    { name: "utm_medium", type: "string", nullable: true },
    { name: "utm_campaign", type: "string", nullable: true },
    { name: "utm_term", type: "string", nullable: true },
    { name: "utm_content", type: "string", nullable: true },
    { name: "click_id", type: "string", nullable: true },
    { name: "country", type: "string", nullable: true },
    { name: "browser", type: "string", nullable: true },
    { name: "browser_major", type: "string", nullable: true },
    { name: "os", type: "string", nullable: true },
    { name: "device", type: "string", nullable: false },
    { name: "is_bot", type: "boolean", nullable: false },
    { name: "bot_name", type: "string", nullable: true },
    { name: "visitor_id", type: "int64", nullable: true },
    { name: "ip_prefix", type: "string", nullable: true },
    { name: "consent_tier", type: "string", nullable: false },
    { name: "consent_reason", type: "string", nullable: false },
    // Custom event properties (collector events only), at most EVENT_PROP_SLOTS per event, keys from the site's
    // allowlist (siteSettings.<site>.eventProperties), values masked like free text. Fixed columns rather than a
    // map: both engines read them with plain SQL, and the Parquet writer has no nested types.
    ...propColumns(),
  ],
};

function propColumns(): TableSchema["columns"] {
  const columns: TableSchema["columns"][number][] = [];
  for (let slot = 1; slot <= EVENT_PROP_SLOTS; slot++) {
    columns.push({ name: `prop_key_${slot}`, type: "string", nullable: true });
    columns.push({ name: `prop_value_${slot}`, type: "string", nullable: true });
  }
  return columns;
}

export const REJECTS_SCHEMA: TableSchema = {
  name: "rejects",
  columns: [
    { name: "received_ts", type: "timestamp_ms", nullable: false },
    { name: "input_id", type: "string", nullable: false },
    { name: "line_no", type: "int64", nullable: false },
    { name: "format", type: "string", nullable: false },
    { name: "reason", type: "string", nullable: false },
    { name: "detail", type: "string", nullable: false },
    { name: "line", type: "string", nullable: false },
    { name: "line_bytes", type: "int64", nullable: false },
  ],
};
