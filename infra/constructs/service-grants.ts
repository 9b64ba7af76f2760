import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/**
 * S3 event notifications into an encrypted SQS queue, with the source of every grant named.
 *
 * CDK's own `SqsDestination` adds to the queue's key policy a statement for `s3.amazonaws.com` without any condition
 * (any bucket of any account could have S3 use the key for it: the confused deputy). This one grants the queue and
 * its key to S3 only on behalf of this bucket (`aws:SourceArn`) in this account (`aws:SourceAccount`).
 */
export class SourceBoundSqsDestination implements s3.IBucketNotificationDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, bucket: s3.IBucket): s3.BucketNotificationDestinationConfig {
    const s3Service = new iam.ServicePrincipal("s3.amazonaws.com", {
      conditions: {
        ArnLike: { "aws:SourceArn": bucket.bucketArn },
        StringEquals: { "aws:SourceAccount": Stack.of(this.queue).account },
      },
    });
    // With a service principal that carries conditions, the grant also adds them to the key's statement.
    this.queue.grantSendMessages(s3Service);
    return {
      arn: this.queue.queueArn,
      type: s3.BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue],
    };
  }
}
