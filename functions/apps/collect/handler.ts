// Hono 4 marks `hono/aws-lambda` deprecated in favour of a separate `@hono/aws-lambda` package that v5 will require;
// that package is not published yet (the npm registry answers 404 for it). When it is, only this import changes
// (here and in the dashboard's and the Stats API's handler.ts).
import { handle } from "hono/aws-lambda";
import { processEnvironment } from "../../runtime/env.ts";
import { composeAwsCollectApp } from "./aws.ts";

/**
 * The collector's Lambda entry point (API Gateway HTTP API v2 events): Hono's Lambda adapter over the HTTP app
 * with the collector's routes, wired by ./aws.ts once per cold start (a failed start fails the environment's
 * initialization, and Lambda starts a fresh one for the next request). The adapter turns the event into a Request
 * (a base64 body decoded, `cookies` joined into a Cookie header) and the Response into the structured result (the
 * pixel's image/gif as base64); the client address is API Gateway's `requestContext.http.sourceIp`
 * (apps/http/lambda.ts).
 */
export const handler = handle(await composeAwsCollectApp(processEnvironment()));
