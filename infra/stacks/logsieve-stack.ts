import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { LogsievePipeline, type LogsievePipelineProps } from "../constructs/logsieve-pipeline.ts";
import { acknowledge } from "../constructs/nag.ts";

export interface LogsieveStackProps extends StackProps {
  readonly pipeline: LogsievePipelineProps;
}

/**
 * One stack holding the whole {@link LogsievePipeline}. Stateful resources (buckets, keys, user pool) are
 * RETAINed, so deleting or replacing the stack never deletes data early, and the retained buckets keep their
 * lifecycle rules, so the seven-day promise still holds afterwards.
 */
export class LogsieveStack extends Stack {
  readonly logsieve: LogsievePipeline;

  constructor(scope: Construct, id: string, props: LogsieveStackProps) {
    super(scope, id, props);
    this.logsieve = new LogsievePipeline(this, "Logsieve", props.pipeline);
    suppressCdkInternals(this);
  }
}

/**
 * Findings on resources the CDK itself adds at stack level (not ours to configure), each with its reason.
 * Call after the pipeline is built, in any stack that holds a LogsievePipeline.
 */
export function suppressCdkInternals(stack: Stack): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith("BucketNotificationsHandler")) continue;
    acknowledge(child, [
      {
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        reason:
          "CDK's bucket-notification custom resource uses AWSLambdaBasicExecutionRole to write its own logs; it handles no lake data.",
      },
    ]);
  }
}
