import { Duration, RemovalPolicy, Stack, Token } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import { RegionInfo } from "aws-cdk-lib/region-info";
import { Construct } from "constructs";
import type { LogsieveConfig } from "../../functions/core/config.ts";
import { acknowledge } from "./nag.ts";
import { hoursToBackstopDays, monthsToDays } from "./settings.ts";

/** Where CloudFront standard logging v2 delivers (the S3 destination an operator configures). */
export const CLOUDFRONT_LOG_PREFIX = "incoming/cloudfront/";
/** Where the land function puts ALB logs: `incoming/alb/<key in the landing bucket>`. */
export const ALB_LOG_PREFIX = "incoming/alb/";

export interface LakeStorageProps {
  readonly config: LogsieveConfig;
  /** Days the S3 server access logs are kept. Default 90. */
  readonly accessLogDays?: number;
  /** Days Athena query results are kept (security results hold full IPs). Default 1. */
  readonly queryResultDays?: number;
  /** What happens to buckets and keys when the stack is deleted. Default RETAIN: the data outlives the stack. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * KMS keys per sensitivity and the lake's buckets.
 *
 * - raw bucket: `incoming/`, `security/`, `rejects/`, `evidence/`, and `checkpoints/` (how far each input was read:
 *   digests and offsets, core/ingest/checkpoint.ts). Object Lock enabled (so legal holds are
 *   possible) with NO default retention (nothing is kept longer than the sweeper allows unless a person places a
 *   hold). Versioned (Object Lock requires it). Lifecycle backstops: current versions of the three 7-day zones
 *   expire after the configured hours rounded up to days; every noncurrent version 1 day after it became
 *   noncurrent; expired delete markers removed; incomplete multipart uploads aborted. `evidence/` has no
 *   current-version expiry: it lives until `hold release` deletes it (then the noncurrent rule removes it within
 *   a day; a version still under legal hold cannot be removed by any rule).
 * - analytics bucket: `events/`, `stats/`, `salts/`. NOT versioned, on purpose: deleting a salt must destroy it,
 *   and replacing a stats partition must not leave the old copy behind as a noncurrent version.
 * - results bucket for Athena, short expiry.
 * - log bucket: S3 server access logs of the three (SSE-S3, which is what log delivery supports), own expiry.
 */
export class LakeStorage extends Construct {
  readonly rawKey: kms.Key;
  readonly analyticsKey: kms.Key;
  /** Encrypts queues, the alarm topic and log groups: operational data that never holds an IP. */
  readonly opsKey: kms.Key;
  /** Encrypts marketing query results and is the results bucket's default key. */
  readonly queryKey: kms.Key;
  readonly logBucket: s3.Bucket;
  readonly rawBucket: s3.Bucket;
  /** Where ALB access logs land (SSE-S3, the only encryption ALB log delivery supports) before the move. */
  readonly albLogBucket: s3.Bucket;
  readonly analyticsBucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.config.retention;
    const stack = Stack.of(this);

    const key = (keyId: string, description: string) =>
      new kms.Key(this, keyId, { description, enableKeyRotation: true, removalPolicy });
    this.rawKey = key("RawKey", "logsieve raw zones: incoming, security, rejects, evidence (full IPs)");
    this.analyticsKey = key("AnalyticsKey", "logsieve analytics zones: events, stats, salts");
    this.opsKey = key("OpsKey", "logsieve queues, alarm topic and log groups");
    this.queryKey = key("QueryKey", "logsieve Athena query results (marketing)");
    // CloudWatch Logs encrypts the functions' log groups with the ops key.
    this.opsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchLogsEncryptsLogGroups",
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources: ["*"],
        conditions: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );

    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    } as const;

    this.logBucket = new s3.Bucket(this, "AccessLogBucket", {
      ...common,
      // S3 server access log delivery supports SSE-S3 only on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: "access-logs-expire",
          expiration: Duration.days(props.accessLogDays ?? 90),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    acknowledge(this.logBucket, [
      {
        id: "AwsSolutions-S1",
        reason:
          "This is the server-access-log target of the lake buckets; logging it into itself would log every log delivery.",
      },
    ]);

    this.rawBucket = new s3.Bucket(this, "RawBucket", {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.rawKey,
      bucketKeyEnabled: true,
      versioned: true,
      objectLockEnabled: true,
      // objectLockDefaultRetention deliberately absent: only a legal hold keeps a version past the sweeper.
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "raw/",
      lifecycleRules: [
        {
          id: "noncurrent-versions-1d",
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        ...(
          [
            ["incoming", retention.incomingHours],
            ["security", retention.securityHours],
            ["rejects", retention.rejectsHours],
          ] as const
        ).map(([zone, hours]) => ({
          id: `${zone}-backstop`,
          prefix: `${zone}/`,
          expiration: Duration.days(hoursToBackstopDays(hours)),
        })),
        // Checkpoints are swept after retention.eventsDays without an update; the backstop a day later.
        {
          id: "checkpoints-backstop",
          prefix: "checkpoints/",
          expiration: Duration.days(retention.eventsDays + 1),
        },
      ],
    });

    // CloudFront standard logging v2 (CloudWatch vended logs): the statements AWS documents for an S3 destination
    // ("Logs sent to Amazon S3", V2 permissions), written here so that a deploy never removes what CloudWatch Logs
    // would otherwise add to the bucket and key policies by itself. CloudFront's delivery sources live in us-east-1.
    // Log delivery may write into incoming/cloudfront/ only.
    const deliverySources = `arn:${stack.partition}:logs:us-east-1:${stack.account}:delivery-source:*`;
    const fromOurDeliveries = {
      StringEquals: { "aws:SourceAccount": stack.account },
      ArnLike: { "aws:SourceArn": deliverySources },
    };
    this.rawBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AWSLogDeliveryWrite",
        principals: [new iam.ServicePrincipal("delivery.logs.amazonaws.com")],
        actions: ["s3:PutObject"],
        resources: [this.rawBucket.arnForObjects(`${CLOUDFRONT_LOG_PREFIX}*`)],
        conditions: {
          StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": stack.account },
          ArnLike: { "aws:SourceArn": deliverySources },
        },
      }),
    );
    this.rawBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AWSLogDeliveryAclCheck",
        principals: [new iam.ServicePrincipal("delivery.logs.amazonaws.com")],
        actions: ["s3:GetBucketAcl", "s3:ListBucket"],
        resources: [this.rawBucket.bucketArn],
        conditions: fromOurDeliveries,
      }),
    );
    this.rawKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowLogsDeliveryToUseTheKey",
        principals: [new iam.ServicePrincipal("delivery.logs.amazonaws.com")],
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        resources: ["*"],
        conditions: fromOurDeliveries,
      }),
    );

    // ALB access logs: an ALB writes only to a bucket with SSE-S3, in its region. It lands there; the land function
    // moves each object into incoming/alb/ of the raw bucket (re-encrypted with the raw key) and deletes it here.
    // The expiry is the backstop of a move that keeps failing: never longer than incoming/ may keep a log.
    this.albLogBucket = new s3.Bucket(this, "AlbLogBucket", {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "alb-landing/",
      lifecycleRules: [
        {
          id: "landing-backstop",
          expiration: Duration.days(hoursToBackstopDays(retention.incomingHours)),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    this.albLogBucket.addToResourcePolicy(albLogDelivery(stack, this.albLogBucket));

    this.analyticsBucket = new s3.Bucket(this, "AnalyticsBucket", {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.analyticsKey,
      bucketKeyEnabled: true,
      versioned: false,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "analytics/",
      lifecycleRules: [
        { id: "abort-multipart", abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: "events-backstop", prefix: "events/", expiration: Duration.days(retention.eventsDays) },
        {
          id: "stats-backstop",
          prefix: "stats/",
          expiration: Duration.days(monthsToDays(retention.statsMonths)),
        },
        {
          id: "salts-backstop",
          prefix: "salts/",
          expiration: Duration.days(hoursToBackstopDays(retention.saltHours)),
        },
      ],
    });

    this.resultsBucket = new s3.Bucket(this, "QueryResultsBucket", {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.queryKey,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: "results/",
      lifecycleRules: [
        {
          id: "results-expire",
          expiration: Duration.days(props.queryResultDays ?? 1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}

/**
 * The bucket policy statement ALB access log delivery needs (Elastic Load Balancing documentation, "Enable access
 * logs"): in regions opened before August 2022 the ELB account of the region, in newer ones the log delivery service.
 */
export function albLogDelivery(stack: Stack, bucket: s3.IBucket): iam.PolicyStatement {
  const elbAccount = Token.isUnresolved(stack.region) ? undefined : RegionInfo.get(stack.region).elbv2Account;
  return new iam.PolicyStatement({
    sid: "AlbAccessLogDelivery",
    principals: [
      elbAccount === undefined
        ? new iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com")
        : new iam.AccountPrincipal(elbAccount),
    ],
    actions: ["s3:PutObject"],
    resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
  });
}
