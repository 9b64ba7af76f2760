import { createHash } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import type { LogLevel } from "@aws-lambda-powertools/logger/types";
import { AthenaClient } from "@aws-sdk/client-athena";
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from "@aws-sdk/client-cognito-identity";
import { S3Client } from "@aws-sdk/client-s3";
import type { Hono } from "hono";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { cognitoIdTokenVerifier } from "../../adapters/aws/cognito-id-token.ts";
import { S3ObjectStore } from "../../adapters/aws/s3-object-store.ts";
import { S3VersionedStore } from "../../adapters/aws/s3-versioned-store.ts";
import { AthenaEvidenceSource } from "../../adapters/hold/athena-evidence-source.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { S3AddressLookupStore } from "../../adapters/lookup/s3-address-lookups.ts";
import { createHold, type HoldDeps, listHolds } from "../../core/hold/holds.ts";
import type { AddressLookupDeps } from "../../core/security/address-lookup.ts";
import type { Clock } from "../../ports/clock.ts";
import { addressLookupDeps } from "../../runtime/address-lookups.ts";
import { holdAuditRetention } from "../../runtime/audit-retention.ts";
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
import { cognitoAuth, type DashboardIdentity } from "./auth.ts";
import type { DashboardRoutesDeps } from "./routes.ts";

/**
 * The dashboards on AWS: the HTTP app with the dashboard routes, in the dashboard-api function behind the HTTP API.
 *
 * - Sign-in: the page runs the authorization-code flow with PKCE against the Cognito hosted pages and sends the ID
 *   token as a Bearer token. API Gateway's JWT authorizer checks it before the function runs; the function checks
 *   it again with aws-jwt-verify against the pool's issuer and JWKS (./auth.ts says why).
 * - Data: the function's own role reads nothing. For each signed-in person the identity pool exchanges their ID
 *   token for temporary credentials of the role of their group (MarketingAnalyst, SecurityAnalyst, SecurityLead;
 *   infra/constructs/auth.ts), and every query, lookup and hold runs with those: IAM, not this code, decides what a
 *   person's request can read. Statistics run in the marketing workgroup, security queries and holds in the
 *   security workgroup.
 * - Legal holds: Athena UNLOADs the selected records into the incident's folder of the raw bucket, each object
 *   gets an Object Lock legal hold, then the manifest (held) and the audit event (compliance-mode retention).
 * - The Stats API's panels (`POST /api/dashboard/stats` and `stats.csv`: filters, visits, goals) are not served
 *   here: API Gateway routes them to the stats-api function (apps/stats/aws.ts, infra/constructs/stats-api.ts),
 *   whose own role may read events/ through the k-checked queries. No person's role may read events/, and this
 *   function has no grant of its own to lend, so it has no Stats API service (a request reaching it anyway: 501).
 */

/** Credentials of one person's role, kept until shortly before they expire (a page makes many requests). */
interface PersonAccess {
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly expiresAt: number;
}

const CACHE_LIMIT = 200;
const RENEW_BEFORE_MS = 120_000;

export interface AwsDashboardOptions {
  readonly clock?: Clock;
}

export async function composeAwsDashboardApp(
  env: Environment,
  options: AwsDashboardOptions = {},
): Promise<Hono<HttpEnv>> {
  const clock = options.clock ?? systemClock;
  const config = configFromEnv(env);
  const database = requireEnv(env, AWS_ENV.glueDatabase);
  const workgroups = {
    marketing: requireEnv(env, AWS_ENV.athenaWorkgroup),
    security: requireEnv(env, AWS_ENV.securityWorkgroup),
  };
  const rawBucket = requireEnv(env, AWS_ENV.rawBucket);
  const analyticsBucket = requireEnv(env, AWS_ENV.analyticsBucket);
  const issuer = requireEnv(env, AWS_ENV.cognitoIssuer);
  const clientId = requireEnv(env, AWS_ENV.userPoolClientId);
  const identityPoolId = requireEnv(env, AWS_ENV.identityPoolId);
  const domain = requireEnv(env, AWS_ENV.cognitoDomain);
  const catalog = loadQueryCatalog(requireEnv(env, AWS_ENV.queriesDir));
  const retention = holdAuditRetention(env, clock);
  const assets = await loadDashboardAssets(env[AWS_ENV.dashboardAssetsDir] ?? BUNDLED_DASHBOARD_ASSETS);
  const powertools = new Logger({
    serviceName: env[AWS_ENV.serviceName] ?? "logsieve-dashboard",
    ...(env[AWS_ENV.logLevel] === undefined ? {} : { logLevel: env[AWS_ENV.logLevel] as LogLevel }),
  });
  const logger: HttpLogger = {
    info: (m, a) => powertools.info(m, a ?? {}),
    warn: (m, a) => powertools.warn(m, a ?? {}),
    error: (m, a) => powertools.error(m, a ?? {}),
  };

  const verifier = cognitoIdTokenVerifier(issuer, clientId);
  const cognito = new CognitoIdentityClient({});
  // The identity pool's name for this user pool's tokens: the issuer without its scheme.
  const login = issuer.replace(/^https?:\/\//, "");
  const people = new Map<string, Promise<PersonAccess>>();

  async function exchange(idToken: string): Promise<PersonAccess> {
    const logins = { [login]: idToken };
    const { IdentityId } = await cognito.send(
      new GetIdCommand({ IdentityPoolId: identityPoolId, Logins: logins }),
    );
    const { Credentials } = await cognito.send(
      new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }),
    );
    if (Credentials?.AccessKeyId === undefined || Credentials.SecretKey === undefined) {
      throw new Error("the identity pool issued no credentials for this sign-in");
    }
    const credentials = {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretKey,
      ...(Credentials.SessionToken === undefined ? {} : { sessionToken: Credentials.SessionToken }),
    };
    return {
      athena: new AthenaClient({ credentials }),
      s3: new S3Client({ credentials }),
      expiresAt: Credentials.Expiration?.getTime() ?? clock.now() + 900_000,
    };
  }

  /** The clients of the signed-in person's role (the token names the role; the identity pool decides). */
  async function accessOf(identity: DashboardIdentity): Promise<PersonAccess> {
    const token = identity.idToken;
    if (token === undefined) throw new Error("a signed-in person without a token");
    const key = createHash("sha256").update(token).digest("hex");
    const cached = people.get(key);
    if (cached !== undefined) {
      const ready = await cached.catch(() => null);
      if (ready !== null && ready.expiresAt - RENEW_BEFORE_MS > clock.now()) return ready;
      people.delete(key);
    }
    if (people.size >= CACHE_LIMIT) people.delete(people.keys().next().value as string);
    const fresh = exchange(token);
    people.set(key, fresh);
    fresh.catch(() => people.delete(key));
    return fresh;
  }

  const engineOf = async (identity: DashboardIdentity, view: "marketing" | "security") =>
    new AthenaQueryEngine({
      client: (await accessOf(identity)).athena,
      workGroup: workgroups[view],
      database,
    });

  /** Lookups written and removed with the person's own credentials (only security roles may). */
  const lookupsOf = (identity: DashboardIdentity): AddressLookupDeps =>
    addressLookupDeps({
      write: async (key, body) =>
        new S3AddressLookupStore((await accessOf(identity)).s3, rawBucket).write(key, body),
      remove: async (key, version) =>
        new S3AddressLookupStore((await accessOf(identity)).s3, rawBucket).remove(key, version),
    });

  async function holdDepsOf(identity: DashboardIdentity): Promise<HoldDeps> {
    const access = await accessOf(identity);
    const store = new S3VersionedStore({
      client: access.s3,
      bucket: rawBucket,
      objectLock: true,
      complianceRetention: retention,
    });
    const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
    return {
      store,
      source: new AthenaEvidenceSource({
        engine: await engineOf(identity, "security"),
        catalog,
        config,
        lookups: lookupsOf(identity),
        rawBucket,
        raw: store,
        sha256,
      }),
      clock,
      sha256,
      protection: "s3-object-lock-legal-hold",
    };
  }

  const dashboard: DashboardRoutesDeps = {
    config,
    catalog,
    clock,
    auth: cognitoAuth(verifier),
    assets,
    engine: (view, identity) => engineOf(identity, view),
    lookups: lookupsOf,
    holds: {
      create: async (request, identity) => createHold(await holdDepsOf(identity), request),
      list: async (identity) => listHolds(await holdDepsOf(identity)),
    },
    // The live function's figures in stats/live/ (apps/live/), read with the person's credentials like stats/.
    live: async (site, identity) =>
      storedLiveView(
        new S3ObjectStore({ client: (await accessOf(identity)).s3, bucket: analyticsBucket }),
        site,
        config.k,
        clock.now(),
      ),
    logger,
    pageConfig: {
      authorizeUrl: `${domain}/oauth2/authorize`,
      tokenUrl: `${domain}/oauth2/token`,
      logoutUrl: `${domain}/logout`,
      clientId,
    },
    connectOrigins: [new URL(domain).origin],
  };
  return createHttpApp({ platform: lambdaPlatform, logger, dashboard });
}
