import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AthenaClient, GetQueryResultsCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { ROLLUPS } from "../../functions/core/aggregate/rollups.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { IamSimulator, type Template } from "../infra/helpers/iam-sim.ts";
import { formatIamChecks, iamChecks } from "../standins/deployment/iam-check.ts";
import { type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * The bundles `cdk synth` writes, on the wire: each Lambda function's package from cdk.out runs in its own process
 * with only the environment the template gives it (Refs resolved to the stand-ins' names), against HTTP stand-ins
 * for S3, SQS, Firehose and Athena. Events in, objects out; and every call a function made is one its role allows.
 */

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let raw: string;
let analytics: string;

const DAY = "2026-11-20";
const CANARY_V4 = "198.51.100.77";
const CANARY_V6 = "2001:db8:77::1";
const UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

function combined(ip: string, hour: number, path: string, status = 200): string {
  return `${ip} - - [20/Nov/2026:${String(hour).padStart(2, "0")}:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 512 "https://ref.example/x" "${UA}"`;
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  }));
  raw = stack.nameOf("RawBucket");
  // The user pool and identity pool on the Cognito stand-in (callbacks on the served HTTP API), and one person.
  await stack.exposeApi();
  aws.cognito.addUser("mia@example.com", "Temp-Passw0rd-Mia!", ["marketing"]);
  analytics = stack.nameOf("AnalyticsBucket");
  // The sweeper and Athena's partition projection judge ages against "now": the test lives on 21 Nov 2026.
  aws.clock.advance(Date.UTC(2026, 10, 21, 6) - aws.clock.now());
}, 300_000);

afterAll(async () => {
  await stop?.();
});

describe("ingest and aggregate bundles", () => {
  it("turn an incoming/ object into security/, rejects/, events/ and stats/, logging no address", async () => {
    // Prepare
    const log = [
      combined(CANARY_V4, 9, "/"),
      combined(CANARY_V6, 10, "/pricing"),
      "this line is not a web server log",
      // Twenty visitors from twenty networks (k counts visitors and network prefixes).
      ...Array.from({ length: 20 }, (_, i) => combined(`198.18.${i + 1}.7`, 11, `/page-${i % 3}`)),
    ].join("\n");

    // Act
    aws.s3.put(raw, "incoming/site=example.com/web1/access.log.1", Buffer.from(`${log}\n`));
    const batches = await stack.pump();

    // Assess
    expect(
      batches.map((b) => [
        b.functionLogicalId.includes("Ingest") ? "ingest" : "aggregate",
        b.result.ok,
        b.failedMessageIds.length,
      ]),
    ).toEqual([
      ["ingest", true, 0],
      ["aggregate", true, 0],
    ]);
    expect(aws.s3.keys(raw, "security/").map((k) => k.split("/").slice(1, 3).join("/"))).toEqual([
      `dt=${DAY}/hour=09`,
      `dt=${DAY}/hour=10`,
      `dt=${DAY}/hour=11`,
    ]);
    expect(aws.s3.keys(raw, "rejects/")).toHaveLength(1);
    expect(aws.s3.keys(analytics, `events/dt=${DAY}/`).filter((k) => k.endsWith(".parquet"))).toHaveLength(1);
    for (const rollup of [
      "totals",
      "pages",
      "referrers",
      "browsers",
      "os",
      "devices",
      "countries",
      "status",
    ]) {
      expect(aws.s3.keys(analytics, `stats/${rollup}/dt=${DAY}/`), rollup).toHaveLength(1);
    }
    // Objects in the raw bucket carry its KMS key, as the bucket's default encryption puts them.
    expect(aws.s3.head(raw, aws.s3.keys(raw, "security/")[0] as string)?.sse.algorithm).toBe("aws:kms");
    const logs = stack.logs(stack.fn("Ingest")) + stack.logs(stack.fn("Aggregate"));
    expect(logs).toContain('"accepted":22');
    expect(logs).not.toContain(CANARY_V4);
    expect(logs.toLowerCase()).not.toContain(CANARY_V6);
  });

  it("write the same stats/ rows on Athena as the local DuckDB aggregation of the same events", async () => {
    // Prepare: the events the ingest bundle wrote, as a local lake
    const lake = mkdtempSync(join(tmpdir(), "logsieve-wire-lake-"));
    try {
      for (const key of aws.s3.keys(analytics, "events/")) {
        const path = join(lake, ...key.split("/"));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, aws.s3.get(analytics, key) as Buffer);
      }

      // Act
      await aggregateDays({
        lakeDir: lake,
        days: [DAY],
        config: parseConfig({}),
        clock: { now: () => aws.clock.now() },
      });
      const onAthena = await rowsOf(
        Object.fromEntries(
          ROLLUPS.map((r) => [
            r,
            aws.s3
              .keys(analytics, `stats/${r}/dt=${DAY}/`)
              .map((k) => aws.s3.localPath(analytics, k) as string),
          ]),
        ),
      );
      const local = await rowsOf(
        Object.fromEntries(
          ROLLUPS.map((r) => [r, [join(lake, "stats", r, `dt=${DAY}`, `${r}-${DAY}.parquet`)]]),
        ),
      );

      // Assess
      expect(onAthena.pages?.length).toBeGreaterThan(0);
      expect(onAthena).toEqual(local);
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
});

describe("collect and dashboard bundles", () => {
  it("the collector's events reach Firehose, and after delivery Athena counts them in events", async () => {
    // Prepare
    const collect = stack.fn("Collect");
    const event = httpEvent("POST", "/collect", {
      body: JSON.stringify({
        site: "example.com",
        url: "https://example.com/landing?utm_source=news",
        referrer: null,
        consent: { statistics: true },
      }),
      headers: { "content-type": "application/json", origin: "https://example.com", "user-agent": UA },
      sourceIp: CANARY_V4,
    });

    // Act
    const answer = await stack.invoke(collect, event);
    const stream = stack.nameOf("EventsStream/Stream");
    const buffered = aws.firehose.buffered(stream);
    const written = await aws.firehose.flush(stream);
    const counted = await athenaCount(
      "SELECT count(*) FROM events WHERE source = 'collector' AND path = '/landing'",
    );

    // Assess
    expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
    expect((answer.value as { statusCode: number }).statusCode).toBe(202);
    expect(buffered).toBe(1);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^events\/dt=\d{4}-\d{2}-\d{2}\//);
    expect(counted).toBe(1);
    expect(stack.logs(collect)).not.toContain(CANARY_V4);
  });

  it("the dashboard API answers a marketing query from stats/ through Athena", async () => {
    // Prepare
    const event = httpEvent("GET", "/api/dashboard/query/top-pages", {
      query: `site=example.com&from=${DAY}&to=${DAY}`,
      // A signed ID token of the Cognito stand-in: the function verifies it and exchanges it at the identity
      // pool for MarketingAnalyst credentials, with which the query runs.
      headers: {
        host: "dashboard.example",
        authorization: `Bearer ${aws.cognito.idTokenFor("mia@example.com")}`,
      },
    });

    // Act
    const answer = await stack.invoke(stack.fn("DashboardApi"), event);

    // Assess
    expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
    const response = answer.value as { statusCode: number; body: string };
    expect(response.statusCode, response.body).toBe(200);
    // Twenty page views over three paths by twenty visitors on twenty networks: each path clears k = 5; the
    // two canaries' pages
    // (one visitor each) are folded into (other).
    expect(
      (JSON.parse(response.body) as { rows: { path: string }[] }).rows.map((r) => r.path).sort(),
    ).toEqual(["(other)", "/page-0", "/page-1", "/page-2"]);
  });
});

describe("sweep bundle", () => {
  it("an hourly run eight days later deletes every version of the seven-day zones and keeps events/", async () => {
    // Prepare
    aws.clock.advance(8 * 86_400_000);

    // Act
    const [result] = await stack.fireSchedule("SweepHourly");

    // Assess
    expect(result?.ok, JSON.stringify(result?.error)).toBe(true);
    expect(aws.s3.versions(raw, "security/")).toEqual([]);
    expect(aws.s3.versions(raw, "incoming/")).toEqual([]);
    expect(aws.s3.versions(raw, "rejects/")).toEqual([]);
    expect(aws.s3.keys(analytics, "events/")).not.toEqual([]);
  });
});

describe("every call on the wire", () => {
  it("is allowed by the calling function's role (offline IAM evaluation of the recorded requests)", () => {
    // Act
    const checks = iamChecks(stack, [...stack.functions.values()]);
    console.log(`IAM checks of recorded requests: ${checks.length}\n${formatIamChecks(checks)}`);

    // Assess
    expect(checks.length).toBeGreaterThan(20);
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
    // The evaluator says no where a role may not: the aggregator reading a security/ object.
    const sim = new IamSimulator(stack.assembly.template as unknown as Template);
    const securityObject = `arn:aws:s3:::${raw}/security/dt=${DAY}/hour=09/x.parquet`;
    expect(
      sim.evaluate(stack.fn("Aggregate").roleLogicalId as string, {
        action: "s3:GetObject",
        resource: securityObject,
      }),
    ).toBe("explicit-deny"); // no grant, and the raw zone's bucket policy denies it outright
  });
});

/** Runs a one-number SELECT in the pipeline workgroup through the Athena stand-in's API. */
async function athenaCount(sql: string): Promise<number> {
  const athena = new AthenaClient(aws.clientConfig("athena"));
  const database = String(stack.fn("Aggregate").templateEnvironment.LOGSIEVE_GLUE_DATABASE);
  const workgroup = String(stack.fn("Aggregate").templateEnvironment.LOGSIEVE_ATHENA_WORKGROUP);
  const { QueryExecutionId } = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: workgroup,
      QueryExecutionContext: { Database: database },
    }),
  );
  await aws.athena.settled();
  const result = await athena.send(new GetQueryResultsCommand({ QueryExecutionId }));
  return Number(result.ResultSet?.Rows?.[1]?.Data?.[0]?.VarCharValue);
}

function httpEvent(
  method: string,
  path: string,
  options: {
    body?: string;
    query?: string;
    headers?: Record<string, string>;
    sourceIp?: string;
    claims?: Record<string, string>;
  },
): unknown {
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: options.query ?? "",
    headers: { host: "collector.example", ...(options.headers ?? {}) },
    requestContext: {
      accountId: "111111111111",
      apiId: "standin",
      domainName: options.headers?.host ?? "collector.example",
      domainPrefix: "standin",
      http: {
        method,
        path,
        protocol: "HTTP/1.1",
        sourceIp: options.sourceIp ?? "192.0.2.10",
        userAgent: options.headers?.["user-agent"] ?? UA,
      },
      requestId: "standin",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: new Date(aws.clock.now()).toUTCString(),
      timeEpoch: aws.clock.now(),
      ...(options.claims === undefined
        ? {}
        : { authorizer: { jwt: { claims: options.claims, scopes: null } } }),
    },
    ...(options.body === undefined ? {} : { body: options.body, isBase64Encoded: false }),
  };
}

/** Each rollup's rows (as JSON), read by DuckDB from the given Parquet files. */
async function rowsOf(files: Record<string, string[]>): Promise<Record<string, unknown[]>> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [rollup, paths] of Object.entries(files)) {
      const existing = paths.filter((p) => p !== undefined);
      if (existing.length === 0) {
        out[rollup] = [];
        continue;
      }
      const reader = await connection.runAndReadAll(
        `SELECT * FROM read_parquet([${existing.map((p) => `'${p}'`).join(", ")}])`,
      );
      out[rollup] = reader.getRowObjectsJson();
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
