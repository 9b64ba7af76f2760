import type { CfnElement, Stack } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { ACCOUNT, IamSimulator, REGION, type Template } from "./helpers/iam-sim.ts";
import { synthLogsieve } from "./helpers/synth.ts";

/**
 * The Stats API on AWS (infra/constructs/stats-api.ts): its route sits behind the key authorizer, the dashboard's
 * two panel routes behind the dashboards' Cognito JWT authorizer, and the offline
 * IAM evaluation of the synthesized policies says what its two functions may read — the stats function `events/`,
 * `goals/` and `stats/` in the marketing and pipeline workgroups, nothing of the raw bucket (security/, rejects/,
 * incoming/, evidence/), not keys/ or salts/; the authorizer `keys/` only.
 */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let stack: LogsieveStack;
let resources: Record<string, Resource>;
let sim: IamSimulator;
let ids: {
  statsFn: string;
  statsRole: string;
  authorizerFn: string;
  authorizerRole: string;
  marketing: string;
  raw: string;
  analytics: string;
  rawKey: string;
  analyticsKey: string;
};

function logicalId(s: Stack, element: unknown): string {
  return s.resolve(s.getLogicalId(element as CfnElement)) as string;
}

const obj = (bucketId: string, key: string) => `${sim.arnOf(bucketId)}/${key}`;
const workgroup = (name: string) => `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${name}`;
const glueTable = (name: string) => `arn:aws:glue:${REGION}:${ACCOUNT}:table/logsieve/${name}`;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** A route's integration (`integrations/<id>`, joined from a Ref) and the function it invokes. */
const integrationOf = (route: Resource) =>
  resources[/"Ref":"(\w+)"/.exec(JSON.stringify(route.Properties.Target))?.[1] ?? ""];
const propsOf = (logical: string) => resources[logical]?.Properties ?? {};

beforeAll(() => {
  // Prepare
  const synthesized = synthLogsieve();
  stack = synthesized.stack as LogsieveStack;
  const l = stack.logsieve;
  resources = synthesized.template.toJSON().Resources as Record<string, Resource>;
  ids = {
    statsFn: logicalId(stack, l.statsApi.function.fn.node.defaultChild),
    statsRole: logicalId(stack, l.statsApi.function.role.node.defaultChild),
    authorizerFn: logicalId(stack, l.statsApi.authorizer.fn.node.defaultChild),
    authorizerRole: logicalId(stack, l.statsApi.authorizer.role.node.defaultChild),
    marketing: logicalId(stack, l.access.marketingRole.node.defaultChild),
    raw: logicalId(stack, l.storage.rawBucket.node.defaultChild),
    analytics: logicalId(stack, l.storage.analyticsBucket.node.defaultChild),
    rawKey: logicalId(stack, l.storage.rawKey.node.defaultChild),
    analyticsKey: logicalId(stack, l.storage.analyticsKey.node.defaultChild),
  };
  sim = new IamSimulator(synthesized.template.toJSON() as Template);
}, 120_000);

describe("the route", () => {
  it("POST /api/v2/query goes to the stats function behind a Lambda authorizer on the Authorization header", () => {
    // Act
    const routes = ofType("AWS::ApiGatewayV2::Route").filter(
      ([, r]) => r.Properties.RouteKey === "POST /api/v2/query",
    );
    const route = routes[0]?.[1] as Resource;
    const integration = integrationOf(route)?.Properties;
    const authorizer = propsOf((route.Properties.AuthorizerId as { Ref: string }).Ref);

    // Assess
    expect(routes).toHaveLength(1);
    expect(route.Properties.AuthorizationType).toBe("CUSTOM");
    expect(JSON.stringify(integration?.IntegrationUri)).toContain(ids.statsFn);
    expect(authorizer).toMatchObject({
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      IdentitySource: ["$request.header.Authorization"],
      AuthorizerResultTtlInSeconds: 60,
    });
    expect(JSON.stringify(authorizer?.AuthorizerUri)).toContain(ids.authorizerFn);
  });

  it("no other method or path reaches the stats function than the key route and the dashboard's two panel routes", () => {
    // Act
    const toStats = ofType("AWS::ApiGatewayV2::Route")
      .filter(([, r]) => JSON.stringify(integrationOf(r)?.Properties.IntegrationUri).includes(ids.statsFn))
      .map(([, r]) => r.Properties.RouteKey)
      .sort();

    // Assess
    expect(toStats).toEqual([
      "POST /api/dashboard/stats",
      "POST /api/dashboard/stats.csv",
      "POST /api/v2/query",
    ]);
  });

  it("the dashboard's panel routes sit behind the dashboards' own Cognito JWT authorizer", () => {
    // Act
    const routes = Object.fromEntries(
      ofType("AWS::ApiGatewayV2::Route").map(([, r]) => [r.Properties.RouteKey as string, r.Properties]),
    );
    const authorizerOf = (key: string) => (routes[key]?.AuthorizerId as { Ref?: string } | undefined)?.Ref;
    const dashboardAuthorizer = authorizerOf("GET /api/dashboard/{proxy+}");
    const env = (propsOf(ids.statsFn).Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(dashboardAuthorizer).toBeDefined();
    expect(propsOf(dashboardAuthorizer ?? "")).toMatchObject({ AuthorizerType: "JWT" });
    for (const key of ["POST /api/dashboard/stats", "POST /api/dashboard/stats.csv"]) {
      expect(routes[key]?.AuthorizationType, key).toBe("JWT");
      expect(authorizerOf(key), key).toBe(dashboardAuthorizer);
    }
    // The function verifies the token again against the same pool and client.
    expect(env[AWS_ENV.cognitoIssuer]).toBeDefined();
    expect(env[AWS_ENV.userPoolClientId]).toBeDefined();
  });

  it("the stats function runs statistics in the marketing workgroup and filtered reads in the pipeline one", () => {
    // Act
    const env = (propsOf(ids.statsFn).Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(env[AWS_ENV.athenaWorkgroup]).toBe("logsieve-marketing");
    expect(env[AWS_ENV.eventsWorkgroup]).toBe("logsieve-pipeline");
    expect(env[AWS_ENV.queriesDir]).toBe("/var/task/queries");
  });
});

describe("what the stats function may read (offline IAM evaluation)", () => {
  it("reads events/, goals/ and stats/ with the analytics key, and runs queries in its two workgroups", () => {
    // Act
    const decisions = [
      ["s3:GetObject", obj(ids.analytics, "events/dt=2026-11-20/in-0000.parquet")],
      ["s3:GetObject", obj(ids.analytics, "goals/goals.parquet")],
      ["s3:GetObject", obj(ids.analytics, "stats/pages/dt=2026-11-20/x.parquet")],
      ["kms:Decrypt", sim.arnOf(ids.analyticsKey)],
      ["athena:StartQueryExecution", workgroup("logsieve-marketing")],
      ["athena:StartQueryExecution", workgroup("logsieve-pipeline")],
      ["glue:GetTable", glueTable("events")],
      ["glue:GetTable", glueTable("stats_pages")],
    ].map(([action, resource]) =>
      sim.evaluate(ids.statsRole, { action: action as string, resource: resource as string }),
    );

    // Assess
    expect(decisions).toEqual(Array(8).fill("allowed"));
  });

  it("reads nothing of the raw bucket, keys/ or salts/, may not write anywhere in the lake, nor use the security workgroup", () => {
    // Act
    const decisions = [
      ["s3:GetObject", obj(ids.raw, "security/dt=2026-11-20/hour=13/in-0000.parquet")],
      ["s3:GetObject", obj(ids.raw, "rejects/dt=2026-11-20/hour=13/in-0000.parquet")],
      ["s3:GetObject", obj(ids.raw, "incoming/site=example.com/access.log")],
      ["s3:GetObject", obj(ids.raw, "evidence/incident=INC-1/records.parquet")],
      ["s3:GetObject", obj(ids.analytics, "keys/0123.json")],
      ["s3:GetObject", obj(ids.analytics, "salts/2026-11-20.bin")],
      ["s3:PutObject", obj(ids.analytics, "stats/pages/dt=2026-11-20/x.parquet")],
      ["s3:PutObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet")],
      ["kms:Decrypt", sim.arnOf(ids.rawKey)],
      ["athena:StartQueryExecution", workgroup("logsieve-security")],
      ["glue:GetTable", glueTable("security")],
      ["glue:GetTable", glueTable("rejects")],
    ].map(([action, resource]) =>
      sim.evaluate(ids.statsRole, { action: action as string, resource: resource as string }),
    );

    // Assess
    expect(decisions.filter((d) => d === "allowed")).toEqual([]);
  });

  it("no person's role can assume it: its trust policy names the Lambda service only", () => {
    // Act
    const trust = propsOf(ids.statsRole).AssumeRolePolicyDocument as {
      Statement: { Principal: unknown }[];
    };

    // Assess
    expect(trust.Statement.map((s) => s.Principal)).toEqual([{ Service: "lambda.amazonaws.com" }]);
  });

  it("MarketingAnalyst still may not read events/ (positive control: it may read stats/)", () => {
    // Act
    const events = sim.evaluate(ids.marketing, {
      action: "s3:GetObject",
      resource: obj(ids.analytics, "events/dt=2026-11-20/in-0000.parquet"),
    });
    const stats = sim.evaluate(ids.marketing, {
      action: "s3:GetObject",
      resource: obj(ids.analytics, "stats/pages/dt=2026-11-20/x.parquet"),
    });

    // Assess
    expect([events, stats]).toEqual(["implicit-deny", "allowed"]);
  });
});

describe("what the authorizer may read", () => {
  it("reads keys/ only, and cannot write a key", () => {
    // Act
    const keys = sim.evaluate(ids.authorizerRole, {
      action: "s3:GetObject",
      resource: obj(ids.analytics, "keys/ab.json"),
    });
    const key = sim.evaluate(ids.authorizerRole, {
      action: "kms:Decrypt",
      resource: sim.arnOf(ids.analyticsKey),
    });
    const others = [
      ["s3:PutObject", obj(ids.analytics, "keys/ab.json")],
      ["s3:GetObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet")],
      ["s3:GetObject", obj(ids.analytics, "stats/pages/dt=2026-11-20/x.parquet")],
      ["s3:GetObject", obj(ids.raw, "security/dt=2026-11-20/hour=13/x.parquet")],
      ["athena:StartQueryExecution", workgroup("logsieve-marketing")],
    ].map(([action, resource]) =>
      sim.evaluate(ids.authorizerRole, { action: action as string, resource: resource as string }),
    );

    // Assess
    expect([keys, key]).toEqual(["allowed", "allowed"]);
    // The raw bucket's policy denies every principal outside the pipeline and security roles (raw-zone.ts).
    expect(others).toEqual([
      "implicit-deny",
      "implicit-deny",
      "implicit-deny",
      "explicit-deny",
      "implicit-deny",
    ]);
  });
});
