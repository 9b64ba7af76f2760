import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIamChecks, iamChecks } from "../standins/deployment/iam-check.ts";
import { type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";
import { type ServeProcess, startServeProcess } from "./collector-harness.ts";

/**
 * The Stats API as deployed (issue 19 item 4 on AWS): the stats-api and stats-authorizer bundles `cdk synth` writes,
 * behind the template's HTTP API route and its Lambda authorizer (served by the API Gateway stand-in), against the
 * stand-ins' S3 and Athena. The operator makes the key with the real `logsieve keys create --bucket`; events come in
 * through the ingest and aggregate bundles. With the key: 200, a total equal to the sum of its event:page breakdown,
 * a filter that narrows it (events/ in the pipeline workgroup); without a key 401, with an unknown or revoked key 403
 * (API Gateway, before the function), another site 401 (the function). Every call the two functions made is one
 * their roles allow.
 *
 * The dashboard's panels (`POST /api/dashboard/stats`, `.csv`) go to the same function behind the dashboards'
 * Cognito JWT authorizer: a signed-in marketing person's filtered question gets exactly what `logsieve serve`
 * answers over a local lake of the same log; a person of no marketing group gets 403.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const run = promisify(execFile);
const DAY = "2026-11-20";
const SITES = "example.com,shop.example.com";
const UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let api: string;
let analytics: string;
let dir: string;
let key: string;
let keyId: string;
/** The access log both lakes ingest. */
let logText: string;

function combined(ip: string, hour: number, path: string): string {
  return `${ip} - - [20/Nov/2026:${String(hour).padStart(2, "0")}:00:00 +0000] "GET ${path} HTTP/1.1" 200 512 "https://ref.example/x" "${UA}"`;
}

/** `logsieve keys …` as the operator runs it: the AWS credentials of the shell (here the stand-ins'). */
async function keys(...args: string[]): Promise<string> {
  const config = join(dir, "config.json");
  const { stdout } = await run(
    process.execPath,
    ["bin/logsieve.js", "--config", config, "keys", ...args, "--bucket", analytics],
    { cwd: ROOT, env: { ...process.env, ...aws.clientEnv("AKIDOPERATOR0000") } },
  );
  return stdout;
}

async function query(
  body: unknown,
  bearer: string | null = key,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${api}/api/v2/query`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

type Results = { metrics: number[]; dimensions: string[] }[];
const results = (json: Record<string, unknown>) => json.results as Results;

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({ synth: { context: { "logsieve:sites": SITES } } }));
  analytics = stack.nameOf("AnalyticsBucket");
  aws.clock.advance(Date.UTC(2026, 10, 21, 6) - aws.clock.now());
  dir = await mkdtemp(join(tmpdir(), "logsieve-stats-aws-"));
  await writeFile(join(dir, "config.json"), JSON.stringify({ sites: SITES.split(",") }));

  // Twenty visitors from twenty networks over three pages of example.com (7, 7 and 6 people: each page clears
  // k = 5), and one visitor alone on /alone (folded into (other) in stats/).
  logText = `${[
    ...Array.from({ length: 20 }, (_, i) => combined(`198.18.${i + 1}.7`, 11, `/page-${i % 3}`)),
    combined("198.51.100.77", 12, "/alone"),
  ].join("\n")}\n`;
  aws.s3.put(stack.nameOf("RawBucket"), "incoming/site=example.com/web1/access.log.1", Buffer.from(logText));
  const batches = await stack.pump();
  if (batches.some((b) => !b.result.ok)) throw new Error("the ingest or aggregate bundle failed");

  const created = JSON.parse(await keys("create", "--site", "example.com", "--name", "wire", "--json")) as {
    key: string;
    id: string;
  };
  key = created.key;
  keyId = created.id;
  api = await stack.exposeApi();
}, 600_000);

afterAll(async () => {
  await stop?.();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("logsieve keys --bucket", () => {
  it("writes only the key's hash into keys/ of the analytics bucket", async () => {
    // Act
    const objects = aws.s3.keys(analytics, "keys/");
    const stored = objects.map((k) => (aws.s3.get(analytics, k) as Buffer).toString("utf8")).join("\n");
    const listed = JSON.parse(await keys("list", "--json")) as { id: string; site: string }[];

    // Assess
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatch(/^keys\/[0-9a-f]{64}\.json$/);
    expect(stored).not.toContain(key);
    expect(listed).toEqual([expect.objectContaining({ id: keyId, site: "example.com" })]);
  });
});

describe("POST /api/v2/query on the deployed route", () => {
  const body = { site_id: "example.com", metrics: ["visitors", "pageviews"], date_range: [DAY, DAY] };

  it("with the key: 200, and a total equal to the sum of its event:page breakdown", async () => {
    // Act
    const total = await query(body);
    const pages = await query({ ...body, dimensions: ["event:page"] });

    // Assess
    expect(total.status, JSON.stringify(total.json)).toBe(200);
    expect(pages.status, JSON.stringify(pages.json)).toBe(200);
    expect(results(total.json)[0]?.metrics).toEqual([21, 21]);
    expect(results(pages.json).map((r) => [r.dimensions[0], r.metrics[1]])).toEqual([
      ["/page-0", 7],
      ["/page-1", 7],
      ["/page-2", 6],
      ["(other)", 1],
    ]);
    expect(results(pages.json).reduce((s, r) => s + (r.metrics[1] ?? 0), 0)).toBe(
      results(total.json)[0]?.metrics[1],
    );
  });

  it("a filter narrows it, read from events/ through the k-checked queries (nobody alone is shown)", async () => {
    // Act
    const page0 = await query({ ...body, filters: [["is", "event:page", ["/page-0"]]] });
    const alone = await query({ ...body, filters: [["is", "event:page", ["/alone"]]] });

    // Assess
    expect(page0.status, JSON.stringify(page0.json)).toBe(200);
    expect(results(page0.json)[0]?.metrics).toEqual([7, 7]);
    expect(results(alone.json)[0]?.metrics).toEqual([0, 0]);
  });

  it("no key: 401 from API Gateway; an unknown key: 403 from the authorizer; both before the function runs", async () => {
    // Prepare
    const invocationsBefore = stack.logs(stack.fn("StatsApi/StatsApi")).length;

    // Act
    const missing = await query(body, null);
    const unknown = await query(body, `lsk_${"A".repeat(43)}`);
    const notAKey = await query(body, "hello");

    // Assess
    expect(missing).toEqual({ status: 401, json: { message: "Unauthorized" } });
    expect(unknown).toEqual({ status: 403, json: { message: "Forbidden" } });
    expect(notAKey.status).toBe(403);
    expect(stack.logs(stack.fn("StatsApi/StatsApi")).length).toBe(invocationsBefore);
  });

  it("another site's question: 401 from the function; a revoked key: 403", async () => {
    // Act
    const otherSite = await query({ ...body, site_id: "shop.example.com" });
    const second = JSON.parse(await keys("create", "--site", "example.com", "--json")) as {
      key: string;
      id: string;
    };
    const before = await query(body, second.key);
    await keys("revoke", second.id);
    const after = await query(body, second.key);

    // Assess
    expect(otherSite.status).toBe(401);
    expect(String(otherSite.json.error)).toMatch(/Invalid API key or site ID/);
    expect(before.status).toBe(200);
    expect(after.status).toBe(403);
  });

  it("every call the stats functions made is one their roles allow, and none touched the raw bucket", () => {
    // Act
    const fns = [stack.fn("StatsApi/StatsApi"), stack.fn("StatsAuthorizer")];
    const checks = iamChecks(stack, fns);
    console.log(`IAM checks of the Stats API's requests: ${checks.length}\n${formatIamChecks(checks)}`);

    // Assess
    expect(checks.length).toBeGreaterThan(5);
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
    const raw = stack.nameOf("RawBucket");
    expect(checks.filter((c) => c.resource.includes(raw))).toEqual([]);
    // Both workgroups were used: statistics in marketing, the filtered reads in pipeline.
    expect(checks.some((c) => c.resource.includes("/marketing/"))).toBe(true);
    expect(checks.some((c) => c.resource.includes("/pipeline/"))).toBe(true);
  });
});

describe("the dashboard's panels on AWS: the stats-api function answers a signed-in person", () => {
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.stop();
  });

  /** `logsieve serve` over a local lake of the same log, and a marketing session from its printed link. */
  async function localServe(): Promise<{ url: string; cookie: string }> {
    const lake = join(dir, "lake");
    const config = join(dir, "config.json");
    const logFile = join(dir, "access.log");
    await writeFile(logFile, logText);
    const cli = (...args: string[]) =>
      run(process.execPath, ["bin/logsieve.js", "--lake", lake, "--config", config, ...args], { cwd: ROOT });
    await cli("ingest", "--site", "example.com", logFile);
    await cli("aggregate", "--all");
    serve = await startServeProcess(lake, config);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/dashboard\/\?token=[\w-]+)(?!#)\s/.exec(serve.stdout())?.[1];
    if (link === undefined) throw new Error(`no marketing sign-in link in: ${serve.stdout()}`);
    const signedIn = await fetch(link, { redirect: "manual" });
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    return { url: serve.url, cookie };
  }

  const ask = (base: string, path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("a marketing person's filtered question: 200, the k-checked answer `logsieve serve` gives; no marketing group: 403", async () => {
    // Prepare
    aws.cognito.addUser("mia@example.com", "Temp-Passw0rd-Mia!", ["marketing"]);
    aws.cognito.addUser("ola@example.com", "Temp-Passw0rd-Ola!", ["contractors"]);
    const mia = { authorization: `Bearer ${aws.cognito.idTokenFor("mia@example.com")}` };
    const ola = { authorization: `Bearer ${aws.cognito.idTokenFor("ola@example.com")}` };
    const local = await localServe();
    const asLocal = { cookie: local.cookie };
    const filtered = {
      site_id: "example.com",
      metrics: ["visitors", "pageviews"],
      date_range: [DAY, DAY],
      dimensions: ["event:page"],
      filters: [["is_not", "event:page", ["/page-1"]]],
    };
    const statsFn = stack.fn("StatsApi/StatsApi");
    const invocationsBefore = stack.logs(statsFn).length;

    // Act
    const onAws = await ask(api, "/api/dashboard/stats", filtered, mia);
    const onAwsBody = await onAws.text();
    const locally = await ask(local.url, "/api/dashboard/stats", filtered, asLocal);
    const csvOnAws = await ask(api, "/api/dashboard/stats.csv", filtered, mia);
    const csvLocally = await ask(local.url, "/api/dashboard/stats.csv", filtered, asLocal);
    const refused = await ask(api, "/api/dashboard/stats", filtered, ola);
    const refusedBody = (await refused.json()) as { error?: string };

    // Assess: page-0 and page-2 (7 and 6 people) and nobody alone (/alone is folded into (other) or dropped)
    expect(onAws.status, onAwsBody).toBe(200);
    expect(locally.status).toBe(200);
    expect(JSON.parse(onAwsBody)).toEqual(await locally.json());
    expect(
      (JSON.parse(onAwsBody) as { results: { dimensions: string[] }[] }).results.map((r) => r.dimensions[0]),
    ).toContain("/page-0");
    expect(csvOnAws.status).toBe(200);
    expect(await csvOnAws.text()).toBe(await csvLocally.text());
    expect(refused.status).toBe(403);
    expect(refusedBody.error).toBe("forbidden");
    // Answered by the stats-api function, whose own role read events/ in the pipeline workgroup, as IAM allows.
    expect(stack.logs(statsFn).length).toBeGreaterThan(invocationsBefore);
    const checks = iamChecks(stack, [statsFn]);
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
    expect(checks.some((c) => c.resource.includes("/pipeline/"))).toBe(true);
  });
});
