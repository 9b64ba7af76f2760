import { resolve } from "node:path";
import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { type StatsService, statsService } from "../../core/stats/service.ts";
import type { Clock } from "../../ports/clock.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import type { ServeContext } from "../http/context.ts";
import type { HttpLogger } from "../http/types.ts";
import { KeyStore } from "../keys/store.ts";
import { storeAuth } from "./auth.ts";
import type { StatsRoutesDeps } from "./routes.ts";

/**
 * The Stats API on one machine (`logsieve serve`): keys from the lake's key store (`<lake>/keys/`), both paths on
 * one DuckDB engine over the local lake, opened on the first query and closed with the server. The dashboard's
 * filtered panels use the same service (apps/dashboard/local.ts).
 */

export interface LocalStats {
  readonly service: StatsService;
  readonly routes: StatsRoutesDeps;
  close(): Promise<void>;
}

export function openLocalStats(options: {
  readonly lakeDir: string;
  readonly config: LogsieveConfig;
  readonly logger: HttpLogger;
  readonly clock?: Clock;
}): LocalStats {
  const lakeDir = resolve(options.lakeDir);
  let engine: Promise<DuckDbQueryEngine> | undefined;
  const open = () => {
    engine ??= DuckDbQueryEngine.open({ lakeDir }).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    return engine;
  };
  const service = statsService({
    config: options.config,
    catalog: loadQueryCatalog(),
    clock: options.clock ?? systemClock,
    engine: () => open(),
  });
  return {
    service,
    routes: { service, auth: storeAuth(new KeyStore(new LocalObjectStore(lakeDir))), logger: options.logger },
    close: async () => {
      const opened = engine;
      engine = undefined;
      if (opened !== undefined) await (await opened.catch(() => null))?.close();
    },
  };
}

/** The Stats API under `logsieve serve`: wired, announced, closed with the server. */
export function serveStats(context: ServeContext): LocalStats {
  const stats = openLocalStats({
    lakeDir: context.collector.lakeDir,
    config: context.collector.config,
    logger: context.collector.logger,
  });
  context.onClose(() => stats.close());
  context.announce(
    (url) => `  stats API: POST ${url}/api/v2/query with a key from \`logsieve keys create --site <site>\``,
  );
  return stats;
}
