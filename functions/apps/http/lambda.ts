import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
} from "aws-lambda";
import type { Hono } from "hono";
// Hono 4 marks `hono/aws-lambda` deprecated in favour of a separate `@hono/aws-lambda` package that v5 will
// require; that package is not published yet (the npm registry answers 404 for it). When it is, only this
// import changes.
import { handle } from "hono/aws-lambda";
import type { HttpEnv, HttpPlatform } from "./types.ts";

/**
 * The HTTP app (./app.ts) behind API Gateway's HTTP API (payload format 2.0) or a Function URL: Hono's Lambda
 * adapter turns the event into a Request (a base64 body decoded, `cookies` joined into a Cookie header) and the
 * Response into the structured result (a binary type such as the pixel's image/gif as base64, Set-Cookie as
 * `cookies`). The client address is `requestContext.http.sourceIp`, which API Gateway sets from the connection;
 * Hono's own `getConnInfo` would fall back to X-Forwarded-For, which a client writes, so it is not used.
 *
 * Only the HTTP functions (collect, dashboard-api) run on Hono. The event-driven ones (ingest's SQS batches with
 * Powertools' partial batch responses, aggregate and sweep on schedules) keep middy, whose Powertools middlewares
 * serve them; no HTTP route goes through middy.
 */

export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context?: LambdaContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

interface LambdaBindings {
  readonly event: APIGatewayProxyEventV2;
}

/** API Gateway lower-cases header names in payload format 2.0; a copy makes sure of it for any other source. */
function lowerCased(
  headers: APIGatewayProxyEventV2["headers"] | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

export const lambdaPlatform: HttpPlatform = {
  clientAddress: (c) => (c.env as LambdaBindings).event.requestContext?.http?.sourceIp ?? "",
  headers: (c) => lowerCased((c.env as LambdaBindings).event.headers),
};

/** The app as a Lambda handler for HTTP API v2 events. */
export function lambdaHandler(app: Hono<HttpEnv>): LambdaHttpHandler {
  const handler = handle(app);
  return async (event, context) =>
    (await handler(
      event as unknown as Parameters<typeof handler>[0],
      context,
    )) as APIGatewayProxyStructuredResultV2;
}

/**
 * A Lambda entry point: the app is built once per cold start (its wiring reads the environment, opens clients);
 * a failed cold start is retried on the next invocation.
 */
export function lambdaEntry(build: () => Promise<Hono<HttpEnv>>): LambdaHttpHandler {
  let ready: Promise<LambdaHttpHandler> | undefined;
  return async (event, context) => {
    ready ??= build()
      .then(lambdaHandler)
      .catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
    return (await ready)(event, context);
  };
}
