import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { LIVE_PREFIX } from "../../functions/core/dashboard/live.ts";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import { LogsieveFunction, queriesFolder } from "./logsieve-function.ts";
import { acknowledge } from "./nag.ts";
import {
  athenaWorkgroupUse,
  bucketLocation,
  encryptDecrypt,
  glueRead,
  listPrefixes,
  onObjects,
  sendTo,
} from "./policy.ts";
import type { WorkgroupSpec } from "./query.ts";
import type { LakeStorage } from "./storage.ts";

export interface LivePanelProps {
  readonly storage: LakeStorage;
  readonly entry: string;
  readonly projectRoot: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logLevel: string;
  readonly glueDatabase: string;
  /** The workgroup that may read `events/` (the pipeline's). */
  readonly pipelineWorkgroup: WorkgroupSpec;
  readonly queriesDir: string;
  /** Where EventBridge puts a schedule event it could not deliver. */
  readonly scheduledDlq: sqs.IQueue;
  readonly alarmTopic: sns.ITopic;
  readonly minify?: boolean;
}

/**
 * The dashboard's live panel on AWS (issue 17 item 3; docs/DASHBOARD.md "Live"): the **live** function, on a
 * one-minute schedule, runs `queries/dashboard.live.sql` in the pipeline workgroup over the latest `events/`
 * partitions (today's, and yesterday's for a window crossing midnight: partition projection plans only those two)
 * and writes the k-applied figures to `stats/live/dt=<day>/live.json`. The dashboard function serves them with the
 * signed-in person's role, which reads `stats/` and not `events/`. Its role: `events/` read, `stats/live/` write,
 * the pipeline workgroup, nothing else.
 *
 * A failed minute is not retried: the next minute computes fresher figures (the page shows their time).
 */
export class LivePanel extends Construct {
  readonly function: LogsieveFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: LivePanelProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { storage, pipelineWorkgroup } = props;
    this.function = new LogsieveFunction(this, "Live", {
      projectRoot: props.projectRoot,
      logLevel: props.logLevel,
      logKey: storage.opsKey,
      ...(props.minify === undefined ? {} : { minify: props.minify }),
      name: "live",
      entry: props.entry,
      description:
        "logsieve: the live panel's figures of the last minutes, from the latest events/ partitions",
      memorySize: 256,
      timeout: Duration.seconds(50),
      environment: { ...props.environment, [AWS_ENV.athenaWorkgroup]: pipelineWorkgroup.name },
      files: [queriesFolder(props.queriesDir)],
    });
    this.function.allow(
      ...athenaWorkgroupUse(
        stack,
        pipelineWorkgroup.name,
        storage.resultsBucket,
        pipelineWorkgroup.resultPrefix,
        pipelineWorkgroup.resultKey,
        false,
      ),
      glueRead(stack, props.glueDatabase, ["events"]),
      onObjects(storage.analyticsBucket, ["events/"], ["s3:GetObject"]),
      listPrefixes(storage.analyticsBucket, ["events/"]),
      onObjects(storage.analyticsBucket, [LIVE_PREFIX], ["s3:PutObject"]),
      bucketLocation(storage.analyticsBucket),
      // Reading events/ and writing stats/live/ under the analytics bucket's key.
      encryptDecrypt(storage.analyticsKey),
    );
    // A failed minute is not retried (the next one is fresher); its event and error go to the scheduled DLQ, as the
    // pipeline's scheduled functions' do (a bare destination: the exact send rights are granted just below).
    this.function.fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.seconds(60),
      onFailure: { bind: () => ({ destination: props.scheduledDlq.queueArn }) },
    });
    this.function.allow(...sendTo(props.scheduledDlq.queueArn, storage.opsKey));
    acknowledge(this.function, [
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Asynchronous failures go to ScheduledDlq through the on-failure destination (EventInvokeConfig), which also records the error; a function DLQ would duplicate every message.",
      },
    ]);

    this.schedule = new events.Rule(this, "EveryMinute", {
      description: "logsieve: the live panel's figures, once a minute",
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.function.fn, {
          retryAttempts: 0,
          maxEventAge: Duration.seconds(60),
          deadLetterQueue: props.scheduledDlq,
        }),
      ],
    });

    new cloudwatch.Alarm(this, "LiveErrors", {
      metric: this.function.fn.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
      // One failed minute is noise (an Athena hiccup); five in a row are not.
      threshold: 4,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: "logsieve: the live function failed every minute for five minutes",
    }).addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
  }
}
