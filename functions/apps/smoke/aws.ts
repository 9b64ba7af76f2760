import { randomBytes } from "node:crypto";
import { AthenaClient } from "@aws-sdk/client-athena";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from "@aws-sdk/client-cloudformation";
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
} from "@aws-sdk/client-cloudwatch";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AssumeRoleCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { AthenaQueryEngine } from "../../adapters/aws/athena-engine.ts";
import { streamHead } from "../../adapters/input/stream-head.ts";
import { type QueryCatalog, requireQuery } from "../../core/aggregate/catalog.ts";
import { bindParams } from "../../core/aggregate/query-file.ts";
import { batchInputId } from "../../core/ingest/checkpoint.ts";
import { type Canary, smokeCanary } from "../../core/smoke/canary.ts";
import type { SmokeCheck } from "../../core/smoke/report.ts";
import { DAY_MS, HOUR_MS } from "../../core/time.ts";
import { utcDay } from "../../core/zones.ts";
import type { QueryResult } from "../../ports/query-engine.ts";

/**
 * `logsieve aws smoke --stack <name>`: proves a deployment works, with the operator's own credentials, in the order
 * an operator would check it by hand (docs/DEPLOY.md, "Check the deployment"):
 *
 * 1. the stack's outputs (CloudFormation DescribeStacks); the roles assumed from them (STS; with an MFA code when
 *    given, through one GetSessionToken, since the analyst roles trust only MFA-authenticated callers);
 * 2. a canary log (core/smoke/canary.ts: one made-up request from a documentation address on a `.invalid` host)
 *    uploaded into `incoming/` as the LogShipper role, which is all a log forwarder gets;
 * 3. ingestion waited for: the canary's object in `security/` (its key follows from the canary's content: the stream
 *    id of core/ingest/checkpoint.ts), listed as SecurityAnalyst;
 * 4. SecurityAnalyst finds the canary by its path in the security workgroup (queries/smoke.canary.sql);
 *    MarketingAnalyst reads the statistics (queries/smoke.stats.sql) and is refused the security zone three ways —
 *    the security workgroup, listing `security/`, reading the canary's object — each refusal a pass, an answer a
 *    failure;
 * 5. the sweeper ran in the last two hours without errors (`AWS/Lambda` Invocations and Errors of its function)
 *    and every alarm of the stack exists, none in ALARM;
 * 6. the canary removed from `incoming/` (its version, as SecurityAnalyst; a grant for that prefix only). Its
 *    `security/` record describes nobody and goes with the zone's sweep within 168 hours: no role of a person may
 *    delete from the security zone, and the smoke run is no exception.
 */

export interface SmokeOptions {
  readonly stack: string;
  readonly region?: string;
  /** How long to wait for the canary to be ingested. */
  readonly timeoutMs: number;
  /** How often to look. */
  readonly pollMs: number;
  /** An MFA device and its current code, for roles that trust only MFA-authenticated callers. */
  readonly mfa?: { readonly serial: string; readonly code: string };
  readonly catalog: QueryCatalog;
  /** Progress for a person waiting (stderr). */
  readonly progress: (line: string) => void;
}

/** Temporary credentials of one role session. */
interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Outputs the smoke run reads (infra/constructs/logsieve-pipeline.ts). */
const REQUIRED_OUTPUTS = [
  "RawBucketName",
  "LogShipperRoleArn",
  "MarketingAnalystRoleArn",
  "SecurityAnalystRoleArn",
  "GlueDatabaseName",
  "MarketingWorkgroupName",
  "SecurityWorkgroupName",
  "SweepFunctionName",
] as const;
type Outputs = Record<(typeof REQUIRED_OUTPUTS)[number], string>;

/** How far back a sweeper run counts: it runs hourly, so two hours always hold one. */
const SWEEP_WINDOW_MS = 2 * HOUR_MS;
/** Days of statistics MarketingAnalyst is asked about. */
const STATS_DAYS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error's code as AWS named it (the SDK's error name), looking through wrappers. */
function codeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.name !== "QueryEngineError" && current.name !== "Error") return current.name;
    current = current.cause;
  }
  return error instanceof Error ? error.message.slice(0, 120) : String(error);
}

/** True for an answer that means "not allowed" (S3 also answers 403 for a key the caller may not list). */
function isDenied(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const status = (current as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (/AccessDenied|Forbidden|NotAuthorized|Unauthorized/i.test(current.name) || status === 403)
      return true;
    if (/access denied|not authorized/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

async function attempt<T>(work: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await work() };
  } catch (error) {
    return { error };
  }
}

/** The object-key prefix the canary's records get in security/: its stream id, from its content. */
export function canarySecurityPrefix(canary: Canary): string {
  const head = streamHead(new TextEncoder().encode(canary.body), { ended: true, complete: true });
  const stream = head?.idAt(head.baseLevel);
  if (stream === null || stream === undefined) throw new Error("the canary has no access line");
  return `${canary.securityPartition}${batchInputId(stream, 0)}-`;
}

export async function runAwsSmoke(options: SmokeOptions): Promise<SmokeCheck[]> {
  const checks: SmokeCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    options.progress(`${ok ? "pass" : "FAIL"}  ${name}: ${detail}`);
  };
  const region = options.region === undefined ? {} : { region: options.region };

  // 1. The stack and its outputs.
  const cloudFormation = new CloudFormationClient(region);
  const described = await attempt(() =>
    cloudFormation.send(new DescribeStacksCommand({ StackName: options.stack })),
  );
  if ("error" in described) {
    add("stack outputs", false, `DescribeStacks: ${codeOf(described.error)}`);
    return checks;
  }
  const stack = described.value.Stacks?.[0];
  const status = stack?.StackStatus ?? "unknown";
  const outputs: Partial<Outputs> = {};
  for (const o of stack?.Outputs ?? []) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined)
      (outputs as Record<string, string>)[o.OutputKey] = o.OutputValue;
  }
  const missing = REQUIRED_OUTPUTS.filter((k) => outputs[k] === undefined);
  const healthy = /_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status);
  if (!healthy || missing.length > 0) {
    add(
      "stack outputs",
      false,
      `${status}${missing.length > 0 ? `; missing outputs ${missing.join(", ")} (deploy this version first)` : ""}`,
    );
    return checks;
  }
  add("stack outputs", true, `${status}, ${REQUIRED_OUTPUTS.length} outputs read`);
  const out = outputs as Outputs;

  // The roles, as an analyst or a log forwarder would take them.
  const sts = new STSClient(region);
  let caller: AwsCredentialIdentity | undefined;
  if (options.mfa !== undefined) {
    const session = await attempt(() =>
      sts.send(
        new GetSessionTokenCommand({
          SerialNumber: options.mfa?.serial,
          TokenCode: options.mfa?.code,
          DurationSeconds: 3600,
        }),
      ),
    );
    if ("error" in session) {
      add("roles assumed", false, `GetSessionToken with the MFA code: ${codeOf(session.error)}`);
      return checks;
    }
    const c = session.value.Credentials;
    caller = {
      accessKeyId: c?.AccessKeyId ?? "",
      secretAccessKey: c?.SecretAccessKey ?? "",
      ...(c?.SessionToken === undefined ? {} : { sessionToken: c.SessionToken }),
    };
  }
  const assumeWith = new STSClient({ ...region, ...(caller === undefined ? {} : { credentials: caller }) });
  const assume = async (roleArn: string): Promise<AwsCredentialIdentity> => {
    const result = await assumeWith.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "logsieve-smoke", DurationSeconds: 3600 }),
    );
    const c = result.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined)
      throw new Error("STS returned no credentials");
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken === undefined ? {} : { sessionToken: c.SessionToken }),
    };
  };
  const roles = {
    LogShipper: await attempt(() => assume(out.LogShipperRoleArn)),
    MarketingAnalyst: await attempt(() => assume(out.MarketingAnalystRoleArn)),
    SecurityAnalyst: await attempt(() => assume(out.SecurityAnalystRoleArn)),
  };
  const refused = Object.entries(roles).filter(([, r]) => "error" in r);
  if (refused.length > 0) {
    add(
      "roles assumed",
      false,
      `${refused.map(([name, r]) => `${name}: ${codeOf((r as { error: unknown }).error)}`).join("; ")}${options.mfa === undefined ? " (the analyst roles trust MFA-authenticated callers: --mfa-serial, --mfa-code)" : ""}`,
    );
    return checks;
  }
  add("roles assumed", true, "LogShipper, MarketingAnalyst, SecurityAnalyst");
  const credentials = (r: { value: AwsCredentialIdentity } | { error: unknown }) =>
    (r as { value: AwsCredentialIdentity }).value;
  const shipperS3 = new S3Client({ ...region, credentials: credentials(roles.LogShipper) });
  const marketing = credentials(roles.MarketingAnalyst);
  const security = credentials(roles.SecurityAnalyst);
  const marketingS3 = new S3Client({ ...region, credentials: marketing });
  const securityS3 = new S3Client({ ...region, credentials: security });
  const engine = (who: AwsCredentialIdentity, workGroup: string) =>
    new AthenaQueryEngine({
      client: new AthenaClient({ ...region, credentials: who }),
      workGroup,
      database: out.GlueDatabaseName,
      pollInitialMs: 250,
      pollMaxMs: 2_000,
      timeoutMs: 300_000,
    });
  const run = (who: AwsCredentialIdentity, workGroup: string, id: string, values: Record<string, string>) =>
    engine(who, workGroup).query(
      requireQuery(options.catalog, id).select,
      bindParams(requireQuery(options.catalog, id), values),
    );
  const canaryQuery = (canary: Canary) => ({ day: canary.day, hour: canary.hour, target: canary.target });

  // 2. The canary, as a log forwarder delivers it.
  const uploadedAt = Date.now();
  const canary = smokeCanary(randomBytes(8).toString("hex"), uploadedAt);
  const upload = await attempt(() =>
    shipperS3.send(
      new PutObjectCommand({
        Bucket: out.RawBucketName,
        Key: canary.key,
        Body: canary.body,
        ContentType: "text/plain",
      }),
    ),
  );
  if ("error" in upload) {
    add("canary uploaded to incoming/", false, `as LogShipper: ${codeOf(upload.error)}`);
  } else {
    add("canary uploaded to incoming/", true, `${canary.key} (${canary.body.length} bytes) as LogShipper`);
  }

  // 3. Ingestion: the canary's object in security/.
  let securityKey: string | undefined;
  if (!("error" in upload)) {
    const prefix = canarySecurityPrefix(canary);
    const deadline = uploadedAt + options.timeoutMs;
    let lastError: unknown;
    for (;;) {
      const listed = await attempt(() =>
        securityS3.send(new ListObjectsV2Command({ Bucket: out.RawBucketName, Prefix: prefix, MaxKeys: 10 })),
      );
      if ("error" in listed) lastError = listed.error;
      else securityKey = listed.value.Contents?.[0]?.Key;
      if (securityKey !== undefined || Date.now() >= deadline) break;
      options.progress(`      waiting for ingestion (${Math.round((Date.now() - uploadedAt) / 1000)} s)`);
      await sleep(Math.min(options.pollMs, Math.max(0, deadline - Date.now())));
    }
    const waited = Math.round((Date.now() - uploadedAt) / 1000);
    add(
      "ingest wrote the canary to security/",
      securityKey !== undefined,
      securityKey !== undefined
        ? `after ${waited} s`
        : `not after ${waited} s${lastError === undefined ? " (see the ingest function's logs and its DLQ)" : `: listing as SecurityAnalyst: ${codeOf(lastError)}`}`,
    );
  } else {
    add("ingest wrote the canary to security/", false, "not run: no canary was uploaded");
  }

  // 4. What each analyst role may and may not read.
  if (securityKey !== undefined) {
    const found = await attempt(() =>
      run(security, out.SecurityWorkgroupName, "smoke.canary", canaryQuery(canary)),
    );
    const records = "error" in found ? 0 : Number(found.value.rows[0]?.records ?? 0);
    add(
      "SecurityAnalyst sees the canary",
      records > 0,
      "error" in found
        ? `query in ${out.SecurityWorkgroupName}: ${codeOf(found.error)}`
        : `${records} record in ${out.SecurityWorkgroupName}`,
    );
  } else {
    add("SecurityAnalyst sees the canary", false, "not run: the canary was not ingested");
  }

  const from = utcDay(uploadedAt - (STATS_DAYS - 1) * DAY_MS);
  const stats = await attempt(() => run(marketing, out.MarketingWorkgroupName, "smoke.stats", { from }));
  add(
    "MarketingAnalyst reads stats/",
    !("error" in stats),
    "error" in stats
      ? `query in ${out.MarketingWorkgroupName}: ${codeOf(stats.error)}`
      : describeStats(stats.value),
  );

  const refusal = (name: string, result: { value: unknown } | { error: unknown }) =>
    add(
      name,
      "error" in result && isDenied(result.error),
      "error" in result
        ? isDenied(result.error)
          ? `refused (${codeOf(result.error)})`
          : `could not tell: ${codeOf(result.error)}`
        : "ALLOWED: IAM does not keep MarketingAnalyst out of the security zone",
    );
  refusal(
    "MarketingAnalyst denied security/ (Athena)",
    await attempt(() => run(marketing, out.SecurityWorkgroupName, "smoke.canary", canaryQuery(canary))),
  );
  refusal(
    "MarketingAnalyst denied security/ (list)",
    await attempt(() =>
      marketingS3.send(new ListObjectsV2Command({ Bucket: out.RawBucketName, Prefix: "security/" })),
    ),
  );
  refusal(
    "MarketingAnalyst denied security/ (read)",
    await attempt(async () => {
      const got = await marketingS3.send(
        new GetObjectCommand({
          Bucket: out.RawBucketName,
          Key: securityKey ?? `${canary.securityPartition}x`,
        }),
      );
      await got.Body?.transformToByteArray();
      return got;
    }),
  );

  // 5. The sweeper and the alarms.
  const cloudWatch = new CloudWatchClient(region);
  const metric = (name: string) =>
    cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/Lambda",
        MetricName: name,
        Dimensions: [{ Name: "FunctionName", Value: out.SweepFunctionName }],
        StartTime: new Date(Date.now() - SWEEP_WINDOW_MS),
        EndTime: new Date(),
        Period: 3600,
        Statistics: ["Sum"],
      }),
    );
  const sum = (r: Awaited<ReturnType<typeof metric>>) =>
    (r.Datapoints ?? []).reduce((total, d) => total + (d.Sum ?? 0), 0);
  const sweeps = await attempt(async () => ({
    runs: sum(await metric("Invocations")),
    errors: sum(await metric("Errors")),
  }));
  add(
    "sweeper ran (last 2 h)",
    !("error" in sweeps) && sweeps.value.runs > 0 && sweeps.value.errors === 0,
    "error" in sweeps
      ? `GetMetricStatistics: ${codeOf(sweeps.error)}`
      : `${sweeps.value.runs} run(s), ${sweeps.value.errors} error(s) of ${out.SweepFunctionName}${sweeps.value.runs === 0 ? " (it runs hourly: a stack younger than an hour may not have run it yet)" : ""}`,
  );

  const alarms = await attempt(async () => {
    const names = (await stackResources(cloudFormation, options.stack))
      .filter((r) => r.ResourceType === "AWS::CloudWatch::Alarm" && r.PhysicalResourceId !== undefined)
      .map((r) => r.PhysicalResourceId as string);
    const states = new Map<string, string>();
    for (let i = 0; i < names.length; i += 100) {
      const page = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
      for (const a of page.MetricAlarms ?? [])
        if (a.AlarmName !== undefined) states.set(a.AlarmName, a.StateValue ?? "?");
    }
    return { names, states };
  });
  if ("error" in alarms) {
    add("alarms exist", false, `${codeOf(alarms.error)}`);
  } else {
    const { names, states } = alarms.value;
    const absent = names.filter((n) => !states.has(n));
    const firing = names.filter((n) => states.get(n) === "ALARM");
    const counts = [...new Set(states.values())].map(
      (s) => `${[...states.values()].filter((v) => v === s).length} ${s}`,
    );
    add(
      "alarms exist",
      names.length > 0 && absent.length === 0 && firing.length === 0,
      names.length === 0
        ? "the stack has no alarms"
        : `${names.length} alarm(s): ${counts.join(", ")}${absent.length > 0 ? `; missing ${absent.join(", ")}` : ""}${firing.length > 0 ? `; in ALARM: ${firing.join(", ")}` : ""}`,
    );
  }

  // 6. Cleaning up.
  if (!("error" in upload)) {
    const versionId = upload.value.VersionId;
    const removed = await attempt(() =>
      securityS3.send(
        new DeleteObjectCommand({
          Bucket: out.RawBucketName,
          Key: canary.key,
          ...(versionId === undefined ? {} : { VersionId: versionId }),
        }),
      ),
    );
    add(
      "canary removed",
      !("error" in removed) && versionId !== undefined,
      "error" in removed
        ? `deleting its version as SecurityAnalyst: ${codeOf(removed.error)}`
        : versionId === undefined
          ? "the bucket returned no version id (is versioning off?)"
          : `from incoming/; its security/ record (a documentation address, a .invalid host) goes with the zone's sweep within 168 h`,
    );
  }
  return checks;
}

function describeStats(result: QueryResult): string {
  const row = result.rows[0] ?? {};
  return `${Number(row.days ?? 0)} day(s) of the last ${STATS_DAYS} with totals (${Number(row.rollup_rows ?? 0)} rows)`;
}

async function stackResources(client: CloudFormationClient, stack: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListStackResourcesCommand({
        StackName: stack,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    all.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return all;
}
