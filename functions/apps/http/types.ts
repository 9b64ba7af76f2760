import type { Context } from "hono";

/**
 * The shapes every route group of the HTTP app (./app.ts) shares, in a module of their own so that a group's
 * routes can name them without importing the app that mounts them.
 */

/** Which group answered a request: the app's one error handler answers an unexpected failure in its style. */
export type HttpArea = "collect" | "dashboard" | "status";

/** Per-request values the routes set for the middleware and the error handler (Hono's `c.set` / `c.get`). */
export interface HttpVariables {
  /** The route's name in logs: a path or a fixed word, never anything the client sent. */
  route: string;
  area: HttpArea;
}

export interface HttpEnv {
  Variables: HttpVariables;
}

export type HttpContext = Context<HttpEnv>;

/**
 * What only the runtime knows about a request, injected by the runtime that runs the app (./node.ts for
 * `logsieve serve`, ./lambda.ts behind API Gateway). The app reads the client address nowhere else, so no header a
 * client controls can stand in for it.
 */
export interface HttpPlatform {
  /**
   * The client address the platform saw: the TCP peer on node (an IPv4 client on a dual-stack socket without its
   * `::ffff:` prefix), API Gateway's `requestContext.http.sourceIp` on Lambda. Empty when there is none.
   */
  clientAddress(c: Context): string;
  /**
   * The request headers as the platform already parsed them — lower-case names, a repeated header's values
   * joined with commas — used as they are, so no request pays for a copy (node's `IncomingMessage.headers`,
   * API Gateway's `event.headers`).
   */
  headers(c: Context): Readonly<Record<string, string | undefined>>;
}

/** The logging the routes need; Powertools' Logger fits it, and so does the local JSON-lines logger. */
export interface HttpLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}
