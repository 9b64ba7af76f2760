import { mkdir } from "node:fs/promises";
import { AthenaClient, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from "@aws-sdk/client-cognito-identity";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import * as OTPAuth from "otpauth";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeManifest } from "../../functions/core/hold/manifest.ts";
import { IamSimulator, type Template } from "../infra/helpers/iam-sim.ts";
import { iamRequestsFor } from "../standins/deployment/iam-check.ts";
import { type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * The deployed dashboards, on the wire: the dashboard-api bundle of cdk.out behind the template's HTTP API (routes
 * and JWT authorizer served locally), signing in through Cognito-shaped hosted pages (authorization code + PKCE,
 * a new password and TOTP enrolment on the first sign-in, then the token verified by aws-jwt-verify in the
 * function), reading data with the credentials the identity pool issues for the person's group, with the
 * stand-ins enforcing the template's IAM for those credentials. Headless Chromium drives the page; screenshots go
 * to artifacts/.
 */

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../../artifacts/", import.meta.url);
const CANARY = "198.51.100.77";
const UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
const PASSWORD = "Correct-Horse-Battery-9";

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let apiUrl: string;
let browser: Browser;
let raw: string;
/** The UTC day of the traffic (an hour ago: yesterday when the test runs just after midnight). */
let trafficDay: string;

function clf(ip: string, at: Date, method: string, path: string, status: number): string {
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p2 = (n: number) => String(n).padStart(2, "0");
  const stamp = `${p2(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${p2(at.getUTCHours())}:${p2(at.getUTCMinutes())}:${p2(at.getUTCSeconds())} +0000`;
  return `${ip} - - [${stamp}] "${method} ${path} HTTP/1.1" ${status} 512 "https://ref.example/x" "${UA}"`;
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  }));
  stack.enforceIam();
  apiUrl = await stack.exposeApi();
  raw = stack.nameOf("RawBucket");
  // Today's traffic, an hour ago: twenty visitors from twenty networks, and the canary trying logins.
  const at = new Date(Date.now() - 3_600_000);
  trafficDay = at.toISOString().slice(0, 10);
  const lines = [
    ...Array.from({ length: 20 }, (_, i) => clf(`198.18.${i + 1}.7`, at, "GET", `/page-${i % 3}`, 200)),
    ...Array.from({ length: 6 }, (_, i) =>
      clf(CANARY, new Date(at.getTime() + i * 1000), "POST", "/login", 401),
    ),
  ];
  aws.s3.put(raw, "incoming/site=example.com/web1/access.log", Buffer.from(`${lines.join("\n")}\n`));
  await stack.pump();
  aws.cognito.addUser("mia@example.com", "Temp-Passw0rd-Mia!", ["marketing"]);
  aws.cognito.addUser("lea@example.com", "Temp-Passw0rd-Lea!", ["security-lead"]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
    ],
  });
  await mkdir(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await stop?.();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: new URL(`dashboard-aws-${name}.png`, ARTIFACTS).pathname, fullPage: true });

/** The whole first sign-in of an invited person: password, new password, TOTP enrolment; back on the page. */
async function firstSignIn(page: Page, email: string, temporary: string, shots = false): Promise<void> {
  await page.goto(`${apiUrl}/dashboard/`);
  await page.waitForSelector("[data-testid=signin] button");
  if (shots) await shot(page, "01-signin");
  await page.click("[data-testid=signin] button");
  await page.waitForSelector("#username");
  expect(page.url().startsWith(aws.cognito.url)).toBe(true);
  await page.fill("#username", email);
  await page.fill("#password", temporary);
  if (shots) await shot(page, "02-hosted-signin");
  await page.click("button[type=submit]");
  await page.waitForSelector("#new-password");
  await page.fill("#new-password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("#totp-secret");
  if (shots) await shot(page, "03-totp-enrolment");
  const secret = (await page.textContent("#totp-secret")) ?? "";
  const code = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    digits: 6,
    period: 30,
  }).generate();
  await page.fill("#code", code);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-testid=role]");
}

describe("signing in after one deploy", () => {
  it("an invited marketing person sets a password, enrols TOTP and sees the statistics, from the API's own URL", async () => {
    // Prepare
    const context = await browser.newContext();
    const page = await context.newPage();

    // Act
    await firstSignIn(page, "mia@example.com", "Temp-Passw0rd-Mia!", true);
    await page.waitForFunction(() => document.querySelector("[data-query] tbody tr") !== null);
    await shot(page, "04-marketing");
    const role = await page.textContent("[data-testid=role]");
    const tabs = await page.$$eval("nav a, nav button", (els) => els.map((e) => e.textContent?.trim()));
    const landed = new URL(page.url());
    const security = await page.evaluate(async () => {
      const token = sessionStorage.getItem("logsieve.idToken");
      const r = await fetch("/api/dashboard/query/top-talkers", {
        headers: { authorization: `Bearer ${token}` },
      });
      return r.status;
    });
    const noToken = await page.evaluate(async () => (await fetch("/api/dashboard/me")).status);

    // Assess
    expect(role).toBe("marketing");
    expect(tabs.join(" ")).not.toMatch(/Security/);
    expect(`${landed.origin}${landed.pathname}`).toBe(`${apiUrl}/dashboard/`);
    // The OAuth response (code, state) is gone from the address; the page keeps only its own view state there.
    expect(
      [...new URLSearchParams(landed.search).keys()].filter((k) => k === "code" || k === "state"),
    ).toEqual([]);
    expect(aws.cognito.user("mia@example.com")?.totpSecret).toBeDefined();
    expect([security, noToken]).toEqual([403, 401]);
    await context.close();
  }, 180_000);

  it("a second sign-in asks for the TOTP code, and signing out ends at the hosted logout and back", async () => {
    // Prepare
    const context = await browser.newContext();
    const page = await context.newPage();
    const user = aws.cognito.user("mia@example.com");
    if (user?.totpSecret === undefined) throw new Error("the first sign-in test enrols Mia");
    const totp = new OTPAuth.TOTP({
      secret: new OTPAuth.Secret({ buffer: new Uint8Array(user.totpSecret).buffer }),
      digits: 6,
      period: 30,
    });

    // Act
    await page.goto(`${apiUrl}/dashboard/`);
    await page.click("[data-testid=signin] button");
    await page.fill("#username", "mia@example.com");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.fill("#code", totp.generate());
    await page.click("button[type=submit]");
    await page.waitForSelector("[data-testid=role]");
    await page.click("button:has-text('Sign out')");
    await page.waitForSelector("[data-testid=signin] button");

    // Assess
    expect(new URL(page.url()).pathname).toBe("/dashboard/");
    expect(await page.evaluate(() => sessionStorage.getItem("logsieve.idToken"))).toBeNull();
    await context.close();
  }, 120_000);
});

describe("the function verifies the token itself (aws-jwt-verify), whatever reaches it", () => {
  it("answers 401 to a forged, expired, wrongly addressed or access token, and 200 to a good ID token", async () => {
    // Prepare: events straight to the function, as if a route had no authorizer
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const good = aws.cognito.idTokenFor("mia@example.com");
    const [header, body] = good.split(".") as [string, string];
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = `${header}.${body}.${sign("RSA-SHA256", Buffer.from(`${header}.${body}`), other).toString("base64url")}`;
    const tokens: Record<string, string> = {
      good,
      forged,
      expired: aws.cognito.idTokenFor("mia@example.com", -120),
      access: aws.cognito.idTokenFor("mia@example.com", 3600, "access"),
      otherAudience: aws.cognito.tamperedTokenFor("mia@example.com", { aud: "another-client" }),
      otherIssuer: aws.cognito.tamperedTokenFor("mia@example.com", { iss: "https://issuer.example/pool" }),
    };
    const call = async (token: string) => {
      const result = await stack.invoke(stack.fn("DashboardApi"), {
        version: "2.0",
        routeKey: "GET /api/dashboard/{proxy+}",
        rawPath: "/api/dashboard/me",
        rawQueryString: "",
        headers: { host: "api.example", authorization: `Bearer ${token}` },
        requestContext: {
          http: {
            method: "GET",
            path: "/api/dashboard/me",
            protocol: "HTTP/1.1",
            sourceIp: "192.0.2.1",
            userAgent: "t",
          },
          routeKey: "GET /api/dashboard/{proxy+}",
          stage: "$default",
          requestId: "r",
          timeEpoch: Date.now(),
        },
      });
      return (result.value as { statusCode: number }).statusCode;
    };

    // Act
    const statuses: Record<string, number> = {};
    for (const [name, token] of Object.entries(tokens)) statuses[name] = await call(token);

    // Assess
    expect(statuses).toEqual({
      good: 200,
      forged: 401,
      expired: 401,
      access: 401,
      otherAudience: 401,
      otherIssuer: 401,
    });
  });
});

describe("IAM, not the function's code, keeps marketing out of the security zone", () => {
  it("a marketing token's credentials are refused the security workgroup and security/ objects", async () => {
    // Prepare: what the dashboard function would get for Mia, taken directly from the identity pool
    const env = stack.fn("DashboardApi").templateEnvironment;
    const cognito = new CognitoIdentityClient(aws.clientConfig("cognito-identity"));
    const logins = {
      [env.LOGSIEVE_COGNITO_ISSUER?.replace(/^https?:\/\//, "") ?? ""]:
        aws.cognito.idTokenFor("mia@example.com"),
    };
    const { IdentityId } = await cognito.send(
      new GetIdCommand({ IdentityPoolId: env.LOGSIEVE_IDENTITY_POOL_ID, Logins: logins }),
    );
    const { Credentials } = await cognito.send(
      new GetCredentialsForIdentityCommand({ IdentityId, Logins: logins }),
    );
    const credentials = {
      accessKeyId: Credentials?.AccessKeyId ?? "",
      secretAccessKey: Credentials?.SecretKey ?? "",
      sessionToken: Credentials?.SessionToken ?? "",
    };
    const athena = new AthenaClient({ ...aws.clientConfig("athena"), credentials });
    const s3 = new S3Client({ ...aws.clientConfig("s3"), credentials });

    // Act
    const securityQuery = await athena
      .send(
        new StartQueryExecutionCommand({
          QueryString: "SELECT count(*) FROM security",
          WorkGroup: env.LOGSIEVE_SECURITY_ATHENA_WORKGROUP,
          QueryExecutionContext: { Database: env.LOGSIEVE_GLUE_DATABASE },
        }),
      )
      .then(
        () => "allowed",
        (e: Error) => e.name,
      );
    const listSecurity = await s3.send(new ListObjectsV2Command({ Bucket: raw, Prefix: "security/" })).then(
      () => "allowed",
      (e: Error) => e.name,
    );
    const getIncoming = await s3
      .send(new GetObjectCommand({ Bucket: raw, Key: "incoming/site=example.com/web1/access.log" }))
      .then(
        () => "allowed",
        (e: Error) => e.name,
      );
    const marketingQuery = await athena
      .send(
        new StartQueryExecutionCommand({
          QueryString: "SELECT count(*) FROM stats_totals",
          WorkGroup: env.LOGSIEVE_ATHENA_WORKGROUP,
          QueryExecutionContext: { Database: env.LOGSIEVE_GLUE_DATABASE },
        }),
      )
      .then(
        () => "allowed",
        (e: Error) => e.name,
      );

    // Assess: the role is the token's (MarketingAnalyst), and IAM refuses it what the role does not grant.
    expect(aws.cognito.issued.at(-1)?.roleArn).toMatch(/role\/LogsieveAccessMarketingAnalyst/);
    expect([securityQuery, listSecurity, getIncoming]).toEqual([
      "AccessDeniedException",
      "AccessDenied",
      "AccessDenied",
    ]);
    expect(marketingQuery).toBe("allowed");
  });
});

describe("the Stats API's panels on AWS are answered by the stats-api function, never with the person's role", () => {
  it("visits and a filtered query answer for a marketing token; events/ is read only with the function's own role", async () => {
    // Prepare
    const token = aws.cognito.idTokenFor("mia@example.com");
    const ask = (body: unknown) =>
      fetch(`${apiUrl}/api/dashboard/stats`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // The earlier tests' pages may have left panel requests running in the dashboard function (their queries run
    // with the person's role); what this test counts starts after those.
    await stack.apiSettled();
    const before = aws.athena.executions.size;
    const personKeys = new Set(aws.cognito.issued.map((i) => i.accessKeyId));
    const statsKey = stack.fn("StatsApi/StatsApi").accessKeyId;
    const query = { site_id: "example.com", metrics: ["visits"], date_range: [trafficDay, trafficDay] };

    // Act
    const unfiltered = await ask(query);
    const unfilteredBody = (await unfiltered.json()) as { results: { metrics: number[] }[] };
    const filtered = await ask({ ...query, filters: [["is", "event:page", ["/page-1"]]] });
    const filteredBody = (await filtered.json()) as { results: { metrics: number[] }[] };
    const executions = [...aws.athena.executions.values()].slice(before);
    const readsOfEvents = executions.filter((e) => /\bFROM\s+events\b/i.test(e.sql));

    // Assess: the twenty people who each viewed one page made twenty visits (the canary's refused logins are
    // no page view), seven of them on /page-1; events/ was read in the pipeline workgroup by the stats-api
    // function's key, and no statement ran with a person's credentials
    expect(unfiltered.status).toBe(200);
    expect(unfilteredBody.results[0]?.metrics).toEqual([20]);
    expect(filtered.status, JSON.stringify(filteredBody)).toBe(200);
    expect(filteredBody.results[0]?.metrics).toEqual([7]);
    expect(readsOfEvents.length).toBeGreaterThan(0);
    expect(readsOfEvents.every((e) => e.accessKeyId === statsKey && e.workgroup.endsWith("pipeline"))).toBe(
      true,
    );
    expect(executions.filter((e) => personKeys.has(e.accessKeyId))).toEqual([]);
  });
});

describe("the security view and legal holds on AWS", () => {
  it("the security lead looks up one address and places a legal hold from the page", async () => {
    // Prepare
    const context = await browser.newContext();
    const page = await context.newPage();
    await firstSignIn(page, "lea@example.com", "Temp-Passw0rd-Lea!");
    await page.goto(`${apiUrl}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);

    // Act
    await page.fill("[data-testid=ip-input]", CANARY);
    await page.click("[data-testid=show-timeline]");
    await page.waitForSelector("section[data-query=ip-timeline] tbody td[data-column=target]");
    const timeline = await page.$$eval(
      "section[data-query=ip-timeline] tbody td[data-column=target]",
      (cells) => cells.length,
    );
    await page.waitForSelector("[data-testid=hold-incident]");
    await page.fill("[data-testid=hold-incident]", "INC-AWS-1");
    await page.fill("[data-testid=hold-reason]", "login brute force, ticket SEC-7");
    await page.click("[data-testid=hold-submit]");
    await page.waitForSelector("[data-testid=hold-result].ok", { timeout: 60_000 });
    await page.waitForSelector("[data-testid=holds] tbody tr");
    await shot(page, "05-security-hold");
    const message = (await page.textContent("[data-testid=hold-result]")) ?? "";

    // Assess: the timeline shows the canary's six requests; the hold wrote held evidence, a manifest with hashes
    // and an audit event that nobody can delete before its retention date
    expect(timeline).toBe(6);
    expect(message).toContain("Legal hold INC-AWS-1 placed: 6 record");
    const evidence = aws.s3.versions(raw, "evidence/incident=INC-AWS-1/");
    const records = evidence.filter((v) => v.key.includes("/records/"));
    expect(records.length).toBeGreaterThan(0);
    expect(evidence.every((v) => v.legalHold === "ON")).toBe(true);
    const manifest = decodeManifest(
      aws.s3.get(raw, "evidence/incident=INC-AWS-1/manifest.json") as Buffer,
      "manifest.json",
    );
    expect(manifest.protection).toBe("s3-object-lock-legal-hold");
    expect(manifest.records).toBe(6);
    expect(manifest.createdBy).toBe("lea@example.com");
    expect(manifest.objects.map((o) => o.key).sort()).toEqual(records.map((v) => v.key).sort());
    expect(manifest.sources.length).toBeGreaterThan(0);
    const audit = aws.s3.versions(raw, "evidence/audit/holds/");
    expect(audit).toHaveLength(1);
    expect(audit[0]?.retention?.mode).toBe("COMPLIANCE");
    expect(audit[0]?.retention?.until).toBeGreaterThan(Date.now() + 1000 * 86_400_000);
    await context.close();
  }, 240_000);

  it("kept every address out of Athena's query history, and left no lookup behind", () => {
    // Act
    const statements = [...aws.athena.executions.values()].map((e) => e.sql);

    // Assess
    expect(statements.some((sql) => sql.includes("security_lookups"))).toBe(true);
    expect(statements.filter((sql) => sql.includes(CANARY))).toEqual([]);
    expect(aws.s3.versions(raw, "lookups/")).toEqual([]);
  });

  it("made every call with the signed-in person's role, each allowed by that role's policies", () => {
    // Prepare
    const sim = new IamSimulator(stack.assembly.template as unknown as Template);
    const requestsOf = iamRequestsFor(stack, sim);

    // Act
    const rows: { who: string; role: string; action: string; resource: string; decision: string }[] = [];
    for (const issued of aws.cognito.issued) {
      const role = issued.roleArn.slice(issued.roleArn.indexOf(":role/") + 6);
      for (const recorded of aws.requests.filter(
        (r) => r.accessKeyId === issued.accessKeyId && r.status < 400,
      )) {
        for (const request of requestsOf(recorded)) {
          rows.push({
            who: issued.email,
            role,
            action: request.action,
            resource: request.resource,
            decision: sim.evaluate(role, request),
          });
        }
      }
    }
    const unique = [...new Map(rows.map((r) => [`${r.role} ${r.action} ${r.resource}`, r])).values()];
    console.log(
      `Dashboard calls by role session (${unique.length}):\n${unique.map((r) => `${r.decision.padEnd(13)} ${r.who.padEnd(16)} ${r.action.padEnd(26)} ${r.resource}`).join("\n")}`,
    );

    // Assess
    expect(unique.some((r) => r.who === "lea@example.com" && r.action === "s3:PutObjectLegalHold")).toBe(
      true,
    );
    expect(unique.filter((r) => r.decision !== "allowed")).toEqual([]);
    // The dashboard function's own key asked S3 and Athena for nothing.
    const own = stack.fn("DashboardApi").accessKeyId;
    expect(aws.requests.filter((r) => r.accessKeyId === own && ["s3", "athena"].includes(r.service))).toEqual(
      [],
    );
  });
});
