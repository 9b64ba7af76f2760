import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIamChecks, iamChecks } from "../standins/deployment/iam-check.ts";
import { type Deployment, deployOnStandins } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * The live panel on AWS (issue 17 item 3): the live bundle `cdk synth` writes, fired by its one-minute schedule,
 * computes the figures of the last 30 minutes and of today from the latest events/ partitions on the Athena
 * stand-in (pipeline workgroup), k applied, into stats/live/; the dashboard bundle serves them to a signed-in
 * marketing person, reading with the role the identity pool issues for her token. Every call the live function
 * made is one its role allows.
 */

const SITES = "example.com,shop.example.com";
const UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let analytics: string;

function combined(ip: string, day: number, hour: number, minute: number, path: string): string {
  const at = `${day}/Nov/2026:${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00 +0000`;
  return `${ip} - - [${at}] "GET ${path} HTTP/1.1" 200 512 "https://ref.example/x" "${UA}"`;
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({ synth: { context: { "logsieve:sites": SITES } } }));
  analytics = stack.nameOf("AnalyticsBucket");
  // The user pool and identity pool as the template configures them: the dashboard reads as the person's role.
  await stack.exposeApi();
  aws.cognito.addUser("mia@example.com", "Temp-Passw0rd-Mia!", ["marketing"]);
  aws.clock.advance(Date.UTC(2026, 10, 21, 6) - aws.clock.now());
  // "Now" will be 21 Nov, 09:00 (set when the schedule fires: pumping moves the clock). example.com: twelve people
  // in the last half hour, four more earlier today, twenty yesterday; shop.example.com: two people right now, under k.
  const raw = stack.nameOf("RawBucket");
  const lines = (
    ips: (i: number) => string,
    n: number,
    day: number,
    hour: number,
    minute: number,
    path = "/",
  ) => Array.from({ length: n }, (_, i) => combined(ips(i), day, hour, minute, path)).join("\n");
  const example = [
    lines((i) => `198.18.${i + 1}.7`, 20, 20, 11, 0),
    lines((i) => `203.0.${i + 1}.9`, 12, 21, 8, 45),
    lines((i) => `203.1.${i + 1}.9`, 4, 21, 2, 10),
  ].join("\n");
  aws.s3.put(raw, "incoming/site=example.com/web1/access.log", Buffer.from(`${example}\n`));
  aws.s3.put(
    raw,
    "incoming/site=shop.example.com/web1/access.log",
    Buffer.from(`${lines((i) => `203.2.${i + 1}.9`, 2, 21, 8, 50, "/cart")}\n`),
  );
  const batches = await stack.pump();
  if (batches.some((b) => !b.result.ok)) throw new Error("the ingest or aggregate bundle failed");
  aws.clock.advance(Date.UTC(2026, 10, 21, 9) - aws.clock.now());
}, 600_000);

afterAll(async () => {
  await stop?.();
});

describe("the live panel on AWS", () => {
  it("the one-minute schedule writes today's k-applied figures from the latest events/ partitions", async () => {
    // Act
    const [run] = await stack.fireSchedule("Live/EveryMinute");
    const stored = aws.s3.get(analytics, "stats/live/dt=2026-11-21/live.json");
    const snapshot = JSON.parse((stored as Buffer).toString("utf8")) as {
      asOf: string;
      sites: Record<string, unknown>[];
    };

    // Assess
    expect(run?.ok, JSON.stringify(run?.error)).toBe(true);
    expect(snapshot.asOf).toBe("2026-11-21T09:00:00.000Z");
    // Yesterday's twenty are not today's; the two on shop.example.com are fewer than k = 5: no figure at all.
    expect(snapshot.sites).toEqual([
      {
        site: "example.com",
        visitorsWindow: 12,
        pageviewsWindow: 12,
        visitorsToday: 16,
        pageviewsToday: 16,
      },
      {
        site: "shop.example.com",
        visitorsWindow: null,
        pageviewsWindow: null,
        visitorsToday: null,
        pageviewsToday: null,
      },
    ]);
  });

  it("the dashboard serves them to a marketing session", async () => {
    // Act
    const answer = await stack.invoke(stack.fn("DashboardApi"), {
      version: "2.0",
      routeKey: "GET /api/dashboard/{proxy+}",
      rawPath: "/api/dashboard/live",
      rawQueryString: "site=example.com",
      headers: {
        host: "dashboard.example",
        "user-agent": UA,
        authorization: `Bearer ${aws.cognito.idTokenFor("mia@example.com")}`,
      },
      requestContext: {
        accountId: aws.account,
        apiId: "standin",
        domainName: "dashboard.example",
        domainPrefix: "standin",
        http: {
          method: "GET",
          path: "/api/dashboard/live",
          protocol: "HTTP/1.1",
          sourceIp: "192.0.2.10",
          userAgent: UA,
        },
        requestId: "standin",
        routeKey: "GET /api/dashboard/{proxy+}",
        stage: "$default",
        time: new Date(aws.clock.now()).toUTCString(),
        timeEpoch: aws.clock.now(),
        authorizer: {
          jwt: { claims: { "cognito:groups": "[marketing]", email: "mia@example.com" }, scopes: null },
        },
      },
      isBase64Encoded: false,
    });

    // Assess
    expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
    const response = answer.value as { statusCode: number; body: string };
    expect(response.statusCode, response.body).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      site: "example.com",
      asOf: "2026-11-21T09:00:00.000Z",
      visitorsWindow: 12,
      visitorsToday: 16,
    });
    // Read with Mia's role (MarketingAnalyst, from the identity pool), not with the function's own.
    const marketingKeys = aws.cognito.issued
      .filter((i) => /MarketingAnalyst/.test(i.roleArn))
      .map((i) => i.accessKeyId);
    expect(
      aws.requests.some(
        (r) =>
          r.service === "s3" &&
          r.action === "GetObject" &&
          r.resource.includes("stats/live/") &&
          marketingKeys.includes(r.accessKeyId),
      ),
    ).toBe(true);
  });

  it("every call the live and dashboard functions made is one their roles allow", () => {
    // Act
    const checks = iamChecks(stack, [stack.fn("Live/Live"), stack.fn("DashboardApi")]);
    console.log(`IAM checks of the live function's requests: ${checks.length}\n${formatIamChecks(checks)}`);

    // Assess
    expect(checks.length).toBeGreaterThan(3);
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
    expect(checks.some((c) => c.action === "s3:PutObject" && c.resource.includes("/stats/live/"))).toBe(true);
  });
});
