import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { HttpBindings } from "@hono/node-server";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Context } from "hono";
import { peerAddress } from "../../apps/http/node.ts";

/**
 * Runs a Lambda handler written for API Gateway HTTP API v2 events inside the HTTP app under `logsieve serve`:
 * each request becomes the event shape the platform would send (method, raw path and query, lower-cased headers,
 * cookies, body as text or base64, `requestContext.http.sourceIp` from the TCP peer), and the handler's
 * structured result becomes the response. Only the dashboards still need it.
 */

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpMount {
  /** Exact paths (`/collect`), or prefixes ending in `/` (`/dashboard/`) that answer every path below them. */
  readonly paths: readonly string[];
  readonly handler: LambdaHttpHandler;
}

/** Media types whose bodies API Gateway hands over as text; anything else is base64. */
const TEXT_TYPES =
  /^(text\/|application\/(json|x-www-form-urlencoded|javascript|xml)|[^;]*\+json|[^;]*\+xml)/i;

function headerValue(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
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

/**
 * A Hono route running a Lambda handler: the request becomes the HTTP API v2 event and the structured result
 * the response. It carries the dashboards' Lambda handler into the HTTP app until their routes are Hono's own.
 */
export function lambdaRoute(handler: LambdaHttpHandler): (c: Context) => Promise<Response> {
  return async (c) => {
    const { incoming } = c.env as HttpBindings;
    const method = c.req.method;
    const body =
      method === "GET" || method === "HEAD" ? Buffer.alloc(0) : Buffer.from(await c.req.arrayBuffer());
    const result = await handler(toLambdaEvent(incoming, body, Date.now()));
    const headers = new Headers();
    for (const [name, value] of Object.entries(result.headers ?? {})) headers.set(name, String(value));
    for (const cookie of result.cookies ?? []) headers.append("set-cookie", cookie);
    const text = result.body ?? "";
    return new Response(
      text.length === 0 ? null : result.isBase64Encoded ? Buffer.from(text, "base64") : text,
      { status: result.statusCode ?? 200, headers },
    );
  };
}
