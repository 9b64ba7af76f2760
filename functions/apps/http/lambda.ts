import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { HttpPlatform } from "./types.ts";

/**
 * The HTTP app (./app.ts) behind API Gateway's HTTP API (payload format 2.0) or a Function URL: each HTTP room's
 * handler.ts exports Hono's Lambda adapter over its app (`handle(app)` from `hono/aws-lambda`), which hands every
 * route the event as `c.env.event`. The platform below is what the routes read of it: the client address is
 * `requestContext.http.sourceIp`, which API Gateway sets from the connection (Hono's own `getConnInfo` would fall
 * back to X-Forwarded-For, which a client writes, so it is not used), and the headers as API Gateway parsed them.
 *
 * Only the HTTP functions (collect, dashboard-api, stats-api) run on Hono. The event-driven ones (ingest's SQS
 * batches with Powertools' partial batch responses, aggregate and sweep on schedules) keep middy, whose Powertools
 * middlewares serve them; no HTTP route goes through middy.
 */

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
