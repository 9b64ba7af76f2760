import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
} from "aws-lambda";
import type { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import type { HttpEnv } from "../../functions/apps/http/types.ts";

/**
 * The HTTP rooms' Lambda handlers as the tests call them: an HTTP API v2 event (aws-lambda's type) in, the
 * structured result out. Each room's handler.ts exports `handle(app)` from `hono/aws-lambda`, whose own event types
 * differ from aws-lambda's in details (a body `null` rather than absent); the shapes on the wire are the same.
 */
export type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context?: LambdaContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

type HonoLambdaHandler = ReturnType<typeof handle>;

/** A handler.ts's export, typed for the tests' events. */
export function v2Handler(handler: HonoLambdaHandler): LambdaHttpHandler {
  return async (event, context) =>
    (await handler(
      event as unknown as Parameters<HonoLambdaHandler>[0],
      context,
    )) as APIGatewayProxyStructuredResultV2;
}

/** The app behind Hono's Lambda adapter, as a handler.ts exports it. */
export function lambdaHandler(app: Hono<HttpEnv>): LambdaHttpHandler {
  return v2Handler(handle(app));
}
