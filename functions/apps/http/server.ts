import type { Server } from "node:http";
import { createCollector } from "../../core/collect/collector.ts";
import { COLLECT_ROUTES } from "../../core/collect/types.ts";
import { type LocalCollector, type LocalCollectorOptions, localCollectorDeps } from "../collect/local.ts";
import { collectNodeListener } from "../collect/node-routes.ts";
import { serveDashboard } from "../dashboard/local.ts";
import type { DashboardRoutesDeps } from "../dashboard/routes.ts";
import { serveStats } from "../stats/local.ts";
import { createHttpApp, PLATFORM_MAX_BODY_BYTES } from "./app.ts";
import type { ServeContext } from "./context.ts";
import { closeServer, createNodeServer, listen, nodePlatform } from "./node.ts";
import { listenError } from "./port.ts";
import { STATUS_PATH } from "./status.ts";

/**
 * `logsieve serve`'s wiring (its command is ./command.ts): the core collector built over the dependencies
 * apps/collect/local.ts opens, and the whole HTTP app (./app.ts) — the collector's routes, the dashboards, the
 * Stats API and the local status page (`/_logsieve/status`: the collector's counters and the sink's) — on a local
 * node:http server (127.0.0.1 by default) through @hono/node-server (./node.ts), with the collector's shortcut
 * (apps/collect/node-routes.ts) in front. The routes are the ones the Lambda functions run; only the wiring
 * differs (local lake, DuckDB, sessions by printed link). A feature is served by adding its part to the app below
 * (one line) and its local dependencies beside its routes.
 */

export { STATUS_PATH };

export interface ServeOptions extends LocalCollectorOptions {
  readonly host: string;
  readonly port: number;
  /** How often the dashboard's live panel may be recomputed (default one minute). */
  readonly liveRefreshMs?: number;
}

export interface RunningServe {
  readonly server: Server;
  readonly url: string;
  readonly collector: LocalCollector;
  /** Lines the features announced (e.g. the dashboards' sign-in links), for the start-up message. */
  readonly announcements: readonly string[];
  /** Stops taking requests, then drains the event sink. */
  close(): Promise<void>;
}

/** The collector on the local lake: the core collector over the dependencies apps/collect/local.ts opens. */
async function openCollector(options: LocalCollectorOptions): Promise<LocalCollector> {
  const parts = await localCollectorDeps(options);
  const collector = createCollector(parts.deps);
  return {
    config: parts.deps.config,
    lakeDir: parts.lakeDir,
    collector,
    routes: { collector, logger: parts.logger, maxBodyBytes: parts.deps.settings.maxBodyBytes },
    sink: parts.sink,
    logger: parts.logger,
    close: parts.close,
  };
}

/** Starts the server (also used in-process by the tests and the benchmark). */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const collector = await openCollector(options);
  const announcers: ((url: string) => string)[] = [];
  const closers: (() => Promise<void>)[] = [];
  const context: ServeContext = {
    collector,
    announce: (line) => announcers.push(line),
    onClose: (close) => closers.push(close),
    ...(options.liveRefreshMs === undefined ? {} : { liveRefreshMs: options.liveRefreshMs }),
  };
  const closeFeatures = async () => {
    for (const close of closers) await close().catch(() => undefined);
  };
  let dashboard: DashboardRoutesDeps | undefined;
  const stats = serveStats(context);
  try {
    dashboard = await serveDashboard(context, stats.service);
  } catch (error) {
    await closeFeatures();
    await collector.close();
    throw error;
  }
  const app = createHttpApp({
    platform: nodePlatform,
    logger: collector.logger,
    collect: collector.routes,
    ...(dashboard === undefined ? {} : { dashboard }),
    stats: stats.routes,
    status: { collector: collector.collector, sink: collector.sink },
  });
  const server = createNodeServer(app, collectNodeListener(collector.routes, PLATFORM_MAX_BODY_BYTES));
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, options.host, options.port);
  } catch (error) {
    await closeFeatures();
    await collector.close();
    throw listenError(error, options.host, options.port);
  }
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    collector,
    announcements: announcers.map((line) => line(url)),
    close: () => {
      closing ??= closeServer(server)
        .then(closeFeatures)
        .then(() => collector.close());
      return closing;
    },
  };
}

/** Prints where everything is, serves until Ctrl-C (or SIGTERM), then drains the events held in memory. */
export async function announceAndServeUntilStopped(running: RunningServe): Promise<void> {
  const { config } = running.collector;
  // The handlers come before the announcement: whoever reads "listening" may signal at once (a supervisor, a
  // test), and a process paused between the two lines would otherwise die of the signal without draining.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stdout.write(
    `logsieve serve: listening on ${running.url}\n` +
      `  collector: ${Object.keys(COLLECT_ROUTES).join(" ")}  (sites: ${config.sites.length > 0 ? config.sites.join(", ") : "none configured: every event is refused"})\n` +
      `  status: ${running.url}${STATUS_PATH}\n` +
      `  lake: ${running.collector.lakeDir}\n` +
      running.announcements.map((line) => `${line}\n`).join("") +
      "  (Ctrl-C stops the server)\n",
  );
  await stopped;
  process.stdout.write("logsieve serve: stopping; writing the events held in memory\n");
  await running.close();
  const counts = running.collector.collector.counters();
  const sink = running.collector.sink.stats();
  process.stdout.write(`logsieve serve: stopped. ${JSON.stringify({ collector: counts, sink })}\n`);
}
