import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";
import type { Hono } from "hono";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import {
  AWS_ENV,
  BUNDLED_DASHBOARD_ASSETS,
  configFromEnv,
  type Environment,
  requireEnv,
} from "../../runtime/env.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { createHttpApp } from "../http/app.ts";
import { lambdaPlatform } from "../http/lambda.ts";
import type { HttpEnv, HttpLogger } from "../http/types.ts";
import { storedLiveView } from "../live/read.ts";
import { loadDashboardAssets } from "./assets.ts";
import { cognitoAuth } from "./auth.ts";
import type { DashboardRoutesDeps } from "./routes.ts";

/**
 * The dashboards on AWS: the HTTP app with the dashboard routes only, in the dashboard-api function behind the
 * HTTP API, whose JWT authorizer verifies the Cognito token on `/api/dashboard/*`; roles come from its
 * `cognito:groups` claim. Marketing queries run in the
 * marketing Athena workgroup (stats only, `LOGSIEVE_ATHENA_WORKGROUP`); security queries in the security
 * workgroup when the deployment gives the function one (`LOGSIEVE_SECURITY_ATHENA_WORKGROUP` and the grants to
 * read the security zone); otherwise the security view answers 503 and says so.
 *
 * Legal holds are not placed from the dashboard on AWS yet (there is no Athena evidence source): the API answers
 * 501 and names `logsieve hold create` (the SecurityLead role) instead.
 */

/** The dashboard's own environment variables, named in runtime/env.ts with the others. */
export const DASHBOARD_ENV = {
  securityWorkgroup: AWS_ENV.securityWorkgroup,
  assetsDir: AWS_ENV.dashboardAssetsDir,
  cognitoDomain: AWS_ENV.cognitoDomain,
} as const;

export async function composeAwsDashboardApp(env: Environment): Promise<Hono<HttpEnv>> {
  const config = configFromEnv(env);
  const database = requireEnv(env, AWS_ENV.glueDatabase);
  const marketingWorkgroup = requireEnv(env, AWS_ENV.athenaWorkgroup);
  const securityWorkgroup = env[DASHBOARD_ENV.securityWorkgroup];
  const client = new AthenaClient({});
  const marketing = new AthenaQueryEngine({ client, workGroup: marketingWorkgroup, database });
  const security =
    securityWorkgroup === undefined || securityWorkgroup === ""
      ? null
      : new AthenaQueryEngine({ client, workGroup: securityWorkgroup, database });
  const liveStore = new S3ObjectStore({
    client: new S3Client({}),
    bucket: requireEnv(env, AWS_ENV.analyticsBucket),
  });
  const assets = await loadDashboardAssets(env[DASHBOARD_ENV.assetsDir] ?? BUNDLED_DASHBOARD_ASSETS);
  const domain = env[DASHBOARD_ENV.cognitoDomain];
  const clientId = env[AWS_ENV.userPoolClientId];
  const powertools = new Logger({
    serviceName: env[AWS_ENV.serviceName] ?? "logsieve-dashboard",
    ...(env[AWS_ENV.logLevel] === undefined ? {} : { logLevel: env[AWS_ENV.logLevel] as LogLevel }),
  });
  const logger: HttpLogger = {
    info: (m, a) => powertools.info(m, a ?? {}),
    warn: (m, a) => powertools.warn(m, a ?? {}),
    error: (m, a) => powertools.error(m, a ?? {}),
  };
  const dashboard: DashboardRoutesDeps = {
    config,
    catalog: loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir)),
    clock: systemClock,
    auth: cognitoAuth(),
    assets,
    engine: (view) => {
      const engine = view === "marketing" ? marketing : security;
      return engine === null ? null : Promise.resolve(engine);
    },
    holds: null,
    // The live function's figures in stats/live/ (apps/live/), read as this function reads stats/.
    live: (site) => storedLiveView(liveStore, site, config.k, systemClock.now()),
    logger,
    pageConfig:
      domain === undefined || clientId === undefined
        ? {}
        : { authorizeUrl: `${domain}/oauth2/authorize`, tokenUrl: `${domain}/oauth2/token`, clientId },
    ...(domain === undefined ? {} : { connectOrigins: [new URL(domain).origin] }),
  };
  return createHttpApp({ platform: lambdaPlatform, logger, dashboard });
}
