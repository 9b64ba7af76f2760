import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { AthenaClient } from "@aws-sdk/client-athena";
import type { Hono } from "hono";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { cognitoIdTokenVerifier } from "../../adapters/aws/cognito-id-token.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { statsService } from "../../core/stats/service.ts";
import { AWS_ENV, configFromEnv, type Environment, requireEnv } from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { cognitoAuth } from "../dashboard/auth.ts";
import { createHttpApp } from "../http/app.ts";
import { lambdaPlatform } from "../http/lambda.ts";
import type { HttpEnv, HttpLogger } from "../http/types.ts";
import { authorizerAuth } from "./auth.ts";

/**
 * The stats-api function on AWS, one service for two kinds of caller:
 *
 * - `POST /api/v2/query` behind the Lambda authorizer that checks the Bearer key (./authorizer.ts, which hands over
 *   the key's site and role);
 * - the dashboard's panels, `POST /api/dashboard/stats` and `stats.csv`, behind the dashboards' Cognito JWT
 *   authorizer: the same routes as under `logsieve serve` (apps/dashboard/routes.ts, dashboardStatsRoutes), the
 *   person's ID token verified again here as the dashboard-api function does (apps/dashboard/auth.ts cognitoAuth)
 *   and their group checked (marketing capability, else 403). The token only says who asks: the reads are this
 *   function's, never the person's.
 *
 * Unfiltered answers read `stats/` in the marketing workgroup; filtered ones read `events/` through the fixed,
 * k-checked `stats.*` query files in the pipeline workgroup (infra/constructs/stats-api.ts gives this function's
 * role exactly those two and nothing of the raw bucket). Only the k-checked answers leave the function
 * (docs/PRIVACY.md "Filtered queries").
 */
export function composeAwsStatsApp(env: Environment): Hono<HttpEnv> {
  const config = configFromEnv(env);
  const database = requireEnv(env, AWS_ENV.glueDatabase);
  const client = new AthenaClient({});
  const engines = {
    stats: new AthenaQueryEngine({ client, workGroup: requireEnv(env, AWS_ENV.athenaWorkgroup), database }),
    events: new AthenaQueryEngine({ client, workGroup: requireEnv(env, AWS_ENV.eventsWorkgroup), database }),
  };
  const service = statsService({
    config,
    catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
    clock: systemClock,
    engine: (path) => Promise.resolve(engines[path]),
  });
  const powertools = new Logger({
    serviceName: env[AWS_ENV.serviceName] ?? "logsieve-stats-api",
    ...(env[AWS_ENV.logLevel] === undefined ? {} : { logLevel: env[AWS_ENV.logLevel] as LogLevel }),
  });
  const logger: HttpLogger = {
    info: (m, a) => powertools.info(m, a ?? {}),
    warn: (m, a) => powertools.warn(m, a ?? {}),
    error: (m, a) => powertools.error(m, a ?? {}),
  };
  const verifier = cognitoIdTokenVerifier(
    requireEnv(env, AWS_ENV.cognitoIssuer),
    requireEnv(env, AWS_ENV.userPoolClientId),
  );
  return createHttpApp({
    platform: lambdaPlatform,
    logger,
    stats: { service, auth: authorizerAuth(), logger },
    dashboardStats: { config, auth: cognitoAuth(verifier), logger, stats: () => service },
  });
}
