import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { sendAggregateRequests } from "../../adapters/aws/aggregate-queue.ts";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { ParquetEncoder } from "../../adapters/parquet/parquet-encoder.ts";
import { type QueryCatalog, requireQuery } from "../../core/aggregate/catalog.ts";
import {
  type AggregateRequest,
  type DayWork,
  dayOfPendingKey,
  dayStateKey,
  PENDING_PREFIX,
  parseDayState,
  pendingKey,
  stateAfterRecompute,
  workFor,
} from "../../core/aggregate/requests.ts";
import { ROLLUPS, rollupParams, rollupQueryId, statsPartition } from "../../core/aggregate/rollups.ts";
import { athenaUnloadToParquet } from "../../core/aggregate/statements.ts";
import { ConfigError, type LogsieveConfig } from "../../core/config.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { SqlParam } from "../../ports/query-engine.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { AWS_ENV, configFromEnv, type Environment, requireEnv } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { writeGoalsTable } from "./goals-table.ts";
import { type S3CompactionSummary, S3EventsCompactor } from "./s3-compaction.ts";

/**
 * The aggregation job on AWS, one day at a time (the aggregate queue is FIFO with the day as message group, so no
 * two runs ever work on one day at once; see core/aggregate/requests.ts for the requests and the coalescing rule):
 *
 * 1. compaction of the day's events/ (./s3-compaction.ts): fully when asked (the hourly compaction), otherwise only
 *    when some input's rows are visible twice — so a recompute never reads a row twice;
 * 2. when a request is not covered by the last recompute (or compaction changed the rows): every rollup
 *    recomputed from the Glue `events` table with the SELECT text DuckDB runs locally, wrapped in
 *    `UNLOAD ... TO 's3://.../stats/<rollup>/dt=<day>/'`. UNLOAD refuses a non-empty target and a day is replaced
 *    as a whole, so the partition is emptied first; a failure between the two leaves the day without that rollup
 *    until the retry, never with a double count;
 * 3. the day's state (`events/dt=<day>/_aggregated.json`: when this recompute started reading) for coalescing.
 */

export interface AthenaStatementRunner {
  /** Runs a statement whose `?` placeholders are bound in order; resolves when Athena reports SUCCEEDED. */
  execute(sql: string, params: readonly SqlParam[]): Promise<string>;
}

export interface EventsCompactor {
  compact(day: string, mode: "full" | "overlaps"): Promise<S3CompactionSummary>;
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
  readonly compactor: EventsCompactor;
  readonly clock: Clock;
  /** A day is recomputed from ingestion's requests at most once per this interval (the catch-up's period). */
  readonly minIntervalMs: number;
  /** Sends requests to the aggregate queue (the catch-up and the hourly compaction enqueue theirs). */
  readonly enqueue: (requests: readonly AggregateRequest[]) => Promise<void>;
}

/** The aggregation interval when the deployment sets none (docs/DEPLOY.md, "Cost"). */
export const DEFAULT_INTERVAL_MINUTES = 15;

export interface DaySummary {
  readonly day: string;
  readonly work: DayWork;
  readonly recomputed: boolean;
  readonly compaction: S3CompactionSummary;
  /** Objects removed from the day's stats partitions before they were rewritten. */
  readonly replacedObjects: number;
}

/** The Athena, S3 and SQS wiring, from the environment the CDK app sets (built once per cold start). */
export function composeAthenaAggregate(
  env: Environment,
  clients: { athena?: AthenaClient; s3?: S3Client; sqs?: SQSClient } = {},
  clock: Clock = { now: () => Date.now() },
): AthenaAggregateDeps {
  const analyticsBucket = requireEnv(env, AWS_ENV.analyticsBucket);
  const queueUrl = requireEnv(env, AWS_ENV.aggregateQueueUrl);
  const s3 = clients.s3 ?? new S3Client({});
  const sqs = clients.sqs ?? new SQSClient({});
  const config = configFromEnv(env);
  const intervalText = env[AWS_ENV.aggregateIntervalMinutes];
  const minutes = intervalText === undefined ? DEFAULT_INTERVAL_MINUTES : Number(intervalText);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new ConfigError(`${AWS_ENV.aggregateIntervalMinutes} must be whole minutes, 1 to 1440`, [
      `${AWS_ENV.aggregateIntervalMinutes}: whole minutes, 1 to 1440`,
    ]);
  }
  return {
    engine: new AthenaQueryEngine({
      client: clients.athena ?? new AthenaClient({}),
      workGroup: requireEnv(env, AWS_ENV.athenaWorkgroup),
      database: requireEnv(env, AWS_ENV.glueDatabase),
    }),
    analytics: new S3ObjectStore({ client: s3, bucket: analyticsBucket }),
    analyticsBucket,
    catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
    k: config.k,
    goals: config,
    // No worker thread in a Lambda sandbox (see apps/ingest/aws.ts).
    compactor: new S3EventsCompactor({
      client: s3,
      bucket: analyticsBucket,
      encoder: parquetEncoder({ threads: false }),
    }),
    clock,
    minIntervalMs: minutes * 60_000,
    enqueue: (requests) => sendAggregateRequests(sqs, queueUrl, requests),
  };
}

/** Does what one day's requests of a batch ask for: see the module comment. */
export async function processDay(
  deps: AthenaAggregateDeps,
  day: string,
  requests: readonly AggregateRequest[],
): Promise<DaySummary> {
  const state = await readState(deps.analytics, day);
  const startedAt = deps.clock.now();
  const work = workFor(requests, state, startedAt, deps.minIntervalMs);
  if (work.defer) {
    // Recomputed less than an interval ago: the next catch-up asks for the day again.
    const marker = new TextEncoder().encode(`${JSON.stringify({ day, deferredAt: startedAt })}\n`);
    await deps.analytics.put(pendingKey(day), marker, { contentType: "application/json" });
  }
  const compaction = await deps.compactor.compact(day, work.compact ? "full" : "overlaps");
  const recompute = work.recompute || compaction.rowsChanged;
  let replacedObjects = 0;
  if (recompute) {
    // Before the first read: a deferral after this point marks the day again for the next catch-up.
    await deps.analytics.delete(pendingKey(day));
    replacedObjects = await recomputeRollups(deps, day);
    const body = new TextEncoder().encode(`${JSON.stringify(stateAfterRecompute(startedAt))}\n`);
    await deps.analytics.put(dayStateKey(day), body, { contentType: "application/json" });
  }
  return { day, work, recomputed: recompute, compaction, replacedObjects };
}

/** Recomputes every rollup of a day on Athena; returns the number of stats objects replaced. */
export async function recomputeRollups(deps: AthenaAggregateDeps, day: string): Promise<number> {
  await writeGoalsTable(deps.analytics, new ParquetEncoder(), deps.goals);
  let replaced = 0;
  for (const rollup of ROLLUPS) {
    const partition = statsPartition(rollup, day);
    const stale: string[] = [];
    for await (const object of deps.analytics.list(partition)) stale.push(object.key);
    for (const key of stale) await deps.analytics.delete(key);
    replaced += stale.length;
    const definition = requireQuery(deps.catalog, rollupQueryId(rollup));
    const target = `s3://${deps.analyticsBucket}/${partition}`;
    await deps.engine.execute(
      athenaUnloadToParquet(definition.select, target),
      rollupParams(definition, day, deps.k),
    );
  }
  return replaced;
}

/** The days marked pending (deferred since their last recompute). */
export async function pendingDays(deps: AthenaAggregateDeps): Promise<string[]> {
  const days: string[] = [];
  for await (const info of deps.analytics.list(PENDING_PREFIX)) {
    const day = dayOfPendingKey(info.key);
    if (day !== null) days.push(day);
  }
  return days;
}

async function readState(store: ObjectStore, day: string) {
  const body = await store.get(dayStateKey(day));
  return body === null ? null : parseDayState(new TextDecoder().decode(body));
}
