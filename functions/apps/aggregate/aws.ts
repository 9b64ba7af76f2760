import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { ParquetEncoder } from "../../adapters/parquet/parquet-encoder.ts";
import { type QueryCatalog, requireQuery } from "../../core/aggregate/catalog.ts";
import {
  ROLLUPS,
  type RollupName,
  rollupParams,
  rollupQueryId,
  statsPartition,
} from "../../core/aggregate/rollups.ts";
import { athenaUnloadToParquet } from "../../core/aggregate/statements.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { DAY_MS } from "../../core/time.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { SqlParam } from "../../ports/query-engine.ts";
import { AWS_ENV, configFromEnv, type Environment, requireEnv } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { writeGoalsTable } from "./goals-table.ts";

/**
 * The aggregation job on AWS: for each touched day, every rollup is recomputed from the Glue `events` table
 * with the same SELECT text DuckDB runs locally, wrapped in Athena's `UNLOAD ... TO 's3://.../stats/<rollup>/dt=<day>/'`.
 * UNLOAD refuses a non-empty target, and a day is replaced as a whole, so the partition is emptied first;
 * a failure between the two leaves the day without that rollup until the retry (the SQS message is redelivered),
 * never with a double count.
 */

export interface AthenaStatementRunner {
  /** Runs a statement whose `?` placeholders are bound in order; resolves when Athena reports SUCCEEDED. */
  execute(sql: string, params: readonly SqlParam[]): Promise<string>;
}

export interface AthenaAggregateDeps {
  readonly engine: AthenaStatementRunner;
  /** The analytics bucket as an ObjectStore (keys start at the zone: `stats/...`). */
  readonly analytics: ObjectStore;
  readonly analyticsBucket: string;
  readonly catalog: QueryCatalog;
  /** The configuration's k: rollup rows under it are folded into `(other)` before they are stored. */
  readonly k: number;
  /** The sites' goals, written into `goals/` for the goals rollup before the rollups run (core/goals.ts). */
  readonly goals: Pick<LogsieveConfig, "sites" | "siteSettings">;
}

export interface AthenaDaySummary {
  readonly day: string;
  readonly rollups: readonly RollupName[];
  /** Objects removed from the day's partitions before they were rewritten. */
  readonly replacedObjects: number;
}

/** The Athena and S3 wiring, from the environment the CDK app sets (built once per cold start). */
export function composeAthenaAggregate(
  env: Environment,
  clients: { athena?: AthenaClient; s3?: S3Client } = {},
): AthenaAggregateDeps {
  const analyticsBucket = requireEnv(env, AWS_ENV.analyticsBucket);
  const config = configFromEnv(env);
  return {
    engine: new AthenaQueryEngine({
      client: clients.athena ?? new AthenaClient({}),
      workGroup: requireEnv(env, AWS_ENV.athenaWorkgroup),
      database: requireEnv(env, AWS_ENV.glueDatabase),
    }),
    analytics: new S3ObjectStore({ client: clients.s3 ?? new S3Client({}), bucket: analyticsBucket }),
    analyticsBucket,
    catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
    k: config.k,
    goals: config,
  };
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function aggregateDaysOnAthena(
  deps: AthenaAggregateDeps,
  days: readonly string[],
): Promise<AthenaDaySummary[]> {
  const summaries: AthenaDaySummary[] = [];
  if (days.length > 0) await writeGoalsTable(deps.analytics, new ParquetEncoder(), deps.goals);
  for (const day of [...new Set(days)].sort()) {
    if (!ISO_DAY.test(day)) throw new Error(`not a day (YYYY-MM-DD): "${day.slice(0, 40)}"`);
    let replacedObjects = 0;
    for (const rollup of ROLLUPS) {
      const partition = statsPartition(rollup, day);
      const stale: string[] = [];
      for await (const object of deps.analytics.list(partition)) stale.push(object.key);
      for (const key of stale) await deps.analytics.delete(key);
      replacedObjects += stale.length;
      const definition = requireQuery(deps.catalog, rollupQueryId(rollup));
      const target = `s3://${deps.analyticsBucket}/${partition}`;
      await deps.engine.execute(
        athenaUnloadToParquet(definition.select, target),
        rollupParams(definition, day, deps.k),
      );
    }
    summaries.push({ day, rollups: ROLLUPS, replacedObjects });
  }
  return summaries;
}

/** The days a scheduled run recomputes: today and yesterday (UTC), so late data of the last day is included. */
export function scheduledDays(nowMs: number): string[] {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const yesterday = new Date(nowMs - DAY_MS).toISOString().slice(0, 10);
  return [yesterday, today];
}
