import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { CollectOutcome, Collector } from "../../core/collect/collector.ts";
import { COLLECT_ROUTES, type CollectPath, type CollectRequest } from "../../core/collect/types.ts";

/**
 * The collector's Lambda handlers (Function URL or API Gateway HTTP API v2 events), one middy handler per route,
 * plus `router`, which serves every route from one function (what the CDK app deploys and `logsieve serve` runs).
 * They are thin: the event becomes a CollectRequest, the core collector answers, the outcome is logged and
 * counted. Wiring (configuration, stores, sink) is ./aws.ts's for Lambda and ./local.ts's for
 * `logsieve serve`.
 *
 * Logs are structured JSON (one object per line, so a CR/LF in anything cannot forge a line) and carry only the
 * route, the status and reasons from closed lists: never an address, a header, a path or a body.
 */

export type CollectEvent = APIGatewayProxyEventV2;
export type CollectResult = APIGatewayProxyStructuredResultV2;
export type CollectLambdaHandler = (event: CollectEvent, context?: Context) => Promise<CollectResult>;

/** The logging the handler needs; Powertools' Logger fits it, and so does the local JSON-lines logger. */
export interface CollectLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface CollectHandlerDeps {
  readonly collector: Collector;
  readonly logger: CollectLogger;
  /** Told about every answered request (metrics). The outcome carries tokens and counts only. */
  readonly onOutcome?: (outcome: CollectOutcome) => void;
}

export interface CollectHandlers {
  /** POST /collect */
  readonly collect: CollectLambdaHandler;
  /** GET /p.gif */
  readonly pixel: CollectLambdaHandler;
  /** POST /api/event */
  readonly plausible: CollectLambdaHandler;
  /** GET|POST /matomo.php */
  readonly matomo: CollectLambdaHandler;
  /** GET /logsieve.js */
  readonly script: CollectLambdaHandler;
  /** Every route by `rawPath`, 404 for others. */
  readonly router: CollectLambdaHandler;
}

/** The platform's cap on a request body is far above ours; decoding stops being worth it past this. */
const DECODE_LIMIT_FACTOR = 2;

/**
 * An HTTP API v2 / Function URL event as a CollectRequest. `path` forces the route (a per-route handler answers
 * its route whatever the stage or mapping put into `rawPath`). A body far over `maxBodyBytes` is not decoded: its
 * size is enough to refuse it.
 */
export function toCollectRequest(event: CollectEvent, maxBodyBytes: number, path?: string): CollectRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  let body: string | null = null;
  let bodyBytes = 0;
  const raw = event.body;
  if (raw !== undefined && raw !== null && raw.length > 0) {
    if (event.isBase64Encoded) {
      bodyBytes = Math.floor((raw.length * 3) / 4);
      if (bodyBytes <= maxBodyBytes * DECODE_LIMIT_FACTOR) {
        const bytes = Buffer.from(raw, "base64");
        bodyBytes = bytes.byteLength;
        body = bytes.toString("utf8");
      }
    } else {
      bodyBytes =
        raw.length > maxBodyBytes * DECODE_LIMIT_FACTOR ? raw.length : Buffer.byteLength(raw, "utf8");
      body = raw;
    }
  }
  return {
    method: (event.requestContext?.http?.method ?? "GET").toUpperCase(),
    path: path ?? event.rawPath ?? "/",
    rawQuery: event.rawQueryString ?? "",
    headers,
    body,
    bodyBytes,
    sourceIp: event.requestContext?.http?.sourceIp ?? "",
  };
}

/** Each result's outcome, for the reporting middleware (results are fresh objects, so nothing leaks). */
const outcomes = new WeakMap<CollectResult, CollectOutcome>();

function toResult(outcome: CollectOutcome): CollectResult {
  const { response } = outcome;
  const result: CollectResult = {
    statusCode: response.statusCode,
    headers: { ...response.headers },
    body: response.body,
    isBase64Encoded: response.isBase64Encoded,
  };
  outcomes.set(result, outcome);
  return result;
}

/** Logs refusals (fixed tokens only) and reports every outcome. */
function outcomeReporter(deps: CollectHandlerDeps): MiddlewareObj<CollectEvent, CollectResult> {
  return {
    after: async (request) => {
      const outcome = request.response === null ? undefined : outcomes.get(request.response);
      if (outcome === undefined) return;
      deps.onOutcome?.(outcome);
      if (outcome.rejected.length > 0) {
        deps.logger.info("collect refused", {
          route: outcome.route ?? "(unknown)",
          status: outcome.response.statusCode,
          reasons: [...new Set(outcome.rejected)],
          stored: outcome.stored,
        });
      }
    },
  };
}

/**
 * Any error that escapes the collector (a bug, or a store failing in a way the core does not expect) is answered
 * 500 with a fixed body and logged by name only: an error message could quote what it failed on.
 */
function errorResponder(deps: CollectHandlerDeps): MiddlewareObj<CollectEvent, CollectResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      deps.logger.error("collect failed", {
        route:
          request.event?.rawPath !== undefined && Object.hasOwn(COLLECT_ROUTES, request.event.rawPath)
            ? request.event.rawPath
            : "(unknown)",
        errorName: error instanceof Error ? error.name : typeof error,
      });
      request.response = {
        statusCode: 500,
        headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
        body: '{"error":"internal"}',
        isBase64Encoded: false,
      };
    },
  };
}

function routeHandler(
  deps: CollectHandlerDeps,
  maxBodyBytes: number,
  path?: CollectPath,
): CollectLambdaHandler {
  const base = async (event: CollectEvent): Promise<CollectResult> =>
    toResult(await deps.collector.handle(toCollectRequest(event, maxBodyBytes, path)));
  const handler = middy<CollectEvent, CollectResult>(base)
    .use(outcomeReporter(deps))
    .use(errorResponder(deps));
  return (event, context) => handler(event, context ?? ({} as Context));
}

/** Builds the handlers over one collector (one set of counters, one rate limiter, one sink). */
export function createCollectHandlers(deps: CollectHandlerDeps, maxBodyBytes = 8 * 1024): CollectHandlers {
  return {
    collect: routeHandler(deps, maxBodyBytes, "/collect"),
    pixel: routeHandler(deps, maxBodyBytes, "/p.gif"),
    plausible: routeHandler(deps, maxBodyBytes, "/api/event"),
    matomo: routeHandler(deps, maxBodyBytes, "/matomo.php"),
    script: routeHandler(deps, maxBodyBytes, "/logsieve.js"),
    router: routeHandler(deps, maxBodyBytes),
  };
}
