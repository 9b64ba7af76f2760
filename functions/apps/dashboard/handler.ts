import { processEnvironment } from "../../runtime/env.ts";
import { lambdaEntry } from "../http/lambda.ts";
import { composeAwsDashboardApp } from "./aws.ts";

/**
 * The dashboards' Lambda entry point (API Gateway HTTP API v2 events): the HTTP app with the dashboard routes,
 * wired by ./aws.ts once per cold start.
 */
export const handler = lambdaEntry(() => composeAwsDashboardApp(processEnvironment()));
