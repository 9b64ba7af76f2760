/**
 * The shapes that flow through the ingestion core.
 *
 * A parser turns one line into an {@link AccessRecord} (everything the log line says, nothing derived)
 * or a {@link LineRejection} (why it could not). The pipeline then derives two rows from an accepted
 * record: a {@link SecurityRow} (full detail, 7 days, security only) and, unless consent says `drop`,
 * an {@link EventRow} (anonymized before it exists: no full IP, no raw user agent, no raw query).
 *
 * The closed sets of reasons a line is skipped, rejected or dropped live in ingest/reasons.ts.
 */

import type { ConsentReason, RejectReason, SkipReason } from "./ingest/reasons.ts";

/** The built-in formats: names for `--format` and the configuration, and the candidates of auto-detection. */
export const LOG_FORMATS = [
  "combined",
  "common",
  "vhost-combined",
  "cloudfront",
  "w3c",
  "alb",
  "elb",
  "s3",
  "haproxy",
  "caddy",
  "traefik",
  "traefik-json",
  "squid",
  "jsonl",
] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Formats the operator writes (`--nginx-format`, `--apache-format`, `--goaccess-format`): compiled, never detected. */
export const CUSTOM_FORMATS = ["nginx", "apache", "goaccess"] as const;
export type CustomFormat = (typeof CUSTOM_FORMATS)[number];

/** The format a record was read with, as stored in the security zone and reported in summaries. */
export type RecordFormat = LogFormat | CustomFormat;

/** Signals a visitor sent about tracking, when a log format carries them (extended formats, the collector). */
export interface PrivacySignals {
  /** `DNT: 1` was sent. */
  readonly dnt?: boolean;
  /** `Sec-GPC: 1` was sent. */
  readonly gpc?: boolean;
  /** Consent categories granted by the site's banner, when known. `undefined` = the banner said nothing. */
  readonly consent?: { readonly statistics?: boolean; readonly marketing?: boolean };
}

/** One access as written in a server log. Strings are as logged (decoded where the format encodes them). */
export interface AccessRecord {
  /** UTC epoch milliseconds of the access. */
  readonly timestampMs: number;
  /** The client address token as the log wrote it: may carry a port, brackets or a zone id. */
  readonly clientIp: string;
  /** X-Forwarded-For as logged, if the format has it; only trusted per configuration. */
  readonly forwardedFor: string | null;
  /** The virtual host / Host header / CloudFront host, lower-cased, without port, when the format has one. */
  readonly host: string | null;
  readonly method: string | null;
  /** The request target as sent: path plus `?query` (not decoded). `-` or garbage stays as logged. */
  readonly target: string;
  readonly protocol: string | null;
  /** HTTP status; `null` when the log has none (e.g. ALB `-` on a dropped connection). */
  readonly status: number | null;
  /** Response bytes sent to the client (0 when logged as `-`). */
  readonly bytes: number;
  readonly referrer: string | null;
  readonly userAgent: string | null;
  /** Time taken in milliseconds, when the format has it. */
  readonly durationMs: number | null;
  readonly signals?: PrivacySignals;
}

export interface LineRejection {
  readonly reason: RejectReason;
  /** A short, fixed explanation. Never echoes the line (it may hold a full IP). */
  readonly detail: string;
}

export type ParseResult =
  | { readonly ok: true; readonly record: AccessRecord }
  | { readonly ok: false; readonly rejection: LineRejection }
  /** A directive or header line (W3C `#Version`, `#Fields`) or a blank line: not a record, not a reject. */
  | { readonly ok: "skip"; readonly why: SkipReason };

/** Device classes reported to marketing. */
export const DEVICE_TYPES = ["desktop", "mobile", "tablet", "bot", "other"] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** What enrichment learns from the full IP and user agent, in memory, before truncation. */
export interface Enrichment {
  readonly browser: string | null;
  readonly browserMajor: string | null;
  readonly os: string | null;
  readonly device: DeviceType;
  readonly isBot: boolean;
  /** Why this client is a bot, from a closed list (see enrich/bots.ts); null for humans. */
  readonly botReason: string | null;
  /** A family name for the bot (e.g. "Googlebot"), null for humans or when unknown. */
  readonly botName: string | null;
  /** ISO 3166-1 alpha-2, or null when unknown. */
  readonly country: string | null;
  /** Autonomous-system organisation, when a provider database is configured. */
  readonly provider: string | null;
}

export const CONSENT_TIERS = ["drop", "anonymous", "statistics", "marketing"] as const;
export type ConsentTier = (typeof CONSENT_TIERS)[number];

export interface ConsentDecision {
  readonly tier: ConsentTier;
  readonly reason: ConsentReason;
}

/** Where a record came from: server log line or collector event. */
export type RecordSource = "log" | "collector";

/**
 * A row of the `security/` zone: the full record, for abuse review within seven days.
 * Column names are snake_case because they are the Parquet / Glue / DuckDB column names.
 */
export interface SecurityRow {
  readonly ts: number; // epoch ms
  readonly site: string | null;
  readonly client_ip: string; // normalized full address (no port, no brackets)
  readonly forwarded_for: string | null;
  readonly method: string | null;
  readonly target: string;
  readonly protocol: string | null;
  readonly status: number | null;
  readonly bytes: number;
  readonly referrer: string | null;
  readonly user_agent: string | null;
  readonly duration_ms: number | null;
  readonly country: string | null;
  readonly provider: string | null;
  readonly browser: string | null;
  readonly os: string | null;
  readonly device: DeviceType;
  readonly is_bot: boolean;
  readonly bot_reason: string | null;
  readonly format: RecordFormat;
  /** The input's identity (an opaque id derived from bucket/key/version or file content) and line number. */
  readonly input_id: string;
  readonly line_no: number;
}

/**
 * A row of the `events/` zone: anonymized at birth. It never holds a full IP, a raw user agent,
 * a raw query string, a full referrer URL or anything the visitor typed into a path.
 */
export interface EventRow {
  readonly ts: number; // epoch ms, truncated to the second
  readonly site: string;
  readonly source: RecordSource;
  /** "request" for log lines, "pageview" or a custom name for collector events. */
  readonly event_name: string;
  readonly method: string | null;
  readonly path: string; // scrubbed
  readonly query: string | null; // only allowlisted parameters, sorted
  readonly status: number | null;
  readonly bytes: number;
  readonly is_asset: boolean;
  readonly referrer_host: string | null;
  readonly utm_source: string | null;
  readonly utm_medium: string | null;
  readonly utm_campaign: string | null;
  readonly utm_term: string | null;
  readonly utm_content: string | null;
  readonly click_id: string | null; // marketing tier only
  readonly country: string | null;
  readonly browser: string | null;
  readonly browser_major: string | null; // statistics and marketing tiers only
  readonly os: string | null;
  readonly device: DeviceType;
  readonly is_bot: boolean;
  readonly bot_name: string | null;
  /** 64-bit daily-salted visitor id (first 8 bytes of the HMAC, signed); null in the anonymous tier. */
  readonly visitor_id: bigint | null;
  /** Network prefix in CIDR notation (e.g. "203.0.113.0/24"); null in the anonymous tier. */
  readonly ip_prefix: string | null;
  readonly consent_tier: Exclude<ConsentTier, "drop">;
  readonly consent_reason: ConsentReason;
  /** Custom event properties kept by the site's allowlist, in its order (null when fewer; always null for logs). */
  readonly prop_key_1: string | null;
  readonly prop_value_1: string | null;
  readonly prop_key_2: string | null;
  readonly prop_value_2: string | null;
  readonly prop_key_3: string | null;
  readonly prop_value_3: string | null;
  readonly prop_key_4: string | null;
  readonly prop_value_4: string | null;
}

/** A row of the `rejects/` zone. The line is kept (truncated) because it may be evidence; it may hold a full IP. */
export interface RejectRow {
  readonly received_ts: number; // when logsieve read it (the line has no trustworthy time)
  readonly input_id: string;
  readonly line_no: number;
  readonly format: string; // the format in force, or "unknown"
  readonly reason: RejectReason;
  readonly detail: string;
  readonly line: string; // first 8 KiB of the line
  readonly line_bytes: number; // its full length
}
