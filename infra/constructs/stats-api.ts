import { CfnOutput, Duration, Stack } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as authorizers from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as integrations from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { GOALS_PREFIX } from "../../functions/core/goals.ts";
import { KEYS_PREFIX } from "../../functions/core/keys/api-keys.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import { LogsieveFunction, queriesFolder } from "./logsieve-function.ts";
import { acknowledge } from "./nag.ts";
import { athenaWorkgroupUse, bucketLocation, decrypt, glueRead, listPrefixes, onObjects } from "./policy.ts";
import type { WorkgroupSpec } from "./query.ts";
import type { LakeStorage } from "./storage.ts";

export interface StatsApiProps {
  readonly storage: LakeStorage;
  /** The HTTP API the route is added to (the collector's and dashboards'). */
  readonly api: apigwv2.HttpApi;
  /** The dashboards' Cognito JWT authorizer (infra/constructs/collector.ts), for the panels' two routes. */
  readonly dashboardAuthorizer: apigwv2.IHttpRouteAuthorizer;
  /** The user pool's issuer and the dashboard's app client: the function verifies the person's ID token again. */
  readonly cognitoIssuer: string;
  readonly userPoolClientId: string;
  readonly statsEntry: string;
  readonly authorizerEntry: string;
  readonly projectRoot: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: string;
  readonly glueDatabase: string;
  /** The `stats_*` tables (read in the marketing workgroup). */
  readonly statsTables: readonly string[];
  /** Statistics (`dashboard.*` files over stats/): the marketing workgroup. */
  readonly marketingWorkgroup: WorkgroupSpec;
  /** Filtered reads (`stats.*` files over events/ and goals/): the pipeline workgroup, which no person may use. */
  readonly pipelineWorkgroup: WorkgroupSpec;
  readonly queriesDir: string;
  readonly alarmTopic: sns.ITopic;
  readonly minify?: boolean;
}

/** The Stats API's public path (Plausible's Stats API v2). */
export const STATS_API_PATH = "/api/v2/query";

/** The dashboard's Stats API panels (apps/dashboard/routes.ts), answered by the stats-api function on AWS. */
export const DASHBOARD_STATS_PATHS = ["/api/dashboard/stats", "/api/dashboard/stats.csv"] as const;

/**
 * The Stats API on AWS (docs/STATS-API.md "On AWS"):
 *
 * - the **stats-api** function answers `POST /api/v2/query` with the same service as `logsieve serve`
 *   (functions/apps/stats/service.ts): unfiltered statistics from `stats/` in the **marketing** workgroup, filtered
 *   ones from `events/` through the fixed, k-checked `queries/stats.*.sql` in the **pipeline** workgroup. Its role
 *   reads `events/`, `goals/` and `stats/` of the analytics bucket (and their Glue tables), nothing of the raw
 *   bucket (security/, rejects/, evidence/). Its trust policy names the Lambda service only, so no person can assume
 *   it: a key holder reaches `events/` only through the queries the function runs, and gets only their k-checked
 *   answers (docs/PRIVACY.md "Filtered queries"); MarketingAnalyst and the dashboards stay on `stats/` by IAM;
 * - the **stats-authorizer** function, a Lambda REQUEST authorizer (simple responses, identity source the
 *   Authorization header, answers cached for a minute) that looks the Bearer key's SHA-256 up in `keys/` of the
 *   analytics bucket (read only; `logsieve keys create --bucket <AnalyticsBucketName>` writes there) and hands the
 *   key's site, role and id to the function, which answers only for that site. API Gateway answers 401 without an
 *   Authorization header and 403 when the authorizer refuses the key, before the function runs;
 * - the dashboard's panels, `POST /api/dashboard/stats` and `/api/dashboard/stats.csv`, routed to the same
 *   function behind the dashboards' Cognito JWT authorizer (more specific than the dashboard-api function's
 *   `/api/dashboard/{proxy+}`, so API Gateway picks them). The function verifies the ID token again and answers a
 *   person of a group with the marketing capability (403 otherwise), with the same routes as `logsieve serve`: the
 *   k-checked filtered answer is computed with this function's role, never with the person's credentials.
 */
export class StatsApi extends Construct {
  readonly function: LogsieveFunction;
  readonly authorizer: LogsieveFunction;

  constructor(scope: Construct, id: string, props: StatsApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { storage, marketingWorkgroup, pipelineWorkgroup } = props;
    const common = {
      projectRoot: props.projectRoot,
      logLevel: props.logLevel,
      logKey: storage.opsKey,
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    };

    this.function = new LogsieveFunction(this, "StatsApi", {
      ...common,
      name: "stats-api",
      entry: props.statsEntry,
      description:
        "logsieve: the Stats API (Plausible v2) for a site's key; the one reader of events/ for people",
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: {
        ...props.environment,
        [AWS_ENV.athenaWorkgroup]: marketingWorkgroup.name,
        [AWS_ENV.eventsWorkgroup]: pipelineWorkgroup.name,
        [AWS_ENV.cognitoIssuer]: props.cognitoIssuer,
        [AWS_ENV.userPoolClientId]: props.userPoolClientId,
      },
      files: [queriesFolder(props.queriesDir)],
    });
    const readZones = ["events/", "stats/", GOALS_PREFIX];
    this.function.allow(
      ...athenaWorkgroupUse(
        stack,
        marketingWorkgroup.name,
        storage.resultsBucket,
        marketingWorkgroup.resultPrefix,
        marketingWorkgroup.resultKey,
        false,
      ),
      ...athenaWorkgroupUse(
        stack,
        pipelineWorkgroup.name,
        storage.resultsBucket,
        pipelineWorkgroup.resultPrefix,
        pipelineWorkgroup.resultKey,
        false,
      ),
      glueRead(stack, props.glueDatabase, ["events", "goals", ...props.statsTables]),
      onObjects(storage.analyticsBucket, readZones, ["s3:GetObject"]),
      listPrefixes(storage.analyticsBucket, readZones),
      bucketLocation(storage.analyticsBucket),
      decrypt(storage.analyticsKey),
    );

    this.authorizer = new LogsieveFunction(this, "StatsAuthorizer", {
      ...common,
      name: "stats-authorizer",
      entry: props.authorizerEntry,
      description: "logsieve: checks a Stats API key against the hashes in keys/",
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment: { [AWS_ENV.analyticsBucket]: storage.analyticsBucket.bucketName },
    });
    this.authorizer.allow(
      onObjects(storage.analyticsBucket, [KEYS_PREFIX], ["s3:GetObject"]),
      // Without ListBucket, S3 answers an unknown key's hash with 403 instead of 404: the authorizer would fail
      // (API Gateway: 500) where it should refuse the key.
      listPrefixes(storage.analyticsBucket, [KEYS_PREFIX]),
      decrypt(storage.analyticsKey),
    );
    for (const f of [this.function, this.authorizer]) {
      acknowledge(f.fn, [
        {
          id: "Serverless-LambdaDLQ",
          reason:
            "Invoked synchronously by API Gateway: the caller gets the error, there is no asynchronous event to keep.",
        },
      ]);
    }

    const integration = new integrations.HttpLambdaIntegration("StatsIntegration", this.function.fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    props.api.addRoutes({
      path: STATS_API_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration,
      authorizer: new authorizers.HttpLambdaAuthorizer("StatsKeyAuthorizer", this.authorizer.fn, {
        responseTypes: [authorizers.HttpLambdaResponseType.SIMPLE],
        identitySource: ["$request.header.Authorization"],
        resultsCacheTtl: Duration.minutes(1),
      }),
    });
    for (const path of DASHBOARD_STATS_PATHS) {
      props.api.addRoutes({
        path,
        methods: [apigwv2.HttpMethod.POST],
        integration,
        authorizer: props.dashboardAuthorizer,
      });
    }

    for (const [name, f] of [
      ["StatsApi", this.function],
      ["StatsAuthorizer", this.authorizer],
    ] as const) {
      new cloudwatch.Alarm(this, `${name}Errors`, {
        metric: f.fn.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `logsieve: the ${name} function failed`,
      }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    }
    new CfnOutput(this, "StatsApiUrl", {
      value: `${props.api.apiEndpoint}${STATS_API_PATH}`,
      description: "Stats API (POST, Authorization: Bearer <key from logsieve keys create --bucket ...>)",
    });
  }
}
