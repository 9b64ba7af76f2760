/**
 * A small offline IAM evaluator over a synthesized CloudFormation template, for the access tests.
 *
 * Why our own: the ready-made simulator on npm (@cloud-copilot/iam-simulate) is AGPL-3.0, which this project does
 * not take in. The subset here is what the template uses, and it is strict where it cannot be exact:
 * - identity policies of each role: inline `Policies`, `AWS::IAM::Policy` attached to it, `AWS::IAM::ManagedPolicy`
 *   attached to it; an AWS-managed policy ARN must be in KNOWN_AWS_MANAGED or the evaluation throws;
 * - resource policies: `AWS::S3::BucketPolicy` and `AWS::KMS::Key` key policies;
 * - Action/NotAction, Resource/NotResource with `*` and `?`, Effect Allow/Deny, explicit deny wins;
 * - conditions: String/Arn (Not)Equals/(Not)Like, Bool, Null, and *IfExists, over the request context, which
 *   always has aws:PrincipalArn (the role) and aws:PrincipalIsAWSService=false; a key in KNOWN_KEYS that the
 *   request lacks follows IAM's rules (positive operators fail, negated ones hold); an unknown operator or key
 *   makes an Allow count (so a "denied" assertion cannot pass by accident) and a Deny not count (so no denial
 *   rests on it);
 * - same-account rules: S3 allows when identity OR bucket policy allows; KMS allows when the key policy allows
 *   the principal, or allows the account root AND the identity policy allows (root delegation).
 * Intrinsics are resolved to fixed fake ARNs: account 111111111111, region eu-central-1.
 */

export const ACCOUNT = "111111111111";
export const REGION = "eu-central-1";

type Json = unknown;
export interface Statement {
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}
interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface Template {
  Resources: Record<string, CfnResource>;
}

/** AWS-managed policies the template may attach, with their documented content. */
const KNOWN_AWS_MANAGED: Record<string, Statement[]> = {
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
    {
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: "*",
    },
  ],
};

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request; aws:SecureTransport defaults to "true". */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = "allowed" | "explicit-deny" | "implicit-deny";

export class IamSimulator {
  private readonly resources: Record<string, CfnResource>;

  constructor(template: Template) {
    this.resources = template.Resources;
  }

  /** Logical ids of every IAM role in the template. */
  roles(): string[] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .map(([id]) => id)
      .sort();
  }

  /** The fake ARN a resource resolves to (bucket, key, queue, ...). */
  arnOf(logicalId: string): string {
    return this.resolve({ "Fn::GetAtt": [logicalId, "Arn"] }) as string;
  }

  /** Identity-policy statements of a role, resolved. */
  identityStatements(roleId: string): Statement[] {
    const out: Statement[] = [];
    const role = this.resources[roleId];
    if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role`);
    for (const p of (role.Properties?.Policies as { PolicyDocument: Json }[] | undefined) ?? []) {
      out.push(...this.statementsOf(p.PolicyDocument));
    }
    const refsRole = (list: Json) =>
      Array.isArray(list) && list.some((r) => (r as { Ref?: string })?.Ref === roleId);
    for (const [id, r] of Object.entries(this.resources)) {
      if (r.Type === "AWS::IAM::Policy" && refsRole(r.Properties?.Roles)) {
        out.push(...this.statementsOf(r.Properties?.PolicyDocument));
      }
      if (r.Type === "AWS::IAM::ManagedPolicy" && refsRole(r.Properties?.Roles)) {
        out.push(...this.statementsOf(r.Properties?.PolicyDocument));
      }
      void id;
    }
    for (const arn of (role.Properties?.ManagedPolicyArns as Json[] | undefined) ?? []) {
      const ref = (arn as { Ref?: string })?.Ref;
      if (ref !== undefined) {
        const mp = this.resources[ref];
        if (mp?.Type !== "AWS::IAM::ManagedPolicy") throw new Error(`unknown managed policy ${ref}`);
        out.push(...this.statementsOf(mp.Properties?.PolicyDocument));
        continue;
      }
      const resolved = this.resolve(arn) as string;
      const known = KNOWN_AWS_MANAGED[resolved];
      if (!known) throw new Error(`${roleId}: AWS-managed policy ${resolved} is not known to the simulator`);
      out.push(...known);
    }
    return out;
  }

  /** The resource policy governing an ARN: the bucket policy of its bucket, or the key policy of its key. */
  resourceStatements(arn: string): { kind: "s3" | "kms" | "none"; statements: Statement[] } {
    if (arn.startsWith("arn:aws:s3:::")) {
      const bucketName = arn.slice("arn:aws:s3:::".length).split("/")[0];
      const statements: Statement[] = [];
      for (const r of Object.values(this.resources)) {
        if (r.Type !== "AWS::S3::BucketPolicy") continue;
        if (this.resolve(r.Properties?.Bucket) === bucketName) {
          statements.push(...this.statementsOf(r.Properties?.PolicyDocument));
        }
      }
      return { kind: "s3", statements };
    }
    if (arn.startsWith(`arn:aws:kms:${REGION}:${ACCOUNT}:key/`)) {
      const keyId = arn.split("/")[1] ?? "";
      const key = this.resources[keyId];
      if (key?.Type !== "AWS::KMS::Key") throw new Error(`no key ${keyId}`);
      return { kind: "kms", statements: this.statementsOf(key.Properties?.KeyPolicy) };
    }
    return { kind: "none", statements: [] };
  }

  /** Evaluates one request of one role. */
  evaluate(roleId: string, request: Request, options: { identityOnly?: boolean } = {}): Decision {
    return this.decide(this.arnOf(roleId), this.identityStatements(roleId), request, options);
  }

  /**
   * Evaluates one request of a principal that holds exactly this managed policy (e.g. LogShipper, which operators
   * attach to their own users and instance roles): a role of this account that no resource policy names.
   */
  evaluateManagedPolicy(policyId: string, request: Request): Decision {
    const policy = this.resources[policyId];
    if (policy?.Type !== "AWS::IAM::ManagedPolicy") throw new Error(`${policyId} is not a managed policy`);
    const principal = `arn:aws:iam::${ACCOUNT}:role/holder-of-${policyId}`;
    return this.decide(principal, this.statementsOf(policy.Properties?.PolicyDocument), request, {});
  }

  /** The statements of a managed policy, resolved (to read what it grants, beside evaluating requests). */
  managedPolicyStatements(policyId: string): Statement[] {
    const policy = this.resources[policyId];
    if (policy?.Type !== "AWS::IAM::ManagedPolicy") throw new Error(`${policyId} is not a managed policy`);
    return this.statementsOf(policy.Properties?.PolicyDocument);
  }

  private decide(
    roleArn: string,
    identity: Statement[],
    request: Request,
    options: { identityOnly?: boolean },
  ): Decision {
    const context = {
      "aws:SecureTransport": "true",
      "aws:PrincipalAccount": ACCOUNT,
      "aws:PrincipalArn": roleArn,
      "aws:PrincipalIsAWSService": "false",
      ...request.context,
    };
    const res = options.identityOnly
      ? { kind: "none" as const, statements: [] }
      : this.resourceStatements(request.resource);
    const resourceForPrincipal = res.statements.filter((s) => principalMatches(s.Principal, roleArn));

    const matches = (s: Statement) => statementMatches(s, request.action, request.resource, context);
    if ([...identity, ...resourceForPrincipal].some((s) => s.Effect === "Deny" && matches(s)))
      return "explicit-deny";

    const identityAllows = identity.some((s) => s.Effect === "Allow" && matches(s));
    const resourceAllows = resourceForPrincipal.some((s) => s.Effect === "Allow" && matches(s));
    if (res.kind === "kms") {
      const rootAllowed = res.statements.some(
        (s) =>
          s.Effect === "Allow" &&
          principalMatches(s.Principal, `arn:aws:iam::${ACCOUNT}:root`, true) &&
          matches(s),
      );
      return resourceAllows || (rootAllowed && identityAllows) ? "allowed" : "implicit-deny";
    }
    return identityAllows || resourceAllows ? "allowed" : "implicit-deny";
  }

  private statementsOf(doc: Json): Statement[] {
    const resolved = this.resolve(doc) as { Statement?: Statement | Statement[] } | undefined;
    return [resolved?.Statement ?? []].flat();
  }

  /** Resolves the intrinsics CDK emits in policies to concrete strings. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== "object") return value;
    const obj = value as Record<string, Json>;
    if ("Ref" in obj) return this.ref(obj.Ref as string);
    if ("Fn::GetAtt" in obj) {
      const [id, attr] = obj["Fn::GetAtt"] as [string, string];
      return this.getAtt(id, attr);
    }
    if ("Fn::Join" in obj) {
      const [sep, parts] = obj["Fn::Join"] as [string, Json[]];
      return parts.map((p) => String(this.resolve(p))).join(sep);
    }
    if ("Fn::Sub" in obj) {
      const template = obj["Fn::Sub"] as string;
      return template.replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
        String(name.includes(".") ? this.getAtt(...(name.split(".") as [string, string])) : this.ref(name)),
      );
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(id: string): string {
    switch (id) {
      case "AWS::Partition":
        return "aws";
      case "AWS::AccountId":
        return ACCOUNT;
      case "AWS::Region":
        return REGION;
      case "AWS::URLSuffix":
        return "amazonaws.com";
    }
    const r = this.resources[id];
    if (!r) throw new Error(`Ref to unknown ${id}`);
    switch (r.Type) {
      case "AWS::S3::Bucket":
        return id.toLowerCase();
      case "AWS::IAM::ManagedPolicy":
        return `arn:aws:iam::${ACCOUNT}:policy/${id}`;
      case "AWS::SQS::Queue":
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      default:
        return id;
    }
  }

  private getAtt(id: string, attr: string): string {
    const r = this.resources[id];
    if (!r) throw new Error(`GetAtt of unknown ${id}`);
    if (attr !== "Arn") return `${id}.${attr}`;
    const base = `${REGION}:${ACCOUNT}`;
    switch (r.Type) {
      case "AWS::S3::Bucket":
        return `arn:aws:s3:::${id.toLowerCase()}`;
      case "AWS::KMS::Key":
        return `arn:aws:kms:${base}:key/${id}`;
      case "AWS::SQS::Queue":
        return `arn:aws:sqs:${base}:${id}`;
      case "AWS::SNS::Topic":
        return `arn:aws:sns:${base}:${id}`;
      case "AWS::Logs::LogGroup":
        return `arn:aws:logs:${base}:log-group:${id}:*`;
      case "AWS::Lambda::Function":
        return `arn:aws:lambda:${base}:function:${id}`;
      case "AWS::IAM::Role":
        return `arn:aws:iam::${ACCOUNT}:role/${id}`;
      case "AWS::Cognito::UserPool":
        return `arn:aws:cognito-idp:${base}:userpool/${id}`;
      default:
        return `arn:aws:unknown:${base}:${id}`;
    }
  }
}

function list(v: string | string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : [v].flat();
}

/** IAM wildcard match: `*` any run, `?` one character; actions compare case-insensitively. */
export function globMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, caseInsensitive ? "is" : "s").test(value);
}

function statementMatches(
  s: Statement,
  action: string,
  resource: string,
  context: Record<string, string>,
): boolean {
  const actions = list(s.Action);
  const notActions = list(s.NotAction);
  const actionOk = actions
    ? actions.some((a) => globMatch(a, action, true))
    : notActions
      ? !notActions.some((a) => globMatch(a, action, true))
      : false;
  if (!actionOk) return false;
  const resources = list(s.Resource);
  const notResources = list(s.NotResource);
  const resourceOk = resources
    ? resources.some((r) => globMatch(r, resource))
    : notResources
      ? !notResources.some((r) => globMatch(r, resource))
      : false;
  if (!resourceOk) return false;
  return conditionsHold(s, context);
}

function conditionsHold(s: Statement, context: Record<string, string>): boolean {
  const unknownMeans = s.Effect === "Allow";
  for (const [rawOperator, entries] of Object.entries(s.Condition ?? {})) {
    const ifExists = rawOperator.endsWith("IfExists");
    const operator = ifExists ? rawOperator.slice(0, -"IfExists".length) : rawOperator;
    for (const [key, expected] of Object.entries(entries)) {
      const values = [expected].flat().map(String);
      const actual = context[key];
      if (!(key in context) && !KNOWN_KEYS.has(key)) {
        // A key this evaluator does not model: an Allow counts (a "denied" assertion cannot pass by accident), a
        // Deny does not (no denial rests on it).
        if (!unknownMeans) return false;
        continue;
      }
      if (operator === "Null") {
        const wantsMissing = values.map((v) => v.toLowerCase()).includes("true");
        if ((actual === undefined) !== wantsMissing) return false;
        continue;
      }
      if (actual === undefined) {
        // IAM: a missing key fails a positive operator and satisfies a negated one; *IfExists is satisfied.
        if (ifExists || NEGATED.has(operator)) continue;
        return false;
      }
      let ok: boolean;
      switch (operator) {
        case "StringEquals":
        case "ArnEquals":
          ok = values.includes(actual);
          break;
        case "StringLike":
        case "ArnLike":
          ok = values.some((v) => globMatch(v, actual));
          break;
        case "StringNotEquals":
        case "ArnNotEquals":
          ok = !values.includes(actual);
          break;
        case "StringNotLike":
        case "ArnNotLike":
          ok = !values.some((v) => globMatch(v, actual));
          break;
        case "Bool":
          ok = values.map((v) => v.toLowerCase()).includes(actual.toLowerCase());
          break;
        default:
          if (!unknownMeans) return false;
          ok = true;
      }
      if (!ok) return false;
    }
  }
  return true;
}

const NEGATED = new Set(["StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"]);

/** Keys whose absence from a request is meaningful (the condition is then judged by IAM's rules for a missing key). */
const KNOWN_KEYS = new Set([
  "s3:prefix",
  "s3:if-none-match",
  "s3:object-lock-mode",
  "aws:SecureTransport",
  "aws:MultiFactorAuthPresent",
  "aws:SourceAccount",
  // Set by AWS when S3 calls KMS for the caller: absent on a direct KMS call.
  "kms:ViaService",
  "kms:EncryptionContext:aws:s3:arn",
  "aws:SourceArn",
  "aws:PrincipalArn",
  "aws:PrincipalIsAWSService",
]);

/** Does a policy `Principal` name this role (or, with `rootOnly`, the account root exactly)? */
function principalMatches(principal: unknown, arn: string, rootOnly = false): boolean {
  if (principal === undefined) return false;
  if (principal === "*") return !rootOnly;
  const aws = [(principal as { AWS?: string | string[] }).AWS ?? []].flat();
  return aws.some((p) => {
    if (p === "*") return !rootOnly;
    if (rootOnly) return p === arn || p === ACCOUNT;
    return p === arn;
  });
}
