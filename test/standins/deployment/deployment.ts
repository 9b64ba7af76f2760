import { createHash } from "node:crypto";
import { IamSimulator, type Template } from "../../infra/helpers/iam-sim.ts";
import type { Standins } from "../index.ts";
import type { S3Event } from "../s3.ts";
import type { StoredMessage } from "../sqs.ts";
import { ApiGatewayStandin } from "./api-gateway.ts";
import type { CloudAssembly } from "./cdk-out.ts";
import { iamRequestsFor } from "./iam-check.ts";
import { type InvocationResult, Sandbox } from "./sandbox.ts";
import { TemplateResolver } from "./template.ts";

/**
 * A synthesized stack "deployed" onto the stand-ins: what CloudFormation and the Lambda service would do with
 * the template, reduced to what the functions can observe.
 *
 * - buckets (versioning, Object Lock, default encryption), queues (FIFO, visibility timeout, redrive policy),
 *   Glue tables and Athena workgroups, Firehose delivery streams: created from their resources;
 * - each Lambda function: its bundle from the assembly, run in {@link Sandbox} environments whose variables are
 *   the template's `Environment.Variables` with every intrinsic resolved to the stand-ins' names and URLs, plus
 *   what Lambda itself sets (region, function name, memory) and what points the SDK at the stand-ins
 *   (`AWS_ENDPOINT_URL_*`, a dummy key per function). The one translation: a value under `/var/task` (where
 *   Lambda unpacks the package) names the same file in the bundle's folder;
 * - S3 event notifications (the CDK custom resource's configuration) send S3-shaped messages to their queues;
 * - event source mappings poll their queues like Lambda does ({@link Deployment.pump}): batch size, FIFO
 *   ordering, partial batch responses, retries after the visibility timeout, the dead-letter queue;
 * - EventBridge schedules are fired on request ({@link Deployment.fireSchedule}).
 */

export interface DeployedFunction {
  readonly logicalId: string;
  readonly path: string;
  readonly name: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  /** The template's own variables, resolved (without the platform's). */
  readonly templateEnvironment: Readonly<Record<string, string>>;
  /** The access key id its SDK clients sign with (to find its requests in the stand-ins' log). */
  readonly accessKeyId: string;
  readonly roleLogicalId: string | undefined;
  readonly codeDir: string;
  readonly handler: string;
}

export interface EventSourceMapping {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly queueName: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency: number;
}

export interface BatchRecord {
  readonly mapping: string;
  readonly functionLogicalId: string;
  readonly messageIds: readonly string[];
  readonly groups: readonly string[];
  readonly result: InvocationResult;
  /** Messages the function reported as failed (or all of them when the invocation failed). */
  readonly failedMessageIds: readonly string[];
  /** Wall-clock start and end of the invocation (epoch ms). */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface PumpOptions {
  /**
   * When a batch fails, let the visibility timeout pass at once (the stand-in clock moves), so retries and
   * the dead-letter queue are reached without waiting. Default true.
   */
  readonly skipVisibilityTimeouts?: boolean;
  /** Stop after this many invocations (a guard against a loop). Default 10,000. */
  readonly maxInvocations?: number;
  /** Only the mappings whose function's construct path contains one of these (e.g. `Pipeline/Ingest`). */
  readonly only?: readonly string[];
}

export class Deployment {
  readonly resolver: TemplateResolver;
  readonly functions = new Map<string, DeployedFunction>();
  readonly mappings: EventSourceMapping[] = [];
  /** Every SQS-triggered invocation, in the order they finished. */
  readonly batches: BatchRecord[] = [];
  private readonly pools = new Map<string, Sandbox[]>();
  private readonly unsubscribe: () => void;
  private readonly queueNameByArn = new Map<string, string>();
  private readonly stackName: string;
  /** Resolved values replaced in every function's environment (the hosted sign-in domain → the Cognito stand-in). */
  private readonly rewrites: [string, string][] = [];
  private api: ApiGatewayStandin | undefined;

  constructor(
    readonly assembly: CloudAssembly,
    readonly aws: Standins,
    options: { readonly stackName?: string } = {},
  ) {
    this.resolver = new TemplateResolver(assembly.template, {
      account: aws.account,
      region: aws.region,
      stackName: options.stackName ?? "Logsieve",
      queueUrl: (name) => `${aws.endpoints.sqs}/${aws.account}/${name}`,
    });
    this.stackName = options.stackName ?? "Logsieve";
    this.createBuckets();
    this.createQueues();
    this.createQueryLayer();
    this.createStreams();
    this.placeSignIn();
    this.createFunctions();
    this.createMappings();
    this.unsubscribe = this.wireNotifications();
  }

  // --- lookups ------------------------------------------------------------------------------------------------

  /** The function whose construct path contains `fragment` (e.g. `Pipeline/Ingest`); exactly one must match. */
  fn(fragment: string): DeployedFunction {
    const found = [...this.functions.values()].filter((f) => f.path.includes(`/${fragment}/`));
    if (found.length !== 1)
      throw new Error(
        `${found.length} functions match ${fragment}: ${[...this.functions.values()].map((f) => f.path).join(", ")}`,
      );
    return found[0] as DeployedFunction;
  }

  /** Physical name of the resource (bucket, queue, stream) whose construct path contains `fragment`. */
  nameOf(fragment: string): string {
    const ids = Object.keys(this.resolver.resources).filter(
      (id) =>
        this.resolver.pathOf(id).includes(`/${fragment}/`) ||
        this.resolver.pathOf(id).endsWith(`/${fragment}`),
    );
    const physical = ids.flatMap((id) => {
      const type = this.resolver.resources[id]?.Type;
      if (type === "AWS::S3::Bucket") return [this.resolver.bucketName(id)];
      if (type === "AWS::SQS::Queue") return [this.resolver.queueName(id)];
      if (type === "AWS::KinesisFirehose::DeliveryStream") return [this.resolver.streamName(id)];
      return [];
    });
    if (physical.length !== 1) throw new Error(`${physical.length} buckets/queues/streams match ${fragment}`);
    return physical[0] as string;
  }

  /** Logs every environment of a function wrote. */
  logs(fn: DeployedFunction): string {
    return (this.pools.get(fn.logicalId) ?? []).flatMap((s) => s.logs).join("");
  }

  // --- sign-in, the HTTP API, the stack as CloudFormation shows it -------------------------------------------

  /**
   * The user pool's issuer and hosted domain live on the Cognito stand-in: `<cognito url>/<pool id>` and the
   * stand-in's root. Set before the functions' environments are resolved.
   */
  private placeSignIn(): void {
    const cognito = this.aws.cognito;
    for (const id of this.resolver.ofType("AWS::Cognito::UserPool")) {
      const issuer = `${cognito.url}/${id}`;
      this.resolver.known.set(`${id}.ProviderURL`, issuer);
      this.resolver.known.set(`${id}.ProviderName`, issuer.replace(/^https?:\/\//, ""));
    }
    for (const id of this.resolver.ofType("AWS::Cognito::UserPoolDomain")) {
      const prefix = String(this.resolver.resolve({ Ref: id }));
      this.rewrites.push([`https://${prefix}.auth.${this.aws.region}.amazoncognito.com`, cognito.url]);
    }
  }

  /**
   * Serves the template's HTTP API (routes, Lambda integrations, the JWT authorizer) on a local port, then gives
   * the Cognito stand-in the user pool as the template configures it: the app client's callback URLs (on that
   * API's URL now), the groups with their roles and precedence, the identity pool. Returns the API's URL.
   */
  /** Resolves once the served HTTP API has answered every request it took (see ApiGatewayStandin.settled). */
  async apiSettled(): Promise<void> {
    await this.api?.settled();
  }

  async exposeApi(): Promise<string> {
    this.api ??= await ApiGatewayStandin.start(this);
    const url = this.api.url;
    for (const id of this.resolver.ofType("AWS::ApiGatewayV2::Api"))
      this.resolver.known.set(`${id}.ApiEndpoint`, url);
    const [pool] = this.resolver.ofType("AWS::Cognito::UserPool");
    const [client] = this.resolver.ofType("AWS::Cognito::UserPoolClient");
    const [identityPool] = this.resolver.ofType("AWS::Cognito::IdentityPool");
    if (pool !== undefined && client !== undefined && identityPool !== undefined) {
      const groups: Record<string, { roleArn?: string; precedence: number }> = {};
      for (const id of this.resolver.ofType("AWS::Cognito::UserPoolGroup")) {
        const roleArn = this.resolver.property(id, "RoleArn");
        groups[String(this.resolver.property(id, "GroupName"))] = {
          ...(roleArn === undefined ? {} : { roleArn: String(roleArn) }),
          precedence: Number(this.resolver.property(id, "Precedence") ?? 0),
        };
      }
      this.aws.cognito.configure({
        poolId: pool,
        clientId: String(this.resolver.resolve({ Ref: client })),
        identityPoolId: String(this.resolver.resolve({ Ref: identityPool })),
        callbackUrls: (this.resolver.property(client, "CallbackURLs") ?? []) as string[],
        groups,
      });
    }
    return url;
  }

  /** The stack's outputs as CloudFormation would show them after the deploy (resolved to stand-in names). */
  outputs(): Record<string, { value: string; description?: string }> {
    const out: Record<string, { value: string; description?: string }> = {};
    for (const [key, output] of Object.entries(this.assembly.template.Outputs ?? {})) {
      const o = output as { Value: unknown; Description?: string };
      out[key] = {
        value: String(this.resolver.resolve(o.Value)),
        ...(o.Description === undefined ? {} : { description: o.Description }),
      };
    }
    return out;
  }

  /**
   * Registers the stack with the CloudFormation stand-in (outputs, resources with their physical ids) and its
   * alarms with the CloudWatch stand-in, as a finished `cdk deploy` leaves them.
   */
  registerStack(): void {
    const resources = Object.entries(this.resolver.resources).map(([id, r]) => ({
      logicalId: id,
      type: r.Type,
      physicalId: this.physicalId(id, r.Type),
    }));
    this.aws.cloudformation.registerStack({ name: this.stackName, outputs: this.outputs(), resources });
    for (const r of resources.filter((x) => x.type === "AWS::CloudWatch::Alarm")) {
      const description = this.resolver.property(r.logicalId, "AlarmDescription");
      this.aws.cloudwatch.registerAlarm({
        name: r.physicalId,
        state: "OK",
        ...(description === undefined ? {} : { description: String(description) }),
      });
    }
  }

  private physicalId(id: string, type: string): string {
    switch (type) {
      case "AWS::S3::Bucket":
        return this.resolver.bucketName(id);
      case "AWS::SQS::Queue":
        return String(this.resolver.resolve({ Ref: id }));
      case "AWS::Lambda::Function":
        return this.resolver.functionName(id);
      case "AWS::CloudWatch::Alarm":
        return `${this.stackName}-${id}`.slice(0, 255);
      default:
        return String(this.resolver.resolve({ Ref: id }));
    }
  }

  /**
   * Makes the stand-ins enforce the template's IAM for every request signed by a function or by a role session
   * (AssumeRole, the identity pool): a request the offline evaluation would refuse is answered AccessDenied before
   * it is served, as AWS would. The operator's own key (no role) is an administrator and is not checked.
   * Athena statements are checked as calls (StartQueryExecution in the workgroup); what Athena then reads as the
   * caller is checked afterwards by iam-check.ts.
   */
  enforceIam(): void {
    const sim = new IamSimulator(this.assembly.template as unknown as Template);
    const requestsOf = iamRequestsFor(this, sim);
    const roleOf = (accessKeyId: string): string | undefined => {
      const session = this.aws.sts.sessionOf(accessKeyId);
      if (session !== undefined) return session.roleArn.slice(session.roleArn.indexOf(":role/") + 6);
      return [...this.functions.values()].find((f) => f.accessKeyId === accessKeyId)?.roleLogicalId;
    };
    for (const service of ["s3", "sqs", "firehose", "athena"] as const) {
      this.aws.deny({
        service,
        when: (recorded) => {
          const role = roleOf(recorded.accessKeyId);
          if (role === undefined) return false;
          return requestsOf(recorded, { beforeExecution: true }).some(
            (r) => sim.evaluate(role, r) !== "allowed",
          );
        },
      });
    }
  }

  // --- running ------------------------------------------------------------------------------------------------

  /**
   * Invokes a function directly (synchronous invocation) in an idle environment. Like Lambda, each invocation puts
   * `AWS/Lambda` Invocations and Errors data points for the function on CloudWatch.
   */
  async invoke(fn: DeployedFunction, event: unknown): Promise<InvocationResult> {
    const sandbox = this.idleSandbox(fn);
    const result = await sandbox.invoke(event);
    const at = this.aws.clock.now();
    for (const [metric, value] of [
      ["Invocations", 1],
      ["Errors", result.ok ? 0 : 1],
    ] as const) {
      this.aws.cloudwatch.putDatapoint({
        namespace: "AWS/Lambda",
        metric,
        dimensions: { FunctionName: fn.name },
        at,
        value,
      });
    }
    return result;
  }

  /** Fires the EventBridge rule whose construct path contains `fragment` at its target function. */
  async fireSchedule(fragment: string): Promise<InvocationResult[]> {
    const rules = this.resolver
      .ofType("AWS::Events::Rule")
      .filter((id) => this.resolver.pathOf(id).includes(fragment));
    if (rules.length !== 1) throw new Error(`${rules.length} schedules match ${fragment}`);
    const rule = rules[0] as string;
    const targets = this.resolver.property(rule, "Targets") as { Arn: string }[];
    const results: InvocationResult[] = [];
    for (const target of targets) {
      const fn = [...this.functions.values()].find((f) => target.Arn.endsWith(`:function:${f.name}`));
      if (fn === undefined)
        throw new Error(`schedule ${fragment} targets ${target.Arn}, which is no function here`);
      const now = new Date(this.aws.clock.now());
      results.push(
        await this.invoke(fn, {
          version: "0",
          id: createHash("sha1").update(`${rule}:${now.toISOString()}`).digest("hex"),
          "detail-type": "Scheduled Event",
          source: "aws.events",
          account: this.aws.account,
          time: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
          region: this.aws.region,
          resources: [`arn:aws:events:${this.aws.region}:${this.aws.account}:rule/${rule}`],
          detail: {},
        }),
      );
    }
    return results;
  }

  /**
   * Runs the event source mappings until no queue they read has a message left to deliver (and nothing is in
   * flight): Lambda's pollers, with each mapping's batch size, concurrency and FIFO rules. Returns the batches.
   */
  async pump(options: PumpOptions = {}): Promise<BatchRecord[]> {
    const skip = options.skipVisibilityTimeouts ?? true;
    const limit = options.maxInvocations ?? 10_000;
    const started = this.batches.length;
    const inFlight = new Set<Promise<void>>();
    const running = new Map<string, number>();
    let invocations = 0;
    const mappings = this.mappings.filter((m) => {
      const path = this.functions.get(m.functionLogicalId)?.path ?? "";
      return options.only === undefined || options.only.some((fragment) => path.includes(`/${fragment}/`));
    });
    for (;;) {
      let launched = false;
      for (const mapping of mappings) {
        while ((running.get(mapping.logicalId) ?? 0) < mapping.maxConcurrency && invocations < limit) {
          const batch = this.aws.sqs.receive(mapping.queueName, mapping.batchSize);
          if (batch.length === 0) break;
          launched = true;
          invocations++;
          running.set(mapping.logicalId, (running.get(mapping.logicalId) ?? 0) + 1);
          const work = this.deliver(mapping, batch).finally(() => {
            running.set(mapping.logicalId, (running.get(mapping.logicalId) ?? 1) - 1);
            inFlight.delete(work);
          });
          inFlight.add(work);
        }
      }
      if (inFlight.size > 0) {
        await Promise.race(inFlight);
        continue;
      }
      if (launched) continue;
      // Nothing visible and nothing running: messages may wait out a visibility timeout after a failure.
      const waiting = mappings.some((m) => this.aws.sqs.messages(m.queueName).length > 0);
      if (!waiting || !skip || invocations >= limit) break;
      this.aws.clock.advance(this.longestVisibilityTimeoutMs());
    }
    return this.batches.slice(started);
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.api?.stop();
    for (const pool of this.pools.values()) for (const sandbox of pool) sandbox.stop();
    this.pools.clear();
  }

  // --- internals ----------------------------------------------------------------------------------------------

  private async deliver(mapping: EventSourceMapping, messages: StoredMessage[]): Promise<void> {
    const fn = this.functions.get(mapping.functionLogicalId) as DeployedFunction;
    const event = {
      Records: messages.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: m.senderId,
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
          ...(m.groupId === undefined ? {} : { MessageGroupId: m.groupId }),
          ...(m.deduplicationId === undefined ? {} : { MessageDeduplicationId: m.deduplicationId }),
          ...(m.sequenceNumber === undefined ? {} : { SequenceNumber: m.sequenceNumber }),
        },
        messageAttributes: {},
        md5OfBody: createHash("md5").update(m.body).digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: mapping.queueArn,
        awsRegion: this.aws.region,
      })),
    };
    const startedAt = Date.now();
    const result = await this.invoke(fn, event);
    const endedAt = Date.now();
    let failed: string[];
    if (!result.ok) {
      failed = messages.map((m) => m.messageId);
    } else if (mapping.reportBatchItemFailures) {
      const reported = (
        (result.value as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? []
      ).map((f) => f.itemIdentifier);
      // Lambda treats an identifier it did not send (or an empty one) as a failure of the whole batch.
      const known = new Set(messages.map((m) => m.messageId));
      failed = reported.some((id) => !known.has(id)) ? [...known] : reported;
    } else {
      failed = [];
    }
    for (const message of messages) {
      if (!failed.includes(message.messageId))
        this.aws.sqs.deleteByHandle(mapping.queueName, message.receiptHandle as string);
    }
    this.batches.push({
      mapping: mapping.logicalId,
      functionLogicalId: fn.logicalId,
      messageIds: messages.map((m) => m.messageId),
      groups: [...new Set(messages.flatMap((m) => (m.groupId === undefined ? [] : [m.groupId])))],
      result,
      failedMessageIds: failed,
      startedAt,
      endedAt,
    });
  }

  private idleSandbox(fn: DeployedFunction): Sandbox {
    const pool = this.pools.get(fn.logicalId) ?? [];
    this.pools.set(fn.logicalId, pool);
    const idle = pool.find((s) => !s.isBusy);
    if (idle !== undefined) return idle;
    const sandbox = new Sandbox({
      functionName: fn.name,
      codeDir: fn.codeDir,
      handler: fn.handler,
      memoryMb: fn.memoryMb,
      timeoutSeconds: fn.timeoutSeconds,
      environment: fn.environment,
      now: () => this.aws.clock.now(),
    });
    pool.push(sandbox);
    return sandbox;
  }

  private longestVisibilityTimeoutMs(): number {
    let longest = 30;
    for (const mapping of this.mappings) {
      const id = this.resolver
        .ofType("AWS::SQS::Queue")
        .find((q) => this.resolver.queueName(q) === mapping.queueName);
      longest = Math.max(
        longest,
        Number(id === undefined ? 30 : (this.resolver.property(id, "VisibilityTimeout") ?? 30)),
      );
    }
    return (longest + 1) * 1000;
  }

  private createBuckets(): void {
    for (const id of this.resolver.ofType("AWS::S3::Bucket")) {
      const props = (this.resolver.resolve(this.resolver.resources[id]?.Properties ?? {}) ?? {}) as Record<
        string,
        unknown
      >;
      const rule = (
        props.BucketEncryption as
          | { ServerSideEncryptionConfiguration?: Record<string, unknown>[] }
          | undefined
      )?.ServerSideEncryptionConfiguration?.[0] as
        | {
            ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
            BucketKeyEnabled?: boolean;
          }
        | undefined;
      const kms =
        rule?.ServerSideEncryptionByDefault?.SSEAlgorithm === "aws:kms"
          ? rule.ServerSideEncryptionByDefault.KMSMasterKeyID
          : undefined;
      this.aws.s3.createBucket(this.resolver.bucketName(id), {
        versioned: (props.VersioningConfiguration as { Status?: string } | undefined)?.Status === "Enabled",
        objectLock: props.ObjectLockEnabled === true,
        ...(kms === undefined ? {} : { kmsKeyArn: String(kms) }),
        bucketKeyEnabled: rule?.BucketKeyEnabled === true,
      });
    }
  }

  private createQueues(): void {
    const ids = this.resolver.ofType("AWS::SQS::Queue");
    // Dead-letter queues first: a queue's redrive policy names one.
    const redrive = (id: string) =>
      this.resolver.property(id, "RedrivePolicy") as
        | { deadLetterTargetArn: string; maxReceiveCount: number }
        | undefined;
    for (const id of [...ids].sort(
      (a, b) => Number(redrive(a) !== undefined) - Number(redrive(b) !== undefined),
    )) {
      const name = this.resolver.queueName(id);
      const policy = redrive(id);
      const arn = `arn:aws:sqs:${this.aws.region}:${this.aws.account}:${name}`;
      this.queueNameByArn.set(arn, name);
      this.aws.sqs.createQueue(name, {
        fifo: this.resolver.property(id, "FifoQueue") === true,
        contentBasedDeduplication: this.resolver.property(id, "ContentBasedDeduplication") === true,
        visibilityTimeoutSeconds: Number(this.resolver.property(id, "VisibilityTimeout") ?? 30),
        ...(policy === undefined
          ? {}
          : {
              deadLetter: {
                queueName:
                  this.queueNameByArn.get(policy.deadLetterTargetArn) ??
                  policy.deadLetterTargetArn.split(":").pop() ??
                  "",
                maxReceiveCount: Number(policy.maxReceiveCount),
              },
            }),
      });
    }
  }

  private createQueryLayer(): void {
    for (const id of this.resolver.ofType("AWS::Glue::Table")) {
      const database = String(this.resolver.property(id, "DatabaseName"));
      const input = this.resolver.property(id, "TableInput") as {
        Name: string;
        PartitionKeys?: { Name: string; Type: string }[];
        Parameters?: Record<string, string>;
        StorageDescriptor: { Location: string; Columns: { Name: string; Type: string }[] };
      };
      this.aws.athena.registerTable({
        database,
        name: input.Name,
        location: input.StorageDescriptor.Location,
        columns: input.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type })),
        partitionKeys: (input.PartitionKeys ?? []).map((c) => ({ name: c.Name, type: c.Type })),
        parameters: input.Parameters ?? {},
      });
    }
    for (const id of this.resolver.ofType("AWS::Athena::WorkGroup")) {
      const config = this.resolver.property(id, "WorkGroupConfiguration") as {
        BytesScannedCutoffPerQuery?: number;
        ResultConfiguration?: { OutputLocation?: string };
      };
      this.aws.athena.registerWorkgroup({
        name: String(this.resolver.property(id, "Name")),
        outputLocation: config.ResultConfiguration?.OutputLocation ?? "",
        ...(config.BytesScannedCutoffPerQuery === undefined
          ? {}
          : { bytesScannedCutoff: config.BytesScannedCutoffPerQuery }),
      });
    }
  }

  private createStreams(): void {
    for (const id of this.resolver.ofType("AWS::KinesisFirehose::DeliveryStream")) {
      const destination = this.resolver.property(id, "ExtendedS3DestinationConfiguration") as {
        BucketARN: string;
        Prefix?: string;
        ErrorOutputPrefix?: string;
        FileExtension?: string;
        DataFormatConversionConfiguration?: {
          SchemaConfiguration?: { DatabaseName: string; TableName: string };
        };
      };
      const schema = destination.DataFormatConversionConfiguration?.SchemaConfiguration;
      const table = this.resolver.ofType("AWS::Glue::Table").find((t) => {
        const input = this.resolver.property(t, "TableInput") as { Name: string };
        return (
          input.Name === schema?.TableName &&
          this.resolver.property(t, "DatabaseName") === schema?.DatabaseName
        );
      });
      const columns =
        table === undefined
          ? []
          : (
              this.resolver.property(table, "TableInput") as {
                StorageDescriptor: { Columns: { Name: string; Type: string }[] };
              }
            ).StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type }));
      this.aws.firehose.registerStream({
        name: this.resolver.streamName(id),
        bucket: destination.BucketARN.replace("arn:aws:s3:::", ""),
        prefix: destination.Prefix ?? "",
        errorPrefix: destination.ErrorOutputPrefix ?? "",
        fileExtension: destination.FileExtension ?? "",
        columns,
      });
    }
  }

  private createFunctions(): void {
    for (const id of this.resolver.ofType("AWS::Lambda::Function")) {
      const props = this.resolver.resources[id]?.Properties ?? {};
      const code = props.Code as { S3Key?: unknown } | undefined;
      const key = code?.S3Key === undefined ? undefined : String(this.resolver.resolve(code.S3Key));
      const codeDir = key === undefined ? undefined : this.assembly.assetDirs.get(key);
      if (codeDir === undefined) continue; // inline code of a CDK custom resource: not ours
      const name = this.resolver.functionName(id);
      const memoryMb = Number(props.MemorySize ?? 128);
      const timeoutSeconds = Number(props.Timeout ?? 3);
      const variables = (this.resolver.resolve(
        (props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      ) ?? {}) as Record<string, unknown>;
      const templateEnvironment: Record<string, string> = {};
      for (const [variable, value] of Object.entries(variables)) {
        let text = String(value);
        for (const [from, to] of this.rewrites) text = text.replaceAll(from, to);
        templateEnvironment[variable] = text.startsWith("/var/task")
          ? codeDir + text.slice("/var/task".length)
          : text;
      }
      const accessKeyId = `AKIDFN${createHash("sha1").update(id).digest("hex").slice(0, 14).toUpperCase()}`;
      const role = (props.Role as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"]?.[0];
      const environment: Record<string, string> = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        LANG: "en_US.UTF-8",
        TZ: ":UTC",
        LAMBDA_TASK_ROOT: codeDir,
        AWS_EXECUTION_ENV: `AWS_Lambda_${String(props.Runtime ?? "nodejs")}`,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: "standin",
        AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
        ...this.aws.clientEnv(accessKeyId),
        ...templateEnvironment,
      };
      this.functions.set(id, {
        logicalId: id,
        path: this.resolver.pathOf(id),
        name,
        memoryMb,
        timeoutSeconds,
        environment,
        templateEnvironment,
        accessKeyId,
        roleLogicalId: role,
        codeDir,
        handler: String(props.Handler ?? "index.handler"),
      });
    }
  }

  private createMappings(): void {
    for (const id of this.resolver.ofType("AWS::Lambda::EventSourceMapping")) {
      const arn = String(this.resolver.property(id, "EventSourceArn"));
      const queueName = this.queueNameByArn.get(arn);
      if (queueName === undefined) continue;
      const target = String(this.resolver.property(id, "FunctionName"));
      const fn = [...this.functions.values()].find(
        (f) => f.name === target || target.endsWith(`:function:${f.name}`),
      );
      if (fn === undefined)
        throw new Error(`event source mapping ${id} targets ${target}, which is no bundled function`);
      const scaling = this.resolver.property(id, "ScalingConfig") as
        | { MaximumConcurrency?: number }
        | undefined;
      const types = (this.resolver.property(id, "FunctionResponseTypes") ?? []) as string[];
      this.mappings.push({
        logicalId: id,
        functionLogicalId: fn.logicalId,
        queueName,
        queueArn: arn,
        batchSize: Number(this.resolver.property(id, "BatchSize") ?? 10),
        batchingWindowSeconds: Number(this.resolver.property(id, "MaximumBatchingWindowInSeconds") ?? 0),
        reportBatchItemFailures: types.includes("ReportBatchItemFailures"),
        maxConcurrency: Number(scaling?.MaximumConcurrency ?? 5),
      });
    }
  }

  /** S3 → SQS notifications as the CDK's notification custom resource configures them. */
  private wireNotifications(): () => void {
    const routes: { bucket: string; queueName: string; events: string[]; prefix: string; suffix: string }[] =
      [];
    for (const id of this.resolver.ofType("Custom::S3BucketNotifications")) {
      const bucket = String(this.resolver.property(id, "BucketName"));
      const config = this.resolver.property(id, "NotificationConfiguration") as {
        QueueConfigurations?: {
          Events: string[];
          QueueArn: string;
          Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } };
        }[];
      };
      for (const q of config.QueueConfigurations ?? []) {
        const rules = q.Filter?.Key?.FilterRules ?? [];
        routes.push({
          bucket,
          queueName: this.queueNameByArn.get(q.QueueArn) ?? "",
          events: q.Events,
          prefix: rules.find((r) => r.Name.toLowerCase() === "prefix")?.Value ?? "",
          suffix: rules.find((r) => r.Name.toLowerCase() === "suffix")?.Value ?? "",
        });
      }
    }
    return this.aws.s3.onEvent((event: S3Event) => {
      for (const route of routes) {
        if (
          route.bucket !== event.bucket ||
          !event.key.startsWith(route.prefix) ||
          !event.key.endsWith(route.suffix)
        )
          continue;
        if (!route.events.some((pattern) => matchesEvent(pattern, event.eventName))) continue;
        this.aws.sqs.send(route.queueName, JSON.stringify(s3EventMessage(event, this.aws.region)));
      }
    });
  }
}

function matchesEvent(pattern: string, eventName: string): boolean {
  const name = `s3:${eventName}`;
  return pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** An S3 event notification as S3 sends it to SQS (keys URL-encoded, spaces as `+`). */
export function s3EventMessage(event: S3Event, region: string): unknown {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: region,
        eventTime: new Date(event.at).toISOString(),
        eventName: event.eventName,
        userIdentity: { principalId: "AWS:STANDIN" },
        requestParameters: { sourceIPAddress: "192.0.2.1" },
        responseElements: { "x-amz-request-id": "STANDIN", "x-amz-id-2": "STANDIN" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "standin",
          bucket: {
            name: event.bucket,
            ownerIdentity: { principalId: "STANDIN" },
            arn: `arn:aws:s3:::${event.bucket}`,
          },
          object: {
            key: encodeURIComponent(event.key).replaceAll("%2F", "/").replaceAll("%20", "+"),
            size: event.size,
            eTag: event.eTag,
            ...(event.versionId === undefined ? {} : { versionId: event.versionId }),
            sequencer: event.sequencer,
          },
        },
      },
    ],
  };
}
