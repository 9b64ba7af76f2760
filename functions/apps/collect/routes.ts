import { Hono } from "hono";
import type { CollectOutcome, Collector } from "../../core/collect/collector.ts";
import type { CollectResponse } from "../../core/collect/responses.ts";
import { COLLECT_ROUTES, type CollectPath, type CollectRequest } from "../../core/collect/types.ts";
import type { HttpContext, HttpEnv, HttpLogger, HttpPlatform } from "../http/types.ts";

/**
 * The collector's routes in the HTTP app (apps/http/app.ts), the same under `logsieve serve` and behind API
 * Gateway: `POST /collect`, `GET /p.gif`, `POST /api/event` (Plausible), `POST /api/send` (Umami),
 * `GET|POST /matomo.php`, `GET /logsieve.js`, each answering every method (the collector answers the CORS preflight
 * and 405 with `Allow` itself). A route turns the request into a CollectRequest, calls the core collector
 * (`collector.handle`) and reports the outcome (logged and counted). Wiring (configuration, stores, sink) is
 * ./aws.ts's for Lambda; for `logsieve serve`, ./local.ts opens the dependencies and apps/http/server.ts builds the
 * collector. Under `logsieve serve` most collector requests take ./node-routes.ts, the same steps on node:http.
 *
 * Logs are structured JSON (one object per line, so a CR/LF in anything cannot forge a line) and carry only the
 * route, the status and reasons from closed lists: never an address, a header, a path or a body.
 */

/** The logging the routes need; Powertools' Logger fits it, and so does the local JSON-lines logger. */
export type CollectLogger = HttpLogger;

export interface CollectRoutesDeps {
  readonly collector: Collector;
  readonly logger: CollectLogger;
  /** The collector's body cap (settings.maxBodyBytes): a body declared over it is refused without being read. */
  readonly maxBodyBytes: number;
  /** Told about every answered request (metrics). The outcome carries tokens and counts only. */
  readonly onOutcome?: (outcome: CollectOutcome) => void;
}

/** Decoding a body stops being worth it this far over the cap: its size is enough to refuse it. */
const DECODE_LIMIT_FACTOR = 2;

const utf8 = new TextDecoder();

/** What an unexpected failure of a collector route logs and answers (apps/http/app.ts's error handler too). */
export const COLLECT_FAILURE = { log: "collect failed", body: '{"error":"internal"}' } as const;

const FAILURE_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** The collector's answer, ready for the socket: a base64 body (the pixel) already decoded; null for none. */
export interface CollectAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer<ArrayBuffer> | null;
}

/**
 * The request as the collector reads it: route, method, the raw query from the target (`/p.gif?…`) or the whole
 * URL, the platform's headers and address, the body's bytes (null when it was not read: GET and HEAD, a body
 * declared over the cap, the not-found answer).
 */
export function collectRequestOf(
  method: string,
  path: string,
  url: string,
  headers: Readonly<Record<string, string | undefined>>,
  sourceIp: string,
  bytes: Uint8Array | null,
  maxBodyBytes: number,
): CollectRequest {
  const bodyBytes = bytes === null ? 0 : bytes.byteLength;
  const queryAt = url.indexOf("?");
  return {
    method,
    path,
    rawQuery: queryAt < 0 ? "" : url.slice(queryAt + 1),
    headers,
    body:
      bytes !== null && bodyBytes > 0 && bodyBytes <= maxBodyBytes * DECODE_LIMIT_FACTOR
        ? utf8.decode(bytes)
        : null,
    bodyBytes,
    sourceIp,
  };
}

/** Whether the route reads the body: not for GET and HEAD, nor one declared over the collector's cap. */
export function readsBody(
  method: string,
  headers: Readonly<Record<string, string | undefined>>,
  maxBodyBytes: number,
): boolean {
  return (
    maxBodyBytes >= 0 &&
    method !== "GET" &&
    method !== "HEAD" &&
    !(Number(headers["content-length"]) > maxBodyBytes)
  );
}

/** The request through the Hono context (the body read when `maxBodyBytes` is not negative). */
async function collectRequest(
  c: HttpContext,
  path: string,
  platform: HttpPlatform,
  maxBodyBytes: number,
): Promise<CollectRequest> {
  const headers = platform.headers(c);
  const method = c.req.method;
  // GET and HEAD have no body to read (reading one would make node-server build a Web Request for nothing); a
  // body declared over the cap is refused by the collector from the declaration, unread. A negative cap: unread.
  const bytes = readsBody(method, headers, maxBodyBytes) ? new Uint8Array(await c.req.arrayBuffer()) : null;
  return collectRequestOf(method, path, c.req.url, headers, platform.clientAddress(c), bytes, maxBodyBytes);
}

/** The pixel's bytes, decoded once per distinct base64 body rather than once per request. */
const decoded = new Map<string, Buffer<ArrayBuffer>>();

function answerOf(response: CollectResponse): CollectAnswer {
  let body: string | Buffer<ArrayBuffer> | null = response.body.length === 0 ? null : response.body;
  if (body !== null && response.isBase64Encoded) {
    let bytes = decoded.get(response.body);
    if (bytes === undefined) {
      bytes = Buffer.from(response.body, "base64");
      // Only the collector's fixed bodies are base64 (the pixel); the bound is a guard, never reached.
      if (decoded.size < 16) decoded.set(response.body, bytes);
    }
    body = bytes;
  }
  return { statusCode: response.statusCode, headers: response.headers, body };
}

/**
 * The core collector's outcome, reported — to the metrics, and a log line for a refusal — and made the answer. The
 * routes (here and ./node-routes.ts) call the core themselves (`collector.handle`), then this.
 */
export function reported(deps: CollectRoutesDeps, outcome: CollectOutcome): CollectAnswer {
  deps.onOutcome?.(outcome);
  if (outcome.rejected.length > 0) {
    deps.logger.info("collect refused", {
      route: outcome.route ?? "(unknown)",
      status: outcome.response.statusCode,
      reasons: [...new Set(outcome.rejected)],
      stored: outcome.stored,
    });
  }
  return answerOf(outcome.response);
}

/** An unexpected failure, logged by the error's name only (a message could quote an address), answered 500. */
export function failedCollect(deps: CollectRoutesDeps, route: string, error: unknown): CollectAnswer {
  deps.logger.error(COLLECT_FAILURE.log, {
    route,
    errorName: error instanceof Error ? error.name : "Error",
  });
  return { statusCode: 500, headers: FAILURE_HEADERS, body: COLLECT_FAILURE.body };
}

/**
 * The collector's answer as a Response with its headers as a plain object: @hono/node-server writes such a
 * response straight to the socket without building a Web Response.
 */
function toResponse(answer: CollectAnswer): Response {
  return new Response(answer.body, { status: answer.statusCode, headers: answer.headers });
}

/** Answers one request through the Hono context. */
function answerer(deps: CollectRoutesDeps, platform: HttpPlatform) {
  return async (c: HttpContext, path: string, withBody: boolean): Promise<Response> => {
    c.set("area", "collect");
    // A path the collector does not serve is the client's text: never a log attribute.
    c.set("route", Object.hasOwn(COLLECT_ROUTES, path) ? path : "(unknown)");
    const request = await collectRequest(c, path, platform, withBody ? deps.maxBodyBytes : -1);
    return toResponse(reported(deps, await deps.collector.handle(request)));
  };
}

/** Builds the routes over one collector (one set of counters, one rate limiter, one sink). */
export function collectRoutes(deps: CollectRoutesDeps, platform: HttpPlatform): Hono<HttpEnv> {
  const answer = answerer(deps, platform);
  const app = new Hono<HttpEnv>();
  for (const path of Object.keys(COLLECT_ROUTES) as CollectPath[])
    app.all(path, (c) => answer(c, path, true));
  return app;
}

/**
 * The collector's answer to a path no route serves: refused `not_found` (its body unread) and counted, the same
 * under `logsieve serve` as behind a Function URL that hands every path to the collector.
 */
export function collectNotFound(
  deps: CollectRoutesDeps,
  platform: HttpPlatform,
): (c: HttpContext) => Promise<Response> {
  const answer = answerer(deps, platform);
  return (c) => answer(c, c.req.path, false);
}
