import { processEnvironment } from "../../runtime/env.ts";
import { lambdaEntry } from "../http/lambda.ts";
import { composeAwsCollectApp } from "./aws.ts";

/**
 * The collector's Lambda entry point (API Gateway HTTP API v2 events): the HTTP app with the collector's routes,
 * wired by ./aws.ts once per cold start.
 */
export const handler = lambdaEntry(() => composeAwsCollectApp(processEnvironment()));
