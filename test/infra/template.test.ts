import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CfnElement } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/core/config.ts";
import { EVENTS_SCHEMA, REJECTS_SCHEMA, SECURITY_SCHEMA } from "../../functions/core/zones.ts";
import { AWS_ENV, BUNDLED_COUNTRY_DB_PATH, BUNDLED_TRACKER_PATH } from "../../functions/runtime/env.ts";
import { ACCESS_LOG_FORMAT } from "../../infra/constructs/collector.ts";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { synthLogsieve } from "./helpers/synth.ts";

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

let template: Template;
let resources: Record<string, Resource>;
let stack: LogsieveStack;
let assemblyDir: string;
const id = (element: unknown) => stack.resolve(stack.getLogicalId(element as CfnElement)) as string;
/** Athena's projection placeholders are `${name}` in plain strings. */
const DOLLAR = "$";

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}
const res = (logicalId: string) => must(resources[logicalId], logicalId);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const ref = (v: unknown) =>
  (v as { Ref?: string }).Ref ?? (v as { "Fn::GetAtt"?: [string] })["Fn::GetAtt"]?.[0];

const config = { sites: ["example.com", "shop.example.com"], k: 7, retention: { eventsDays: 60 } };

beforeAll(() => {
  // Prepare (one synth for the whole file)
  const synth = synthLogsieve({ config, deploy: { marketingScanLimitGiB: 5 } });
  template = synth.template;
  stack = synth.stack as LogsieveStack;
  resources = template.toJSON().Resources as Record<string, Resource>;
  assemblyDir = synth.app.synth().directory;
});

describe("storage", () => {
  it("log delivery: CloudFront standard logging v2 may write incoming/cloudfront/ as AWS documents; ALB its landing bucket", () => {
    // Prepare
    const storage = stack.logsieve.storage;
    const policyOf = (bucket: unknown) =>
      ofType("AWS::S3::BucketPolicy").find(([, p]) => ref(p.Properties.Bucket) === id(bucket))?.[1].Properties
        .PolicyDocument as { Statement: Record<string, unknown>[] };
    const keyPolicy = res(id(storage.rawKey.node.defaultChild)).Properties.KeyPolicy as {
      Statement: Record<string, unknown>[];
    };

    // Act
    const raw = policyOf(storage.rawBucket.node.defaultChild).Statement;
    const write = raw.find((st) => st.Sid === "AWSLogDeliveryWrite");
    const aclCheck = raw.find((st) => st.Sid === "AWSLogDeliveryAclCheck");
    const key = keyPolicy.Statement.find((st) => st.Sid === "AllowLogsDeliveryToUseTheKey");
    const alb = policyOf(storage.albLogBucket.node.defaultChild).Statement.find(
      (st) => st.Sid === "AlbAccessLogDelivery",
    );

    // Assess
    expect(write).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: "s3:PutObject",
      Condition: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": "111111111111" },
      },
    });
    expect(JSON.stringify(write?.Condition)).toContain(":logs:us-east-1:111111111111:delivery-source:*");
    expect(JSON.stringify(write?.Resource)).toContain("/incoming/cloudfront/*");
    expect(aclCheck?.Action).toEqual(["s3:GetBucketAcl", "s3:ListBucket"]);
    expect(key?.Principal).toEqual({ Service: "delivery.logs.amazonaws.com" });
    expect([key?.Action].flat().sort()).toEqual([
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]);
    expect(JSON.stringify(key?.Condition)).toContain(":logs:us-east-1:111111111111:delivery-source:*");
    // eu-central-1 opened before August 2022: the region's Elastic Load Balancing account delivers.
    expect(JSON.stringify(alb?.Principal)).toContain("054676820928");
    expect(JSON.stringify(alb?.Resource)).toContain("/AWSLogs/111111111111/*");
  });

  it("the raw bucket has Object Lock, versioning and NO default retention", () => {
    // Act
    const raw = res(id(stack.logsieve.storage.rawBucket.node.defaultChild));

    // Assess
    expect(raw.Properties.ObjectLockEnabled).toBe(true);
    expect(raw.Properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
    const lock = raw.Properties.ObjectLockConfiguration as { Rule?: unknown } | undefined;
    expect(lock?.Rule).toBeUndefined();
  });

  it("the raw bucket expires the 7-day zones, never evidence/, and purges noncurrent versions after 1 day", () => {
    // Act
    const raw = res(id(stack.logsieve.storage.rawBucket.node.defaultChild));
    const rules = (raw.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    // Assess
    const byPrefix = Object.fromEntries(rules.map((r) => [String(r.Prefix ?? ""), r]));
    for (const zone of ["incoming/", "security/", "rejects/"]) {
      expect(byPrefix[zone]).toMatchObject({ ExpirationInDays: 7, Status: "Enabled" });
    }
    expect(byPrefix[""]).toMatchObject({
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      ExpiredObjectDeleteMarker: true,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    // No rule expiring current versions applies to evidence/ (bucket-wide or evidence-prefixed).
    const expiringEvidence = rules.filter(
      (r) =>
        r.ExpirationInDays !== undefined &&
        (r.Prefix === undefined || String(r.Prefix).startsWith("evidence")),
    );
    expect(expiringEvidence).toEqual([]);
  });

  it("the analytics bucket is unversioned (a deleted salt is destroyed) and expires each zone per config", () => {
    // Act
    const a = res(id(stack.logsieve.storage.analyticsBucket.node.defaultChild));
    const rules = (a.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;

    // Assess
    expect(a.Properties.VersioningConfiguration).toBeUndefined();
    const days = Object.fromEntries(rules.filter((r) => r.Prefix).map((r) => [r.Prefix, r.ExpirationInDays]));
    expect(days).toEqual({ "events/": 60, "stats/": 761, "salts/": 2 });
  });

  it("the query results expire after one day (security results hold full IPs)", () => {
    // Act
    const r = res(id(stack.logsieve.storage.resultsBucket.node.defaultChild));

    // Assess
    expect(r.Properties.LifecycleConfiguration).toMatchObject({
      Rules: [expect.objectContaining({ ExpirationInDays: 1 })],
    });
  });

  it("every bucket is encrypted, blocks public access, and logs access (except the log bucket itself)", () => {
    // Prepare
    const logBucketId = id(stack.logsieve.storage.logBucket.node.defaultChild);
    // S3 access log delivery and ALB access log delivery write only to SSE-S3 buckets.
    const sseS3Ids = [logBucketId, id(stack.logsieve.storage.albLogBucket.node.defaultChild)];

    // Act
    const buckets = ofType("AWS::S3::Bucket");

    // Assess
    expect(buckets).toHaveLength(5);
    for (const [bucketId, b] of buckets) {
      const sse = (b.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] })
        .ServerSideEncryptionConfiguration[0] as { ServerSideEncryptionByDefault: { SSEAlgorithm: string } };
      expect(sse.ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
        sseS3Ids.includes(bucketId) ? "AES256" : "aws:kms",
      );
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      if (bucketId !== logBucketId) {
        expect(
          ref(
            (b.Properties.LoggingConfiguration as { DestinationBucketName: unknown }).DestinationBucketName,
          ),
        ).toBe(logBucketId);
      }
    }
  });

  it("every bucket policy denies requests without TLS", () => {
    // Act
    const policies = ofType("AWS::S3::BucketPolicy");

    // Assess
    expect(policies.map(([, p]) => ref(p.Properties.Bucket)).sort()).toEqual(
      ofType("AWS::S3::Bucket")
        .map(([bucketId]) => bucketId)
        .sort(),
    );
    for (const [, p] of policies) {
      const statements = (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "s3:*",
          Principal: { AWS: "*" },
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
  });

  it("every queue, topic and log group is encrypted with a customer key; log groups expire", () => {
    // Assess
    for (const [, q] of ofType("AWS::SQS::Queue")) expect(q.Properties.KmsMasterKeyId).toBeDefined();
    for (const [, t] of ofType("AWS::SNS::Topic")) expect(t.Properties.KmsMasterKeyId).toBeDefined();
    const logGroups = ofType("AWS::Logs::LogGroup");
    expect(logGroups.length).toBeGreaterThanOrEqual(6);
    for (const [, g] of logGroups) {
      expect(g.Properties.KmsKeyId).toBeDefined();
      expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
    }
    for (const [, k] of ofType("AWS::KMS::Key")) expect(k.Properties.EnableKeyRotation).toBe(true);
  });
});

describe("pipeline", () => {
  it("each SQS-fed function has a queue whose visibility is at least 6x its timeout, a DLQ and partial failures", () => {
    // Act
    const mappings = ofType("AWS::Lambda::EventSourceMapping");

    // Assess
    expect(mappings).toHaveLength(3);
    for (const [, m] of mappings) {
      const queue = res(ref(m.Properties.EventSourceArn) as string);
      const fn = res(ref(m.Properties.FunctionName) as string);
      const timeout = fn.Properties.Timeout as number;
      expect(queue.Properties.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
      const redrive = queue.Properties.RedrivePolicy as {
        deadLetterTargetArn: unknown;
        maxReceiveCount: number;
      };
      expect(res(ref(redrive.deadLetterTargetArn) as string).Type).toBe("AWS::SQS::Queue");
      expect(redrive.maxReceiveCount).toBeGreaterThan(1);
      expect(m.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    }
  });

  it("objects created under incoming/ (and only there) notify the ingest queue", () => {
    // Assess
    template.hasResourceProperties("Custom::S3BucketNotifications", {
      BucketName: { Ref: id(stack.logsieve.storage.rawBucket.node.defaultChild) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ["s3:ObjectCreated:*"],
            Filter: { Key: { FilterRules: [{ Name: "prefix", Value: "incoming/" }] } },
            QueueArn: { "Fn::GetAtt": [id(stack.logsieve.pipeline.ingestQueue.node.defaultChild), "Arn"] },
          },
        ],
      },
    });
  });

  it("the sweeper and the compaction run hourly, the aggregation catch-up every 15 minutes, the live figures every minute", () => {
    // Prepare
    const sweep = id(stack.logsieve.pipeline.sweep.fn.node.defaultChild);
    const aggregate = id(stack.logsieve.pipeline.aggregate.fn.node.defaultChild);
    const live = id(stack.logsieve.live.function.fn.node.defaultChild);

    // Act
    const rules = ofType("AWS::Events::Rule").map(([, r]) => ({
      schedule: r.Properties.ScheduleExpression,
      target: ref((r.Properties.Targets as { Arn: unknown }[])[0]?.Arn),
      dlq: (r.Properties.Targets as { DeadLetterConfig?: unknown }[])[0]?.DeadLetterConfig,
      input: (r.Properties.Targets as { Input?: string }[])[0]?.Input,
    }));

    // Assess
    expect(rules).toHaveLength(4);
    expect(rules).toContainEqual(
      expect.objectContaining({
        schedule: "cron(40 * * * ? *)",
        target: aggregate,
        input: '{"logsieve":"compact"}',
      }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ schedule: "cron(5 * * * ? *)", target: sweep }));
    expect(rules).toContainEqual(expect.objectContaining({ schedule: "rate(1 minute)", target: live }));
    expect(rules).toContainEqual(
      expect.objectContaining({ schedule: "rate(15 minutes)", target: aggregate }),
    );
    for (const r of rules) expect(r.dlq).toBeDefined();
  });

  it("alarms watch every dead-letter queue and every function's errors", () => {
    // Prepare
    const p = stack.logsieve.pipeline;
    const dlqNames = [p.ingestDlq, p.aggregateDlq, p.scheduledDlq, p.landingDlq].map((q) =>
      id(q.node.defaultChild),
    );
    const fnIds = ofType("AWS::Lambda::Function")
      .filter(([, f]) => String(f.Properties.Description ?? "").startsWith("logsieve"))
      .map(([fnId]) => fnId);

    // Act
    const alarms = ofType("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    const watched = (metric: string) =>
      alarms
        .filter((a) => a.MetricName === metric)
        .flatMap((a) => (a.Dimensions as { Value: unknown }[]).map((d) => ref(d.Value)));

    // Assess
    // ingest, aggregate, sweep, collect, dashboard-api, stats-api, stats-authorizer, live, land
    expect(fnIds).toHaveLength(9);
    expect(watched("ApproximateNumberOfMessagesVisible").sort()).toEqual([...dlqNames].sort());
    expect(watched("Errors").sort()).toEqual([...fnIds].sort());
    for (const a of alarms) expect((a.AlarmActions as unknown[]).length).toBe(1);
  });

  it("every function runs the latest Node.js on arm64 with the shared environment and the validated config", () => {
    // Prepare
    const expected = JSON.stringify(parseConfig(config));

    // Act
    const fns = ofType("AWS::Lambda::Function").filter(([, f]) =>
      String(f.Properties.Description ?? "").startsWith("logsieve"),
    );

    // Assess
    const authorizerId = id(stack.logsieve.statsApi.authorizer.fn.node.defaultChild);
    expect(fns.map(([fnId]) => fnId)).toContain(authorizerId);
    for (const [fnId, f] of fns) {
      const env = (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(f.Properties.Runtime).toBe("nodejs24.x");
      expect(f.Properties.Architectures).toEqual(["arm64"]);
      if (fnId === authorizerId) {
        // The key check needs the bucket of keys/ and nothing else: no configuration, no other bucket.
        expect(Object.keys(env).filter((k) => k.startsWith("LOGSIEVE_"))).toEqual([AWS_ENV.analyticsBucket]);
        continue;
      }
      expect(env[AWS_ENV.config]).toBe(expected);
      for (const name of [
        AWS_ENV.rawBucket,
        AWS_ENV.analyticsBucket,
        AWS_ENV.glueDatabase,
        AWS_ENV.logLevel,
      ]) {
        expect(env[name]).toBeDefined();
      }
    }
  });

  it("bundles with the local esbuild into working ESM handlers, with the country database where it is read", async () => {
    // Prepare
    const code = (fn: { node: { defaultChild?: unknown } }) =>
      (res(id(fn.node.defaultChild)).Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, "");
    const collectDir = join(assemblyDir, `asset.${code(stack.logsieve.collector.collect.fn)}`);
    const sweepDir = join(assemblyDir, `asset.${code(stack.logsieve.pipeline.sweep.fn)}`);

    // Act
    const collect = (await import(pathToFileURL(join(collectDir, "index.mjs")).href)) as {
      handler: (e: unknown) => Promise<{ statusCode: number }>;
    };
    const answer = await collect.handler({ rawPath: "/collect" });

    // Assess
    expect(answer.statusCode).toBe(202);
    const dbName = BUNDLED_COUNTRY_DB_PATH.replace("/var/task/", "");
    expect(existsSync(join(collectDir, dbName))).toBe(true);
    expect(readFileSync(join(collectDir, BUNDLED_TRACKER_PATH.replace("/var/task/", "")), "utf8")).toContain(
      "sendBeacon",
    );
    expect(existsSync(join(sweepDir, dbName))).toBe(false);
    expect(readFileSync(join(sweepDir, "index.mjs"), "utf8")).toContain("createRequire");
  });
});

describe("collector", () => {
  it("is an HTTP API with stage throttling and an access log that carries no IP, user agent or raw path", () => {
    // Act
    const stage = must(ofType("AWS::ApiGatewayV2::Stage")[0], "stage")[1].Properties;

    // Assess
    expect(stage.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 100,
      ThrottlingBurstLimit: 200,
    });
    const format = (stage.AccessLogSettings as { Format: string }).Format;
    expect(JSON.parse(format)).toEqual(ACCESS_LOG_FORMAT);
    expect(format).not.toMatch(/sourceIp|userAgent|identity|\$context\.path|querystring/i);
  });

  it("serves the tracker routes publicly and the dashboard data only behind the Cognito JWT authorizer", () => {
    // Act
    const routes = Object.fromEntries(
      ofType("AWS::ApiGatewayV2::Route").map(([, r]) => [
        r.Properties.RouteKey,
        r.Properties.AuthorizationType,
      ]),
    );

    // Assess
    for (const key of [
      "POST /collect",
      "GET /p.gif",
      "POST /api/event",
      "POST /api/send",
      "GET /matomo.php",
      "GET /logsieve.js",
    ]) {
      expect(routes[key]).toBe("NONE");
    }
    expect(routes["GET /api/dashboard/{proxy+}"]).toBe("JWT");
    expect(routes["POST /api/dashboard/{proxy+}"]).toBe("JWT");
  });

  it("the user pool has no self sign-up, requires MFA and has the three groups", () => {
    // Assess
    template.hasResourceProperties("AWS::Cognito::UserPool", {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: "ON",
      UserPoolTier: "PLUS",
    });
    const groups = ofType("AWS::Cognito::UserPoolGroup").map(([, g]) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(["marketing", "security", "security-lead"]);
  });

  it("signs in after one deploy: a hosted domain, TOTP only, callbacks on the API's own URL, the function told", () => {
    // Prepare
    const signIn = stack.logsieve.collector.signIn;
    const apiId = id(stack.logsieve.collector.api.node.defaultChild);
    const poolId = id(signIn.userPool.node.defaultChild);
    const clientId = id(signIn.client.node.defaultChild);
    const dashboardEnv = (
      res(id(stack.logsieve.collector.dashboardApi.fn.node.defaultChild)).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    const pageOnApi = { "Fn::Join": ["", [{ "Fn::GetAtt": [apiId, "ApiEndpoint"] }, "/dashboard/"]] };

    // Act
    const [domainId, domain] = must(ofType("AWS::Cognito::UserPoolDomain")[0], "a user-pool domain");
    const client = res(clientId).Properties;
    const pool = res(poolId).Properties;

    // Assess: a Cognito-hosted prefix derived from the stack id, managed login (which enrols TOTP on first sign-in)
    expect(ref(domain.Properties.UserPoolId)).toBe(poolId);
    expect(JSON.stringify(domain.Properties.Domain)).toContain("AWS::StackId");
    expect(domain.Properties.ManagedLoginVersion).toBe(2);
    expect(ofType("AWS::Cognito::ManagedLoginBranding")).toHaveLength(1);
    expect(pool.EnabledMfas).toEqual(["SOFTWARE_TOKEN_MFA"]);
    expect(client.AllowedOAuthFlows).toEqual(["code"]);
    expect(client.GenerateSecret).toBe(false);
    expect(client.CallbackURLs).toEqual([pageOnApi]);
    expect(client.LogoutURLs).toEqual([pageOnApi]);
    expect(JSON.stringify(client)).not.toContain("localhost");
    // The dashboard function knows the hosted domain, the client, the issuer, the identity pool and both workgroups.
    expect(JSON.stringify(dashboardEnv[AWS_ENV.cognitoDomain])).toContain(domainId);
    expect(dashboardEnv[AWS_ENV.userPoolClientId]).toEqual({ Ref: clientId });
    expect(JSON.stringify(dashboardEnv[AWS_ENV.cognitoIssuer])).toContain(poolId);
    expect(dashboardEnv[AWS_ENV.identityPoolId]).toEqual({ Ref: id(signIn.identityPool) });
    expect(dashboardEnv[AWS_ENV.athenaWorkgroup]).toBe("logsieve-marketing");
    expect(dashboardEnv[AWS_ENV.securityWorkgroup]).toBe("logsieve-security");
  });

  it("maps each group to its role, and the identity pool hands out only the token's role", () => {
    // Prepare
    const access = stack.logsieve.access;
    const roleOf = (name: string) =>
      ofType("AWS::Cognito::UserPoolGroup").find(([, g]) => g.Properties.GroupName === name)?.[1].Properties;

    // Act
    const [, attachment] = must(ofType("AWS::Cognito::IdentityPoolRoleAttachment")[0], "a role attachment");
    const [, pool] = must(ofType("AWS::Cognito::IdentityPool")[0], "an identity pool");

    // Assess
    expect(ref(roleOf("marketing")?.RoleArn)).toBe(id(access.marketingRole.node.defaultChild));
    expect(ref(roleOf("security")?.RoleArn)).toBe(id(access.securityRole.node.defaultChild));
    expect(ref(roleOf("security-lead")?.RoleArn)).toBe(id(access.securityLeadRole.node.defaultChild));
    expect(roleOf("security-lead")?.Precedence).toBeLessThan(roleOf("security")?.Precedence as number);
    expect(roleOf("security")?.Precedence).toBeLessThan(roleOf("marketing")?.Precedence as number);
    expect(pool.Properties.AllowUnauthenticatedIdentities).toBe(false);
    expect(pool.Properties.AllowClassicFlow).toBe(false);
    expect(attachment.Properties.Roles).toEqual({});
    expect(Object.values(attachment.Properties.RoleMappings as object)).toEqual([
      expect.objectContaining({ Type: "Token", AmbiguousRoleResolution: "Deny" }),
    ]);
  });
});

describe("collector events", () => {
  it("go through an encrypted Firehose stream that writes Parquet into events/dt=<day>/ against the Glue schema", () => {
    // Prepare
    const analyticsKey = id(stack.logsieve.storage.analyticsKey.node.defaultChild);
    const streamId = id(stack.logsieve.events.stream);

    // Act
    const stream = res(streamId).Properties;
    const collectEnv = (
      res(id(stack.logsieve.collector.collect.fn.node.defaultChild)).Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;

    // Assess
    expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({
      KeyType: "CUSTOMER_MANAGED_CMK",
      KeyARN: { "Fn::GetAtt": [analyticsKey, "Arn"] },
    });
    expect(stream.ExtendedS3DestinationConfiguration).toMatchObject({
      Prefix: "events/dt=!{partitionKeyFromQuery:dt}/",
      DynamicPartitioningConfiguration: { Enabled: true },
      EncryptionConfiguration: {
        KMSEncryptionConfig: { AWSKMSKeyARN: { "Fn::GetAtt": [analyticsKey, "Arn"] } },
      },
      DataFormatConversionConfiguration: {
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { HiveJsonSerDe: { TimestampFormats: ["millis"] } } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: "SNAPPY" } } },
        SchemaConfiguration: { DatabaseName: "logsieve", TableName: "events" },
      },
    });
    expect(collectEnv[AWS_ENV.eventsDeliveryStream]).toEqual({ Ref: streamId });
  });
});

describe("query", () => {
  it("the workgroups enforce their configuration, KMS-encrypted results and a scan cutoff", () => {
    // Act
    const wgs: Record<string, Record<string, unknown>> = Object.fromEntries(
      ofType("AWS::Athena::WorkGroup").map(([, w]) => [w.Properties.Name, w.Properties]),
    );
    const wg = (name: string) => must(wgs[name], name);

    // Assess
    expect(Object.keys(wgs).sort()).toEqual(["logsieve-marketing", "logsieve-pipeline", "logsieve-security"]);
    for (const w of Object.values(wgs)) {
      expect(w.WorkGroupConfiguration).toMatchObject({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: expect.any(Number),
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: "SSE_KMS", KmsKey: expect.anything() },
        },
      });
    }
    expect(
      (wg("logsieve-marketing").WorkGroupConfiguration as { BytesScannedCutoffPerQuery: number })
        .BytesScannedCutoffPerQuery,
    ).toBe(5 * 1024 ** 3);
    // Security results are encrypted with the raw key: whoever reads them must be allowed full IPs.
    const securityKey = (
      wg("logsieve-security").WorkGroupConfiguration as {
        ResultConfiguration: { EncryptionConfiguration: { KmsKey: unknown } };
      }
    ).ResultConfiguration.EncryptionConfiguration.KmsKey;
    expect(ref(securityKey)).toBe(id(stack.logsieve.storage.rawKey.node.defaultChild));
  });

  it("the Glue tables have the zone schemas' columns and partition projection on dt (and hour where hourly)", () => {
    // Act
    const tables = Object.fromEntries(
      ofType("AWS::Glue::Table").map(([, t]) => {
        const input = t.Properties.TableInput as {
          Name: string;
          Parameters: Record<string, unknown>;
          PartitionKeys: { Name: string }[];
          StorageDescriptor: { Columns: { Name: string; Type: string }[] };
        };
        return [input.Name, input];
      }),
    );

    // Assess
    const glue = {
      timestamp_ms: "timestamp",
      int64: "bigint",
      int32: "int",
      double: "double",
      boolean: "boolean",
    };
    for (const schema of [EVENTS_SCHEMA, SECURITY_SCHEMA, REJECTS_SCHEMA]) {
      expect(tables[schema.name]?.StorageDescriptor.Columns).toEqual(
        schema.columns.map((c) => ({
          Name: c.name,
          Type: (glue as Record<string, string>)[c.type] ?? "string",
        })),
      );
    }
    expect(tables.security?.PartitionKeys.map((k) => k.Name)).toEqual(["dt", "hour"]);
    expect(tables.security?.Parameters).toMatchObject({
      "projection.enabled": "true",
      "projection.dt.type": "date",
      "projection.dt.format": "yyyy-MM-dd",
      "projection.dt.range": "NOW-8DAYS,NOW",
      "projection.hour.type": "integer",
      "projection.hour.range": "0,23",
      "projection.hour.digits": "2",
      "storage.location.template": {
        "Fn::Join": [
          "",
          [
            "s3://",
            { Ref: id(stack.logsieve.storage.rawBucket.node.defaultChild) },
            `/security/dt=${DOLLAR}{dt}/hour=${DOLLAR}{hour}/`,
          ],
        ],
      },
    });
    expect(tables.events?.PartitionKeys.map((k) => k.Name)).toEqual(["dt"]);
    expect(tables.events?.Parameters["projection.dt.range"]).toBe("NOW-61DAYS,NOW");
    expect(tables.stats_pages?.Parameters["projection.dt.range"]).toBe("NOW-26MONTHS,NOW");
    expect(Object.keys(tables).filter((n) => n.startsWith("stats_")).length).toBeGreaterThanOrEqual(10);
  });

  it("every queries/ file becomes a named query in its area's workgroup", () => {
    // Act
    const named = Object.fromEntries(
      ofType("AWS::Athena::NamedQuery").map(([, q]) => [q.Properties.Name, q.Properties.WorkGroup]),
    );

    // Assess
    expect(named).toEqual({
      "cli.ping": "logsieve-marketing",
      "dashboard.visitors": "logsieve-marketing",
      "security.top-talkers": "logsieve-security",
    });
  });
});
