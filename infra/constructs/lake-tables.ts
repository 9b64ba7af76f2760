import { GOALS_PREFIX, GOALS_SCHEMA } from "../../functions/core/goals.ts";
import {
  EVENTS_SCHEMA,
  HOURLY_ZONES,
  REJECTS_SCHEMA,
  SECURITY_SCHEMA,
  type Zone,
} from "../../functions/core/zones.ts";
import type { ColumnType, TableSchema } from "../../functions/ports/table-encoder.ts";

/** Glue / Athena (Hive DDL) type of each Parquet column type the writer produces. */
export const GLUE_TYPE: Readonly<Record<ColumnType, string>> = {
  string: "string",
  int32: "int",
  int64: "bigint",
  double: "double",
  boolean: "boolean",
  timestamp_ms: "timestamp",
};

export function glueColumns(schema: TableSchema): { name: string; type: string }[] {
  return schema.columns.map((c) => ({ name: c.name, type: GLUE_TYPE[c.type] }));
}

/**
 * The daily rollups under `stats/<rollup>/dt=YYYY-MM-DD/`, one Glue table `stats_<rollup>` each.
 *
 * KEEP IN SYNC with the SELECT lists of `queries/rollup.<rollup>.sql` (issue 3, the aggregation engineer): the
 * Glue table must name the same columns, with the same types, in the same order as the Parquet files UNLOAD
 * writes. test/infra/lake-tables.test.ts checks these names, in order, against the SELECT list of every
 * queries/rollup.*.sql, and that every table has its rollup file.
 */
export const STATS_TABLES: readonly TableSchema[] = [
  {
    name: "totals",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "hits", type: "int64", nullable: false },
      { name: "bandwidth", type: "int64", nullable: false },
      { name: "status_2xx", type: "int64", nullable: false },
      { name: "status_3xx", type: "int64", nullable: false },
      { name: "status_4xx", type: "int64", nullable: false },
      { name: "status_5xx", type: "int64", nullable: false },
      { name: "status_other", type: "int64", nullable: false },
      { name: "pageviews", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
      { name: "unique_clients", type: "int64", nullable: false },
      { name: "bot_hits", type: "int64", nullable: false },
    ],
  },
  dimension("pages", [{ name: "path", type: "string", nullable: false }]),
  dimension("referrers", [{ name: "referrer_host", type: "string", nullable: false }]),
  dimension("campaigns", [
    { name: "utm_source", type: "string", nullable: false },
    { name: "utm_medium", type: "string", nullable: false },
    { name: "utm_campaign", type: "string", nullable: false },
  ]),
  dimension("countries", [{ name: "country", type: "string", nullable: false }]),
  dimension("browsers", [{ name: "browser", type: "string", nullable: false }]),
  dimension("os", [{ name: "os", type: "string", nullable: false }]),
  dimension("devices", [{ name: "device", type: "string", nullable: false }]),
  {
    name: "status",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "status_class", type: "string", nullable: false },
      { name: "hits", type: "int64", nullable: false },
      { name: "bandwidth", type: "int64", nullable: false },
    ],
  },
  {
    name: "bots",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "bot_name", type: "string", nullable: false },
      { name: "hits", type: "int64", nullable: false },
      { name: "bandwidth", type: "int64", nullable: false },
    ],
  },
  {
    name: "visits",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
      { name: "visits", type: "int64", nullable: false },
      { name: "bounces", type: "int64", nullable: false },
      { name: "visit_duration", type: "int64", nullable: false },
      { name: "visit_pageviews", type: "int64", nullable: false },
    ],
  },
  {
    name: "entries",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "entry_page", type: "string", nullable: false },
      { name: "visits", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
      { name: "bounces", type: "int64", nullable: false },
      { name: "visit_duration", type: "int64", nullable: false },
    ],
  },
  {
    name: "exits",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "exit_page", type: "string", nullable: false },
      { name: "visits", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
    ],
  },
  {
    name: "goals",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "goal", type: "string", nullable: false },
      { name: "events", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
    ],
  },
  {
    name: "props",
    columns: [
      { name: "site", type: "string", nullable: false },
      { name: "event_name", type: "string", nullable: false },
      { name: "prop_key", type: "string", nullable: false },
      { name: "prop_value", type: "string", nullable: false },
      { name: "events", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
    ],
  },
];

function dimension(name: string, keys: TableSchema["columns"]): TableSchema {
  return {
    name,
    columns: [
      { name: "site", type: "string", nullable: false },
      ...keys,
      { name: "pageviews", type: "int64", nullable: false },
      { name: "visitors", type: "int64", nullable: false },
    ],
  };
}

/** One Glue table over a zone: where its objects live and how its partitions are projected. */
export interface LakeTable {
  /** Glue table name. */
  readonly tableName: string;
  readonly schema: TableSchema;
  readonly bucket: "raw" | "analytics";
  /** Key prefix of the table's root, with a trailing slash, e.g. `security/` or `stats/pages/`. */
  readonly prefix: string;
  readonly hourly: boolean;
  /** Which zone's retention bounds the projected `dt` range. */
  readonly zone: Zone;
  /** A table without partitions (the configured goals: one small object, rewritten by the aggregation). */
  readonly unpartitioned?: boolean;
}

/**
 * Every table the query layer registers in Glue: the three record zones, each stats rollup, and the configured goals
 * that the goals rollup joins (`goals/goals.parquet`, written by the aggregate function; core/goals.ts).
 */
export function lakeTables(stats: readonly TableSchema[] = STATS_TABLES): LakeTable[] {
  const zoneTable = (zone: Zone, schema: TableSchema, bucket: LakeTable["bucket"]): LakeTable => ({
    tableName: zone,
    schema,
    bucket,
    prefix: `${zone}/`,
    hourly: HOURLY_ZONES.has(zone),
    zone,
  });
  return [
    zoneTable("events", EVENTS_SCHEMA, "analytics"),
    zoneTable("security", SECURITY_SCHEMA, "raw"),
    zoneTable("rejects", REJECTS_SCHEMA, "raw"),
    ...stats.map(
      (schema): LakeTable => ({
        tableName: `stats_${schema.name}`,
        schema,
        bucket: "analytics",
        prefix: `stats/${schema.name}/`,
        hourly: HOURLY_ZONES.has("stats"),
        zone: "stats",
      }),
    ),
    {
      tableName: "goals",
      schema: GOALS_SCHEMA,
      bucket: "analytics",
      prefix: GOALS_PREFIX,
      hourly: false,
      zone: "stats",
      unpartitioned: true,
    },
  ];
}
