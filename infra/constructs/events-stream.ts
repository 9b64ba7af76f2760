import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { acknowledgeZoneWildcards, bucketLocation, encryptDecrypt, onObjects } from "./policy.ts";

export interface EventsStreamProps {
  readonly analyticsBucket: s3.IBucket;
  readonly analyticsKey: kms.IKey;
  readonly logKey: kms.IKey;
  readonly glueDatabase: string;
  /** The Glue table whose schema Firehose converts records against (`events`). */
  readonly eventsTable: string;
  /** Seconds Firehose buffers before writing a Parquet object. Default 900 (fewer, larger files). */
  readonly bufferSeconds?: number;
}

/** Where Firehose puts records it could not convert or partition (anonymized rows only; swept with events/). */
export const EVENTS_ERROR_PREFIX = "events/_errors/";

/**
 * The collector's path into `events/`: an Amazon Data Firehose delivery stream (direct PUT) that converts the
 * JSON records of functions/adapters/aws/firehose-event-sink.ts to Parquet against the Glue `events` table (Hive
 * JSON SerDe, `ts` in epoch millis) and partitions them by the record's `dt` field into `events/dt=YYYY-MM-DD/`.
 * Encrypted at rest in the stream and in S3 with the analytics key.
 */
export class EventsStream extends Construct {
  readonly stream: firehose.CfnDeliveryStream;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EventsStreamProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStream = new logs.LogStream(this, "S3Delivery", {
      logGroup: this.logGroup,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("firehose.amazonaws.com").withConditions({
        StringEquals: { "aws:SourceAccount": stack.account },
      }),
      description: "logsieve collector events delivery",
    });
    const statements = [
      onObjects(props.analyticsBucket, ["events/"], ["s3:PutObject", "s3:AbortMultipartUpload"]),
      new iam.PolicyStatement({
        actions: ["s3:ListBucketMultipartUploads"],
        resources: [props.analyticsBucket.bucketArn],
      }),
      bucketLocation(props.analyticsBucket),
      encryptDecrypt(props.analyticsKey),
      new iam.PolicyStatement({
        actions: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
        resources: [
          stack.formatArn({ service: "glue", resource: "catalog" }),
          stack.formatArn({ service: "glue", resource: "database", resourceName: props.glueDatabase }),
          stack.formatArn({
            service: "glue",
            resource: "table",
            resourceName: `${props.glueDatabase}/${props.eventsTable}`,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ["logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    ];
    for (const statement of statements) this.role.addToPolicy(statement);
    acknowledgeZoneWildcards(this.role, statements);

    this.stream = new firehose.CfnDeliveryStream(this, "Stream", {
      deliveryStreamType: "DirectPut",
      deliveryStreamEncryptionConfigurationInput: {
        keyType: "CUSTOMER_MANAGED_CMK",
        keyArn: props.analyticsKey.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: props.analyticsBucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: "events/dt=!{partitionKeyFromQuery:dt}/",
        errorOutputPrefix: `${EVENTS_ERROR_PREFIX}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/`,
        // Record format conversion needs at least 64 MiB of buffer; the interval bounds the latency.
        bufferingHints: {
          sizeInMBs: 64,
          intervalInSeconds: Duration.seconds(props.bufferSeconds ?? 900).toSeconds(),
        },
        compressionFormat: "UNCOMPRESSED",
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.analyticsKey.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: "MetadataExtraction",
              parameters: [
                { parameterName: "MetadataExtractionQuery", parameterValue: "{dt: .dt}" },
                { parameterName: "JsonParsingEngine", parameterValue: "JQ-1.6" },
              ],
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { hiveJsonSerDe: { timestampFormats: ["millis"] } } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
          schemaConfiguration: {
            catalogId: stack.account,
            databaseName: props.glueDatabase,
            tableName: props.eventsTable,
            region: stack.region,
            roleArn: this.role.roleArn,
            versionId: "LATEST",
          },
        },
      },
    });
    // The role's policy must exist before Firehose validates the destination.
    this.stream.node.addDependency(this.role);
  }
}
