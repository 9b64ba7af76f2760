import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AthenaStandin } from "./athena.ts";
import { CloudFormationStandin } from "./cloudformation.ts";
import { CloudWatchStandin } from "./cloudwatch.ts";
import { CognitoStandin } from "./cognito.ts";
import { FirehoseStandin } from "./firehose.ts";
import {
  close,
  type DenyHandle,
  type DenyRule,
  listen,
  type RecordedRequest,
  type ServiceName,
  StandinClock,
  StandinContext,
} from "./http.ts";
import { S3Standin } from "./s3.ts";
import { SqsStandin } from "./sqs.ts";
import { StsStandin } from "./sts.ts";

/**
 * Local HTTP stand-ins for the AWS services logsieve calls: S3, SQS, Firehose, STS and Athena (on DuckDB over the
 * S3 stand-in's files), Cognito (hosted sign-in pages, tokens, JWKS and the identity pool API), and for an
 * operator's smoke run CloudFormation (stack outputs and resources) and CloudWatch (alarms). Real SDK clients talk to them through the standard endpoint variables
 * (`AWS_ENDPOINT_URL_S3`, ... see {@link Standins.clientEnv}) and dummy credentials; nothing is mocked inside the
 * code under test. Use them from any test:
 *
 * ```ts
 * const aws = await startStandins();
 * aws.s3.createBucket("raw", { versioned: true, objectLock: true, kmsKeyArn: "arn:aws:kms:..." });
 * const s3 = new S3Client(aws.clientConfig());             // in-process client
 * spawn("node", [...], { env: { ...aws.clientEnv() } });    // or a child process
 * aws.deny({ service: "s3", action: "GetObject", resource: "raw/security/" });   // make a read fail
 * aws.requests.filter((r) => r.service === "s3");           // what was asked, by whom, with what answer
 * await aws.stop();
 * ```
 *
 * To run the Lambda bundles of `cdk.out` against them, see ./deployment/.
 */

export const STANDIN_ACCOUNT = "111111111111";
export const STANDIN_REGION = "eu-central-1";

export interface StandinOptions {
  /** Folder for object bodies and scratch files; a new temporary folder (removed on stop) by default. */
  readonly root?: string;
  readonly account?: string;
  readonly region?: string;
}

export interface Standins {
  readonly endpoints: Readonly<Record<ServiceName, string>>;
  readonly s3: S3Standin;
  readonly sqs: SqsStandin;
  readonly firehose: FirehoseStandin;
  readonly sts: StsStandin;
  readonly athena: AthenaStandin;
  /** The user pool's hosted pages and token endpoint, and the identity pool API (configured by the test or deployment). */
  readonly cognito: CognitoStandin;
  readonly cloudformation: CloudFormationStandin;
  readonly cloudwatch: CloudWatchStandin;
  readonly clock: StandinClock;
  /** Every request any stand-in answered, in order. */
  readonly requests: readonly RecordedRequest[];
  readonly account: string;
  readonly region: string;
  readonly root: string;
  /** Makes matching requests fail (AccessDenied by default) until the handle is removed. */
  deny(rule: DenyRule): DenyHandle;
  /**
   * The environment of a process whose SDK clients should reach the stand-ins: endpoint per service, region, and
   * dummy credentials with `accessKeyId` (so its requests can be told apart in {@link requests}).
   */
  clientEnv(accessKeyId?: string): Record<string, string>;
  /** Client configuration for an SDK client in this process. */
  clientConfig(
    service?: ServiceName,
    accessKeyId?: string,
  ): {
    region: string;
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle?: boolean;
  };
  stop(): Promise<void>;
}

const ENDPOINT_VARIABLES: Readonly<Record<ServiceName, string>> = {
  s3: "AWS_ENDPOINT_URL_S3",
  sqs: "AWS_ENDPOINT_URL_SQS",
  firehose: "AWS_ENDPOINT_URL_FIREHOSE",
  sts: "AWS_ENDPOINT_URL_STS",
  athena: "AWS_ENDPOINT_URL_ATHENA",
  "cognito-identity": "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
  cloudformation: "AWS_ENDPOINT_URL_CLOUDFORMATION",
  cloudwatch: "AWS_ENDPOINT_URL_CLOUDWATCH",
};

export async function startStandins(options: StandinOptions = {}): Promise<Standins> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? mkdtempSync(join(tmpdir(), "logsieve-standins-"));
  const account = options.account ?? STANDIN_ACCOUNT;
  const region = options.region ?? STANDIN_REGION;
  const clock = new StandinClock();
  const context = new StandinContext(clock);
  const s3 = new S3Standin(context, join(root, "s3"), region);
  const sqs = new SqsStandin(context, account, region);
  const firehose = new FirehoseStandin(context, s3, root);
  const sts = new StsStandin(context, account);
  const athena = new AthenaStandin(context, s3, root);
  const cognito = new CognitoStandin(context, sts, region);
  const cloudformation = new CloudFormationStandin(context, account, region);
  const cloudwatch = new CloudWatchStandin(context, account, region);
  const servers: Server[] = [];
  const endpoints = {} as Record<ServiceName, string>;
  for (const [name, handler] of [
    ["s3", s3.handler],
    ["sqs", sqs.handler],
    ["firehose", firehose.handler],
    ["sts", sts.handler],
    ["athena", athena.handler],
    ["cognito-identity", cognito.handler],
    ["cloudformation", cloudformation.handler],
    ["cloudwatch", cloudwatch.handler],
  ] as const) {
    const { server, url } = await listen(handler);
    servers.push(server);
    endpoints[name] = url;
  }
  sqs.url = endpoints.sqs;
  cognito.url = endpoints["cognito-identity"];

  const clientEnv = (accessKeyId = "AKIDSTANDINTEST"): Record<string, string> => {
    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: "standin-secret",
      AWS_SESSION_TOKEN: "standin-session",
      // The SDK otherwise looks for profiles and instance metadata before giving up on nothing.
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const [service, variable] of Object.entries(ENDPOINT_VARIABLES))
      env[variable] = endpoints[service as ServiceName];
    return env;
  };

  return {
    endpoints,
    s3,
    sqs,
    firehose,
    sts,
    athena,
    cognito,
    cloudformation,
    cloudwatch,
    clock,
    requests: context.requests,
    account,
    region,
    root,
    deny: (rule) => context.deny(rule),
    clientEnv,
    clientConfig: (service = "s3", accessKeyId = "AKIDSTANDINTEST") => ({
      region,
      endpoint: endpoints[service],
      credentials: { accessKeyId, secretAccessKey: "standin-secret" },
      ...(service === "s3" ? { forcePathStyle: true } : {}),
    }),
    stop: async () => {
      await Promise.all(servers.map(close));
      await athena.close();
      await firehose.close();
      if (ownRoot) rmSync(root, { recursive: true, force: true });
    },
  };
}

export type { AthenaStandin, Execution, GlueTable, Workgroup } from "./athena.ts";
export type { CloudFormationStandin, StandinStack } from "./cloudformation.ts";
export type { CloudWatchStandin, StandinAlarm } from "./cloudwatch.ts";
export type { CognitoPoolConfig, CognitoStandin, CognitoUser } from "./cognito.ts";
export type { DeliveryStream, FirehoseStandin } from "./firehose.ts";
export type { DenyHandle, DenyRule, RecordedRequest, ServiceName } from "./http.ts";
export type { BucketOptions, ObjectVersion, S3Event, S3Standin } from "./s3.ts";
export type { QueueOptions, SqsStandin, StoredMessage } from "./sqs.ts";
export type { AssumedSession, StsStandin } from "./sts.ts";
