import type { CfnResource, CfnTemplate } from "./cdk-out.ts";

/**
 * Resolves a template's intrinsic functions to the names and URLs the stand-ins use, the way CloudFormation
 * resolves them to real ones: `Ref` of a bucket is its name, of a queue its URL, of a delivery stream its name;
 * `Fn::GetAtt X.Arn` the ARN; `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split` and the pseudo parameters.
 * Physical names follow the template when it gives one (QueueName, DeliveryStreamName, Glue database name),
 * otherwise they derive from the logical id, as CloudFormation's generated names do.
 */
export class TemplateResolver {
  readonly resources: Record<string, CfnResource>;
  /**
   * Values that only exist once something runs: `<id>.<attribute>` for GetAtt, `<id>` for Ref (the HTTP API's
   * endpoint on the API Gateway stand-in, the user pool's issuer on the Cognito stand-in). Consulted first.
   */
  readonly known = new Map<string, unknown>();

  constructor(
    readonly template: CfnTemplate,
    private readonly environment: {
      readonly account: string;
      readonly region: string;
      readonly stackName: string;
      readonly queueUrl: (name: string) => string;
    },
  ) {
    this.resources = template.Resources;
  }

  /** Logical ids of the resources of a type, in template order. */
  ofType(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  /** The construct path CDK records for a resource (`Logsieve/Logsieve/Pipeline/Ingest/Function/Resource`). */
  pathOf(logicalId: string): string {
    return String(this.resources[logicalId]?.Metadata?.["aws:cdk:path"] ?? logicalId);
  }

  property(logicalId: string, name: string): unknown {
    return this.resolve(this.resources[logicalId]?.Properties?.[name]);
  }

  bucketName(logicalId: string): string {
    const given = this.resources[logicalId]?.Properties?.BucketName;
    return given === undefined ? logicalId.toLowerCase().slice(0, 63) : String(this.resolve(given));
  }

  queueName(logicalId: string): string {
    const props = this.resources[logicalId]?.Properties ?? {};
    if (props.QueueName !== undefined) return String(this.resolve(props.QueueName));
    const base = `${this.environment.stackName}-${logicalId}`.slice(0, 75);
    return props.FifoQueue === true ? `${base}.fifo` : base;
  }

  streamName(logicalId: string): string {
    const props = this.resources[logicalId]?.Properties ?? {};
    return props.DeliveryStreamName === undefined
      ? `${this.environment.stackName}-${logicalId}`.slice(0, 64)
      : String(this.resolve(props.DeliveryStreamName));
  }

  functionName(logicalId: string): string {
    const props = this.resources[logicalId]?.Properties ?? {};
    return props.FunctionName === undefined
      ? `${this.environment.stackName}-${logicalId}`.slice(0, 64)
      : String(this.resolve(props.FunctionName));
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== "object") return value;
    const obj = value as Record<string, unknown>;
    if ("Ref" in obj) return this.ref(String(obj.Ref));
    if ("Fn::GetAtt" in obj) {
      const raw = obj["Fn::GetAtt"];
      const [id, attr] = (typeof raw === "string" ? raw.split(".") : raw) as [string, string];
      return this.getAtt(id, attr);
    }
    if ("Fn::Join" in obj) {
      const [separator, parts] = obj["Fn::Join"] as [string, unknown[]];
      return (this.resolve(parts) as unknown[]).map(String).join(separator);
    }
    if ("Fn::Select" in obj) {
      const [index, list] = obj["Fn::Select"] as [number | string, unknown];
      return (this.resolve(list) as unknown[])[Number(index)];
    }
    if ("Fn::Split" in obj) {
      const [separator, source] = obj["Fn::Split"] as [string, unknown];
      return String(this.resolve(source)).split(separator);
    }
    if ("Fn::Sub" in obj) {
      const raw = obj["Fn::Sub"];
      const [text, vars] = (typeof raw === "string" ? [raw, {}] : raw) as [string, Record<string, unknown>];
      return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
        if (name in vars) return String(this.resolve(vars[name]));
        const [id, attr] = name.split(".") as [string, string | undefined];
        return String(attr === undefined ? this.ref(id) : this.getAtt(id, attr));
      });
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): unknown {
    if (this.known.has(id)) return this.known.get(id);
    switch (id) {
      case "AWS::Partition":
        return "aws";
      case "AWS::AccountId":
        return this.environment.account;
      case "AWS::Region":
        return this.environment.region;
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return this.environment.stackName;
      case "AWS::NoValue":
        return undefined;
    }
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`Ref to ${id}, which the template does not have`);
    switch (resource.Type) {
      case "AWS::S3::Bucket":
        return this.bucketName(id);
      case "AWS::SQS::Queue":
        return this.environment.queueUrl(this.queueName(id));
      case "AWS::KinesisFirehose::DeliveryStream":
        return this.streamName(id);
      case "AWS::Lambda::Function":
        return this.functionName(id);
      case "AWS::Glue::Database":
        return String((this.resolve(resource.Properties?.DatabaseInput) as { Name?: string })?.Name ?? id);
      case "AWS::Athena::WorkGroup":
        return String(this.resolve(resource.Properties?.Name));
      case "AWS::KMS::Key":
        return `key-${id}`;
      case "AWS::IAM::Role":
        return id;
      case "AWS::IAM::ManagedPolicy":
        return `arn:aws:iam::${this.environment.account}:policy/${id}`;
      case "AWS::SNS::Topic":
        return `arn:aws:sns:${this.environment.region}:${this.environment.account}:${id}`;
      default:
        return id;
    }
  }

  private getAtt(id: string, attr: string): unknown {
    if (this.known.has(`${id}.${attr}`)) return this.known.get(`${id}.${attr}`);
    const resource = this.resources[id];
    if (resource === undefined) throw new Error(`GetAtt of ${id}, which the template does not have`);
    const { region, account } = this.environment;
    const base = `${region}:${account}`;
    switch (`${resource.Type}.${attr}`) {
      case "AWS::S3::Bucket.Arn":
        return `arn:aws:s3:::${this.bucketName(id)}`;
      case "AWS::S3::Bucket.RegionalDomainName":
        return `${this.bucketName(id)}.s3.${region}.amazonaws.com`;
      case "AWS::SQS::Queue.Arn":
        return `arn:aws:sqs:${base}:${this.queueName(id)}`;
      case "AWS::SQS::Queue.QueueName":
        return this.queueName(id);
      case "AWS::SQS::Queue.QueueUrl":
        return this.environment.queueUrl(this.queueName(id));
      case "AWS::KMS::Key.Arn":
        return `arn:aws:kms:${base}:key/key-${id}`;
      case "AWS::KinesisFirehose::DeliveryStream.Arn":
        return `arn:aws:firehose:${base}:deliverystream/${this.streamName(id)}`;
      case "AWS::Lambda::Function.Arn":
        return `arn:aws:lambda:${base}:function:${this.functionName(id)}`;
      case "AWS::IAM::Role.Arn":
        return `arn:aws:iam::${account}:role/${id}`;
      case "AWS::Logs::LogGroup.Arn":
        return `arn:aws:logs:${base}:log-group:${id}:*`;
      case "AWS::SNS::Topic.TopicArn":
        return `arn:aws:sns:${base}:${id}`;
      default:
        return `${id}.${attr}`;
    }
  }
}
