import { processEnvironment } from "../../runtime/env.ts";
import { composeAwsCollectHandlers } from "./aws.ts";
import type { CollectHandlers, CollectLambdaHandler } from "./routes.ts";

/**
 * The collector's Lambda entry point: every route from one function (what the CDK app deploys). The wiring
 * (./aws.ts) is built once per cold start; a failed cold start is retried on the next invocation.
 */
let awsHandlers: Promise<CollectHandlers> | undefined;

export const handler: CollectLambdaHandler = async (event, context) => {
  awsHandlers ??= composeAwsCollectHandlers(processEnvironment()).catch((error: unknown) => {
    awsHandlers = undefined;
    throw error;
  });
  return (await awsHandlers).router(event, context);
};
