import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { ADDRESS_LOOKUP_PREFIX, ADDRESS_LOOKUP_TABLE } from "../../functions/core/security/address-lookup.ts";
import { SMOKE_CANARY_PREFIX } from "../../functions/core/smoke/canary.ts";
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
  /** A further trust statement of the three analyst roles: the dashboard's identity pool (auth.ts). */
  readonly webIdentity?: iam.PolicyStatement;
}

/**
 * Who may see what, as managed policies (attachable to an operator's own SSO permission sets) and as roles that
 * carry them:
 * - MarketingAnalyst: the stats rollups and the marketing workgroup, nothing else.
 * - SecurityAnalyst: reads incoming/, security/, rejects/ (and the stats), the security workgroup (and the
 *   marketing one, for the dashboard's statistics view), and writes and deletes its own address lookups
 *   (core/security/address-lookup.ts).
 * - SecurityLead: SecurityAnalyst plus evidence/: places and lifts legal holds, and appends to the audit trail
 *   (never deletes or overwrites it: the bucket policy of raw-zone.ts denies that to everyone).
 * - LogShipper: writes into incoming/ only (nginx or any log forwarder), reads nothing.
 *
 * The dashboard reads with these roles too: a signed-in person's group names the role, and the identity pool hands
 * out only that role's credentials (auth.ts), so the same IAM policies decide for the console, the CLI and the page.
 */
export class AnalystAccess extends Construct {
  readonly marketingPolicy: iam.ManagedPolicy;
  readonly securityPolicy: iam.ManagedPolicy;
  readonly securityLeadPolicy: iam.ManagedPolicy;
  readonly logShipperPolicy: iam.ManagedPolicy;
  readonly marketingRole: iam.Role;
  readonly securityRole: iam.Role;
  readonly securityLeadRole: iam.Role;
  /** For forwarders that can take a role (Fluent Bit's `role_arn`, Vector's `assume_role`): LogShipperPolicy. */
  readonly logShipperRole: iam.Role;

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
    const marketingWorkgroup = athenaWorkgroupUse(
      stack,
      props.workgroups.marketing,
      resultsBucket,
      "marketing/",
      props.resultKeys.marketing,
      true,
    );

    this.marketingPolicy = managed("MarketingAnalystPolicy", {
      description: "logsieve MarketingAnalyst: stats rollups and the marketing Athena workgroup only",
      statements: [...readStats, ...marketingWorkgroup, listWorkgroups],
    });

    const rawZones = ["incoming/", "security/", "rejects/"];
    const securityStatements = [
      ...readStats,
      glueRead(stack, props.glueDatabase, [...props.securityTables, ADDRESS_LOOKUP_TABLE]),
      onObjects(rawBucket, rawZones, ["s3:GetObject", "s3:GetObjectVersion"]),
      listPrefixes(rawBucket, [...rawZones, ADDRESS_LOOKUP_PREFIX]),
      bucketLocation(rawBucket),
      // Address lookups: written before a query, read by Athena as this role, deleted (every version) after it.
      onObjects(
        rawBucket,
        [ADDRESS_LOOKUP_PREFIX],
        ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      ),
      // `logsieve aws smoke` removes its canary (one made-up request, core/smoke/canary.ts) by the version it uploaded.
      onObjects(rawBucket, [SMOKE_CANARY_PREFIX], ["s3:DeleteObjectVersion"]),
      encryptDecrypt(storage.rawKey),
      ...athenaWorkgroupUse(
        stack,
        props.workgroups.security,
        resultsBucket,
        "security/",
        props.resultKeys.security,
        true,
      ),
      ...marketingWorkgroup,
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
        // An incident's evidence: written by Athena's UNLOAD as this role, held, released, swept after release.
        onObjects(
          rawBucket,
          [EVIDENCE_INCIDENTS],
          [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:PutObjectLegalHold",
            "s3:GetObjectLegalHold",
          ],
        ),
        // The audit trail: read, and appended to under compliance-mode retention. Deleting or overwriting it is
        // denied to everyone by the bucket policy (raw-zone.ts), this role included.
        onObjects(rawBucket, [AUDIT_TRAIL], ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]),
        onObjects(rawBucket, [HOLD_AUDIT_TRAIL], ["s3:PutObjectRetention"]),
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

    const trust =
      props.trustedPrincipal ??
      new iam.AccountRootPrincipal().withConditions({ Bool: { "aws:MultiFactorAuthPresent": "true" } });
    const role = (roleId: string, description: string, policies: iam.ManagedPolicy[]) => {
      const r = new iam.Role(this, roleId, {
        assumedBy: trust,
        description,
        maxSessionDuration: Duration.hours(4),
      });
      // Attached from the policy's side (ManagedPolicy.Roles), so the role does not depend on the policies and the
      // raw key's policy (raw-zone.ts) can name the role without a circular dependency.
      for (const policy of policies) policy.attachToRole(r);
      if (props.webIdentity !== undefined) r.assumeRolePolicy?.addStatements(props.webIdentity);
      return r;
    };
    this.marketingRole = role("MarketingAnalyst", "logsieve marketing analyst", [this.marketingPolicy]);
    this.securityRole = role("SecurityAnalyst", "logsieve security analyst", [this.securityPolicy]);
    this.securityLeadRole = role("SecurityLead", "logsieve security lead (legal holds)", [
      this.securityPolicy,
      this.securityLeadPolicy,
    ]);
    this.logShipperRole = new iam.Role(this, "LogShipper", {
      assumedBy: new iam.AccountRootPrincipal(),
      description: "logsieve log forwarder: writes web server logs into incoming/",
      maxSessionDuration: Duration.hours(1),
    });
    this.logShipperPolicy.attachToRole(this.logShipperRole);

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

/** `evidence/incident=<ID>/...`: one incident's records and manifest (core/hold/manifest.ts). */
export const EVIDENCE_INCIDENTS = "evidence/incident=";
/** The audit trail: hold events and sweep records (core/hold/audit.ts). */
export const AUDIT_TRAIL = "evidence/audit/";
/** The legal-hold events of the audit trail, kept under compliance-mode retention. */
export const HOLD_AUDIT_TRAIL = "evidence/audit/holds/";
