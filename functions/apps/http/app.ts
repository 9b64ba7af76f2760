import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DashboardRequestError } from "../../core/dashboard/request.ts";
import {
  COLLECT_FAILURE,
  type CollectRoutesDeps,
  collectNotFound,
  collectRoutes,
} from "../collect/routes.ts";
import {
  type DashboardRoutesDeps,
  type DashboardStatsRoutesDeps,
  dashboardRoutes,
  dashboardStatsRoutes,
} from "../dashboard/routes.ts";
import { type StatsRoutesDeps, statsRoutes } from "../stats/routes.ts";
import { bodyLimit } from "./body-limit.ts";
import { type StatusRoutesDeps, statusRoutes } from "./status.ts";
import type { HttpArea, HttpContext, HttpEnv, HttpLogger, HttpPlatform } from "./types.ts";

/**
 * logsieve's HTTP surface as one Hono app, the same code under `logsieve serve` (./node.ts, @hono/node-server) and
 * behind API Gateway (./lambda.ts, Hono's Lambda adapter). Each runtime builds it with the parts it serves: the
 * collect function the collector's routes, `logsieve serve` everything. A route group lives in its room and is
 * mounted here with one line; adding a route is one function in its group.
 *
 * Around every route: the platform's body cap (413 before any route reads a body), and one error handler that
 * answers what a route threw — an unexpected failure 500 with a fixed body in its group's style, logged by the
 * error's name only (a message could quote what it failed on: an address, a parameter).
 */

export interface HttpAppParts {
  /** The runtime's view of a request: client address and parsed headers (./node.ts, ./lambda.ts). */
  readonly platform: HttpPlatform;
  readonly logger: HttpLogger;
  /** The collector's routes; when mounted, it also answers every path no route serves (`not_found`, counted). */
  readonly collect?: CollectRoutesDeps;
  /** The dashboards' page, assets and API. */
  readonly dashboard?: DashboardRoutesDeps;
  /**
   * Only the dashboard's Stats API panels (`POST /api/dashboard/stats`, `stats.csv`), without the rest of the
   * dashboards: the stats-api function on AWS serves these for signed-in people (apps/stats/aws.ts).
   */
  readonly dashboardStats?: DashboardStatsRoutesDeps;
  /** The Stats API (`POST /api/v2/query`, Plausible's v2 shape, Bearer keys). */
  readonly stats?: StatsRoutesDeps;
  /** The local status page (`logsieve serve` only). */
  readonly status?: StatusRoutesDeps;
  /** Bodies declared over this are refused 413 before any route reads them. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** The cap API Gateway's own (10 MB) is far above; nothing logsieve serves takes more than a few KiB. */
export const PLATFORM_MAX_BODY_BYTES = 1024 * 1024;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

function json(status: number, body: string): Response {
  return new Response(body, { status, headers: JSON_HEADERS });
}

/** What an unexpected failure looks like in each group: the log message and the fixed body. */
const FAILURES: Readonly<Record<HttpArea | "other", { readonly log: string; readonly body: string }>> = {
  collect: COLLECT_FAILURE,
  dashboard: {
    log: "dashboard request failed",
    body: JSON.stringify({ error: "internal", message: "the request failed; the server log has details" }),
  },
  status: { log: "request failed", body: '{"error":"internal"}' },
  other: { log: "request failed", body: '{"error":"internal"}' },
};

/** The app's one error handler. */
function answerError(logger: HttpLogger) {
  return (error: Error, c: HttpContext): Response => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof DashboardRequestError) {
      // A request refused for a reason the person can act on: the status, a code and a message (no input echoed).
      logger.info("dashboard request refused", {
        route: c.get("route") ?? "unknown",
        status: error.status,
        code: error.code,
      });
      return json(error.status, JSON.stringify({ error: error.code, message: error.message }));
    }
    const failure = FAILURES[c.get("area") ?? "other"];
    logger.error(failure.log, { route: c.get("route") ?? "(unknown)", errorName: error.name });
    return json(500, failure.body);
  };
}

export function createHttpApp(parts: HttpAppParts): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  app.use(
    bodyLimit(parts.maxBodyBytes ?? PLATFORM_MAX_BODY_BYTES, () =>
      json(413, '{"error":"payload_too_large"}'),
    ),
  );
  if (parts.collect !== undefined) app.route("/", collectRoutes(parts.collect, parts.platform));
  if (parts.dashboard !== undefined) app.route("/", dashboardRoutes(parts.dashboard));
  if (parts.dashboardStats !== undefined) app.route("/", dashboardStatsRoutes(parts.dashboardStats));
  if (parts.stats !== undefined) app.route("/", statsRoutes(parts.stats));
  if (parts.status !== undefined) app.route("/", statusRoutes(parts.status));
  const collectorNotFound =
    parts.collect === undefined ? undefined : collectNotFound(parts.collect, parts.platform);
  app.notFound((c) => collectorNotFound?.(c) ?? json(404, '{"error":"not_found"}'));
  app.onError(answerError(parts.logger));
  return app;
}
