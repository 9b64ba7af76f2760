import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CfnElement, Stack } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_QUERIES, type DashboardQuery } from "../../functions/core/dashboard/queries.ts";
import type { DashboardRole } from "../../functions/core/dashboard/roles.ts";
import { ADDRESS_LOOKUP_TABLE, lookupObjectKey } from "../../functions/core/security/address-lookup.ts";
import { lakeTables } from "../../infra/constructs/lake-tables.ts";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { ACCOUNT, IamSimulator, REGION, type Request, type Template } from "./helpers/iam-sim.ts";
import { ROOT, synthLogsieve } from "./helpers/synth.ts";

/**
 * Who can do what, by role, evaluated offline over the synthesized policies (identity, bucket and key policies):
 * - every dashboard route × role: what the route asks of AWS when the dashboard serves it with the signed-in
 *   person's role (Athena in the route's workgroup, the Glue tables and S3 objects its query reads, the results,
 *   the lookups, the evidence and the audit trail of a hold), and whether IAM lets that role do all of it; the
 *   Stats API's panels (`POST /api/dashboard/stats`, `.csv`) are served by the stats-api function with its own
 *   role (filters read events/, which no person's role may), so IAM is asked about that role there and the
 *   person's group decides by the function's check;
 * - the raw zone read only by the pipeline and the security roles, whatever any other principal's identity policy
 *   says (an administrator with `*` on `*` is added to the template for that);
 * - the legal-hold audit trail: nobody deletes or overwrites an event, the SecurityLead included;
 * - every grant to an AWS service names its source.
 * Each decision is printed as a table.
 */

const ADMIN = "TestAdministratorWithStarOnStar";

let sim: IamSimulator;
let template: Template;
let ids: Record<
  | "marketing"
  | "security"
  | "lead"
  | "shipper"
  | "ingest"
  | "aggregate"
  | "sweep"
  | "collect"
  | "dashboard"
  | "statsApi"
  | "raw"
  | "analytics"
  | "results"
  | "rawKey"
  | "analyticsKey"
  | "queryKey",
  string
>;
let workgroups: Record<"marketing" | "security" | "pipeline", { name: string; resultKey: string }>;
const printed: string[] = [];

function logicalId(stack: Stack, element: unknown): string {
  return stack.resolve(stack.getLogicalId(element as CfnElement)) as string;
}

const obj = (bucketId: string, key: string) => `${sim.arnOf(bucketId)}/${key}`;
const wgArn = (name: string) => `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${name}`;
const tableArn = (table: string) => `arn:aws:glue:${REGION}:${ACCOUNT}:table/logsieve/${table}`;

beforeAll(() => {
  // Prepare
  const { stack, template: synthesized } = synthLogsieve();
  const s = stack as LogsieveStack;
  const l = s.logsieve;
  const roleOf = (r: { node: { defaultChild?: unknown } }) => logicalId(s, r.node.defaultChild);
  ids = {
    marketing: roleOf(l.access.marketingRole),
    security: roleOf(l.access.securityRole),
    lead: roleOf(l.access.securityLeadRole),
    shipper: roleOf(l.access.logShipperRole),
    ingest: roleOf(l.pipeline.ingest.role),
    aggregate: roleOf(l.pipeline.aggregate.role),
    sweep: roleOf(l.pipeline.sweep.role),
    collect: roleOf(l.collector.collect.role),
    dashboard: roleOf(l.collector.dashboardApi.role),
    statsApi: roleOf(l.statsApi.function.role),
    raw: logicalId(s, l.storage.rawBucket.node.defaultChild),
    analytics: logicalId(s, l.storage.analyticsBucket.node.defaultChild),
    results: logicalId(s, l.storage.resultsBucket.node.defaultChild),
    rawKey: logicalId(s, l.storage.rawKey.node.defaultChild),
    analyticsKey: logicalId(s, l.storage.analyticsKey.node.defaultChild),
    queryKey: logicalId(s, l.storage.queryKey.node.defaultChild),
  };
  const workgroupOf = (spec: (typeof l.query.workgroups)["marketing"]) => ({
    name: spec.name,
    resultKey: logicalId(s, spec.resultKey.node.defaultChild),
  });
  workgroups = {
    marketing: workgroupOf(l.query.workgroups.marketing),
    security: workgroupOf(l.query.workgroups.security),
    pipeline: workgroupOf(l.query.workgroups.pipeline),
  };
  template = synthesized.toJSON() as Template;
  // An administrator of the account: every action on every resource in its identity policy.
  template.Resources[ADMIN] = {
    Type: "AWS::IAM::Role",
    Properties: {
      Policies: [{ PolicyDocument: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
    },
  };
  sim = new IamSimulator(template);
});

afterAll(() => {
  console.log(printed.join("\n\n"));
});

// --- dashboard routes × roles -------------------------------------------------------------------------------------

const DAY = "2026-11-20";
const ROLES: readonly DashboardRole[] = ["marketing", "security", "security-lead"];

/** The tables a query file reads (FROM and JOIN), as the Glue catalog names them. */
function tablesOf(query: Pick<DashboardQuery, "queryId">): string[] {
  const sql = readFileSync(resolve(ROOT, "queries", `${query.queryId}.sql`), "utf8").replace(/--.*$/gm, "");
  const known = new Set([...lakeTables().map((t) => t.tableName), ADDRESS_LOOKUP_TABLE]);
  const named = [...sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]+)/gi)].map((m) => (m[1] ?? "").toLowerCase());
  return [...new Set(named.filter((t) => known.has(t)))].sort();
}

/** What Athena does, as the caller, to run one statement in a workgroup that reads `tables`. */
function athenaRequests(view: "marketing" | "security" | "pipeline", tables: readonly string[]): Request[] {
  const wg = workgroups[view].name;
  const resultKey = workgroups[view].resultKey;
  const result = obj(ids.results, `${view}/0a1b2c3d.csv`);
  const requests: Request[] = [
    ...["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"].map((action) => ({
      action,
      resource: wgArn(wg),
    })),
    { action: "s3:PutObject", resource: result },
    { action: "s3:GetObject", resource: result },
    { action: "kms:GenerateDataKey", resource: sim.arnOf(resultKey) },
    { action: "kms:Decrypt", resource: sim.arnOf(resultKey) },
  ];
  for (const table of tables) {
    requests.push({ action: "glue:GetTable", resource: tableArn(table) });
    if (table === ADDRESS_LOOKUP_TABLE) {
      const key = lookupObjectKey("0123456789abcdef0123456789abcdef");
      requests.push({ action: "s3:GetObject", resource: obj(ids.raw, key) });
      continue;
    }
    const spec = lakeTables().find((t) => t.tableName === table);
    if (spec === undefined) throw new Error(`no table ${table}`);
    const bucket = spec.bucket === "raw" ? ids.raw : ids.analytics;
    const partition = `${spec.prefix}dt=${DAY}/${spec.hourly ? "hour=13/" : ""}`;
    requests.push(
      {
        action: "s3:ListBucket",
        resource: sim.arnOf(bucket),
        context: { "s3:prefix": partition },
      },
      { action: "s3:GetObject", resource: obj(bucket, `${partition}in-0000.parquet`) },
      { action: "kms:Decrypt", resource: sim.arnOf(spec.bucket === "raw" ? ids.rawKey : ids.analyticsKey) },
    );
  }
  return requests;
}

/** Writing and removing the address lookup of a query that looks for an address. */
function lookupRequests(): Request[] {
  const key = obj(ids.raw, lookupObjectKey("0123456789abcdef0123456789abcdef"));
  return [
    { action: "s3:PutObject", resource: key },
    { action: "kms:GenerateDataKey", resource: sim.arnOf(ids.rawKey) },
    { action: "s3:DeleteObjectVersion", resource: key },
  ];
}

interface Route {
  readonly route: string;
  /**
   * The dashboard capability the API demands (core/dashboard/roles.ts); `nobody`: a read no person's role may make
   * (events/: the filtered panels read it only through the stats-api function).
   */
  readonly capability: "marketing" | "security" | "holds" | "nobody";
  /** Whose rights the requests are made with: the signed-in person's role, or the stats-api function's own. */
  readonly reader: "person" | "stats-api";
  readonly requests: readonly Request[];
}

function routes(): Route[] {
  const out: Route[] = [];
  for (const query of DASHBOARD_QUERIES) {
    const tables = tablesOf(query);
    const requests = [
      ...athenaRequests(query.capability, tables),
      ...(tables.includes(ADDRESS_LOOKUP_TABLE) ? lookupRequests() : []),
    ];
    out.push({
      route: `GET /api/dashboard/query/${query.name}`,
      capability: query.capability,
      reader: "person",
      requests,
    });
    out.push({
      route: `GET /api/dashboard/export/${query.name}.csv`,
      capability: query.capability,
      reader: "person",
      requests,
    });
  }
  // The Stats API's panels, served by the stats-api function with its own role: without filters the visit,
  // entry/exit page, goal and property rollups in stats/ (marketing workgroup), with filters events/ and goals/
  // through the k-checked stats.* files (pipeline workgroup).
  const statsPanels = [
    "dashboard.visits",
    "dashboard.entryPages",
    "dashboard.exitPages",
    "dashboard.goals",
    "dashboard.props",
  ].flatMap((queryId) => tablesOf({ queryId }));
  const filtered = ["stats.events", "stats.visits", "stats.goals"].flatMap((queryId) =>
    tablesOf({ queryId }),
  );
  for (const route of ["POST /api/dashboard/stats", "POST /api/dashboard/stats.csv"]) {
    out.push({
      route,
      capability: "marketing",
      reader: "stats-api",
      requests: athenaRequests("marketing", [...new Set(statsPanels)].sort()),
    });
    out.push({
      route: `${route} (filtered)`,
      capability: "marketing",
      reader: "stats-api",
      requests: athenaRequests("pipeline", [...new Set(filtered)].sort()),
    });
  }
  // The live panel: the live function's snapshot in stats/live/, read from S3 (apps/live/read.ts).
  out.push({
    route: "GET /api/dashboard/live",
    capability: "marketing",
    reader: "person",
    requests: [
      { action: "s3:GetObject", resource: obj(ids.analytics, `stats/live/dt=${DAY}/live.json`) },
      { action: "kms:Decrypt", resource: sim.arnOf(ids.analyticsKey) },
    ],
  });
  // The same filtered reads with a person's role, which no route makes: IAM refuses every person events/.
  out.push({
    route: "(events/ read with a person's role)",
    capability: "nobody",
    reader: "person",
    requests: athenaRequests("marketing", [...new Set(filtered)].sort()),
  });
  const incident = "evidence/incident=INC-7";
  out.push({
    route: "GET /api/dashboard/holds",
    capability: "holds",
    reader: "person",
    requests: [
      {
        action: "s3:ListBucketVersions",
        resource: sim.arnOf(ids.raw),
        context: { "s3:prefix": "evidence/" },
      },
      { action: "s3:GetObject", resource: obj(ids.raw, `${incident}/manifest.json`) },
      { action: "kms:Decrypt", resource: sim.arnOf(ids.rawKey) },
    ],
  });
  const auditKey = obj(
    ids.raw,
    `evidence/audit/holds/dt=${DAY}/20261120T130000.000Z-hold-created-INC-7-000.json`,
  );
  out.push({
    route: "POST /api/dashboard/holds",
    capability: "holds",
    reader: "person",
    requests: [
      // Which addresses of the window match (a SELECT DISTINCT in the security workgroup), their lookup, and the
      // UNLOAD of their records into the incident's folder.
      ...athenaRequests("security", ["security", ADDRESS_LOOKUP_TABLE]),
      ...lookupRequests(),
      { action: "s3:ListBucket", resource: sim.arnOf(ids.raw), context: { "s3:prefix": `${incident}/` } },
      { action: "s3:PutObject", resource: obj(ids.raw, `${incident}/records/20261120_abc`) },
      { action: "s3:PutObjectLegalHold", resource: obj(ids.raw, `${incident}/records/20261120_abc`) },
      { action: "s3:GetObject", resource: obj(ids.raw, `${incident}/records/20261120_abc`) },
      { action: "s3:PutObject", resource: obj(ids.raw, `${incident}/manifest.json`) },
      { action: "s3:PutObjectLegalHold", resource: obj(ids.raw, `${incident}/manifest.json`) },
      { action: "s3:PutObject", resource: auditKey, context: { "s3:if-none-match": "*" } },
      {
        action: "s3:PutObjectRetention",
        resource: auditKey,
        context: { "s3:object-lock-mode": "COMPLIANCE" },
      },
      { action: "kms:GenerateDataKey", resource: sim.arnOf(ids.rawKey) },
    ],
  });
  return out;
}

function may(role: DashboardRole, capability: Route["capability"]): boolean {
  if (capability === "nobody") return false;
  if (capability === "marketing") return true;
  if (capability === "security") return role !== "marketing";
  return role === "security-lead";
}

describe("every dashboard route × role, as IAM decides with the signed-in person's role", () => {
  it("grants each role exactly its routes: marketing is denied every security and hold route", () => {
    // Prepare
    const roleIds: Record<DashboardRole, string> = {
      marketing: ids.marketing,
      security: ids.security,
      "security-lead": ids.lead,
    };
    const all = routes();

    // Act
    const rows = all.map((r) => {
      const decisions = ROLES.map((role) => {
        // Served by the stats-api function: IAM asks about its role; the person's group is the function's check.
        const principal = r.reader === "stats-api" ? ids.statsApi : roleIds[role];
        const denied = r.requests
          .map((request) => ({ request, d: sim.evaluate(principal, request) }))
          .filter((x) => x.d !== "allowed");
        const checked = r.reader === "person" || may(role, r.capability);
        return { role, allowed: denied.length === 0 && checked, firstDenied: denied[0] };
      });
      return { ...r, decisions };
    });
    printed.push(
      [
        `Dashboard routes × roles (${all.length} routes; a route is allowed when IAM allows every request it makes):`,
        `${"route".padEnd(52)} ${"needs".padEnd(10)} ${"reads as".padEnd(10)} ${ROLES.map((r) => r.padEnd(14)).join("")}`,
        ...rows.map(
          (r) =>
            `${r.route.padEnd(52)} ${r.capability.padEnd(10)} ${r.reader.padEnd(10)} ${r.decisions
              .map((d) => (d.allowed ? "allowed" : `DENIED`).padEnd(14))
              .join("")}${r.decisions
              .filter((d) => !d.allowed)
              .map((d) => `  [${d.role}: ${d.firstDenied?.d} ${d.firstDenied?.request.action}]`)
              .join("")}`,
        ),
      ].join("\n"),
    );

    // Assess
    expect(rows.filter((r) => r.capability === "security").length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(
        r.decisions.map((d) => d.allowed),
        r.route,
      ).toEqual(ROLES.map((role) => may(role, r.capability)));
    }
  });

  it("the dashboard function's own role can do none of it", () => {
    // Act
    const allowed = routes()
      .flatMap((r) => r.requests)
      .filter((request) => sim.evaluate(ids.dashboard, request) === "allowed");

    // Assess
    expect(allowed).toEqual([]);
  });
});

// --- raw zone: deny by default -------------------------------------------------------------------------------------

describe("the raw zone (full addresses) is read only by the pipeline and the security roles", () => {
  it("no other role reads an object, lists the bucket or decrypts with the raw key, an administrator included", () => {
    // Prepare
    const requests: Request[] = [
      ...["incoming/site=example.com/a.log", "security/dt=2026-11-20/hour=13/a.parquet"].map((key) => ({
        action: "s3:GetObject",
        resource: obj(ids.raw, key),
      })),
      ...["rejects/dt=2026-11-20/hour=13/a.parquet", "evidence/incident=INC-1/records.parquet"].map(
        (key) => ({
          action: "s3:GetObjectVersion",
          resource: obj(ids.raw, key),
        }),
      ),
      { action: "s3:GetObject", resource: obj(ids.raw, lookupObjectKey("0123456789abcdef0123456789abcdef")) },
      { action: "s3:ListBucket", resource: sim.arnOf(ids.raw), context: { "s3:prefix": "security/" } },
      { action: "kms:Decrypt", resource: sim.arnOf(ids.rawKey) },
    ];
    const readers = new Set([ids.ingest, ids.sweep, ids.security, ids.lead]);

    // Act
    const table = [...sim.roles(), ADMIN].map((role) => ({
      role,
      decisions: requests.map((r) => sim.evaluate(role, r)),
    }));
    printed.push(
      [
        "Raw zone reads by role (GetObject incoming, security; GetObjectVersion rejects, evidence; GetObject lookup; ListBucket; kms:Decrypt):",
        ...table.map((t) => `${t.role.padEnd(64)} ${t.decisions.map((d) => d.padEnd(14)).join("")}`),
      ].join("\n"),
    );

    // Assess: nobody outside the four reads anything; the administrator's `*` meets an explicit deny; the log
    // shipper may use the key (multipart uploads need Decrypt) but read no object.
    for (const t of table) {
      if (readers.has(t.role)) continue;
      const objectReads = t.decisions.slice(0, -1);
      expect(
        objectReads.every((d) => d !== "allowed"),
        t.role,
      ).toBe(true);
      if (t.role !== ids.shipper) expect(t.decisions.at(-1), t.role).not.toBe("allowed");
    }
    expect(table.find((t) => t.role === ADMIN)?.decisions).toEqual(
      Array(requests.length).fill("explicit-deny"),
    );
    // Positive controls: the evaluator says yes where a reader has a grant.
    expect(sim.evaluate(ids.security, requests[1] as Request)).toBe("allowed");
    expect(sim.evaluate(ids.ingest, requests[0] as Request)).toBe("allowed");
    expect(sim.evaluate(ids.lead, requests[3] as Request)).toBe("allowed");
  });

  it("no other role writes security/, rejects/, evidence/ or lookups/, and only the pipeline deletes there", () => {
    // Prepare
    const writes: Request[] = [
      "security/x.parquet",
      "rejects/x.parquet",
      "evidence/incident=I/x",
      "lookups/x",
    ].map((key) => ({ action: "s3:PutObject", resource: obj(ids.raw, key) }));

    // Act
    const adminWrites = writes.map((r) => sim.evaluate(ADMIN, r));
    const adminDeletesIncoming = sim.evaluate(ADMIN, {
      action: "s3:DeleteObjectVersion",
      resource: obj(ids.raw, "incoming/a.log"),
    });
    const shipperWritesIncoming = sim.evaluate(ids.shipper, {
      action: "s3:PutObject",
      resource: obj(ids.raw, "incoming/site=example.com/a.log"),
    });

    // Assess
    expect(adminWrites).toEqual(["explicit-deny", "explicit-deny", "explicit-deny", "explicit-deny"]);
    expect(adminDeletesIncoming).toBe("explicit-deny");
    expect(shipperWritesIncoming).toBe("allowed");
  });

  it("S3 may use the raw key for anyone's upload into the raw bucket, but decrypts security results for no one else", () => {
    // Prepare: Decrypt as S3 asks for it (through S3, with the object's bucket as encryption context), and directly
    const viaS3 = (bucketArn: string) => ({
      "kms:ViaService": `s3.${REGION}.amazonaws.com`,
      "kms:EncryptionContext:aws:s3:arn": bucketArn,
    });
    const key = sim.arnOf(ids.rawKey);
    const upload: Request = { action: "kms:Decrypt", resource: key, context: viaS3(sim.arnOf(ids.raw)) };
    const securityResult: Request = {
      action: "kms:Decrypt",
      resource: key,
      context: viaS3(obj(ids.results, "security/0a1b2c3d.csv")),
    };
    const direct: Request = { action: "kms:Decrypt", resource: key };
    const shipperPolicy = Object.keys(template.Resources).find(
      (id) => template.Resources[id]?.Type === "AWS::IAM::ManagedPolicy" && id.includes("LogShipperPolicy"),
    ) as string;

    // Act
    const holderUploads = sim.evaluateManagedPolicy(shipperPolicy, upload);
    const holderDirect = sim.evaluateManagedPolicy(shipperPolicy, direct);
    const results = [ADMIN, ids.marketing, ids.shipper, ids.security, ids.lead].map((role) =>
      sim.evaluate(role, securityResult),
    );

    // Assess: an instance role holding the LogShipper policy uploads in parts; nobody outside the security roles
    // reads a security result, an administrator included
    expect(shipperPolicy).toBeDefined();
    expect(holderUploads).toBe("allowed");
    expect(holderDirect).toBe("explicit-deny");
    expect(results).toEqual(["explicit-deny", "explicit-deny", "implicit-deny", "allowed", "allowed"]);
  });
});

// --- the audit trail ---------------------------------------------------------------------------------------------

describe("the legal-hold audit trail is immutable to everyone", () => {
  it("nobody deletes or overwrites an audit event; appending (If-None-Match) under compliance retention works", () => {
    // Prepare
    const event = obj(
      ids.raw,
      `evidence/audit/holds/dt=${DAY}/20261120T130000.000Z-hold-created-INC-1-000.json`,
    );
    const attempts: [string, Request][] = [
      ["delete", { action: "s3:DeleteObject", resource: event }],
      ["delete version", { action: "s3:DeleteObjectVersion", resource: event }],
      ["overwrite (no If-None-Match)", { action: "s3:PutObject", resource: event }],
      [
        "governance retention (bypassable)",
        {
          action: "s3:PutObjectRetention",
          resource: event,
          context: { "s3:object-lock-mode": "GOVERNANCE" },
        },
      ],
      ["bypass governance", { action: "s3:BypassGovernanceRetention", resource: event }],
    ];
    const append: Request[] = [
      { action: "s3:PutObject", resource: event, context: { "s3:if-none-match": "*" } },
      { action: "s3:PutObjectRetention", resource: event, context: { "s3:object-lock-mode": "COMPLIANCE" } },
    ];

    // Act
    const table = [...sim.roles(), ADMIN].map((role) => ({
      role,
      attempts: attempts.map(([, r]) => sim.evaluate(role, r)),
      append: append.map((r) => sim.evaluate(role, r)),
    }));
    printed.push(
      [
        `Audit event ${event.slice(event.indexOf("evidence/"))}: ${attempts.map(([n]) => n).join(" | ")} || append`,
        ...table.map(
          (t) =>
            `${t.role.padEnd(64)} ${t.attempts.map((d) => d.padEnd(14)).join("")}|| ${t.append.every((d) => d === "allowed") ? "allowed" : "no"}`,
        ),
      ].join("\n"),
    );

    // Assess: an explicit deny for every role and the administrator, on every attempt.
    for (const t of table) expect(t.attempts, t.role).toEqual(Array(attempts.length).fill("explicit-deny"));
    const appenders = table.filter((t) => t.append.every((d) => d === "allowed")).map((t) => t.role);
    expect(appenders.sort()).toEqual([ids.lead, ids.sweep].sort());
  });

  it("retention is refused everywhere else, so the seven-day zones stay deletable", () => {
    // Act
    const decisions = [...sim.roles(), ADMIN].map((role) =>
      sim.evaluate(role, {
        action: "s3:PutObjectRetention",
        resource: obj(ids.raw, "security/dt=2026-11-20/hour=13/x.parquet"),
        context: { "s3:object-lock-mode": "COMPLIANCE" },
      }),
    );

    // Assess
    expect(decisions.every((d) => d === "explicit-deny")).toBe(true);
  });
});

// --- service grants -------------------------------------------------------------------------------------------------

interface PolicyStatementJson {
  Effect: string;
  Principal?: { Service?: string | string[]; Federated?: string };
  Condition?: Record<string, Record<string, unknown>>;
  Action?: unknown;
}

/** Condition keys that bind a grant to this account's own resources. */
const SOURCE_KEYS = [
  "aws:SourceAccount",
  "aws:SourceArn",
  // CloudWatch Logs names the log group (with its account) in the encryption context.
  "kms:EncryptionContext:aws:logs:arn",
  // The identity pool's own id.
  "cognito-identity.amazonaws.com:aud",
];

describe("grants to AWS services", () => {
  it("every one names its source (account, ARN or the resource it serves)", () => {
    // Prepare
    const grants: { where: string; service: string; bound: boolean }[] = [];
    const bound = (s: PolicyStatementJson) =>
      Object.values(s.Condition ?? {}).some((entries) =>
        Object.keys(entries).some((k) => SOURCE_KEYS.includes(k)),
      );

    // Act
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties ?? {};
      const docs: unknown[] = [];
      if (resource.Type === "AWS::KMS::Key") docs.push(props.KeyPolicy);
      if (/^AWS::(S3::Bucket|SQS::Queue|SNS::Topic)Policy$/.test(resource.Type))
        docs.push(props.PolicyDocument);
      if (resource.Type === "AWS::IAM::Role") docs.push(props.AssumeRolePolicyDocument);
      for (const doc of docs) {
        if (doc === undefined) continue;
        for (const s of [(doc as { Statement: PolicyStatementJson[] }).Statement].flat()) {
          const services = [s.Principal?.Service ?? [], s.Principal?.Federated ?? []].flat();
          for (const service of services) {
            // A Lambda execution role is attached to a function only by someone allowed iam:PassRole on it, and a
            // role cannot be passed to another account's function: no confused deputy, no source to name.
            if (resource.Type === "AWS::IAM::Role" && service === "lambda.amazonaws.com") continue;
            grants.push({ where: `${resource.Type} ${id}`, service, bound: bound(s) });
          }
        }
      }
      if (resource.Type === "AWS::Lambda::Permission") {
        grants.push({
          where: `${resource.Type} ${id}`,
          service: String(props.Principal),
          bound: props.SourceArn !== undefined || props.SourceAccount !== undefined,
        });
      }
    }
    printed.push(
      [
        `Grants to AWS services (${grants.length}):`,
        ...grants.map((g) => `${g.bound ? "bound  " : "UNBOUND"} ${g.service.padEnd(34)} ${g.where}`),
      ].join("\n"),
    );

    // Assess
    expect(grants.length).toBeGreaterThan(10);
    expect(grants.filter((g) => !g.bound)).toEqual([]);
    expect(grants.some((g) => g.service === "s3.amazonaws.com" && g.where.includes("KMS::Key"))).toBe(true);
  });
});
