import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { acknowledge } from "./nag.ts";
import {
  acknowledgeZoneWildcards,
  athenaWorkgroupUse,
  bucketLocation,
  decrypt,
  encryptDecrypt,
  glueRead,
  listPrefixes,
  onObjects,
} from "./policy.ts";
import type { LakeStorage } from "./storage.ts";

export interface AnalystAccessProps {
  readonly storage: LakeStorage;
  readonly glueDatabase: string;
  readonly statsTables: readonly string[];
  readonly securityTables: readonly string[];
  readonly workgroups: { readonly marketing: string; readonly security: string };
  readonly resultKeys: { readonly marketing: kms.IKey; readonly security: kms.IKey };
  /** Who may assume the analyst roles. Default: principals of this account, with MFA. */
  readonly trustedPrincipal?: iam.IPrincipal;
}

/** Object Lock actions nobody gets: they could keep a record beyond the seven days. */
export const FORBIDDEN_LOCK_ACTIONS = [
  "s3:BypassGovernanceRetention",
  "s3:PutObjectRetention",
  "s3:PutBucketObjectLockConfiguration",
] as const;

/**
 * Who may see what, as managed policies (attachable to an operator's own SSO permission sets) and as roles that
 * carry them:
 * - MarketingAnalyst: the stats rollups and the marketing workgroup, nothing else.
 * - SecurityAnalyst: reads incoming/, security/, rejects/ (and the stats), security workgroup.
 * - SecurityLead: SecurityAnalyst plus evidence/ and placing/lifting legal holds.
 * - LogShipper: writes into incoming/ only (nginx or any log forwarder), reads nothing.
 */
export class AnalystAccess extends Construct {
  readonly marketingPolicy: iam.ManagedPolicy;
  readonly securityPolicy: iam.ManagedPolicy;
  readonly securityLeadPolicy: iam.ManagedPolicy;
  readonly logShipperPolicy: iam.ManagedPolicy;
  readonly marketingRole: iam.Role;
  readonly securityRole: iam.Role;
  readonly securityLeadRole: iam.Role;

  constructor(scope: Construct, id: string, props: AnalystAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { storage } = props;
    const { rawBucket, analyticsBucket, resultsBucket } = storage;

    const managed = (
      policyId: string,
      policyProps: { description: string; statements: iam.PolicyStatement[] },
    ) => {
      const policy = new iam.ManagedPolicy(this, policyId, policyProps);
      acknowledgeZoneWildcards(policy, policyProps.statements);
      return policy;
    };

    const readStats = [
      glueRead(stack, props.glueDatabase, props.statsTables),
      onObjects(analyticsBucket, ["stats/"], ["s3:GetObject"]),
      listPrefixes(analyticsBucket, ["stats/"]),
      bucketLocation(analyticsBucket),
      decrypt(storage.analyticsKey),
    ];
    const listWorkgroups = new iam.PolicyStatement({
      actions: ["athena:ListWorkGroups", "athena:ListEngineVersions", "athena:ListDataCatalogs"],
      resources: ["*"],
    });

    this.marketingPolicy = managed("MarketingAnalystPolicy", {
      description: "logsieve MarketingAnalyst: stats rollups and the marketing Athena workgroup only",
      statements: [
        ...readStats,
        ...athenaWorkgroupUse(
          stack,
          props.workgroups.marketing,
          resultsBucket,
          "marketing/",
          props.resultKeys.marketing,
          true,
        ),
        listWorkgroups,
      ],
    });

    const securityStatements = [
      ...readStats,
      glueRead(stack, props.glueDatabase, props.securityTables),
      onObjects(rawBucket, ["incoming/", "security/", "rejects/"], ["s3:GetObject", "s3:GetObjectVersion"]),
      listPrefixes(rawBucket, ["incoming/", "security/", "rejects/"]),
      bucketLocation(rawBucket),
      decrypt(storage.rawKey),
      ...athenaWorkgroupUse(
        stack,
        props.workgroups.security,
        resultsBucket,
        "security/",
        props.resultKeys.security,
        true,
      ),
      listWorkgroups,
    ];
    this.securityPolicy = managed("SecurityAnalystPolicy", {
      description:
        "logsieve SecurityAnalyst: incoming/, security/, rejects/ (7 days) and the security workgroup",
      statements: securityStatements,
    });

    this.securityLeadPolicy = managed("SecurityLeadPolicy", {
      description: "logsieve SecurityLead: SecurityAnalyst plus evidence/ and legal holds",
      statements: [
        onObjects(
          rawBucket,
          ["evidence/"],
          [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:PutObjectLegalHold",
            "s3:GetObjectLegalHold",
          ],
        ),
        onObjects(rawBucket, ["security/"], ["s3:GetObjectLegalHold"]),
        listPrefixes(rawBucket, ["evidence/"], true),
        encryptDecrypt(storage.rawKey),
      ],
    });

    this.logShipperPolicy = managed("LogShipperPolicy", {
      description: "logsieve LogShipper: put web server logs into incoming/, nothing else",
      statements: [
        // Single and multipart uploads (CreateMultipartUpload, UploadPart and CompleteMultipartUpload are all
        // s3:PutObject), and cleaning up an upload that failed.
        onObjects(rawBucket, ["incoming/"], ["s3:PutObject", "s3:AbortMultipartUpload"]),
        // The raw bucket encrypts with SSE-KMS: S3 asks KMS for data keys as the uploader, and a multipart
        // upload also needs kms:Decrypt (S3 decrypts the data key to upload the parts and to complete the upload).
        // Only through S3, and only for this bucket (with S3 Bucket Keys the encryption context is the bucket).
        new iam.PolicyStatement({
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [storage.rawKey.keyArn],
          conditions: {
            StringEquals: {
              "kms:ViaService": `s3.${stack.region}.amazonaws.com`,
              "kms:EncryptionContext:aws:s3:arn": rawBucket.bucketArn,
            },
          },
        }),
      ],
    });

    // Nobody may set a retention period or bypass one: with no default retention, only a legal hold (which a
    // person lifts) can keep a version, and no retention date can quietly outlive the seven days.
    rawBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "NoRetentionBeyondLegalHold",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...FORBIDDEN_LOCK_ACTIONS],
        resources: [rawBucket.bucketArn, rawBucket.arnForObjects("*")],
      }),
    );

    const trust =
      props.trustedPrincipal ??
      new iam.AccountRootPrincipal().withConditions({ Bool: { "aws:MultiFactorAuthPresent": "true" } });
    const role = (roleId: string, description: string, policies: iam.IManagedPolicy[]) =>
      new iam.Role(this, roleId, {
        assumedBy: trust,
        description,
        managedPolicies: policies,
        maxSessionDuration: Duration.hours(4),
      });
    this.marketingRole = role("MarketingAnalyst", "logsieve marketing analyst", [this.marketingPolicy]);
    this.securityRole = role("SecurityAnalyst", "logsieve security analyst", [this.securityPolicy]);
    this.securityLeadRole = role("SecurityLead", "logsieve security lead (legal holds)", [
      this.securityPolicy,
      this.securityLeadPolicy,
    ]);

    for (const policy of [this.marketingPolicy, this.securityPolicy]) {
      acknowledge(policy, [
        {
          id: "AwsSolutions-IAM5[Resource::*]",
          reason:
            "Only athena:ListWorkGroups, ListEngineVersions and ListDataCatalogs are on Resource::*: these actions support no resource-level permissions, and the console needs them to show the workgroup.",
        },
      ]);
    }
  }
}
