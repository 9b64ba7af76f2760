import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { type QueryCatalog, requireQuery } from "../../core/aggregate/catalog.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import {
  decodeLiveSnapshot,
  LIVE_REFRESH_MS,
  LIVE_WINDOW_MINUTES,
  type LiveSnapshot,
  type LiveView,
  liveKey,
  liveMoment,
  liveViewOf,
} from "../../core/dashboard/live.ts";
import { refreshLiveSnapshot } from "../../core/dashboard/live-refresh.ts";
import type { Clock } from "../../ports/clock.ts";
import type { ObjectStore } from "../../ports/object-store.ts";

/**
 * The live panel on one machine (`logsieve serve`): the live rollup (core/dashboard/live.ts, queries/dashboard.live.sql)
 * computed on DuckDB from the lake's latest `events/` partitions when the stored one is older than the refresh
 * period, written to `stats/live/`, and served from there with k applied again. The computing side reads events
 * (what the pipeline may read); the serving side reads only the stored, k-applied rollup (what marketing may read),
 * exactly as on AWS, where the live function writes `stats/live/` on a one-minute schedule (apps/live/aws.ts: the
 * same query on Athena, over the same two partitions) and the dashboard function, reading as the signed-in person,
 * only reads the object.
 *
 * New lines reach the panel without any re-aggregation: `ingest --follow` writes them into `events/` within its
 * batch time, and the next refresh counts them.
 */

export interface LiveRollupOptions {
  readonly lakeDir: string;
  readonly store: ObjectStore;
  readonly config: LogsieveConfig;
  readonly catalog: QueryCatalog;
  readonly clock: Clock;
  /** How often the figures may be recomputed (default one minute). */
  readonly refreshMs?: number;
  readonly windowMinutes?: number;
}

export interface LiveRollup {
  /** The live figures of a site, recomputed first when the stored ones are older than the refresh period. */
  view(site: string): Promise<LiveView>;
  close(): Promise<void>;
}

export function openLiveRollup(options: LiveRollupOptions): LiveRollup {
  const refreshMs = options.refreshMs ?? LIVE_REFRESH_MS;
  const windowMinutes = options.windowMinutes ?? LIVE_WINDOW_MINUTES;
  // Fails at start, not at the first view, when the catalog lacks the query.
  requireQuery(options.catalog, "dashboard.live");
  // The pipeline's own engine over the lake (reads events/), apart from the one serving marketing's queries.
  let engine: Promise<DuckDbQueryEngine> | undefined;
  let computing: Promise<LiveSnapshot> | undefined;
  let computingMoment = Number.NaN;

  const compute = async (moment: number): Promise<LiveSnapshot> => {
    engine ??= DuckDbQueryEngine.open({ lakeDir: options.lakeDir, threads: 1 }).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    const deps = {
      engine: await engine,
      store: options.store,
      catalog: options.catalog,
      config: options.config,
    };
    return refreshLiveSnapshot(deps, moment, windowMinutes);
  };

  /** The snapshot of the current moment: the stored one if it is that recent, else computed once for all callers. */
  const current = async (): Promise<LiveSnapshot> => {
    const moment = liveMoment(options.clock.now(), refreshMs);
    const day = new Date(moment).toISOString().slice(0, 10);
    const stored = await options.store.get(liveKey(day));
    const snapshot = stored === null ? null : decodeLiveSnapshot(stored);
    if (
      snapshot !== null &&
      Date.parse(snapshot.asOf) >= moment &&
      snapshot.windowMinutes === windowMinutes
    ) {
      return snapshot;
    }
    if (computing === undefined || computingMoment !== moment) {
      computingMoment = moment;
      computing = compute(moment).finally(() => {
        if (computingMoment === moment) computing = undefined;
      });
    }
    return computing;
  };

  return {
    view: async (site) => liveViewOf(await current(), site, options.config.k, refreshMs),
    close: async () => {
      const open = engine;
      engine = undefined;
      if (open !== undefined) await (await open.catch(() => null))?.close();
    },
  };
}
