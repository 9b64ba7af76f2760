import { processEnvironment } from "../../runtime/env.ts";
import { lambdaEntry } from "../http/lambda.ts";
import { composeAwsStatsApp } from "./aws.ts";

/** The Stats API's Lambda entry point (API Gateway HTTP API v2 events), wired by ./aws.ts once per cold start. */
export const handler = lambdaEntry(() => Promise.resolve(composeAwsStatsApp(processEnvironment())));
