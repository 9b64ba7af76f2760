import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandInput,
} from "@aws-sdk/client-athena";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { composeAwsDashboardApp } from "../../../../functions/apps/dashboard/aws.ts";
import { buildDashboard } from "../../../../functions/apps/dashboard/build.ts";
import { lambdaHandler } from "../../../../functions/apps/http/lambda.ts";
import { QUERIES_DIR } from "../../../../functions/runtime/query-files.ts";

/**
 * The dashboard on AWS, wired from the environment the CDK app sets: roles from the verified Cognito claims,
 * marketing queries on Athena in the marketing workgroup with k from the configuration, the security view only
 * where a security workgroup is configured, no holds from the page (501). Athena is mocked.
 */

const athena = mockClient(AthenaClient);
let assetsDir: string;

const BASE_ENV = {
  LOGSIEVE_CONFIG: JSON.stringify({ sites: ["example.com"], k: 6 }),
  LOGSIEVE_GLUE_DATABASE: "logsieve",
  LOGSIEVE_ANALYTICS_BUCKET: "analytics-bucket",
  LOGSIEVE_ATHENA_WORKGROUP: "logsieve-marketing",
  LOGSIEVE_QUERIES_DIR: QUERIES_DIR,
  LOGSIEVE_USER_POOL_CLIENT_ID: "client-123",
  POWERTOOLS_LOG_LEVEL: "SILENT",
};

function event(method: string, target: string, groups?: string, body?: string): APIGatewayProxyEventV2 {
  const at = target.indexOf("?");
  const rawPath = at < 0 ? target : target.slice(0, at);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: at < 0 ? "" : target.slice(at + 1),
    headers: { host: "abc.execute-api.eu-central-1.amazonaws.com", "content-type": "application/json" },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: "1",
      apiId: "abc",
      domainName: "abc.execute-api.eu-central-1.amazonaws.com",
      domainPrefix: "abc",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "198.51.100.1", userAgent: "x" },
      requestId: "r",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: 0,
      ...(groups === undefined
        ? {}
        : {
            authorizer: { jwt: { claims: { "cognito:groups": groups, email: "a@example.com" }, scopes: [] } },
          }),
    },
  } as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  assetsDir = await mkdtemp(join(tmpdir(), "logsieve-dashboard-aws-"));
  await buildDashboard({ outDir: assetsDir });
});

afterAll(async () => {
  await rm(assetsDir, { recursive: true, force: true });
});

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: {
        ColumnInfo: [
          { Name: "path", Type: "varchar" },
          { Name: "pageviews", Type: "bigint" },
          { Name: "visitors", Type: "bigint" },
        ],
      },
      Rows: [
        { Data: [{ VarCharValue: "path" }, { VarCharValue: "pageviews" }, { VarCharValue: "visitors" }] },
        { Data: [{ VarCharValue: "/" }, { VarCharValue: "120" }, { VarCharValue: "80" }] },
      ],
    },
  });
});

describe("dashboard-api on AWS", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("runs a marketing query in the marketing workgroup with k from the configuration", async () => {
    // Prepare
    const handler = lambdaHandler(
      await composeAwsDashboardApp({ ...BASE_ENV, LOGSIEVE_DASHBOARD_ASSETS: assetsDir }),
    );
    // Act
    const response = await handler(
      event("GET", "/api/dashboard/query/top-pages?from=2026-11-01&to=2026-11-21", "[marketing]"),
    );
    // Assess
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0]
      .input as StartQueryExecutionCommandInput;
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? "{}").rows).toEqual([{ path: "/", pageviews: 120, visitors: 80 }]);
    expect(input.WorkGroup).toBe("logsieve-marketing");
    expect(input.QueryExecutionContext?.Database).toBe("logsieve");
    expect(input.ExecutionParameters).toEqual([
      "'example.com'",
      "'2026-11-01'",
      "'2026-11-21'",
      "6",
      "6",
      "6",
      "6",
    ]);
  });

  it("refuses a request without verified claims, and the security view to marketing, before Athena", async () => {
    // Prepare
    const handler = lambdaHandler(
      await composeAwsDashboardApp({ ...BASE_ENV, LOGSIEVE_DASHBOARD_ASSETS: assetsDir }),
    );
    // Act
    const anonymous = await handler(event("GET", "/api/dashboard/query/top-pages"));
    const marketing = await handler(event("GET", "/api/dashboard/query/top-talkers", "[marketing]"));
    // Assess
    expect([anonymous.statusCode, marketing.statusCode]).toEqual([401, 403]);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it("answers 503 for the security view without a security workgroup, and uses it when there is one", async () => {
    // Prepare
    const without = lambdaHandler(
      await composeAwsDashboardApp({ ...BASE_ENV, LOGSIEVE_DASHBOARD_ASSETS: assetsDir }),
    );
    const withWorkgroup = lambdaHandler(
      await composeAwsDashboardApp({
        ...BASE_ENV,
        LOGSIEVE_DASHBOARD_ASSETS: assetsDir,
        LOGSIEVE_SECURITY_ATHENA_WORKGROUP: "logsieve-security",
      }),
    );
    // Act
    const unavailable = await without(event("GET", "/api/dashboard/query/scanners", "[security]"));
    const callsBefore = athena.commandCalls(StartQueryExecutionCommand).length;
    await withWorkgroup(event("GET", "/api/dashboard/query/scanners", "[security]"));
    // Assess
    expect(unavailable.statusCode).toBe(503);
    expect(callsBefore).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.WorkGroup).toBe(
      "logsieve-security",
    );
  });

  it("answers 501 to a hold from the page, and tells the page how to sign in with Cognito", async () => {
    // Prepare
    const handler = lambdaHandler(
      await composeAwsDashboardApp({
        ...BASE_ENV,
        LOGSIEVE_DASHBOARD_ASSETS: assetsDir,
        LOGSIEVE_COGNITO_DOMAIN: "https://logsieve-x.auth.eu-central-1.amazoncognito.com",
      }),
    );
    // Act
    const hold = await handler(
      event(
        "POST",
        "/api/dashboard/holds",
        "[security-lead]",
        JSON.stringify({ incident: "I-1", ip: "203.0.113.7", reason: "x" }),
      ),
    );
    const config = await handler(event("GET", "/dashboard/config.json"));
    const page = await handler(event("GET", "/dashboard/index.html"));
    // Assess
    expect(hold.statusCode).toBe(501);
    expect(JSON.parse(config.body ?? "{}")).toEqual({
      auth: "cognito",
      authorizeUrl: "https://logsieve-x.auth.eu-central-1.amazoncognito.com/oauth2/authorize",
      tokenUrl: "https://logsieve-x.auth.eu-central-1.amazoncognito.com/oauth2/token",
      clientId: "client-123",
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers?.["content-security-policy"]).toContain(
      "connect-src 'self' https://logsieve-x.auth.eu-central-1.amazoncognito.com;",
    );
  });

  it("answers an API Gateway v2 event through the real entry point, wired from the process environment", async () => {
    // Prepare: what the CDK app sets on the function.
    for (const [name, value] of Object.entries({ ...BASE_ENV, LOGSIEVE_DASHBOARD_ASSETS: assetsDir })) {
      vi.stubEnv(name, value);
    }
    const { handler } = await import("../../../../functions/apps/dashboard/handler.ts");
    // Act
    const response = await handler(
      event("GET", "/api/dashboard/query/top-pages?from=2026-11-01&to=2026-11-21", "[marketing]"),
    );
    const anonymous = await handler(event("GET", "/api/dashboard/me"));
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? "{}").rows).toEqual([{ path: "/", pageviews: 120, visitors: 80 }]);
    expect(anonymous.statusCode).toBe(401);
  });

  it("fails the cold start naming a missing variable", async () => {
    // Act / Assess
    await expect(composeAwsDashboardApp({ LOGSIEVE_DASHBOARD_ASSETS: assetsDir })).rejects.toThrow(
      "LOGSIEVE_GLUE_DATABASE",
    );
  });
});
