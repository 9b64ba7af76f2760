import type { ObjectStore } from "../../ports/object-store.ts";
import type { QueryEngine } from "../../ports/query-engine.ts";
import { type QueryCatalog, requireQuery, resolveQueryParams } from "../aggregate/catalog.ts";
import type { LogsieveConfig } from "../config.ts";
import {
  encodeLiveSnapshot,
  LIVE_WINDOW_MINUTES,
  type LiveSnapshot,
  liveKey,
  liveParams,
  liveSnapshotOf,
} from "./live.ts";

/**
 * The live rollup of one moment (core/dashboard/live.ts): `queries/dashboard.live.sql` over the latest `events/`
 * partitions (yesterday and today, up to the moment), k applied in the SQL and again by liveSnapshotOf, written to
 * `stats/live/dt=<day>/live.json` for the dashboard to serve. The same on both engines: DuckDB under `logsieve
 * serve` (apps/dashboard/live.ts, when a stored snapshot is older than a minute), Athena on AWS (apps/live/aws.ts, once a
 * minute on a schedule). The engine must be one that may read `events/`: the pipeline's, never a person's.
 */
export interface LiveRefreshDeps {
  readonly engine: QueryEngine;
  readonly store: ObjectStore;
  readonly catalog: QueryCatalog;
  readonly config: LogsieveConfig;
}

export async function refreshLiveSnapshot(
  deps: LiveRefreshDeps,
  momentMs: number,
  windowMinutes: number = LIVE_WINDOW_MINUTES,
): Promise<LiveSnapshot> {
  const definition = requireQuery(deps.catalog, "dashboard.live");
  const params = resolveQueryParams(definition, liveParams(momentMs, windowMinutes), deps.config);
  const result = await deps.engine.query(definition.select, params);
  const snapshot = liveSnapshotOf(result.rows, momentMs, windowMinutes, deps.config.k);
  await deps.store.put(liveKey(snapshot.day), encodeLiveSnapshot(snapshot), {
    contentType: "application/json",
  });
  return snapshot;
}
