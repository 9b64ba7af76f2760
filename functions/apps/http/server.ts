import type { Server } from "node:http";
import {
  closeServer,
  createLambdaHttpServer,
  type HttpMount,
  type LambdaHttpHandler,
  listen,
} from "../../adapters/local/http-to-lambda.ts";
import { COLLECT_ROUTES } from "../../core/collect/types.ts";
import { type LocalCollector, type LocalCollectorOptions, openLocalCollector } from "../collect/local.ts";
import { dashboardMounts } from "../dashboard/local.ts";
import type { ServeContext, ServeMountFactory } from "./context.ts";

/**
 * `logsieve serve`: the Lambda handlers on a local HTTP server (127.0.0.1 by default). Each request becomes the
 * HTTP API v2 event the platform would send, so what runs here is exactly what runs on AWS.
 *
 * What is served is a list of mounts built by {@link SERVE_MOUNTS}: the collector's routes, a local-only status
 * page (`/_logsieve/status`: the collector's counters and the sink's), and whatever later features add
 * (the dashboards add their factory to the list).
 */

export const STATUS_PATH = "/_logsieve/status";

function collectorMounts({ collector }: ServeContext): readonly HttpMount[] {
  return [{ paths: Object.keys(COLLECT_ROUTES), handler: collector.handlers.router as LambdaHttpHandler }];
}

/** Counts only (reasons from closed lists): nothing a visitor sent. Local serve only; never deployed. */
function statusMount({ collector }: ServeContext): readonly HttpMount[] {
  return [
    {
      paths: [STATUS_PATH],
      handler: async () => ({
        statusCode: 200,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
        body: JSON.stringify({ collector: collector.collector.counters(), sink: collector.sink.stats() }),
      }),
    },
  ];
}

export const SERVE_MOUNTS: ServeMountFactory[] = [collectorMounts, statusMount, dashboardMounts];

export interface ServeOptions extends LocalCollectorOptions {
  readonly host: string;
  readonly port: number;
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

/** Starts the server (also used in-process by the tests and the benchmark). */
export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const collector = await openLocalCollector(options);
  const announcers: ((url: string) => string)[] = [];
  const closers: (() => Promise<void>)[] = [];
  const context: ServeContext = {
    collector,
    announce: (line) => announcers.push(line),
    onClose: (close) => closers.push(close),
  };
  const mounts: HttpMount[] = [];
  const closeFeatures = async () => {
    for (const close of closers) await close().catch(() => undefined);
  };
  try {
    for (const factory of SERVE_MOUNTS) mounts.push(...(await factory(context)));
  } catch (error) {
    await closeFeatures();
    await collector.close();
    throw error;
  }
  const server = createLambdaHttpServer({
    mounts,
    onError: (error) =>
      collector.logger.error("request failed", {
        errorName: error instanceof Error ? error.name : typeof error,
      }),
  });
  let address: Awaited<ReturnType<typeof listen>>;
  try {
    address = await listen(server, options.host, options.port);
  } catch (error) {
    await closeFeatures();
    await collector.close();
    throw error;
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
  process.stdout.write(
    `logsieve serve: listening on ${running.url}\n` +
      `  collector: ${Object.keys(COLLECT_ROUTES).join(" ")}  (sites: ${config.sites.length > 0 ? config.sites.join(", ") : "none configured: every event is refused"})\n` +
      `  status: ${running.url}${STATUS_PATH}\n` +
      `  lake: ${running.collector.lakeDir}\n` +
      running.announcements.map((line) => `${line}\n`).join("") +
      "  (Ctrl-C stops the server)\n",
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.stdout.write("logsieve serve: stopping; writing the events held in memory\n");
  await running.close();
  const counts = running.collector.collector.counters();
  const sink = running.collector.sink.stats();
  process.stdout.write(`logsieve serve: stopped. ${JSON.stringify({ collector: counts, sink })}\n`);
}
