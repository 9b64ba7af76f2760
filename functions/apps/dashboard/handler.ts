import { processEnvironment } from "../../runtime/env.ts";
import type { DashboardHandler } from "./api.ts";
import { composeAwsDashboardHandler } from "./aws.ts";

/**
 * The dashboards' Lambda entry point (API Gateway HTTP API v2 events). The wiring (./aws.ts) is built once per
 * cold start; a failed cold start is retried on the next request.
 */
let awsHandler: Promise<DashboardHandler> | undefined;

export const handler: DashboardHandler = async (event, context) => {
  awsHandler ??= composeAwsDashboardHandler(processEnvironment()).catch((error: unknown) => {
    awsHandler = undefined;
    throw error;
  });
  return (await awsHandler)(event, context);
};
