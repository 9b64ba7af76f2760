import { type Decision, IamSimulator, type Request, type Template } from "../../infra/helpers/iam-sim.ts";
import type { RecordedRequest } from "../http.ts";
import type { DeployedFunction, Deployment } from "./deployment.ts";

/**
 * What each function asked of the stand-ins, as the IAM requests AWS would authorize, evaluated against the
 * template's policies with the project's offline evaluator (test/infra/helpers/iam-sim.ts): the stand-ins do not
 * enforce IAM, so this is how a wire test learns that a call the code makes would be refused on a real account.
 *
 * Per call: the S3 action on the object or bucket (a version id makes it the `...Version` action; a list carries
 * `s3:prefix`), the KMS action S3 performs with the caller's identity for SSE-KMS objects (GenerateDataKey to
 * write, Decrypt to read and to complete a multipart upload), SQS and Firehose sends (KMS for encrypted queues),
 * and for each Athena statement what Athena does as the caller: the Glue tables it names, listing and reading the
 * partitions it reads, writing an UNLOAD's objects and the workgroup's result object, with their keys.
 */

export interface IamCheck {
  readonly fn: string;
  readonly call: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
}

export function iamChecks(stack: Deployment, fns: readonly DeployedFunction[]): IamCheck[] {
  const sim = new IamSimulator(stack.assembly.template as unknown as Template);
  return fns.flatMap((fn) => {
    if (fn.roleLogicalId === undefined) throw new Error(`${fn.path} has no role`);
    const role = fn.roleLogicalId;
    const name = fn.path.split("/").slice(-3, -2)[0] ?? fn.logicalId;
    return checksOf(stack, sim, name, fn.accessKeyId, (request) => sim.evaluate(role, request));
  });
}

/**
 * The requests signed with `accessKeyId` (a person or host outside the stack, e.g. `logsieve ship`) evaluated as a
 * principal holding exactly the managed policy `policyLogicalId` (e.g. LogShipper).
 */
export function iamChecksForPolicy(
  stack: Deployment,
  accessKeyId: string,
  policyLogicalId: string,
): IamCheck[] {
  const sim = new IamSimulator(stack.assembly.template as unknown as Template);
  return checksOf(stack, sim, policyLogicalId, accessKeyId, (request) =>
    sim.evaluateManagedPolicy(policyLogicalId, request),
  );
}

function checksOf(
  stack: Deployment,
  sim: IamSimulator,
  name: string,
  accessKeyId: string,
  evaluate: (request: Request) => Decision,
): IamCheck[] {
  const names = new NameMap(stack, sim);
  const out: IamCheck[] = [];
  const seen = new Set<string>();
  for (const recorded of stack.aws.requests.filter((r) => r.accessKeyId === accessKeyId)) {
    for (const request of iamRequestsOf(recorded, names, stack)) {
      const id = `${request.action}\0${request.resource}\0${JSON.stringify(request.context ?? {})}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({
        fn: name,
        call: `${recorded.service}:${recorded.action}`,
        action: request.action,
        resource: request.resource,
        decision: evaluate(request),
      });
    }
  }
  return out;
}

/** A readable table of checks, one per line. */
export function formatIamChecks(checks: readonly IamCheck[]): string {
  return checks
    .map(
      (c) => `${c.decision.padEnd(13)} ${c.fn.padEnd(12)} ${c.action.padEnd(26)} ${c.resource}   (${c.call})`,
    )
    .join("\n");
}

/** Maps the stand-ins' physical names to the ARNs the simulator gives the same resources. */
class NameMap {
  private readonly bucketKey = new Map<string, string>();
  private readonly queues = new Map<string, { arn: string; key: string | undefined }>();
  private readonly streams = new Map<string, string>();
  private readonly workgroups = new Map<
    string,
    { outputBucket: string; outputPrefix: string; key: string | undefined }
  >();

  constructor(
    stack: Deployment,
    readonly sim: IamSimulator,
  ) {
    const r = stack.resolver;
    const keyOf = (value: unknown): string | undefined => {
      const getAtt = (value as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"];
      return getAtt === undefined ? undefined : sim.arnOf(getAtt[0]);
    };
    for (const id of r.ofType("AWS::S3::Bucket")) {
      const encryption = r.resources[id]?.Properties?.BucketEncryption as
        | {
            ServerSideEncryptionConfiguration?: {
              ServerSideEncryptionByDefault?: { KMSMasterKeyID?: unknown };
            }[];
          }
        | undefined;
      const key = keyOf(
        encryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID,
      );
      if (key !== undefined) this.bucketKey.set(r.bucketName(id), key);
    }
    for (const id of r.ofType("AWS::SQS::Queue")) {
      this.queues.set(r.queueName(id), {
        arn: sim.arnOf(id),
        key: keyOf(r.resources[id]?.Properties?.KmsMasterKeyId),
      });
    }
    for (const id of r.ofType("AWS::KinesisFirehose::DeliveryStream"))
      this.streams.set(r.streamName(id), sim.arnOf(id));
    for (const id of r.ofType("AWS::Athena::WorkGroup")) {
      const raw = r.resources[id]?.Properties?.WorkGroupConfiguration as {
        ResultConfiguration?: { EncryptionConfiguration?: { KmsKey?: unknown } };
      };
      const config = r.property(id, "WorkGroupConfiguration") as {
        ResultConfiguration?: { OutputLocation?: string };
      };
      const output = /^s3:\/\/([^/]+)\/(.*)$/.exec(config.ResultConfiguration?.OutputLocation ?? "");
      this.workgroups.set(String(r.property(id, "Name")), {
        outputBucket: output?.[1] ?? "",
        outputPrefix: output?.[2] ?? "",
        key: keyOf(raw.ResultConfiguration?.EncryptionConfiguration?.KmsKey),
      });
    }
  }

  bucketArn(bucket: string): string {
    return `arn:aws:s3:::${bucket}`;
  }

  kmsKeyOf(bucket: string): string | undefined {
    return this.bucketKey.get(bucket);
  }

  queue(name: string): { arn: string; key: string | undefined } {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new Error(`no queue ${name} in the template`);
    return queue;
  }

  stream(name: string): string {
    return this.streams.get(name) ?? `unknown-stream:${name}`;
  }

  workgroup(name: string): { outputBucket: string; outputPrefix: string; key: string | undefined } {
    const workgroup = this.workgroups.get(name);
    if (workgroup === undefined) throw new Error(`no workgroup ${name} in the template`);
    return workgroup;
  }
}

function s3Kms(names: NameMap, bucket: string, action: "kms:GenerateDataKey" | "kms:Decrypt"): Request[] {
  const key = names.kmsKeyOf(bucket);
  if (key === undefined) return [];
  return [
    {
      action,
      resource: key,
      context: {
        "kms:ViaService": "s3.eu-central-1.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": names.bucketArn(bucket),
      },
    },
  ];
}

/**
 * The IAM requests of one recorded call, for enforcing IAM while the stand-ins serve (Deployment.enforceIam):
 * `beforeExecution` leaves out what an Athena statement reads, which is only known once it ran.
 */
export function iamRequestsFor(
  stack: Deployment,
  sim: IamSimulator,
): (recorded: RecordedRequest, options?: { beforeExecution?: boolean }) => Request[] {
  const names = new NameMap(stack, sim);
  return (recorded, options = {}) =>
    options.beforeExecution === true && recorded.service === "athena"
      ? [
          {
            action: `athena:${recorded.action}`,
            resource: `arn:aws:athena:eu-central-1:111111111111:workgroup/${
              stack.aws.athena.executions.get(recorded.resource)?.workgroup ?? recorded.resource
            }`,
          },
        ]
      : iamRequestsOf(recorded, names, stack);
}

function iamRequestsOf(recorded: RecordedRequest, names: NameMap, stack: Deployment): Request[] {
  const { service, action, resource, details } = recorded;
  if (service === "s3") {
    const slash = resource.indexOf("/");
    const bucket = slash === -1 ? resource : resource.slice(0, slash);
    const object = `arn:aws:s3:::${resource}`;
    const versioned = details.versionId !== undefined;
    switch (action) {
      case "PutObject":
        return [
          {
            action: "s3:PutObject",
            resource: object,
            ...(details.ifNoneMatch === undefined
              ? {}
              : { context: { "s3:if-none-match": details.ifNoneMatch } }),
          },
          ...(details.objectLockMode === undefined
            ? []
            : [
                {
                  action: "s3:PutObjectRetention",
                  resource: object,
                  context: { "s3:object-lock-mode": details.objectLockMode },
                },
              ]),
          ...s3Kms(names, bucket, "kms:GenerateDataKey"),
        ];
      case "CreateMultipartUpload":
      case "UploadPart":
        return [{ action: "s3:PutObject", resource: object }, ...s3Kms(names, bucket, "kms:GenerateDataKey")];
      case "CompleteMultipartUpload":
        return [{ action: "s3:PutObject", resource: object }, ...s3Kms(names, bucket, "kms:Decrypt")];
      case "AbortMultipartUpload":
        return [{ action: "s3:AbortMultipartUpload", resource: object }];
      case "ListParts":
        return [{ action: "s3:ListMultipartUploadParts", resource: object }];
      case "GetObject":
        return [
          { action: versioned ? "s3:GetObjectVersion" : "s3:GetObject", resource: object },
          ...(recorded.status < 300 ? s3Kms(names, bucket, "kms:Decrypt") : []),
        ];
      case "HeadObject":
        return [{ action: versioned ? "s3:GetObjectVersion" : "s3:GetObject", resource: object }];
      case "DeleteObject":
        return [{ action: versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject", resource: object }];
      case "CopyObject": {
        const source = details.copySource ?? "";
        const [path, version] = source.replace(/^\//, "").split("?versionId=") as [
          string,
          string | undefined,
        ];
        const sourceBucket = path.slice(0, path.indexOf("/"));
        return [
          {
            action: version === undefined ? "s3:GetObject" : "s3:GetObjectVersion",
            resource: `arn:aws:s3:::${path}`,
          },
          ...s3Kms(names, sourceBucket, "kms:Decrypt"),
          { action: "s3:PutObject", resource: object },
          ...s3Kms(names, bucket, "kms:GenerateDataKey"),
        ];
      }
      case "ListObjectsV2":
      case "HeadBucket":
        return [
          {
            action: "s3:ListBucket",
            resource: names.bucketArn(bucket),
            context: { "s3:prefix": details.prefix ?? "" },
          },
        ];
      case "ListObjectVersions":
        return [
          {
            action: "s3:ListBucketVersions",
            resource: names.bucketArn(bucket),
            context: { "s3:prefix": details.prefix ?? "" },
          },
        ];
      case "GetBucketLocation":
        return [{ action: "s3:GetBucketLocation", resource: names.bucketArn(bucket) }];
      case "GetObjectLegalHold":
      case "PutObjectLegalHold":
        return [{ action: `s3:${action}`, resource: object }];
      default:
        return [{ action: `s3:${action}`, resource: object }];
    }
  }
  if (service === "sqs") {
    const queue = names.queue(resource);
    const kms =
      queue.key === undefined
        ? []
        : [
            { action: "kms:GenerateDataKey", resource: queue.key },
            { action: "kms:Decrypt", resource: queue.key },
          ];
    // The batch calls are authorized as their single-message actions.
    const iamAction = action.replace(/Batch$/, "");
    return [
      { action: `sqs:${iamAction}`, resource: queue.arn },
      ...(action.startsWith("SendMessage") ? kms : []),
    ];
  }
  if (service === "firehose") return [{ action: `firehose:${action}`, resource: names.stream(resource) }];
  if (service === "sts") return [{ action: `sts:${action}`, resource }];
  if (service === "athena") return athenaRequests(recorded, names, stack);
  return [];
}

function athenaRequests(recorded: RecordedRequest, names: NameMap, stack: Deployment): Request[] {
  const executionId =
    recorded.action === "StartQueryExecution" ? recorded.details.queryExecutionId : recorded.resource;
  const execution = executionId === undefined ? undefined : stack.aws.athena.executions.get(executionId);
  const workgroupName = execution?.workgroup ?? recorded.resource;
  const workgroupArn = `arn:aws:athena:eu-central-1:111111111111:workgroup/${workgroupName}`;
  const out: Request[] = [{ action: `athena:${recorded.action}`, resource: workgroupArn }];
  if (execution === undefined) return out;
  const workgroup = names.workgroup(workgroupName);
  const resultKey = (action: string): Request[] =>
    workgroup.key === undefined ? [] : [{ action, resource: workgroup.key }];
  const resultObject = `arn:aws:s3:::${workgroup.outputBucket}/${workgroup.outputPrefix}${execution.id}.csv`;
  if (recorded.action === "GetQueryResults" && execution.kind === "select") {
    return [...out, { action: "s3:GetObject", resource: resultObject }, ...resultKey("kms:Decrypt")];
  }
  if (recorded.action !== "StartQueryExecution") return out;
  // Athena reads the catalogue, lists and reads the table's objects, and writes results, all as the caller.
  const glue = (suffix: string) => `arn:aws:glue:eu-central-1:111111111111:${suffix}`;
  out.push({ action: "glue:GetDatabase", resource: glue(`database/${execution.database}`) });
  for (const read of execution.reads) {
    out.push({ action: "glue:GetTable", resource: glue(`table/${execution.database}/${read.table}`) });
    const prefixes = new Set(read.keys.map((k) => k.slice(0, k.lastIndexOf("/") + 1)));
    for (const prefix of prefixes) {
      out.push({
        action: "s3:ListBucket",
        resource: names.bucketArn(read.bucket),
        context: { "s3:prefix": prefix },
      });
    }
    for (const key of read.keys)
      out.push({ action: "s3:GetObject", resource: `arn:aws:s3:::${read.bucket}/${key}` });
    if (read.keys.length > 0) out.push(...s3Kms(names, read.bucket, "kms:Decrypt"));
  }
  if (execution.kind === "unload") {
    const target = /TO\s*'s3:\/\/([^/]+)\/([^']*)'/i.exec(execution.sql);
    if (target !== null) {
      const [, bucket, prefix] = target as unknown as [string, string, string];
      out.push({
        action: "s3:ListBucket",
        resource: names.bucketArn(bucket),
        context: { "s3:prefix": prefix },
      });
      if (execution.unloaded !== undefined) {
        out.push(
          { action: "s3:PutObject", resource: `arn:aws:s3:::${execution.unloaded}` },
          ...s3Kms(names, bucket, "kms:GenerateDataKey"),
        );
      }
    }
  }
  out.push({ action: "s3:PutObject", resource: resultObject }, ...resultKey("kms:GenerateDataKey"));
  return out;
}
