import { handle } from "hono/aws-lambda";
import { processEnvironment } from "../../runtime/env.ts";
import { composeAwsStatsApp } from "./aws.ts";

/**
 * The Stats API's Lambda entry point (API Gateway HTTP API v2 events): Hono's Lambda adapter over the HTTP app with
 * the Stats API's routes, wired by ./aws.ts once per cold start (see apps/collect/handler.ts).
 */
export const handler = handle(composeAwsStatsApp(processEnvironment()));
