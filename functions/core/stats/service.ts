import type { Clock } from "../../ports/clock.ts";
import type { QueryEngine } from "../../ports/query-engine.ts";
import { type QueryCatalog, requireQuery, resolveQueryParams } from "../aggregate/catalog.ts";
import type { LogsieveConfig } from "../config.ts";
import { dashboardSites } from "../dashboard/request.ts";
import { DAY_MS } from "../time.ts";
import { utcDay } from "../zones.ts";
import { answerStatsQuery, type StatsResult, type StatsRow } from "./plan.ts";
import { parseStatsQuery, StatsQueryError } from "./query.ts";

/**
 * The Stats API's answer to one request body, shared by `POST /api/v2/query` (a key) and the dashboard's filtered
 * panels (`POST /api/dashboard/stats`, a session): parse (core/stats/query.ts), plan and run (core/stats/plan.ts)
 * the allowlisted query files with k bound from the configuration.
 *
 * Two engines, because two kinds of data are read (docs/PRIVACY.md "Filtered queries"): `dashboard.*` files read
 * stats/ through the `stats` engine (on AWS the marketing workgroup, with grants on stats/ only); `stats.*` files
 * read events/ through the `events` engine (on AWS the filtered-reads workgroup under its own role, which no person
 * can assume). Locally both are DuckDB over the lake.
 */

export type StatsPath = "stats" | "events";

export interface StatsServiceDeps {
  readonly config: LogsieveConfig;
  readonly catalog: QueryCatalog;
  readonly clock: Clock;
  /** The engine for a path, or null where it is not set up (answered 503). */
  engine(path: StatsPath): Promise<QueryEngine> | null;
}

/** The path is not set up in this deployment. */
export class StatsUnavailableError extends Error {
  constructor(readonly path: StatsPath) {
    super(`the ${path === "events" ? "filtered" : "statistics"} queries are not set up in this deployment`);
    this.name = "StatsUnavailableError";
  }
}

export interface StatsService {
  /** The site a body names (before anything else is checked), for the caller's access check. */
  siteOf(body: unknown): string | null;
  answer(body: unknown): Promise<StatsResult>;
}

export function statsService(deps: StatsServiceDeps): StatsService {
  const { config } = deps;
  return {
    siteOf: (body) => {
      if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
      const site = (body as Record<string, unknown>).site_id;
      return typeof site === "string" ? site : null;
    },
    answer: async (body) => {
      const nowMs = deps.clock.now();
      const today = utcDay(nowMs);
      const query = parseStatsQuery(body, {
        today,
        sites: dashboardSites(config),
        siteSettings: config.siteSettings,
        oldestStatsDay: utcDay(nowMs - (config.retention.statsMonths * 31 - 1) * DAY_MS),
      });
      if (!dashboardSites(config).includes(query.site)) {
        throw new StatsQueryError("#/site_id: this site is not one of the configured sites");
      }
      return answerStatsQuery(
        query,
        {
          run: async (queryId, params) => {
            const path: StatsPath = queryId.startsWith("stats.") ? "events" : "stats";
            const engine = deps.engine(path);
            if (engine === null) throw new StatsUnavailableError(path);
            const definition = requireQuery(deps.catalog, queryId);
            const result = await (await engine).query(
              definition.select,
              resolveQueryParams(definition, params, config),
            );
            return result.rows as readonly StatsRow[];
          },
        },
        { today, oldestEventsDay: utcDay(nowMs - (config.retention.eventsDays - 1) * DAY_MS) },
      );
    },
  };
}
