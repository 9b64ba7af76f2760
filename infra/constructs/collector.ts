import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as authorizers from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import * as integrations from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { AWS_ENV, BUNDLED_DASHBOARD_ASSETS, BUNDLED_TRACKER_PATH } from "../../functions/runtime/env.ts";
import { DashboardSignIn } from "./auth.ts";
import type { FunctionEntries } from "./function-entries.ts";
import { countryDbFile, LogsieveFunction, queriesFolder } from "./logsieve-function.ts";
import { acknowledge } from "./nag.ts";
import { saltAccess } from "./pipeline.ts";
import type { LakeStorage } from "./storage.ts";

/** The collector's public routes (method, path). OPTIONS routes let the handler answer CORS per site. */
export const COLLECTOR_ROUTES: readonly (readonly [apigwv2.HttpMethod, string])[] = [
  [apigwv2.HttpMethod.POST, "/collect"],
  [apigwv2.HttpMethod.OPTIONS, "/collect"],
  [apigwv2.HttpMethod.GET, "/p.gif"],
  [apigwv2.HttpMethod.POST, "/api/event"],
  [apigwv2.HttpMethod.OPTIONS, "/api/event"],
  [apigwv2.HttpMethod.POST, "/api/send"],
  [apigwv2.HttpMethod.OPTIONS, "/api/send"],
  [apigwv2.HttpMethod.GET, "/matomo.php"],
  [apigwv2.HttpMethod.POST, "/matomo.php"],
  [apigwv2.HttpMethod.GET, "/logsieve.js"],
];

/**
 * The access-log line of the HTTP API. It names the route template, never the raw path or query, and carries
 * no source IP and no user agent: the no-IP-in-any-log rule holds for the platform's own logs too.
 */
export const ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: "$context.requestId",
  time: "$context.requestTimeEpoch",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integrationStatus",
  errorMessage: "$context.error.message",
};

export interface CollectorProps {
  readonly storage: LakeStorage;
  readonly entries: FunctionEntries;
  readonly projectRoot: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Callback and sign-out URLs besides the dashboard page on the API's own URL (a custom domain). */
  readonly dashboardCallbackUrls: readonly string[];
  readonly marketingWorkgroup: string;
  /** The Athena workgroup of the dashboard's security view and of legal holds. */
  readonly securityWorkgroup: string;
  /** Prefix of the hosted sign-in domain; default derived from the stack (auth.ts). */
  readonly cognitoDomainPrefix?: string;
  readonly alarmTopic: sns.ITopic;
  /** The Firehose delivery stream the collector writes events to. */
  readonly eventsStream: { readonly name: string; readonly arn: string };
  /** Absolute path of the tracker script served at /logsieve.js. */
  readonly trackerScript: string;
  /** Folder of the named queries: the dashboard API runs the allowlisted ones from it. */
  readonly queriesDir: string;
  /** Folder of the built dashboard assets (`npm run build:dashboard`), shipped with the dashboard API. */
  readonly dashboardAssetsDir: string;
  readonly minify?: boolean;
}

/**
 * The public collector and the dashboard API on one API Gateway HTTP API, and the dashboard's Cognito sign-in.
 *
 * Why an HTTP API and not a Function URL behind CloudFront with OAC: with OAC every POST must carry the SHA-256 of
 * its body in `x-amz-content-sha256` (Lambda does not accept unsigned payloads), which navigator.sendBeacon and
 * the existing Plausible and Matomo trackers never send. An HTTP API takes their POSTs as they are, throttles
 * per stage, stays in the deployment region (eu-central-1 by default), and hands the handler the TCP peer
 * address as `requestContext.http.sourceIp`, set by API Gateway and not by any header the client can write.
 */
export class Collector extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly collect: LogsieveFunction;
  readonly dashboardApi: LogsieveFunction;
  readonly signIn: DashboardSignIn;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** The Cognito JWT authorizer of every `/api/dashboard/` route (the Stats API's panels use it too). */
  readonly dashboardAuthorizer: authorizers.HttpUserPoolAuthorizer;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CollectorProps) {
    super(scope, id);
    const { storage } = props;

    // --- HTTP API -----------------------------------------------------------------------------------------
    this.accessLogs = new logs.LogGroup(this, "AccessLogs", {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: storage.opsKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigwv2.HttpApi(this, "Api", {
      description: "logsieve collector and dashboard API",
      createDefaultStage: false,
    });
    this.api.addStage("DefaultStage", {
      stageName: "$default",
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });

    // --- sign-in ------------------------------------------------------------------------------------------
    // The app client's callback is the dashboard page on this API's own URL, so the API comes first.
    this.signIn = new DashboardSignIn(this, "SignIn", {
      apiUrl: this.api.apiEndpoint,
      extraCallbackUrls: props.dashboardCallbackUrls,
      ...(props.cognitoDomainPrefix === undefined ? {} : { domainPrefix: props.cognitoDomainPrefix }),
    });
    this.userPool = this.signIn.userPool;
    this.userPoolClient = this.signIn.client;

    // --- functions ----------------------------------------------------------------------------------------
    const common = {
      projectRoot: props.projectRoot,
      logLevel: props.logLevel,
      logKey: storage.opsKey,
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    };
    this.collect = new LogsieveFunction(this, "Collect", {
      ...common,
      name: "collect",
      entry: props.entries.collect,
      description: "logsieve: tracking events from the tracker, the pixel, Plausible and Matomo clients",
      memorySize: 512,
      timeout: Duration.seconds(10),
      environment: { ...props.environment, [AWS_ENV.eventsDeliveryStream]: props.eventsStream.name },
      files: [
        countryDbFile(props.projectRoot),
        { source: props.trackerScript, lambdaPath: BUNDLED_TRACKER_PATH, envName: AWS_ENV.trackerScript },
      ],
    });
    this.collect.allow(
      ...saltAccess(storage),
      new iam.PolicyStatement({
        actions: ["firehose:PutRecordBatch", "firehose:PutRecord"],
        resources: [props.eventsStream.arn],
      }),
    );

    this.dashboardApi = new LogsieveFunction(this, "DashboardApi", {
      ...common,
      name: "dashboard-api",
      entry: props.entries.dashboardApi,
      description: "logsieve: dashboard pages and the statistics API behind Cognito sign-in",
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: {
        ...props.environment,
        [AWS_ENV.athenaWorkgroup]: props.marketingWorkgroup,
        [AWS_ENV.securityWorkgroup]: props.securityWorkgroup,
        [AWS_ENV.userPoolId]: this.userPool.userPoolId,
        [AWS_ENV.userPoolClientId]: this.userPoolClient.userPoolClientId,
        [AWS_ENV.cognitoDomain]: this.signIn.hostedUrl,
        [AWS_ENV.cognitoIssuer]: this.signIn.issuer,
        [AWS_ENV.identityPoolId]: this.signIn.identityPool.ref,
      },
      files: [
        queriesFolder(props.queriesDir),
        {
          source: props.dashboardAssetsDir,
          lambdaPath: BUNDLED_DASHBOARD_ASSETS,
          envName: AWS_ENV.dashboardAssetsDir,
        },
      ],
    });
    // The dashboard function itself may read nothing: it reads with the signed-in person's role, whose temporary
    // credentials the identity pool issues for that person's token (auth.ts). GetId and GetCredentialsForIdentity
    // are authorized by the token, not by this role.
    for (const f of [this.collect, this.dashboardApi]) {
      acknowledge(f.fn, [
        {
          id: "Serverless-LambdaDLQ",
          reason:
            "Invoked synchronously by API Gateway: the caller gets the error, there is no asynchronous event to keep.",
        },
      ]);
    }

    const collectIntegration = new integrations.HttpLambdaIntegration("CollectIntegration", this.collect.fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    for (const [method, path] of COLLECTOR_ROUTES) {
      this.api.addRoutes({ path, methods: [method], integration: collectIntegration });
    }
    const dashboardIntegration = new integrations.HttpLambdaIntegration(
      "DashboardIntegration",
      this.dashboardApi.fn,
      {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      },
    );
    // The dashboard's static shell holds no data; every data request needs a Cognito token.
    // `{proxy+}` does not match the bare folder, so `/dashboard/` has a route of its own.
    this.api.addRoutes({
      path: "/dashboard",
      methods: [apigwv2.HttpMethod.GET],
      integration: dashboardIntegration,
    });
    this.api.addRoutes({
      path: "/dashboard/{proxy+}",
      methods: [apigwv2.HttpMethod.GET],
      integration: dashboardIntegration,
    });
    this.dashboardAuthorizer = new authorizers.HttpUserPoolAuthorizer("DashboardAuthorizer", this.userPool, {
      userPoolClients: [this.userPoolClient],
    });
    this.api.addRoutes({
      path: "/api/dashboard/{proxy+}",
      methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
      integration: dashboardIntegration,
      authorizer: this.dashboardAuthorizer,
    });
    acknowledge(this.api, [
      {
        id: "AwsSolutions-APIG4",
        reason:
          "The collector routes and the dashboard's static shell are public by design (browsers of site visitors); abuse is bounded by stage throttling and the handler's per-site rate limit. Data routes use the Cognito JWT authorizer.",
      },
      {
        id: "AwsSolutions-COG4",
        reason:
          "Same routes: public tracking endpoints cannot carry a Cognito token; /api/dashboard/* uses the Cognito user pool JWT authorizer.",
      },
    ]);

    new cloudwatch.Alarm(this, "CollectorServerErrors", {
      metric: new cloudwatch.Metric({
        namespace: "AWS/ApiGateway",
        metricName: "5xx",
        dimensionsMap: { ApiId: this.api.apiId, Stage: "$default" },
        statistic: "Sum",
        period: Duration.minutes(5),
      }),
      threshold: 10,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: "logsieve: the collector answered 5xx more than 10 times in 5 minutes",
    }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
    for (const [name, f] of [
      ["Collect", this.collect],
      ["DashboardApi", this.dashboardApi],
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
  }

  /** The API's base URL, e.g. https://abc123.execute-api.eu-central-1.amazonaws.com/ */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
