import { Hono } from "hono";
import type { CollectOutcome, Collector } from "../../core/collect/collector.ts";
import type { CollectResponse } from "../../core/collect/responses.ts";
import { COLLECT_ROUTES, type CollectPath, type CollectRequest } from "../../core/collect/types.ts";
import type { HttpContext, HttpEnv, HttpLogger, HttpPlatform } from "../http/types.ts";

/**
 * The collector's routes in the HTTP app (apps/http/app.ts), the same under `logsieve serve` and behind API
 * Gateway: `POST /collect`, `GET /p.gif`, `POST /api/event` (Plausible), `POST /api/send` (Umami),
 * `GET|POST /matomo.php`, `GET /logsieve.js`, each answering every method (the collector answers the CORS preflight
 * and 405 with `Allow` itself). A route turns the request into a CollectRequest, the core collector answers, the outcome is logged and counted. Wiring
 * (configuration, stores, sink) is ./aws.ts's for Lambda and ./local.ts's for `logsieve serve`.
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

/**
 * The request as the collector reads it: route, method, raw query, the platform's headers and address, the body
 * (read when `maxBodyBytes` is not negative).
 */
async function collectRequest(
  c: HttpContext,
  path: string,
  platform: HttpPlatform,
  maxBodyBytes: number,
): Promise<CollectRequest> {
  const headers = platform.headers(c);
  const method = c.req.method;
  let body: string | null = null;
  let bodyBytes = 0;
  // GET and HEAD have no body to read (reading one would make node-server build a Web Request for nothing); a
  // body declared over the cap is refused by the collector from the declaration, unread. A negative cap: unread.
  if (
    maxBodyBytes >= 0 &&
    method !== "GET" &&
    method !== "HEAD" &&
    !(Number(headers["content-length"]) > maxBodyBytes)
  ) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    bodyBytes = bytes.byteLength;
    if (bodyBytes > 0 && bodyBytes <= maxBodyBytes * DECODE_LIMIT_FACTOR) body = utf8.decode(bytes);
  }
  const url = c.req.url;
  const queryAt = url.indexOf("?");
  return {
    method,
    path,
    rawQuery: queryAt < 0 ? "" : url.slice(queryAt + 1),
    headers,
    body,
    bodyBytes,
    sourceIp: platform.clientAddress(c),
  };
}

/**
 * The collector's answer as a Response with its headers as a plain object: @hono/node-server writes such a
 * response straight to the socket without building a Web Response.
 */
function toResponse(response: CollectResponse): Response {
  const body =
    response.body.length === 0
      ? null
      : response.isBase64Encoded
        ? Buffer.from(response.body, "base64")
        : response.body;
  return new Response(body, { status: response.statusCode, headers: response.headers });
}

/** Answers one request: the collector's outcome is reported (metrics, a log line for refusals) and sent. */
function answerer(deps: CollectRoutesDeps, platform: HttpPlatform) {
  return async (c: HttpContext, path: string, withBody: boolean): Promise<Response> => {
    c.set("area", "collect");
    // A path the collector does not serve is the client's text: never a log attribute.
    c.set("route", Object.hasOwn(COLLECT_ROUTES, path) ? path : "(unknown)");
    const request = await collectRequest(c, path, platform, withBody ? deps.maxBodyBytes : -1);
    const outcome = await deps.collector.handle(request);
    deps.onOutcome?.(outcome);
    if (outcome.rejected.length > 0) {
      deps.logger.info("collect refused", {
        route: outcome.route ?? "(unknown)",
        status: outcome.response.statusCode,
        reasons: [...new Set(outcome.rejected)],
        stored: outcome.stored,
      });
    }
    return toResponse(outcome.response);
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
