import type { CfnElement, Stack } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { type Decision, IamSimulator, type Template } from "./helpers/iam-sim.ts";
import { synthLogsieve } from "./helpers/synth.ts";

/**
 * Offline IAM simulation over the synthesized policies (identity policies of every role, bucket policies and key
 * policies). Every (role, action, resource) checked is printed, with its decision.
 */

interface Check {
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly decision: Decision;
}

let sim: IamSimulator;
let ids: {
  marketing: string;
  security: string;
  lead: string;
  ingest: string;
  collect: string;
  dashboard: string;
  aggregate: string;
  sweep: string;
  raw: string;
  analytics: string;
  rawKey: string;
  analyticsKey: string;
  shipper: string;
};
const checked: Check[] = [];

function logicalId(stack: Stack, element: unknown): string {
  return stack.resolve(stack.getLogicalId(element as CfnElement)) as string;
}

function check(
  role: string,
  action: string,
  resource: string,
  opts: { identityOnly?: boolean } = {},
): Decision {
  const decision = sim.evaluate(role, { action, resource }, opts);
  checked.push({ role: opts.identityOnly ? `${role} (identity only)` : role, action, resource, decision });
  return decision;
}

const obj = (bucketId: string, key: string) => `${sim.arnOf(bucketId)}/${key}`;

beforeAll(() => {
  // Prepare
  const { stack, template } = synthLogsieve();
  const s = stack as LogsieveStack;
  const l = s.logsieve;
  const roleOf = (r: { node: { defaultChild?: unknown } }) => logicalId(s, r.node.defaultChild);
  ids = {
    marketing: roleOf(l.access.marketingRole),
    security: roleOf(l.access.securityRole),
    lead: roleOf(l.access.securityLeadRole),
    ingest: roleOf(l.pipeline.ingest.role),
    aggregate: roleOf(l.pipeline.aggregate.role),
    sweep: roleOf(l.pipeline.sweep.role),
    collect: roleOf(l.collector.collect.role),
    dashboard: roleOf(l.collector.dashboardApi.role),
    raw: logicalId(s, l.storage.rawBucket.node.defaultChild),
    analytics: logicalId(s, l.storage.analyticsBucket.node.defaultChild),
    rawKey: logicalId(s, l.storage.rawKey.node.defaultChild),
    analyticsKey: logicalId(s, l.storage.analyticsKey.node.defaultChild),
    shipper: logicalId(s, l.access.logShipperPolicy.node.defaultChild),
  };
  sim = new IamSimulator(template.toJSON() as Template);
});

afterAll(() => {
  // The record of what was simulated: every (role, action, resource) with its decision.
  const table = checked
    .map((c) => `${c.decision.padEnd(13)} ${c.role}  ${c.action}  ${c.resource}`)
    .join("\n");
  console.log(`IAM simulation: ${checked.length} checks\n${table}`);
});

describe("MarketingAnalyst", () => {
  it("is denied every object outside stats/ and the raw key", () => {
    // Act
    const decisions = [
      ["s3:GetObject", obj(ids.raw, "incoming/cloudfront/E1.2026-11-20-13.abc.gz")],
      ["s3:GetObject", obj(ids.raw, "security/dt=2026-11-20/hour=13/in-0000.parquet")],
      ["s3:GetObject", obj(ids.raw, "rejects/dt=2026-11-20/hour=13/in-0000.parquet")],
      ["s3:GetObject", obj(ids.raw, "evidence/incident=INC-1/records.parquet")],
      ["s3:GetObject", obj(ids.analytics, "events/dt=2026-11-20/in-0000.parquet")],
      ["s3:GetObject", obj(ids.analytics, "salts/2026-11-20.bin")],
      ["kms:Decrypt", sim.arnOf(ids.rawKey)],
    ].map(([action, resource]) => check(ids.marketing, action as string, resource as string));

    // Assess: no grant, and for the raw zone (the first four and the raw key) the bucket and key policies deny it
    // explicitly besides.
    expect(decisions).toEqual([
      ...Array(4).fill("explicit-deny"),
      "implicit-deny",
      "implicit-deny",
      "explicit-deny",
    ]);
  });

  it("may read the stats rollups (the simulator can say yes)", () => {
    // Act
    const stats = check(
      ids.marketing,
      "s3:GetObject",
      obj(ids.analytics, "stats/pages/dt=2026-11-20/x.parquet"),
    );
    const key = check(ids.marketing, "kms:Decrypt", sim.arnOf(ids.analyticsKey));

    // Assess
    expect([stats, key]).toEqual(["allowed", "allowed"]);
  });
});

describe("legal holds and retention", () => {
  it("only SecurityLead may place a legal hold, of every role in the template", () => {
    // Prepare
    const evidence = obj(ids.raw, "evidence/incident=INC-1/records.parquet");

    // Act
    const allowed = sim
      .roles()
      .filter((role) => check(role, "s3:PutObjectLegalHold", evidence) === "allowed");

    // Assess
    expect(allowed).toEqual([ids.lead]);
  });

  it("no role may bypass governance retention or set a retention period, whatever its identity policy", () => {
    // Prepare
    const targets = [
      obj(ids.raw, "evidence/incident=INC-1/records.parquet"),
      obj(ids.raw, "security/x.parquet"),
    ];

    // Act
    const decisions = sim.roles().flatMap((role) =>
      targets.flatMap((resource) => [
        { role, how: "effective", d: check(role, "s3:BypassGovernanceRetention", resource) },
        { role, how: "effective", d: check(role, "s3:PutObjectRetention", resource) },
        {
          role,
          how: "identity",
          d: check(role, "s3:BypassGovernanceRetention", resource, { identityOnly: true }),
        },
      ]),
    );

    // Assess: the bucket policy denies it explicitly, and no identity policy grants it in the first place.
    expect(decisions.filter((x) => x.how === "effective").every((x) => x.d === "explicit-deny")).toBe(true);
    expect(decisions.filter((x) => x.how === "identity").every((x) => x.d === "implicit-deny")).toBe(true);
  });
});

describe("SecurityAnalyst and SecurityLead", () => {
  it("the analyst reads the seven-day zones but not evidence, and cannot hold", () => {
    // Act
    const security = check(
      ids.security,
      "s3:GetObject",
      obj(ids.raw, "security/dt=2026-11-20/hour=13/x.parquet"),
    );
    const incoming = check(ids.security, "s3:GetObject", obj(ids.raw, "incoming/x.gz"));
    const rawKey = check(ids.security, "kms:Decrypt", sim.arnOf(ids.rawKey));
    const evidence = check(ids.security, "s3:GetObject", obj(ids.raw, "evidence/incident=INC-1/x.parquet"));
    const hold = check(
      ids.security,
      "s3:PutObjectLegalHold",
      obj(ids.raw, "evidence/incident=INC-1/x.parquet"),
    );
    const events = check(ids.security, "s3:GetObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet"));

    // Assess
    expect([security, incoming, rawKey]).toEqual(["allowed", "allowed", "allowed"]);
    expect([evidence, hold, events]).toEqual(["implicit-deny", "implicit-deny", "implicit-deny"]);
  });

  it("the lead reads evidence and lifts holds", () => {
    // Act
    const read = check(ids.lead, "s3:GetObject", obj(ids.raw, "evidence/incident=INC-1/x.parquet"));
    const getHold = check(
      ids.lead,
      "s3:GetObjectLegalHold",
      obj(ids.raw, "evidence/incident=INC-1/x.parquet"),
    );

    // Assess
    expect([read, getHold]).toEqual(["allowed", "allowed"]);
  });
});

describe("function roles (a full IP reaches only the security zone)", () => {
  it("only ingest may write security/ and rejects/", () => {
    // Act
    const writers = sim
      .roles()
      .filter(
        (role) =>
          check(role, "s3:PutObject", obj(ids.raw, "security/dt=2026-11-20/hour=13/x.parquet")) ===
            "allowed" ||
          check(role, "s3:PutObject", obj(ids.raw, "rejects/dt=2026-11-20/hour=13/x.parquet")) === "allowed",
      );

    // Assess
    expect(writers).toEqual([ids.ingest]);
  });

  it("the collector, aggregator and dashboard API can read nothing in the raw bucket", () => {
    // Act
    const decisions = [ids.collect, ids.aggregate, ids.dashboard].flatMap((role) => [
      check(role, "s3:GetObject", obj(ids.raw, "security/x.parquet")),
      check(role, "s3:GetObject", obj(ids.raw, "incoming/x.gz")),
      check(role, "kms:Decrypt", sim.arnOf(ids.rawKey)),
    ]);

    // Assess: denied by the bucket and key policies of the raw zone, whatever the role's own policy says.
    expect(decisions.every((d) => d === "explicit-deny")).toBe(true);
  });

  it("the dashboard API's own role reads nothing: it reads with the signed-in person's role", () => {
    // Act
    const stats = check(
      ids.dashboard,
      "s3:GetObject",
      obj(ids.analytics, "stats/totals/dt=2026-11-20/x.parquet"),
    );
    const events = check(ids.dashboard, "s3:GetObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet"));
    const salts = check(ids.dashboard, "s3:GetObject", obj(ids.analytics, "salts/2026-11-20.bin"));
    const athena = check(
      ids.dashboard,
      "athena:StartQueryExecution",
      `arn:aws:athena:eu-central-1:111111111111:workgroup/logsieve-marketing`,
    );

    // Assess
    expect([stats, events, salts, athena]).toEqual([
      "implicit-deny",
      "implicit-deny",
      "implicit-deny",
      "implicit-deny",
    ]);
  });

  it("the sweeper deletes expired versions and released evidence, but never the hold audit trail", () => {
    // Act
    const security = check(ids.sweep, "s3:DeleteObjectVersion", obj(ids.raw, "security/x.parquet"));
    const evidence = check(
      ids.sweep,
      "s3:DeleteObjectVersion",
      obj(ids.raw, "evidence/incident=INC-1/x.parquet"),
    );
    const oldRun = check(
      ids.sweep,
      "s3:DeleteObjectVersion",
      obj(ids.raw, "evidence/audit/sweeps/dt=2024-01-01/r.json"),
    );
    const holdAudit = check(
      ids.sweep,
      "s3:DeleteObjectVersion",
      obj(ids.raw, "evidence/audit/holds/dt=2026-11-20/e.json"),
    );
    const placeHold = check(
      ids.sweep,
      "s3:PutObjectLegalHold",
      obj(ids.raw, "evidence/incident=INC-1/x.parquet"),
    );

    // Assess: a version still under legal hold is protected by the hold itself, which the sweeper cannot lift; the
    // hold audit trail is protected by the bucket policy, whatever any identity policy says.
    expect([security, evidence, oldRun]).toEqual(["allowed", "allowed", "allowed"]);
    expect([holdAudit, placeHold]).toEqual(["explicit-deny", "implicit-deny"]);
  });

  it("the collector writes no object into events/ itself (Firehose does) and only creates salts", () => {
    // Act
    const events = check(ids.collect, "s3:PutObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet"));
    const salt = check(ids.collect, "s3:PutObject", obj(ids.analytics, "salts/2026-11-20.bin"));

    // Assess
    expect([events, salt]).toEqual(["implicit-deny", "allowed"]);
  });
});

describe("LogShipper (attached to a host's user or instance role)", () => {
  const viaS3 = () => ({
    "kms:ViaService": "s3.eu-central-1.amazonaws.com",
    "kms:EncryptionContext:aws:s3:arn": sim.arnOf(ids.raw),
  });
  const shipper = (action: string, resource: string, context?: Record<string, string>) => {
    const decision = sim.evaluateManagedPolicy(ids.shipper, {
      action,
      resource,
      ...(context ? { context } : {}),
    });
    checked.push({ role: "LogShipper policy", action, resource, decision });
    return decision;
  };

  it("may upload into incoming/ in parts with SSE-KMS: the object, the data key, and decrypting it through S3", () => {
    // Prepare: what `aws s3 cp` and `logsieve ship` need for a file above the multipart threshold
    const object = obj(ids.raw, "incoming/site=example.com/web1/2f0c-access.log.1.gz");

    // Act
    const decisions = [
      shipper("s3:PutObject", object), // CreateMultipartUpload, UploadPart, CompleteMultipartUpload
      shipper("s3:AbortMultipartUpload", object),
      shipper("kms:GenerateDataKey", sim.arnOf(ids.rawKey), viaS3()),
      shipper("kms:Decrypt", sim.arnOf(ids.rawKey), viaS3()),
    ];

    // Assess
    expect(decisions).toEqual(["allowed", "allowed", "allowed", "allowed"]);
  });

  it("grants only those four actions, on incoming/ of the raw bucket and the raw key, with no wildcard or Not*", () => {
    // Act: every (effect, action, resource) the policy document names
    const statements = sim.managedPolicyStatements(ids.shipper);
    const grants = statements
      .flatMap((s) =>
        [s.Action ?? []].flat().flatMap((a) => [s.Resource ?? []].flat().map((r) => `${s.Effect} ${a} ${r}`)),
      )
      .sort();

    // Assess
    expect(statements.filter((s) => s.NotAction !== undefined || s.NotResource !== undefined)).toEqual([]);
    expect(grants).toEqual([
      `Allow kms:Decrypt ${sim.arnOf(ids.rawKey)}`,
      `Allow kms:GenerateDataKey ${sim.arnOf(ids.rawKey)}`,
      `Allow s3:AbortMultipartUpload ${obj(ids.raw, "incoming/*")}`,
      `Allow s3:PutObject ${obj(ids.raw, "incoming/*")}`,
    ]);
  });

  it("may do nothing else: read, list, delete, hold, other zones or buckets, or use the key outside S3", () => {
    // Act
    const decisions = [
      shipper("s3:GetObject", obj(ids.raw, "incoming/site=example.com/web1/a.log")),
      shipper("s3:GetObjectVersion", obj(ids.raw, "incoming/site=example.com/web1/a.log")),
      shipper("s3:DeleteObject", obj(ids.raw, "incoming/site=example.com/web1/a.log")),
      shipper("s3:ListBucket", sim.arnOf(ids.raw), { "s3:prefix": "incoming/" }),
      shipper("s3:ListMultipartUploadParts", obj(ids.raw, "incoming/a.log")),
      shipper("s3:PutObjectLegalHold", obj(ids.raw, "incoming/a.log")),
      shipper("s3:PutObject", obj(ids.raw, "security/dt=2026-11-20/hour=13/x.parquet")),
      shipper("s3:PutObject", obj(ids.raw, "evidence/incident=INC-1/x.parquet")),
      shipper("s3:PutObject", obj(ids.analytics, "events/dt=2026-11-20/x.parquet")),
      shipper("kms:Decrypt", sim.arnOf(ids.rawKey)), // a direct call, not through S3
      shipper("kms:Decrypt", sim.arnOf(ids.rawKey), {
        ...viaS3(),
        "kms:EncryptionContext:aws:s3:arn": sim.arnOf(ids.analytics),
      }),
      shipper("kms:GenerateDataKey", sim.arnOf(ids.analyticsKey), viaS3()),
      shipper("kms:Encrypt", sim.arnOf(ids.rawKey), viaS3()),
    ];

    // Assess
    expect(decisions.filter((d) => d !== "implicit-deny" && d !== "explicit-deny")).toEqual([]);
  });
});
