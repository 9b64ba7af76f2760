import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Deployment, deployOnStandins, PROJECT_ROOT } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * `logsieve aws smoke` as an operator runs it after `cdk deploy`: the real command in a child process, with the
 * operator's own key (an administrator of the account, whom the stand-ins do not check) and an MFA code, against
 * the stack `cdk synth` writes deployed onto the stand-ins — CloudFormation (outputs, resources), STS, S3, SQS,
 * Athena on DuckDB, CloudWatch (alarms; the Lambda metrics of each invocation) — with the template's IAM enforced
 * for every role session. While the command waits for its canary, the test plays Lambda's pollers (S3 → SQS →
 * ingest). Once everything passes; once with a read denied, which must fail its row and the exit code.
 */

const OPERATOR_KEY = "AKIDSMOKEOPERATOR";
const MFA_SERIAL = "arn:aws:iam::111111111111:mfa/operator";

let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let raw: string;

interface SmokeRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The table's rows by check: PASS or FAIL and the detail. */
  readonly rows: ReadonlyMap<string, { result: string; detail: string }>;
}

/** Runs the command to its end, pumping the deployment's queues meanwhile as Lambda would. */
async function smoke(args: readonly string[]): Promise<SmokeRun> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(PROJECT_ROOT, "functions/cli/main.ts"), "aws", "smoke", ...args],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...aws.clientEnv(OPERATOR_KEY) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let exited = false;
  const done = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      exited = true;
      resolve(code);
    }),
  );
  while (!exited) {
    await stack.pump();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const code = await done;
  const rows = new Map<string, { result: string; detail: string }>();
  for (const line of stdout.split("\n")) {
    const match = /^(.+?)\s{2,}(PASS|FAIL)\s{2,}(.*)$/.exec(line);
    if (match !== null)
      rows.set((match[1] as string).trim(), { result: match[2] as string, detail: match[3] as string });
  }
  return { code, stdout, stderr, rows };
}

const CHECKS = [
  "stack outputs",
  "roles assumed",
  "canary uploaded to incoming/",
  "ingest wrote the canary to security/",
  "SecurityAnalyst sees the canary",
  "MarketingAnalyst reads stats/",
  "MarketingAnalyst denied security/ (Athena)",
  "MarketingAnalyst denied security/ (list)",
  "MarketingAnalyst denied security/ (read)",
  "sweeper ran (last 2 h)",
  "alarms exist",
  "canary removed",
];

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  }));
  stack.enforceIam();
  stack.registerStack();
  raw = stack.nameOf("RawBucket");
  // A day of traffic for the statistics, and the sweeper's hourly run.
  const at = new Date(Date.now() - 3_600_000);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const stamp = `${p2(at.getUTCDate())}/${months[at.getUTCMonth()]}/${at.getUTCFullYear()}:${p2(at.getUTCHours())}:${p2(at.getUTCMinutes())}:${p2(at.getUTCSeconds())} +0000`;
  const lines = Array.from(
    { length: 12 },
    (_, i) =>
      `198.18.${i + 1}.7 - - [${stamp}] "GET /page-${i % 3} HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"`,
  );
  aws.s3.put(raw, "incoming/site=example.com/web1/access.log", Buffer.from(`${lines.join("\n")}\n`));
  await stack.pump();
  await stack.fireSchedule("SweepHourly");
}, 600_000);

afterAll(async () => {
  await stop?.();
});

describe("logsieve aws smoke", () => {
  it("--help describes the command", async () => {
    // Act
    const help = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", join(PROJECT_ROOT, "functions/cli/main.ts"), "aws", "smoke", "--help"],
        { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString("utf8");
      });
      child.on("close", (code) => resolve({ code, out }));
    });

    // Assess
    expect(help.code).toBe(0);
    expect(help.out).toContain("--stack <name>");
    expect(help.out).toContain("--mfa-code");
  });

  it("passes on a working deployment: every check, exit code 0, the canary gone from incoming/", async () => {
    // Act
    const run = await smoke([
      "--stack",
      "Logsieve",
      "--timeout",
      "180",
      "--poll",
      "1",
      "--mfa-serial",
      MFA_SERIAL,
      "--mfa-code",
      "123456",
    ]);
    console.log(`logsieve aws smoke (passing run):\n${run.stdout}`);

    // Assess: every row passed, in order, and what the rows claim is what the stand-ins saw
    expect([...run.rows.keys()]).toEqual(CHECKS);
    expect([...run.rows.values()].filter((r) => r.result !== "PASS")).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${CHECKS.length} checks passed`);
    expect(run.rows.get("SecurityAnalyst sees the canary")?.detail).toMatch(/^1 record/);
    expect(run.rows.get("MarketingAnalyst denied security/ (list)")?.detail).toMatch(
      /refused \(AccessDenied\)/,
    );
    // The roles were assumed with the MFA session, never with the operator's own key.
    const mfaKeys = [...aws.sts.mfaSessions].filter(
      ([, s]) => s.caller === OPERATOR_KEY && s.serial === MFA_SERIAL,
    );
    expect(mfaKeys).toHaveLength(1);
    const assumed = aws.sts.assumed().filter((s) => s.sessionName === "logsieve-smoke");
    expect(
      assumed
        .map((s) =>
          s.roleArn
            .split("/")
            .pop()
            ?.replace(/[0-9A-F]{8}$/, ""),
        )
        .sort(),
    ).toEqual([
      "LogsieveAccessLogShipper",
      "LogsieveAccessMarketingAnalyst",
      "LogsieveAccessSecurityAnalyst",
    ]);
    expect(assumed.every((s) => s.assumedBy === mfaKeys[0]?.[0])).toBe(true);
    // The canary went through ingestion into security/ and is gone from incoming/ (no version left).
    expect(aws.s3.versions(raw, "incoming/logsieve-smoke/")).toEqual([]);
    expect(aws.s3.versions(raw, "security/").length).toBeGreaterThan(1);
    expect(run.stderr + run.stdout).not.toMatch(/192\.0\.2\./);
  }, 400_000);

  it("fails when a stand-in denies a read: the failing row, the others still checked, exit code 1", async () => {
    // Prepare: MarketingAnalyst's sessions are refused reading the statistics (as a broken policy would)
    const marketingKeys = () =>
      new Set(
        aws.sts
          .assumed()
          .filter((s) => s.roleArn.includes("MarketingAnalyst"))
          .map((s) => s.accessKeyId),
      );
    const workgroup = stack.outputs().MarketingWorkgroupName?.value ?? "";
    const rule = aws.deny({
      service: "athena",
      action: "StartQueryExecution",
      resource: workgroup,
      when: (r) => marketingKeys().has(r.accessKeyId),
    });

    // Act
    const run = await smoke(["--stack", "Logsieve", "--timeout", "180", "--poll", "1"]);
    rule.remove();
    console.log(`logsieve aws smoke (a read denied):\n${run.stdout}`);

    // Assess
    expect(run.code).toBe(1);
    expect(run.rows.get("MarketingAnalyst reads stats/")).toEqual({
      result: "FAIL",
      detail: expect.stringMatching(/AccessDenied/),
    });
    expect([...run.rows].filter(([, r]) => r.result === "FAIL").map(([name]) => name)).toEqual([
      "MarketingAnalyst reads stats/",
    ]);
    expect(run.stdout).toContain(`1 of ${CHECKS.length} checks failed`);
    expect(workgroup).not.toBe("");
    expect(rule.denied).toBeGreaterThan(0);
    expect(aws.s3.versions(raw, "incoming/logsieve-smoke/")).toEqual([]);
  }, 400_000);
});
