import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/**
 * A node:http server that runs Lambda handlers written for API Gateway HTTP API v2 / Function URL events: each
 * request becomes the event shape the platform would send (method, raw path and query, lower-cased headers,
 * cookies, body as text or base64, `requestContext.http.sourceIp` from the TCP peer), and the handler's
 * structured result becomes the response. `logsieve serve` mounts the collector's handlers here; other handlers
 * (the dashboards) mount theirs beside them.
 */

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpMount {
  /** Exact paths (`/collect`), or prefixes ending in `/` (`/dashboard/`) that answer every path below them. */
  readonly paths: readonly string[];
  readonly handler: LambdaHttpHandler;
}

export interface LambdaHttpServerOptions {
  readonly mounts: readonly HttpMount[];
  /** Bodies over this are answered 413 without calling a handler (the platform's own cap). Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Told about handler errors (to log them by name); the client gets a fixed 500. */
  readonly onError?: (error: unknown) => void;
}

/** Media types whose bodies API Gateway hands over as text; anything else is base64. */
const TEXT_TYPES =
  /^(text\/|application\/(json|x-www-form-urlencoded|javascript|xml)|[^;]*\+json|[^;]*\+xml)/i;

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
}

/** The TCP peer as API Gateway reports it: an IPv4 client on a dual-stack socket without its `::ffff:` prefix. */
export function peerAddress(remote: string | undefined): string {
  if (remote === undefined) return "";
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(remote) ? remote.slice(7) : remote;
}

/** One request as an HTTP API v2 event. */
export function toLambdaEvent(request: IncomingMessage, body: Buffer, nowMs: number): APIGatewayProxyEventV2 {
  const target = request.url ?? "/";
  const queryAt = target.indexOf("?");
  const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt < 0 ? "" : target.slice(queryAt + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    const text = headerValue(value);
    if (text === undefined) continue;
    if (name === "cookie") {
      cookies = text.split(/;\s*/).filter((c) => c.length > 0);
      continue;
    }
    headers[name] = text;
  }
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString.length > 0) {
    queryStringParameters = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      const before = queryStringParameters[key];
      queryStringParameters[key] = before === undefined ? value : `${before},${value}`;
    }
  }
  const method = (request.method ?? "GET").toUpperCase();
  const isText = body.length === 0 || TEXT_TYPES.test(headers["content-type"] ?? "text/plain");
  const host = headers.host ?? "localhost";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies === undefined ? {} : { cookies }),
    headers,
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0] ?? host,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: peerAddress(request.socket.remoteAddress),
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: new Date(nowMs).toUTCString(),
      timeEpoch: nowMs,
    },
    ...(body.length === 0 ? {} : { body: isText ? body.toString("utf8") : body.toString("base64") }),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies !== undefined && result.cookies.length > 0)
    response.setHeader("set-cookie", result.cookies);
  const body = result.body ?? "";
  response.end(result.isBase64Encoded ? Buffer.from(body, "base64") : body);
}

function sendJson(response: ServerResponse, statusCode: number, body: string): void {
  send(response, {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body,
  });
}

/** The mount answering a path: an exact path first, else the longest matching prefix. */
export function findMount(mounts: readonly HttpMount[], path: string): HttpMount | undefined {
  let best: { mount: HttpMount; length: number } | undefined;
  for (const mount of mounts) {
    for (const p of mount.paths) {
      if (p === path) return mount;
      if (p.endsWith("/") && path.startsWith(p) && (best === undefined || p.length > best.length)) {
        best = { mount, length: p.length };
      }
    }
  }
  return best?.mount;
}

export function createLambdaHttpServer(options: LambdaHttpServerOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("error", () => response.destroy());
    request.on("end", () => {
      if (tooLarge) {
        sendJson(response, 413, '{"error":"payload_too_large"}');
        return;
      }
      const event = toLambdaEvent(request, Buffer.concat(chunks, size), Date.now());
      const mount = findMount(options.mounts, event.rawPath);
      if (mount === undefined) {
        sendJson(response, 404, '{"error":"not_found"}');
        return;
      }
      mount.handler(event).then(
        (result) => send(response, result),
        (error: unknown) => {
          options.onError?.(error);
          if (!response.headersSent) sendJson(response, 500, '{"error":"internal"}');
          else response.destroy();
        },
      );
    });
  });
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
