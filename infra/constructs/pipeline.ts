import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as sources from "aws-cdk-lib/aws-lambda-event-sources";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { COMPACT_EVENT } from "../../functions/core/aggregate/requests.ts";
import { ALB_INCOMING_PREFIX, AWS_ENV } from "../../functions/runtime/env.ts";
import type { FunctionEntries } from "./function-entries.ts";
import {
  asnTableFile,
  type BundledFile,
  countryDbFile,
  LogsieveFunction,
  queriesFolder,
} from "./logsieve-function.ts";
import { acknowledge } from "./nag.ts";
import {
  athenaWorkgroupUse,
  bucketLocation,
  decrypt,
  encryptDecrypt,
  glueRead,
  listPrefixes,
  onObjects,
  sendTo,
} from "./policy.ts";
import { SourceBoundSqsDestination } from "./service-grants.ts";
import type { LakeStorage } from "./storage.ts";

/** The SQS visibility timeout must cover this many runs of its consumer (AWS recommends six). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** A message that failed this many times moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

export interface PipelineProps {
  readonly storage: LakeStorage;
  readonly entries: FunctionEntries;
  readonly projectRoot: string;
  /** Environment shared by every function: bucket names, config JSON, Glue database. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: string;
  readonly glueDatabase: string;
  /** Folder of the named queries: shipped with the aggregate function, which runs the rollups from it. */
  readonly queriesDir: string;
  /** Glue tables the aggregate function reads and writes: `events` and every `stats_*`. */
  readonly aggregateTables: readonly string[];
  readonly pipelineWorkgroup: string;
  readonly pipelineResultKey: kms.IKey;
  /** Bytes of (decompressed) log one ingest invocation reads at most; larger files are read in ranges. */
  readonly ingestRangeBytes: number;
  /** Minutes between two recomputes of a day driven by ingestion, and the catch-up's period. */
  readonly aggregateIntervalMinutes: number;
  readonly alarmEmail?: string;
  readonly minify?: boolean;
}

/**
 * Ingestion, aggregation and sweeping.
 *
 * incoming/ object created → S3 event → SQS (DLQ) → ingest (one file, or one range of a large one, per
 * invocation) → security/, rejects/, events/, and one request per touched day → FIFO aggregate queue (the day as
 * message group) → aggregate (each day once per batch, never twice at once, at most once per interval from
 * ingestion; core/aggregate/requests.ts). A catch-up every interval (collector events, deferred days) and a daily
 * compaction enqueue their requests in the same groups. ALB logs land in their own SSE-S3 bucket and the land
 * function moves them into incoming/alb/. The sweeper runs
 * hourly and also destroys salts that reached their age: a daily salt job would let a salt live up to 24 h past
 * its 48 h, the hourly sweep at most one hour.
 */
export class Pipeline extends Construct {
  readonly topic: sns.Topic;
  readonly ingest: LogsieveFunction;
  readonly aggregate: LogsieveFunction;
  readonly sweep: LogsieveFunction;
  /** Moves ALB logs from their landing bucket into incoming/alb/. */
  readonly land: LogsieveFunction;
  readonly landingQueue: sqs.Queue;
  readonly landingDlq: sqs.Queue;
  readonly ingestQueue: sqs.Queue;
  readonly ingestDlq: sqs.Queue;
  readonly aggregateQueue: sqs.Queue;
  readonly aggregateDlq: sqs.Queue;
  /** Receives scheduled invocations of aggregate and sweep that failed after Lambda's retries. */
  readonly scheduledDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { storage } = props;
    const stack = Stack.of(this);

    const fn = (
      fnId: string,
      name: string,
      entry: string,
      description: string,
      memorySize: number,
      timeout: Duration,
      extraEnv: Record<string, string> = {},
      files: readonly BundledFile[] = [],
    ) =>
      new LogsieveFunction(this, fnId, {
        name,
        entry,
        projectRoot: props.projectRoot,
        description,
        memorySize,
        timeout,
        environment: { ...props.environment, ...extraEnv },
        logLevel: props.logLevel,
        logKey: storage.opsKey,
        files,
        ...(props.minify === undefined ? {} : { minify: props.minify }),
      });

    // --- queues -------------------------------------------------------------------------------------------
    const queue = (
      queueId: string,
      visibilityTimeout: Duration,
      deadLetterQueue?: sqs.IQueue,
      fifo = false,
    ) =>
      new sqs.Queue(this, queueId, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: storage.opsKey,
        enforceSSL: true,
        visibilityTimeout,
        retentionPeriod: Duration.days(deadLetterQueue ? 4 : 14),
        ...(fifo ? { fifo: true } : {}),
        ...(deadLetterQueue
          ? { deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT } }
          : {}),
      });
    const dlq = (dlqId: string, fifo = false) => {
      const q = queue(dlqId, Duration.seconds(30), undefined, fifo);
      acknowledge(q, [
        {
          id: "AwsSolutions-SQS3",
          reason: "This queue is itself a dead-letter queue; its depth raises an alarm.",
        },
        {
          id: "Serverless-SQSRedrivePolicy",
          reason:
            "This queue is itself a dead-letter queue: a redrive policy on it would only move messages further away.",
        },
      ]);
      return q;
    };

    // Sized from `npm run bench:lambda` (docs/DEPLOY.md, "Sizing"): ingest reads at most one range (1 GiB of log,
    // about 4.7 M lines) per invocation, ~55 s of CPU as measured, so 10 minutes leave a margin of ten; the
    // aggregate function compacts a day in memory (about 3.3 GB at 11 M events) and waits on Athena otherwise.
    const ingestTimeout = Duration.minutes(10);
    const aggregateTimeout = Duration.minutes(10);

    this.ingestDlq = dlq("IngestDlq");
    this.ingestQueue = queue(
      "IngestQueue",
      Duration.seconds(ingestTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      this.ingestDlq,
    );
    // FIFO, the day as message group: Lambda never runs two batches of one day at once, so no two recomputes of a
    // day race (core/aggregate/requests.ts). A FIFO queue's dead-letter queue must be FIFO too.
    this.aggregateDlq = dlq("AggregateDlq", true);
    this.aggregateQueue = queue(
      "AggregateQueue",
      Duration.seconds(aggregateTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      this.aggregateDlq,
      true,
    );
    this.scheduledDlq = dlq("ScheduledDlq");

    // --- ingest -------------------------------------------------------------------------------------------
    this.ingest = fn(
      "Ingest",
      "ingest",
      props.entries.ingest,
      "logsieve: parse incoming/ logs into security/, rejects/ and anonymized events/",
      // One full vCPU (Lambda gives a whole vCPU at 1,769 MB; the pipeline is one thread).
      1769,
      ingestTimeout,
      {
        [AWS_ENV.aggregateQueueUrl]: this.aggregateQueue.queueUrl,
        // A file larger than one range: the next range goes back to the function's own queue.
        [AWS_ENV.ingestQueueUrl]: this.ingestQueue.queueUrl,
        [AWS_ENV.ingestRangeBytes]: String(props.ingestRangeBytes),
      },
      [countryDbFile(props.projectRoot), asnTableFile(props.projectRoot)],
    );
    storage.rawBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new SourceBoundSqsDestination(this.ingestQueue),
      { prefix: "incoming/" },
    );
    this.ingest.fn.addEventSource(
      new sources.SqsEventSource(this.ingestQueue, {
        // One file (or range) per invocation: the whole memory and timeout are the file's (docs/DEPLOY.md, Sizing).
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      }),
    );
    this.ingest.allow(
      onObjects(storage.rawBucket, ["incoming/"], ["s3:GetObject", "s3:GetObjectVersion"]),
      // An input ingested again may now have fewer parts in a partition: the writer lists the input's own parts
      // (`<partition><inputId>-*`) and deletes those past the new count, so a part is never counted twice; a batch
      // redone after an interruption also removes what the interrupted run wrote where the redo does not.
      onObjects(
        storage.rawBucket,
        ["security/", "rejects/"],
        ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
      ),
      listPrefixes(storage.rawBucket, ["security/", "rejects/", "checkpoints/"]),
      // Checkpoints and stream locks (core/ingest/checkpoint.ts, docs/INGEST.md).
      onObjects(storage.rawBucket, ["checkpoints/"], ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
      encryptDecrypt(storage.rawKey),
      ...saltAndEventWrites(storage),
      onObjects(storage.analyticsBucket, ["events/"], ["s3:DeleteObject"]),
      listPrefixes(storage.analyticsBucket, ["events/"]),
      ...sendTo(this.aggregateQueue.queueArn, storage.opsKey),
      new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [this.ingestQueue.queueArn] }),
    );
    acknowledge(this.ingest, [
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Invoked by an SQS event source mapping, not asynchronously: a failing message returns to IngestQueue and moves to IngestDlq after maxReceiveCount.",
      },
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event source mappings take no on-failure destination; failures go to IngestDlq through the queue's redrive policy.",
      },
    ]);

    // --- aggregate ----------------------------------------------------------------------------------------
    this.aggregate = fn(
      "Aggregate",
      "aggregate",
      props.entries.aggregate,
      "logsieve: recompute the daily stats/ rollups of the touched days from events/",
      4096,
      aggregateTimeout,
      {
        [AWS_ENV.athenaWorkgroup]: props.pipelineWorkgroup,
        // The schedules enqueue their requests behind ingestion's, in the days' turn.
        [AWS_ENV.aggregateQueueUrl]: this.aggregateQueue.queueUrl,
        [AWS_ENV.aggregateIntervalMinutes]: String(props.aggregateIntervalMinutes),
      },
      [queriesFolder(props.queriesDir)],
    );
    this.aggregate.fn.addEventSource(
      new sources.SqsEventSource(this.aggregateQueue, {
        // FIFO: at most 10 per batch and no batching window; days already recomputed since a request was sent are
        // acknowledged without work, which coalesces a burst instead.
        batchSize: 10,
        reportBatchItemFailures: true,
        // Different days may run side by side (each keeps Athena busy with one UNLOAD at a time).
        maxConcurrency: 2,
      }),
    );
    this.aggregate.allow(
      ...athenaWorkgroupUse(
        stack,
        props.pipelineWorkgroup,
        storage.resultsBucket,
        "pipeline/",
        props.pipelineResultKey,
        false,
      ),
      glueRead(stack, props.glueDatabase, props.aggregateTables),
      // goals/: the configured goals, written before the rollups for the goals rollup to join (core/goals.ts).
      onObjects(
        storage.analyticsBucket,
        ["events/", "stats/", "goals/"],
        [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ],
      ),
      listPrefixes(storage.analyticsBucket, ["events/", "stats/", "goals/"]),
      bucketLocation(storage.analyticsBucket),
      encryptDecrypt(storage.analyticsKey),
      ...sendTo(this.aggregateQueue.queueArn, storage.opsKey),
    );
    acknowledge(this.aggregate, [
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event source mappings take no on-failure destination; failures go to AggregateDlq through the queue's redrive policy.",
      },
    ]);

    // --- sweep --------------------------------------------------------------------------------------------
    this.sweep = fn(
      "Sweep",
      "sweep",
      props.entries.sweep,
      "logsieve: delete every version past its zone's age (never one under legal hold) and expired salts",
      512,
      Duration.minutes(15),
    );
    // The sweeper reads evidence/ to learn which incidents are released, deletes released evidence and its own
    // old run records, appends to the audit trail, and never deletes the hold audit trail (evidence/audit/holds/).
    // A version under legal hold cannot be deleted whatever this role may do.
    const rawSwept = ["incoming/", "security/", "rejects/", "checkpoints/"];
    const analyticsSwept = ["events/", "stats/", "salts/"];
    this.sweep.allow(
      listPrefixes(storage.rawBucket, [...rawSwept, "evidence/"], true),
      onObjects(
        storage.rawBucket,
        [...rawSwept, "evidence/incident=", "evidence/audit/sweeps/"],
        ["s3:DeleteObject", "s3:DeleteObjectVersion"],
      ),
      onObjects(
        storage.rawBucket,
        [...rawSwept, "evidence/"],
        ["s3:GetObjectLegalHold", "s3:GetObjectRetention"],
      ),
      onObjects(storage.rawBucket, ["evidence/audit/"], ["s3:PutObject"]),
      encryptDecrypt(storage.rawKey),
      listPrefixes(storage.analyticsBucket, analyticsSwept, true),
      onObjects(storage.analyticsBucket, analyticsSwept, ["s3:DeleteObject", "s3:DeleteObjectVersion"]),
      // A salt records its creation time inside the object.
      onObjects(storage.analyticsBucket, ["salts/"], ["s3:GetObject"]),
      decrypt(storage.analyticsKey),
    );

    // --- land (ALB logs) -----------------------------------------------------------------------------------
    const landTimeout = Duration.minutes(1);
    this.landingDlq = dlq("LandingDlq");
    this.landingQueue = queue(
      "LandingQueue",
      Duration.seconds(landTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      this.landingDlq,
    );
    this.land = fn(
      "Land",
      "land",
      props.entries.land,
      "logsieve: move ALB access logs from their SSE-S3 landing bucket into incoming/alb/",
      256,
      landTimeout,
      { [AWS_ENV.albLandingBucket]: storage.albLogBucket.bucketName },
    );
    storage.albLogBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new SourceBoundSqsDestination(this.landingQueue),
      { prefix: "AWSLogs/" },
    );
    this.land.fn.addEventSource(
      new sources.SqsEventSource(this.landingQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    this.land.allow(
      onObjects(storage.albLogBucket, ["AWSLogs/"], ["s3:GetObject", "s3:DeleteObject"]),
      onObjects(storage.rawBucket, [ALB_INCOMING_PREFIX], ["s3:PutObject"]),
      // The copy is encrypted with the raw bucket's key (its default encryption): a data key, nothing to decrypt.
      new iam.PolicyStatement({ actions: ["kms:GenerateDataKey"], resources: [storage.rawKey.keyArn] }),
    );
    acknowledge(this.land, [
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(storage.albLogBucket.node.defaultChild as s3.CfnBucket)}.Arn>/AWSLogs/*]`,
        reason:
          "ALB delivers its access logs under AWSLogs/<account>/elasticloadbalancing/... with generated names; the land function reads and deletes exactly what lands there, in the landing bucket only.",
      },
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Invoked by an SQS event source mapping, not asynchronously: a failing message returns to LandingQueue and moves to LandingDlq after maxReceiveCount.",
      },
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event source mappings take no on-failure destination; failures go to LandingDlq through the queue's redrive policy.",
      },
    ]);

    // --- schedules ----------------------------------------------------------------------------------------
    // Scheduled invocations are asynchronous: Lambda retries once, then the failed event and its error land in
    // the scheduled DLQ (an on-failure destination, which records the error, rather than a function DLQ).
    for (const scheduled of [this.aggregate, this.sweep]) {
      scheduled.fn.configureAsyncInvoke({
        retryAttempts: 1,
        maxEventAge: Duration.hours(1),
        // A bare destination: SqsDestination would also grant kms:GenerateDataKey* and kms:ReEncrypt*; the exact
        // send permissions are granted just below.
        onFailure: { bind: () => ({ destination: this.scheduledDlq.queueArn }) },
      });
      scheduled.allow(...sendTo(this.scheduledDlq.queueArn, storage.opsKey));
      acknowledge(scheduled, [
        {
          id: "Serverless-LambdaDLQ",
          reason:
            "Asynchronous failures go to ScheduledDlq through the on-failure destination (EventInvokeConfig), which also records the error; a function DLQ would duplicate every message.",
        },
      ]);
    }
    // EventBridge may put undeliverable schedule events into the scheduled DLQ, which is encrypted.
    storage.opsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "EventBridgeUsesScheduledDlq",
        principals: [new iam.ServicePrincipal("events.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );
    const schedule = (ruleId: string, description: string, minute: string, target: LogsieveFunction) =>
      new events.Rule(this, ruleId, {
        description,
        schedule: events.Schedule.cron({ minute }),
        targets: [
          new targets.LambdaFunction(target.fn, {
            retryAttempts: 2,
            maxEventAge: Duration.hours(1),
            deadLetterQueue: this.scheduledDlq,
          }),
        ],
      });
    schedule("SweepHourly", "logsieve: hourly sweep of expired versions and salts", "5", this.sweep);
    // The catch-up: today (collector events), days deferred since their last recompute, yesterday early in the day.
    new events.Rule(this, "AggregateCatchUp", {
      description: "logsieve: aggregation catch-up (collector events, deferred days)",
      schedule: events.Schedule.rate(Duration.minutes(props.aggregateIntervalMinutes)),
      targets: [
        new targets.LambdaFunction(this.aggregate.fn, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.scheduledDlq,
        }),
      ],
    });
    // Hourly: today's and yesterday's events/ objects into one compacted object per day, so a recompute reads an
    // hour's new objects at most (Athena pays S3 requests per object it opens).
    new events.Rule(this, "CompactHourly", {
      description: "logsieve: hourly compaction of events/ (today and yesterday)",
      schedule: events.Schedule.cron({ minute: "40" }),
      targets: [
        new targets.LambdaFunction(this.aggregate.fn, {
          event: events.RuleTargetInput.fromObject(COMPACT_EVENT),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.scheduledDlq,
        }),
      ],
    });

    // --- alarms -------------------------------------------------------------------------------------------
    this.topic = new sns.Topic(this, "AlarmTopic", {
      displayName: "logsieve alarms",
      masterKey: storage.opsKey,
      enforceSSL: true,
    });
    storage.opsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToEncryptedTopic",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    );
    if (props.alarmEmail) {
      const sub = new sns.Subscription(this, "AlarmEmail", {
        topic: this.topic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: props.alarmEmail,
      });
      acknowledge(sub, [
        {
          id: "Serverless-SNSRedrivePolicy",
          reason:
            "An e-mail that cannot be delivered is retried by SNS; parking it in a queue nobody reads adds nothing, the alarm state stays in CloudWatch.",
        },
      ]);
    }
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 0) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      return a;
    };
    for (const [alarmId, q] of [
      ["IngestDlqDepth", this.ingestDlq],
      ["AggregateDlqDepth", this.aggregateDlq],
      ["ScheduledDlqDepth", this.scheduledDlq],
      ["LandingDlqDepth", this.landingDlq],
    ] as const) {
      alarm(
        alarmId,
        q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }),
        `logsieve: messages in ${alarmId.replace(/Depth$/, "")}; inspect, fix, then redrive`,
      );
    }
    alarm(
      "IngestBacklogAge",
      this.ingestQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: "Maximum",
      }),
      "logsieve: an incoming/ object has waited over an hour for ingestion",
      3600,
    );
    this.functions.forEach(([name, f]) => {
      alarm(
        `${name}Errors`,
        f.fn.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        `logsieve: the ${name} function failed`,
      );
    });
  }

  /** The pipeline's functions by name. */
  get functions(): [string, LogsieveFunction][] {
    return [
      ["Ingest", this.ingest],
      ["Aggregate", this.aggregate],
      ["Sweep", this.sweep],
      ["Land", this.land],
    ];
  }
}

/** Writing anonymized events and reading/creating daily salts (ingest). */
export function saltAndEventWrites(storage: LakeStorage) {
  return [
    onObjects(storage.analyticsBucket, ["events/"], ["s3:PutObject", "s3:AbortMultipartUpload"]),
    ...saltAccess(storage),
  ];
}

/** Reading and creating daily salts (ingest, collect). */
export function saltAccess(storage: LakeStorage) {
  return [
    onObjects(storage.analyticsBucket, ["salts/"], ["s3:GetObject", "s3:PutObject"]),
    // Listing salts/ lets a missing salt read as 404 (create it) rather than 403.
    listPrefixes(storage.analyticsBucket, ["salts/"]),
    encryptDecrypt(storage.analyticsKey),
  ];
}
