import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { ADDRESS_LOOKUP_PREFIX } from "../../functions/core/security/address-lookup.ts";
import { AUDIT_TRAIL, HOLD_AUDIT_TRAIL } from "./access.ts";

/** Object Lock actions nobody gets: they could keep a record beyond the seven days, or free one early. */
export const FORBIDDEN_LOCK_ACTIONS = [
  "s3:BypassGovernanceRetention",
  "s3:PutBucketObjectLockConfiguration",
] as const;

/** What reading the raw zone takes: objects, their versions and attributes, and the key listing. */
export const RAW_READ_ACTIONS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "s3:GetObjectAttributes",
  "s3:GetObjectVersionAttributes",
  "s3:RestoreObject",
  "s3:ListBucket",
  "s3:ListBucketVersions",
  "s3:ListBucketMultipartUploads",
] as const;

/** Prefixes only the pipeline and the security roles write (incoming/ also takes log shippers and log delivery). */
export const GUARDED_WRITE_PREFIXES = [
  "security/",
  "rejects/",
  "evidence/",
  "checkpoints/",
  ADDRESS_LOOKUP_PREFIX,
] as const;

export interface RawZoneGuardProps {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  /** The pipeline's and the security roles: the only principals that read the raw zone or write its zones. */
  readonly rawZoneRoles: readonly iam.IRole[];
  /**
   * Roles that may use the raw key without reading the zone: log shippers, whose multipart uploads into an SSE-KMS
   * bucket need kms:Decrypt. The bucket policy still denies them every read.
   */
  readonly keyOnlyRoles: readonly iam.IRole[];
  /** The Athena results bucket, where the security workgroup's results are encrypted with the raw key. */
  readonly resultsBucket: s3.IBucket;
}

/**
 * Deny-by-default for the raw bucket (incoming/, security/, rejects/, evidence/, checkpoints/, lookups/) and its
 * key, on top of the identity policies: an identity policy of any other principal of the account (an administrator's
 * `s3:*` included) cannot read it, because an explicit deny in the bucket or key policy wins. AWS services acting
 * as themselves (log delivery writing incoming/) are not principals of the account and keep their own conditioned
 * grants (storage.ts).
 *
 * And the audit trail of legal holds (`evidence/audit/holds/`) immutable to everyone, the SecurityLead included:
 * no delete of any version, no write without `If-None-Match: *` (so no overwrite of an event), and each event under
 * Object Lock compliance-mode retention, which not even the account's root user can shorten or lift. Retention is
 * allowed nowhere else: the seven-day zones must stay deletable by the sweeper.
 */
export class RawZoneGuard extends Construct {
  constructor(scope: Construct, id: string, props: RawZoneGuardProps) {
    super(scope, id);
    const { bucket, key } = props;
    // A lookup is deleted when its query ends; one left behind by a crash goes with this rule (and its noncurrent
    // version one day later, by the bucket's own rule).
    bucket.addLifecycleRule({
      id: "lookups-backstop",
      prefix: ADDRESS_LOOKUP_PREFIX,
      expiration: Duration.days(1),
    });
    const arns = props.rawZoneRoles.map((r) => r.roleArn);
    const notRawZoneRole = {
      ArnNotEquals: { "aws:PrincipalArn": arns },
      Bool: { "aws:PrincipalIsAWSService": "false" },
    };
    const denyAll = (sid: string, actions: readonly string[], resources: string[], conditions?: object) =>
      new iam.PolicyStatement({
        sid,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...actions],
        resources,
        ...(conditions === undefined ? {} : { conditions: conditions as Record<string, unknown> }),
      });

    for (const statement of [
      denyAll(
        "RawZoneReadByPipelineAndSecurityOnly",
        RAW_READ_ACTIONS,
        [bucket.bucketArn, bucket.arnForObjects("*")],
        notRawZoneRole,
      ),
      denyAll(
        "RawZoneWrittenByPipelineAndSecurityOnly",
        ["s3:PutObject", "s3:PutObjectLegalHold", "s3:PutObjectRetention"],
        GUARDED_WRITE_PREFIXES.map((p) => bucket.arnForObjects(`${p}*`)),
        notRawZoneRole,
      ),
      denyAll(
        "RawZoneDeletedByPipelineAndSecurityOnly",
        ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        [bucket.arnForObjects("*")],
        notRawZoneRole,
      ),
      denyAll(
        "AuditTrailNeverDeleted",
        ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        [bucket.arnForObjects(`${HOLD_AUDIT_TRAIL}*`)],
      ),
      // PutObject with If-None-Match: * fails when the key exists, so an event, once written, stays what it was.
      denyAll("AuditTrailNeverOverwritten", ["s3:PutObject"], [bucket.arnForObjects(`${AUDIT_TRAIL}*`)], {
        Null: { "s3:if-none-match": "true" },
      }),
      denyAll("NoObjectLockBypassOrReconfiguration", FORBIDDEN_LOCK_ACTIONS, [
        bucket.bucketArn,
        bucket.arnForObjects("*"),
      ]),
      // With no default retention, only a legal hold (which a person lifts) keeps a version past the sweeper.
      new iam.PolicyStatement({
        sid: "RetentionOnlyOnTheHoldAuditTrail",
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ["s3:PutObjectRetention"],
        notResources: [bucket.arnForObjects(`${HOLD_AUDIT_TRAIL}*`)],
      }),
      denyAll(
        "HoldAuditRetentionIsCompliance",
        ["s3:PutObjectRetention"],
        [bucket.arnForObjects(`${HOLD_AUDIT_TRAIL}*`)],
        { StringNotEquals: { "s3:object-lock-mode": "COMPLIANCE" } },
      ),
    ]) {
      bucket.addToResourcePolicy(statement);
    }

    // Only the pipeline and security roles (and named key-only roles) use the raw key for themselves. Anyone else
    // may have S3 decrypt with it on their behalf, which is what an upload into incoming/ needs (Decrypt for a
    // multipart upload's parts; LogShipper's policy asks for it through S3 and for the raw bucket only): the bucket
    // policy above refuses them every read of the raw bucket, so S3 never decrypts a record for them. The other
    // bucket holding objects under this key is the Athena results bucket (the security workgroup's results, full
    // addresses): decrypting for it stays refused. (The key policy cannot name the raw bucket itself: the bucket
    // names the key, and CloudFormation would see a cycle.)
    const notRawKeyRole = {
      ArnNotEquals: { "aws:PrincipalArn": [...arns, ...props.keyOnlyRoles.map((r) => r.roleArn)] },
      Bool: { "aws:PrincipalIsAWSService": "false" },
    };
    const denyKey = (sid: string, actions: string[], extra: Record<string, unknown>) =>
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions,
          resources: ["*"],
          conditions: { ...notRawKeyRole, ...extra },
        }),
      );
    denyKey("RawKeyForPipelineAndSecurityOnly", ["kms:ReEncrypt*", "kms:CreateGrant"], {});
    denyKey("RawKeyDecryptsOnlyThroughS3", ["kms:Decrypt"], {
      StringNotEquals: { "kms:ViaService": `s3.${Stack.of(this).region}.amazonaws.com` },
    });
    denyKey("RawKeyDecryptsNoSecurityResults", ["kms:Decrypt"], {
      StringLike: {
        "kms:EncryptionContext:aws:s3:arn": [
          props.resultsBucket.bucketArn,
          props.resultsBucket.arnForObjects("*"),
        ],
      },
    });
  }
}
