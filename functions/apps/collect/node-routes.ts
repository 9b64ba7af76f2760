import type { IncomingMessage, ServerResponse } from "node:http";
import { COLLECT_ROUTES, type CollectPath } from "../../core/collect/types.ts";
import { peerAddress } from "../http/node.ts";
import {
  type CollectAnswer,
  type CollectRoutesDeps,
  collectRequestOf,
  failedCollect,
  readsBody,
  reported,
} from "./routes.ts";

/**
 * The collector's routes straight on node:http, for `logsieve serve`: the busiest requests it answers skip the
 * Hono app (its Request and Response objects, router, middleware chain and context) and go from node's request to
 * the same route code (./routes.ts: the request read the same way, the same core collector, the same outcome
 * reporting) and back onto the socket.
 *
 * Only a request whose answer through the app is known to be the same takes this path: a target that
 * @hono/node-server would use as it is (its own tests for a valid request target and host, copied below), whose
 * path is exactly one of the collector's routes, HTTP/1.1, not HEAD, and no Transfer-Encoding (a chunked body is
 * counted as it streams in by the app's body cap). Everything else — other paths, unusual targets and hosts,
 * HTTP/1.0, HEAD, chunked uploads — goes to the app.
 * test/e2e/collect-node-routes.test.ts sends the same requests both ways and compares the answers.
 */

/** @hono/node-server's test for a request target it uses as it is, without `new URL` (src/url.ts, reValidRequestUrl). */
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
/**
 * A target with percent-escapes (every tracker's page URL in the query) fails that test, and node-server then uses
 * `new URL(…).href`, which for these characters — the plain ones with `%` and without `'` (the only one the URL
 * parser escapes in a query) — is the target unchanged: test/unit/apps/collect/node-routes.test.ts checks it.
 */
const PLAIN_WITH_ESCAPES = /^\/[!#-&(-;=?-[\]_a-z~]*$/;
/** …and the dot segments it resolves through `new URL` (reDotSegment). */
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)/;
/** …and a Host header it uses as it is (reValidHost). */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

const PLATFORM_TOO_LARGE = '{"error":"payload_too_large"}';
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

/** The route a target names, when it is exactly one of the collector's paths; null otherwise. */
function routeOf(target: string): CollectPath | null {
  let end = target.length;
  for (let i = 1; i < target.length; i++) {
    const c = target.charCodeAt(i);
    // `?` or `#` ends the path, as in Hono's getPath; a `%` makes Hono decode it, so the app decides.
    if (c === 63 || c === 35) {
      end = i;
      break;
    }
    if (c === 37) return null;
  }
  const path = end === target.length ? target : target.slice(0, end);
  return Object.hasOwn(COLLECT_ROUTES, path) ? (path as CollectPath) : null;
}

/** Reads the whole body (only called for a body without Transfer-Encoding, so its length was declared). */
function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.once("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    incoming.once("error", reject);
    incoming.once("aborted", () => reject(new Error("the client closed the request")));
  });
}

/**
 * Writes a response byte for byte as @hono/node-server writes a Response whose headers are a plain object (its
 * `responseViaCache`), for the requests this path takes (HTTP/1.1, not HEAD): no body, the headers as they are;
 * a body on a status that has one, node's own Content-Length after its Date and Connection lines; otherwise the
 * length among the headers.
 */
function send(
  outgoing: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer | null,
): void {
  if (body === null) {
    outgoing.writeHead(status, headers);
    outgoing.end();
  } else if (status >= 200 && status !== 204 && status !== 304) {
    outgoing.statusCode = status;
    for (const name in headers) outgoing.setHeader(name, headers[name] as string);
    outgoing.end(body);
  } else {
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    outgoing.writeHead(status, { ...headers, "Content-Length": length });
    outgoing.end(body);
  }
}

/**
 * A node:http listener for the collector's routes: answers and returns true when the request is one it takes,
 * returns false (having touched nothing) when the app should answer it.
 */
export function collectNodeListener(
  deps: CollectRoutesDeps,
  /** The app's body cap (apps/http/app.ts): a declared body over it is refused as the app refuses it. */
  platformMaxBodyBytes: number,
): (incoming: IncomingMessage, outgoing: ServerResponse) => boolean {
  return (incoming, outgoing) => {
    const target = incoming.url ?? "";
    const headers = incoming.headers as Readonly<Record<string, string | undefined>>;
    const host = headers.host;
    const method = incoming.method ?? "GET";
    if (
      host === undefined ||
      method === "HEAD" ||
      incoming.httpVersion !== "1.1" ||
      target.charCodeAt(0) !== 47 ||
      headers["transfer-encoding"] !== undefined ||
      !PLAIN_HOST.test(host) ||
      !(PLAIN_TARGET.test(target) || PLAIN_WITH_ESCAPES.test(target)) ||
      DOT_SEGMENT.test(target)
    ) {
      return false;
    }
    const path = routeOf(target);
    if (path === null) return false;
    const hasBody = method !== "GET";
    const declared = headers["content-length"];
    if (hasBody && declared !== undefined && Number(declared) > platformMaxBodyBytes) {
      // The app's body cap (apps/http/body-limit.ts) refuses it before any route, unread and uncounted.
      send(outgoing, 413, JSON_HEADERS, PLATFORM_TOO_LARGE);
      return true;
    }
    const sourceIp = peerAddress(incoming.socket.remoteAddress);
    const max = deps.maxBodyBytes;
    // The same reading as the app's route: a body declared over the collector's cap is left unread.
    const handled = readsBody(method, headers, max)
      ? readBody(incoming).then((bytes) =>
          deps.collector.handle(collectRequestOf(method, path, target, headers, sourceIp, bytes, max)),
        )
      : deps.collector.handle(collectRequestOf(method, path, target, headers, sourceIp, null, max));
    // One reaction for the outcome (reported, then sent) rather than a promise per step: a failure of the core or
    // of the reporting is answered 500 as before.
    handled.then(
      (outcome) => {
        let answer: CollectAnswer;
        try {
          answer = reported(deps, outcome);
        } catch (error) {
          answer = failedCollect(deps, path, error);
        }
        send(outgoing, answer.statusCode, answer.headers, answer.body);
      },
      (error: unknown) => {
        const failed = failedCollect(deps, path, error);
        send(outgoing, failed.statusCode, failed.headers, failed.body);
      },
    );
    return true;
  };
}
