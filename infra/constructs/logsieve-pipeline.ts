import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CfnOutput, type RemovalPolicy } from "aws-cdk-lib";
import type * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { type LogsieveConfig, parseConfig } from "../../functions/core/config.ts";
import type { TableSchema } from "../../functions/ports/table-encoder.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import { AnalystAccess, HOLD_AUDIT_TRAIL } from "./access.ts";
import { Collector } from "./collector.ts";
import { EventsStream } from "./events-stream.ts";
import {
  DEFAULT_FUNCTION_ENTRIES,
  type FunctionEntries,
  resolveFunctionEntries,
} from "./function-entries.ts";
import { STATS_TABLES } from "./lake-tables.ts";
import { LivePanel } from "./live.ts";
import { Pipeline } from "./pipeline.ts";
import { onObjects } from "./policy.ts";
import { QueryLayer } from "./query.ts";
import { RawZoneGuard } from "./raw-zone.ts";
import { DEFAULT_INGEST_RANGE_MIB, type DeploySettings } from "./settings.ts";
import { StatsApi } from "./stats-api.ts";
import { LakeStorage } from "./storage.ts";

/** The project root: infra/constructs/../.. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface LogsievePipelineProps {
  /** The logsieve configuration; validated again here with `parseConfig`, so a bad value fails synth. */
  readonly config?: unknown;
  /** Deployment settings (log level, scan limits, throttling, alarm e-mail, dashboard URLs). */
  readonly deploy?: Partial<DeploySettings>;
  /** Handler entry files, relative to `projectRoot` (default: functions/apps/<room>/handler.ts). */
  readonly functionEntries?: FunctionEntries;
  /** Where `package-lock.json` and `node_modules` are (default: this repository). */
  readonly projectRoot?: string;
  /** The first-party tracker served at /logsieve.js, relative to `projectRoot` (default functions/tracker/logsieve.js). */
  readonly trackerScript?: string;
  /** Folder of the named queries (default: `<projectRoot>/queries`). */
  readonly queriesDir?: string;
  /** Folder of the built dashboard assets (default: `<projectRoot>/dist/dashboard`, built by infra/app.ts). */
  readonly dashboardAssetsDir?: string;
  /** The stats rollup tables (default STATS_TABLES). */
  readonly statsTables?: readonly TableSchema[];
  /** Prefix of account-wide names (Athena workgroups, Glue database). Default `logsieve-`. */
  readonly namePrefix?: string;
  /** Who may assume the analyst roles. Default: this account's principals with MFA. */
  readonly analystPrincipal?: iam.IPrincipal;
  /** Removal policy of buckets and keys. Default RETAIN. */
  readonly removalPolicy?: RemovalPolicy;
  /** Minify the Lambda bundles (default true; tests turn it off for speed). */
  readonly minify?: boolean;
}

/** The first-party tracker, copied into the collect package. */
export const DEFAULT_TRACKER_SCRIPT = "functions/tracker/logsieve.js";

const DEPLOY_DEFAULTS: DeploySettings = {
  region: "eu-central-1",
  logLevel: "INFO",
  marketingScanLimitGiB: 10,
  securityScanLimitGiB: 50,
  pipelineScanLimitGiB: 200,
  collectorRateLimit: 100,
  collectorBurstLimit: 200,
  dashboardCallbackUrls: [],
  ingestRangeMiB: DEFAULT_INGEST_RANGE_MIB,
  aggregateIntervalMinutes: 15,
  auditRetentionDays: 1096,
};

/**
 * The whole logsieve deployment as one construct: storage, pipeline, collector with sign-in, query layer and
 * analyst access. Another CDK app instantiates it inside its own stack with its own props; infra/app.ts is one
 * such user.
 */
export class LogsievePipeline extends Construct {
  readonly config: LogsieveConfig;
  readonly storage: LakeStorage;
  readonly query: QueryLayer;
  readonly pipeline: Pipeline;
  readonly collector: Collector;
  readonly events: EventsStream;
  readonly access: AnalystAccess;
  readonly statsApi: StatsApi;
  readonly live: LivePanel;
  readonly rawZone: RawZoneGuard;

  constructor(scope: Construct, id: string, props: LogsievePipelineProps = {}) {
    super(scope, id);
    this.config = parseConfig(props.config ?? {}, "LogsievePipeline config");
    const deploy: DeploySettings = { ...DEPLOY_DEFAULTS, ...props.deploy };
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const queriesDir = props.queriesDir ?? resolve(projectRoot, "queries");
    const entries = resolveFunctionEntries(projectRoot, props.functionEntries ?? DEFAULT_FUNCTION_ENTRIES);

    this.storage = new LakeStorage(this, "Storage", {
      config: this.config,
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    const { storage } = this;

    this.query = new QueryLayer(this, "Query", {
      config: this.config,
      rawBucket: storage.rawBucket,
      analyticsBucket: storage.analyticsBucket,
      resultsBucket: storage.resultsBucket,
      keys: { marketing: storage.queryKey, security: storage.rawKey, pipeline: storage.analyticsKey },
      scanLimitGiB: {
        marketing: deploy.marketingScanLimitGiB,
        security: deploy.securityScanLimitGiB,
        pipeline: deploy.pipelineScanLimitGiB,
      },
      queriesDir,
      ...(props.namePrefix === undefined ? {} : { namePrefix: props.namePrefix }),
      statsTables: props.statsTables ?? STATS_TABLES,
    });
    const tables = this.query.tables.map((t) => t.tableName);
    const statsTables = tables.filter((t) => t.startsWith("stats_"));

    const environment = {
      [AWS_ENV.rawBucket]: storage.rawBucket.bucketName,
      [AWS_ENV.analyticsBucket]: storage.analyticsBucket.bucketName,
      [AWS_ENV.resultsBucket]: storage.resultsBucket.bucketName,
      [AWS_ENV.glueDatabase]: this.query.databaseName,
      [AWS_ENV.config]: JSON.stringify(this.config),
      [AWS_ENV.auditRetentionDays]: String(deploy.auditRetentionDays),
    };

    this.pipeline = new Pipeline(this, "Pipeline", {
      storage,
      queriesDir,
      entries,
      projectRoot,
      environment,
      logLevel: deploy.logLevel,
      glueDatabase: this.query.databaseName,
      aggregateTables: ["events", "goals", ...statsTables],
      pipelineWorkgroup: this.query.workgroups.pipeline.name,
      pipelineResultKey: storage.analyticsKey,
      ingestRangeBytes: deploy.ingestRangeMiB * 1024 * 1024,
      aggregateIntervalMinutes: deploy.aggregateIntervalMinutes,
      ...(deploy.alarmEmail ? { alarmEmail: deploy.alarmEmail } : {}),
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    });

    this.events = new EventsStream(this, "EventsStream", {
      analyticsBucket: storage.analyticsBucket,
      analyticsKey: storage.analyticsKey,
      logKey: storage.opsKey,
      glueDatabase: this.query.databaseName,
      eventsTable: "events",
    });
    // Firehose validates its schema table when the stream is created.
    this.events.node.addDependency(this.query);

    this.collector = new Collector(this, "Collector", {
      storage,
      entries,
      projectRoot,
      environment,
      logLevel: deploy.logLevel,
      rateLimit: deploy.collectorRateLimit,
      burstLimit: deploy.collectorBurstLimit,
      dashboardCallbackUrls: deploy.dashboardCallbackUrls,
      ...(deploy.cognitoDomainPrefix === undefined
        ? {}
        : { cognitoDomainPrefix: deploy.cognitoDomainPrefix }),
      marketingWorkgroup: this.query.workgroups.marketing.name,
      securityWorkgroup: this.query.workgroups.security.name,
      alarmTopic: this.pipeline.topic,
      eventsStream: { name: this.events.stream.ref, arn: this.events.stream.attrArn },
      trackerScript: resolve(projectRoot, props.trackerScript ?? DEFAULT_TRACKER_SCRIPT),
      queriesDir,
      dashboardAssetsDir: props.dashboardAssetsDir ?? resolve(projectRoot, "dist", "dashboard"),
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    });

    this.access = new AnalystAccess(this, "Access", {
      storage,
      glueDatabase: this.query.databaseName,
      statsTables,
      securityTables: ["security", "rejects"],
      workgroups: {
        marketing: this.query.workgroups.marketing.name,
        security: this.query.workgroups.security.name,
      },
      resultKeys: { marketing: storage.queryKey, security: storage.rawKey },
      ...(props.analystPrincipal ? { trustedPrincipal: props.analystPrincipal } : {}),
      webIdentity: this.collector.signIn.webIdentityStatement(),
    });
    this.collector.signIn.attachRoles({
      marketing: this.access.marketingRole,
      security: this.access.securityRole,
      "security-lead": this.access.securityLeadRole,
    });
    // The sweeper appends "evidence-swept" events to the hold audit trail, each under compliance-mode retention.
    this.pipeline.sweep.allow(onObjects(storage.rawBucket, [HOLD_AUDIT_TRAIL], ["s3:PutObjectRetention"]));
    this.rawZone = new RawZoneGuard(this, "RawZone", {
      bucket: storage.rawBucket,
      key: storage.rawKey,
      rawZoneRoles: [
        this.pipeline.ingest.role,
        this.pipeline.sweep.role,
        this.access.securityRole,
        this.access.securityLeadRole,
      ],
      keyOnlyRoles: [this.access.logShipperRole],
      resultsBucket: storage.resultsBucket,
    });

    this.statsApi = new StatsApi(this, "StatsApi", {
      storage,
      api: this.collector.api,
      dashboardAuthorizer: this.collector.dashboardAuthorizer,
      cognitoIssuer: this.collector.signIn.issuer,
      userPoolClientId: this.collector.userPoolClient.userPoolClientId,
      statsEntry: entries.statsApi,
      authorizerEntry: entries.statsAuthorizer,
      projectRoot,
      environment,
      logLevel: deploy.logLevel,
      glueDatabase: this.query.databaseName,
      statsTables,
      marketingWorkgroup: this.query.workgroups.marketing,
      pipelineWorkgroup: this.query.workgroups.pipeline,
      queriesDir,
      alarmTopic: this.pipeline.topic,
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    });

    this.live = new LivePanel(this, "Live", {
      storage,
      entry: entries.live,
      projectRoot,
      environment,
      logLevel: deploy.logLevel,
      glueDatabase: this.query.databaseName,
      pipelineWorkgroup: this.query.workgroups.pipeline,
      queriesDir,
      scheduledDlq: this.pipeline.scheduledDlq,
      alarmTopic: this.pipeline.topic,
      ...(props.minify === undefined ? {} : { minify: props.minify }),
    });

    // Outputs keep their plain names (no construct path, no hash): the console, `aws cloudformation
    // describe-stacks`, docs/DEPLOY.md and `logsieve aws smoke` all name them so.
    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description }).overrideLogicalId(outputId);
    output(
      "RawBucketName",
      storage.rawBucket.bucketName,
      "Point CloudFront / ALB / nginx logs at s3://<this>/incoming/",
    );
    output("AnalyticsBucketName", storage.analyticsBucket.bucketName, "events/, stats/, salts/");
    output(
      "AlbLogBucketName",
      storage.albLogBucket.bucketName,
      "Point ALB access logs here (SSE-S3); they are moved into s3://<RawBucketName>/incoming/alb/",
    );
    output(
      "CollectorUrl",
      this.collector.url,
      "Base URL of the collector (/collect, /p.gif, /logsieve.js, ...); it has the scheme",
    );
    output("DashboardUrl", this.collector.signIn.callbackUrl, "The dashboards: sign in here");
    output("SignInDomain", this.collector.signIn.hostedUrl, "Cognito hosted sign-in (managed login)");
    output(
      "IdentityPoolId",
      this.collector.signIn.identityPool.ref,
      "Exchanges dashboard tokens for role credentials",
    );
    output("UserPoolId", this.collector.userPool.userPoolId, "Cognito user pool of the dashboards");
    output("UserPoolClientId", this.collector.userPoolClient.userPoolClientId, "Dashboard app client");
    output("MarketingAnalystRoleArn", this.access.marketingRole.roleArn, "Assume for statistics");
    output(
      "SecurityAnalystRoleArn",
      this.access.securityRole.roleArn,
      "Assume for the seven-day security zone",
    );
    output(
      "SecurityLeadRoleArn",
      this.access.securityLeadRole.roleArn,
      "Assume to place or lift legal holds",
    );
    output("LogShipperPolicyArn", this.access.logShipperPolicy.managedPolicyArn, "Attach to a log forwarder");
    output(
      "LogShipperRoleArn",
      this.access.logShipperRole.roleArn,
      "Or let a log forwarder assume this role",
    );
    output("AlarmTopicArn", this.pipeline.topic.topicArn, "Subscribe to logsieve alarms");
    // What `logsieve aws smoke` (and an analyst in the Athena console) needs besides the roles.
    output("GlueDatabaseName", this.query.databaseName, "Glue database of the lake's tables");
    output(
      "MarketingWorkgroupName",
      this.query.workgroups.marketing.name,
      "Athena workgroup of MarketingAnalyst",
    );
    output(
      "SecurityWorkgroupName",
      this.query.workgroups.security.name,
      "Athena workgroup of SecurityAnalyst and SecurityLead",
    );
    output(
      "SweepFunctionName",
      this.pipeline.sweep.fn.functionName,
      "The hourly sweeper (its runs: AWS/Lambda metrics)",
    );
  }
}
