import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type { IConstruct } from "constructs";
import { acknowledge } from "./nag.ts";

/**
 * Small builders for least-privilege statements, so each principal's grants read as a list of exact actions on
 * exact prefixes. No `s3:*`, no `s3:List*`: every action is named.
 */

/** `actions` on the objects under each prefix (`security/` → `bucket/security/*`). */
export function onObjects(bucket: s3.IBucket, prefixes: readonly string[], actions: readonly string[]) {
  return new iam.PolicyStatement({
    actions: [...actions],
    resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)),
  });
}

/** Listing (and optionally version listing) of the bucket, limited to the given prefixes. */
export function listPrefixes(bucket: s3.IBucket, prefixes: readonly string[], withVersions = false) {
  return new iam.PolicyStatement({
    actions: withVersions ? ["s3:ListBucket", "s3:ListBucketVersions"] : ["s3:ListBucket"],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { "s3:prefix": prefixes.flatMap((p) => [p, `${p}*`]) } },
  });
}

export function bucketLocation(bucket: s3.IBucket) {
  return new iam.PolicyStatement({ actions: ["s3:GetBucketLocation"], resources: [bucket.bucketArn] });
}

export function decrypt(key: kms.IKey) {
  return new iam.PolicyStatement({ actions: ["kms:Decrypt"], resources: [key.keyArn] });
}

export function encryptDecrypt(key: kms.IKey) {
  return new iam.PolicyStatement({
    actions: ["kms:Decrypt", "kms:GenerateDataKey"],
    resources: [key.keyArn],
  });
}

export const ATHENA_QUERY_ACTIONS = [
  "athena:StartQueryExecution",
  "athena:GetQueryExecution",
  "athena:GetQueryResults",
  "athena:StopQueryExecution",
  "athena:GetWorkGroup",
] as const;

export const ATHENA_CONSOLE_ACTIONS = [
  "athena:ListQueryExecutions",
  "athena:BatchGetQueryExecution",
  "athena:GetNamedQuery",
  "athena:ListNamedQueries",
  "athena:BatchGetNamedQuery",
  "athena:GetQueryResultsStream",
] as const;

export function workgroupArn(scope: Stack, name: string): string {
  return scope.formatArn({ service: "athena", resource: "workgroup", resourceName: name });
}

/** Read access to the Glue catalog entries of the given tables (and nothing else in the database). */
export function glueRead(scope: Stack, database: string, tables: readonly string[]) {
  return new iam.PolicyStatement({
    actions: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
    resources: [
      scope.formatArn({ service: "glue", resource: "catalog" }),
      scope.formatArn({ service: "glue", resource: "database", resourceName: database }),
      ...tables.map((t) =>
        scope.formatArn({ service: "glue", resource: "table", resourceName: `${database}/${t}` }),
      ),
    ],
  });
}

/** What a principal needs to run queries in one workgroup whose results go to `results/<prefix>`. */
export function athenaWorkgroupUse(
  scope: Stack,
  workgroup: string,
  results: s3.IBucket,
  resultPrefix: string,
  resultKey: kms.IKey,
  withConsole: boolean,
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: [...ATHENA_QUERY_ACTIONS, ...(withConsole ? ATHENA_CONSOLE_ACTIONS : [])],
      resources: [workgroupArn(scope, workgroup)],
    }),
    onObjects(
      results,
      [resultPrefix],
      ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    ),
    listPrefixes(results, [resultPrefix]),
    bucketLocation(results),
    encryptDecrypt(resultKey),
  ];
}

/** Why a grant on `bucket/<zone>/*` is as narrow as it gets. */
export const ZONE_WILDCARD_REASON =
  "Granted per zone prefix (bucket/<zone>/[<sub-prefix>]*) with named actions: object keys are generated per partition and input, so no narrower resource exists.";

/**
 * The cdk-nag IAM5 finding ids that `statements` raise only because they name a zone prefix of a bucket
 * (`<Bucket.Arn>/<zone>/*`, or a sub-prefix such as `evidence/incident=*` or `incoming/logsieve-smoke/*`), and nothing broader. Any other wildcard is left to fail the gate.
 */
export function zoneWildcardFindingIds(
  scope: IConstruct,
  statements: readonly iam.PolicyStatement[],
): string[] {
  const stack = Stack.of(scope);
  const ids = new Set<string>();
  for (const statement of statements) {
    const json = stack.resolve(statement.toStatementJson()) as { Resource?: unknown };
    for (const resource of [json.Resource ?? []].flat()) {
      const join = (resource as { "Fn::Join"?: [string, unknown[]] } | null)?.["Fn::Join"];
      if (join?.[0] !== "" || join[1].length !== 2) continue;
      const [att, suffix] = join[1] as [{ "Fn::GetAtt"?: [string, string] }, unknown];
      const getAtt = att?.["Fn::GetAtt"];
      if (
        getAtt?.[1] === "Arn" &&
        typeof suffix === "string" &&
        /^\/[a-z]+\/(?:[a-z]+(?:-[a-z]+)*[=/])*\*$/.test(suffix)
      ) {
        ids.add(`AwsSolutions-IAM5[Resource::<${getAtt[0]}.Arn>${suffix}]`);
      }
    }
  }
  return [...ids];
}

/** Acknowledges, on `scope`, exactly the zone-prefix findings of `statements`. */
export function acknowledgeZoneWildcards(
  scope: IConstruct,
  statements: readonly iam.PolicyStatement[],
): void {
  acknowledge(
    scope,
    zoneWildcardFindingIds(scope, statements).map((id) => ({ id, reason: ZONE_WILDCARD_REASON })),
  );
}

/** Sending to an encrypted queue: the message and a data key, nothing more. */
export function sendTo(queueArn: string, key: kms.IKey) {
  return [
    new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queueArn] }),
    encryptDecrypt(key),
  ];
}
