import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { LocalAddressLookupStore } from "../../adapters/lookup/local-address-lookups.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { DASHBOARD_ROLES, type DashboardRole } from "../../core/dashboard/roles.ts";
import { SessionBook } from "../../core/dashboard/sessions.ts";
import { createHold, listHolds } from "../../core/hold/holds.ts";
import type { StatsService } from "../../core/stats/service.ts";
import type { Clock } from "../../ports/clock.ts";
import { addressLookupDeps } from "../../runtime/address-lookups.ts";
import { localActor } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { localHoldDeps } from "../hold/local.ts";
import type { ServeContext } from "../http/context.ts";
import { loadDashboardAssets } from "./assets.ts";
import { sessionAuth } from "./auth.ts";
import { DEFAULT_ASSETS_DIR, ensureDashboardBuilt } from "./build.ts";
import { openLiveRollup } from "./live.ts";
import { type DashboardLogger, type DashboardRoutesDeps, PAGE_PATH } from "./routes.ts";

/**
 * The dashboards on one machine (`logsieve serve`): the same routes as on Lambda, with DuckDB over the local
 * lake for both views, legal holds into the lake's `evidence/` (read-only files), and sign-in by one link per
 * role printed at start (core/dashboard/sessions.ts). The local server binds 127.0.0.1 by default.
 */

export interface LocalDashboardOptions {
  readonly lakeDir: string;
  readonly config: LogsieveConfig;
  readonly logger: DashboardLogger;
  readonly clock?: Clock;
  /** Prebuilt assets; default: dist/dashboard/, built first when missing or older than the sources. */
  readonly assetsDir?: string;
  /** How often the live panel's figures may be recomputed (default one minute; tests go faster). */
  readonly liveRefreshMs?: number;
  /** The Stats API's service for the page's panels (filters, visits, goals); absent: those answer 501. */
  readonly stats?: StatsService;
}

export interface LocalDashboard {
  /** What the HTTP app's dashboard routes need (apps/http/app.ts). */
  readonly routes: DashboardRoutesDeps;
  readonly sessions: SessionBook;
  /** The sign-in link of each role, for a server at `baseUrl`. */
  links(baseUrl: string): { role: DashboardRole; url: string }[];
  close(): Promise<void>;
}

export async function openLocalDashboard(options: LocalDashboardOptions): Promise<LocalDashboard> {
  const clock = options.clock ?? systemClock;
  const assetsDir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  if (options.assetsDir === undefined) await ensureDashboardBuilt(assetsDir);
  const assets = await loadDashboardAssets(assetsDir);
  const sessions = new SessionBook({
    randomToken: () => randomBytes(32).toString("base64url"),
    now: () => clock.now(),
  });
  const lakeDir = resolve(options.lakeDir);
  // One DuckDB engine, opened on the first query and kept: its connection runs statements one at a time.
  let engine: Promise<DuckDbQueryEngine> | undefined;
  const openEngine = () => {
    engine ??= DuckDbQueryEngine.open({ lakeDir }).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    return engine;
  };
  const holdDeps = localHoldDeps(lakeDir, clock);
  const catalog = loadQueryCatalog();
  const live = openLiveRollup({
    lakeDir,
    store: new LocalObjectStore(lakeDir),
    config: options.config,
    catalog,
    clock,
    ...(options.liveRefreshMs === undefined ? {} : { refreshMs: options.liveRefreshMs }),
  });
  const lookups = addressLookupDeps(
    new LocalAddressLookupStore(lakeDir, async (work) => (await openEngine()).exclusive(work)),
  );
  const stats = options.stats;
  const routes: DashboardRoutesDeps = {
    config: options.config,
    catalog,
    clock,
    auth: sessionAuth(sessions, localActor()),
    assets,
    engine: () => openEngine(),
    // Locally there is no query history to keep addresses out of; the same SQL reads them from a lookup anyway.
    lookups: () => lookups,
    holds: { create: (request) => createHold(holdDeps, request), list: () => listHolds(holdDeps) },
    live: (site) => live.view(site),
    logger: options.logger,
    pageConfig: {},
    ...(stats === undefined ? {} : { stats: () => stats }),
  };
  return {
    routes,
    sessions,
    // The security roles' links open on the Security tab (the fragment survives the sign-in redirect).
    links: (baseUrl) =>
      DASHBOARD_ROLES.map((role) => ({
        role,
        url: `${baseUrl}${PAGE_PATH}?token=${sessions.signInTokens.get(role) ?? ""}${role === "marketing" ? "" : "#security"}`,
      })),
    close: async () => {
      const open = engine;
      engine = undefined;
      if (open !== undefined) await (await open.catch(() => null))?.close();
      await live.close();
    },
  };
}

/**
 * The dashboards under `logsieve serve` (apps/http/server.ts): the routes' wiring, the sign-in links announced
 * once the address is known, and the engine closed with the server. When the assets cannot be built (no esbuild
 * in a production install), the server runs without the dashboards and says why (undefined).
 */
export async function serveDashboard(
  context: ServeContext,
  stats?: StatsService,
): Promise<DashboardRoutesDeps | undefined> {
  const { collector } = context;
  let dashboard: LocalDashboard;
  try {
    dashboard = await openLocalDashboard({
      lakeDir: collector.lakeDir,
      config: collector.config,
      logger: collector.logger,
      ...(context.liveRefreshMs === undefined ? {} : { liveRefreshMs: context.liveRefreshMs }),
      ...(stats === undefined ? {} : { stats }),
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    context.announce(() => `  dashboards: not available (${why})`);
    return undefined;
  }
  context.onClose(() => dashboard.close());
  context.announce((url) =>
    [
      `  dashboards: ${url}${PAGE_PATH} — sign in with the link of your role (valid until the server stops):`,
      ...dashboard.links(url).map((l) => `    ${l.role.padEnd(13)} ${l.url}`),
    ].join("\n"),
  );
  return dashboard.routes;
}
