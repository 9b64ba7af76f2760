import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, type HttpBindings } from "@hono/node-server";
import type { Hono } from "hono";
import type { HttpEnv, HttpPlatform } from "./types.ts";

/**
 * The HTTP app (./app.ts) on node:http through @hono/node-server, for `logsieve serve`: the platform's view of a
 * request (the socket's peer, node's parsed headers), the server and its timeouts, listen and close.
 *
 * @hono/node-server hands Hono a lightweight Request that builds a Web Request only when something asks for one;
 * the collector's routes read the method, URL, headers and the body directly and answer with a Response whose
 * headers are a plain object, which it writes straight to the socket. Creating the server makes it replace the
 * global Request and Response with those lightweight classes (its default; the fast path depends on it).
 */

const IPV4_MAPPED = /^::ffff:\d+\.\d+\.\d+\.\d+$/i;

/** The TCP peer as API Gateway reports it: an IPv4 client on a dual-stack socket without its `::ffff:` prefix. */
export function peerAddress(remote: string | undefined): string {
  if (remote === undefined) return "";
  return IPV4_MAPPED.test(remote) ? remote.slice(7) : remote;
}

export const nodePlatform: HttpPlatform = {
  clientAddress: (c) => peerAddress((c.env as HttpBindings).incoming.socket.remoteAddress),
  // node joins a repeated header's values into one string, except Set-Cookie (an array), which a request has no
  // business sending and no route reads; the type says string so the routes need not care.
  headers: (c) => (c.env as HttpBindings).incoming.headers as Readonly<Record<string, string | undefined>>,
};

/**
 * A listener that answers some requests itself before the app (the collector's, apps/collect/node-routes.ts):
 * true when it answered, false to hand the request to the app untouched.
 */
export type NodeFastPath = (incoming: IncomingMessage, outgoing: ServerResponse) => boolean;

/** A node:http server running the app, with timeouts that bound slow clients. */
export function createNodeServer(app: Hono<HttpEnv>, fastPath?: NodeFastPath): Server {
  const listener = getRequestListener(app.fetch);
  const server = createServer(
    fastPath === undefined
      ? listener
      : (incoming, outgoing) => {
          if (!fastPath(incoming, outgoing)) void listener(incoming, outgoing);
        },
  );
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return server;
}

/** Starts listening; resolves with the bound address (port 0 picks a free port). */
export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops taking connections and waits for the open ones (idle keep-alive connections are closed at once). */
export function closeServer(server: Server, graceMs = 2_000): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}
