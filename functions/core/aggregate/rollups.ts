import type { SqlParam } from "../../ports/query-engine.ts";
import type { ColumnSpec, TableSchema } from "../../ports/table-encoder.ts";
import { bindParams, type QueryDefinition } from "./query-file.ts";

/**
 * The daily rollups of `stats/`. Each is computed for one UTC day from `events/` by `queries/rollup.<name>.sql`
 * and stored as `stats/<name>/dt=YYYY-MM-DD/<file>.parquet`; its table is `stats_<name>` on both engines, with
 * the partition column `dt` added by the engine. No rollup holds an identifier: no visitor id, no IP prefix.
 *
 * Definitions shared by every rollup:
 * - a page view is a log line with method GET or HEAD, status 2xx or 304, on a non-asset path, by a non-bot;
 *   or a collector event named `pageview` from a non-bot;
 * - `visitors` counts distinct visitor ids (daily-salted, so per day); the anonymous tier has none and counts
 *   in hits and page views only. In the dimension rollups (pages, referrers, campaigns, countries, browsers,
 *   os, devices) the rows are the day's page views and `visitors` are the people who made them.
 * - k is enforced where the data is stored: a row is kept only when it describes at least k distinct visitor ids
 *   and at least k distinct network prefixes; every other row of a site is folded into one `(other)` row (for
 *   `totals`, a quiet site's day into an `(other)` site). So nothing under `stats/` describes fewer than k people,
 *   whoever reads it (the dashboard, the Stats API, or Athena directly), and one address rotating its user agent
 *   counts once. The dashboard queries apply k again over their date range.
 * - visits (visits; entries and exits: per entry and exit page): a visit is a visitor's run of page views and custom events on one UTC
 *   day without a gap of more than 30 minutes, computed here with window functions over the day's daily-salted
 *   visitor ids and stored only as sums: no row holds a visit or a person. A bounce is a visit of one page view and
 *   nothing else; duration is the seconds from its first to its last event. Anonymous-tier traffic has no id, so no
 *   visits.
 * - goals: conversions per configured goal (core/goals.ts: the job writes the goals table first); props: custom
 *   event properties per event name, key and value.
 */
export const ROLLUPS = [
  "totals",
  "pages",
  "referrers",
  "campaigns",
  "countries",
  "browsers",
  "os",
  "devices",
  "status",
  "bots",
  "visits",
  "entries",
  "exits",
  "goals",
  "props",
] as const;
export type RollupName = (typeof ROLLUPS)[number];

const str = (name: string): ColumnSpec => ({ name, type: "string", nullable: false });
const count = (name: string): ColumnSpec => ({ name, type: "int64", nullable: false });
const people = [count("pageviews"), count("visitors")];

function schema(name: RollupName, columns: ColumnSpec[]): TableSchema {
  return { name: `stats_${name}`, columns: [str("site"), ...columns] };
}

/**
 * Column layout of each rollup's Parquet files (the partition column `dt` is in the path, not in the file).
 * Dimension values are never NULL: a missing value is a label such as `(unknown)`, `(direct)` or `(none)`.
 */
export const STATS_SCHEMAS: Readonly<Record<RollupName, TableSchema>> = {
  totals: schema("totals", [
    count("hits"),
    count("bandwidth"),
    count("status_2xx"),
    count("status_3xx"),
    count("status_4xx"),
    count("status_5xx"),
    count("status_other"),
    count("pageviews"),
    count("visitors"),
    count("unique_clients"),
    count("bot_hits"),
  ]),
  pages: schema("pages", [str("path"), ...people]),
  referrers: schema("referrers", [str("referrer_host"), ...people]),
  campaigns: schema("campaigns", [str("utm_source"), str("utm_medium"), str("utm_campaign"), ...people]),
  countries: schema("countries", [str("country"), ...people]),
  browsers: schema("browsers", [str("browser"), ...people]),
  os: schema("os", [str("os"), ...people]),
  devices: schema("devices", [str("device"), ...people]),
  status: schema("status", [str("status_class"), count("hits"), count("bandwidth")]),
  bots: schema("bots", [str("bot_name"), count("hits"), count("bandwidth")]),
  visits: schema("visits", [
    count("visitors"),
    count("visits"),
    count("bounces"),
    count("visit_duration"),
    count("visit_pageviews"),
  ]),
  entries: schema("entries", [
    str("entry_page"),
    count("visits"),
    count("visitors"),
    count("bounces"),
    count("visit_duration"),
  ]),
  exits: schema("exits", [str("exit_page"), count("visits"), count("visitors")]),
  goals: schema("goals", [str("goal"), count("events"), count("visitors")]),
  props: schema("props", [
    str("event_name"),
    str("prop_key"),
    str("prop_value"),
    count("events"),
    count("visitors"),
  ]),
};

/** The query file that computes a rollup: `queries/rollup.<name>.sql`, parameters `day:date` and `k:int`. */
export function rollupQueryId(name: RollupName): string {
  return `rollup.${name}`;
}

/** `stats/<rollup>/dt=<day>/`: the partition a rollup's day is written to, replaced as a whole. */
export function statsPartition(name: RollupName, day: string): string {
  return `stats/${name}/dt=${day}/`;
}

/**
 * The one object a rollup's day is written to. Fixed, so re-aggregating a day overwrites it; its bytes depend
 * only on the day's events (the SELECT orders its rows completely), so the same events give the same object.
 */
export function statsObjectKey(name: RollupName, day: string): string {
  return `${statsPartition(name, day)}${name}-${day}.parquet`;
}

/** The label of the row that sums every row under k, in every rollup. */
export const FOLDED_LABEL = "(other)";

/**
 * The bound parameters of a rollup's SELECT: its day, and k from the configuration (never from a caller). `day` and
 * `k` may each appear several times in a file's header (positional placeholders).
 */
export function rollupParams(definition: QueryDefinition, day: string, k: number): SqlParam[] {
  return bindParams(definition, { day, k: { type: "int", value: k } });
}
