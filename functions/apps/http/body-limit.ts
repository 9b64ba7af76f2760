import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit as streamingBodyLimit } from "hono/body-limit";

/**
 * Refuses a request body over `maxBytes` before any route reads it.
 *
 * A body with a declared length (every browser's fetch, XHR and sendBeacon; API Gateway's events, whose length
 * Hono's Lambda adapter sets) is judged by that header alone. Hono's own `bodyLimit` starts by touching the Web
 * Request's `body`, which makes @hono/node-server build the full Web Request (a ReadableStream over the socket)
 * for every POST, so it runs only for the rare chunked upload, where it counts the bytes as they stream in.
 */
export function bodyLimit(
  maxBytes: number,
  tooLarge: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  const streaming = streamingBodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    if (c.req.header("transfer-encoding") === undefined) {
      // Without Transfer-Encoding an HTTP/1.1 body is exactly Content-Length bytes long, or absent.
      const declared = c.req.header("content-length");
      if (declared === undefined) return next();
      return Number(declared) > maxBytes ? tooLarge(c) : next();
    }
    return streaming(c, next);
  };
}
