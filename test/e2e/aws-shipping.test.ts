import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatIamChecks, iamChecks, iamChecksForPolicy } from "../standins/deployment/iam-check.ts";
import { type Deployment, deployOnStandins, PROJECT_ROOT } from "../standins/deployment/index.ts";
import type { Standins } from "../standins/index.ts";

/**
 * Getting logs into incoming/ of a deployed stack, on the stand-ins: `logsieve ship` from a host outside AWS (the
 * AWS SDK's credential chain, the LogShipper policy), and ALB access logs moved from their SSE-S3 landing bucket by
 * the land function's bundle. Each file is ingested exactly once, however often it is shipped or announced.
 */

const run = promisify(execFile);
let aws: Standins;
let stack: Deployment;
let stop: () => Promise<void>;
let raw: string;
let dir: string;
const SHIPPER_KEY = "AKIDLOGSHIPPER";

/** A day of access log in time order, as a server writes it. */
function combinedLines(count: number, prefix: string): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const second = Math.floor((i * 86_399) / count);
    const time = [Math.floor(second / 3600), Math.floor(second / 60) % 60, second % 60]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
    lines.push(
      `10.${i % 200}.${(i >> 8) % 200}.9 - - [20/Nov/2026:${time} +0000] "GET /${prefix}/${i % 50} HTTP/1.1" 200 ${i % 9000} "-" "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A file rotated an hour ago (ship refuses files changed in the last minute). */
function rotated(name: string, body: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(path, hourAgo, hourAgo);
  return path;
}

async function ship(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await run("node", [resolve(PROJECT_ROOT, "bin/logsieve.js"), "ship", ...args], {
      cwd: dir,
      // Only what a host outside AWS would have: its credentials (here, the stand-ins') and a home without a profile.
      env: { PATH: process.env.PATH ?? "", HOME: dir, ...aws.clientEnv(SHIPPER_KEY) },
    });
    return { code: 0, ...out };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function ingestedLines(): number {
  return [...stack.logs(stack.fn("Ingest")).matchAll(/"message":"ingested".*?"lines":(\d+)/g)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
}

beforeAll(async () => {
  ({ aws, stack, stop } = await deployOnStandins({
    synth: { context: { "logsieve:sites": "example.com" } },
  }));
  raw = stack.nameOf("RawBucket");
  dir = mkdtempSync(join(tmpdir(), "logsieve-ship-"));
}, 300_000);

afterAll(async () => {
  await stop?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("logsieve ship", () => {
  it("uploads rotated logs under content-named keys, in parts above 8 MiB, with the bucket's KMS key", async () => {
    // Prepare: a small rotated file and one of ~9.6 MB (two parts)
    const small = rotated("access.log.1", combinedLines(300, "small"));
    const big = rotated("access.log.2", combinedLines(80_000, "big"));

    // Act
    const result = await ship(small, big, "--bucket", raw, "--site", "example.com", "--host", "web1");

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const keys = aws.s3.keys(raw, "incoming/site=example.com/web1/");
    expect(keys).toHaveLength(2);
    expect(
      keys.every((k) => /^incoming\/site=example\.com\/web1\/[0-9a-f]{16}-access\.log\.[12]$/.test(k)),
    ).toBe(true);
    const bigKey = keys.find((k) => k.endsWith("access.log.2")) as string;
    expect(aws.s3.get(raw, bigKey)?.equals(readFileSync(big))).toBe(true);
    expect(aws.s3.head(raw, bigKey)?.etag).toMatch(/-2"$/);
    expect(aws.s3.head(raw, bigKey)?.sse.algorithm).toBe("aws:kms");
    expect(result.stdout).toContain("2 parts");
  }, 600_000);

  it("ships a file once: a second run reports it as already shipped and adds no version", async () => {
    // Prepare
    const versionsBefore = aws.s3.versions(raw, "incoming/").length;

    // Act
    const again = await ship(
      join(dir, "access.log.1"),
      join(dir, "access.log.2"),
      "--bucket",
      raw,
      "--site",
      "example.com",
      "--host",
      "web1",
    );

    // Assess
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/already shipped/g)).toHaveLength(2);
    expect(aws.s3.versions(raw, "incoming/")).toHaveLength(versionsBefore);
  }, 600_000);

  it("refuses a file still being written, names why, and ships nothing", async () => {
    // Prepare
    const live = join(dir, "access.log");
    writeFileSync(live, combinedLines(10, "live"));
    const before = aws.s3.versions(raw, "incoming/").length;

    // Act
    const result = await ship(live, "--bucket", raw, "--site", "example.com");

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("changed in the last minute");
    expect(aws.s3.versions(raw, "incoming/")).toHaveLength(before);
  }, 600_000);

  it("every call the shipper made is allowed by the LogShipper policy alone", () => {
    // Prepare
    const s = stack.resolver;
    const policy = s
      .ofType("AWS::IAM::ManagedPolicy")
      .find((id) => s.pathOf(id).includes("/LogShipperPolicy/")) as string;

    // Act
    const checks = iamChecksForPolicy(stack, SHIPPER_KEY, policy);
    console.log(`LogShipper, calls of logsieve ship:\n${formatIamChecks(checks)}`);

    // Assess: multipart (PutObject) with SSE-KMS (GenerateDataKey, Decrypt) on the shipped keys; nothing denied
    expect(checks.map((c) => c.action).sort()).toEqual(
      expect.arrayContaining(["kms:Decrypt", "kms:GenerateDataKey", "s3:PutObject"]),
    );
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
  }, 600_000);

  it("the ingest bundle then reads each shipped file once", async () => {
    // Act
    await stack.pump({ only: ["Pipeline/Ingest"] });

    // Assess
    expect(ingestedLines()).toBe(80_300);
    expect(aws.sqs.messages(stack.nameOf("IngestDlq"))).toEqual([]);
  }, 600_000);
});

describe("ALB access logs", () => {
  const landed = `AWSLogs/${"111111111111"}/elasticloadbalancing/eu-central-1/2026/11/20/111111111111_elasticloadbalancing_eu-central-1_app.my-alb.50dc6c495c0c9188_20261120T1200Z_198.51.100.7_2bw5y3xa.log.gz`;

  it("land in the SSE-S3 bucket, are moved into incoming/alb/ re-encrypted with the raw key, and ingested once", async () => {
    // Prepare
    const landing = stack.nameOf("AlbLogBucket");
    const before = ingestedLines();
    aws.s3.put(
      landing,
      landed,
      gzipSync(readFileSync(resolve(PROJECT_ROOT, "test/fixtures/logs/aws_alb_docs.log"))),
    );

    // Act
    const batches = await stack.pump({ only: ["Pipeline/Land", "Pipeline/Ingest"] });

    // Assess
    const moved = `incoming/alb/${landed}`;
    expect(
      batches.map((b) => [stack.functions.get(b.functionLogicalId)?.path.split("/")[3], b.result.ok]),
    ).toEqual([
      ["Land", true],
      ["Ingest", true],
    ]);
    expect(aws.s3.head(landing, landed)).toBeUndefined();
    expect(aws.s3.head(raw, moved)?.sse).toMatchObject({ algorithm: "aws:kms" });
    expect(ingestedLines() - before).toBe(7);
    // The land function logs keys without the node address ALB puts in the file name.
    expect(stack.logs(stack.fn("Land"))).not.toContain("198.51.100.7");
  }, 600_000);

  it("a notification delivered again moves nothing twice: no second version, no second ingestion", async () => {
    // Prepare: the same object lands again (a retried delivery) while the first copy is already in incoming/
    const landing = stack.nameOf("AlbLogBucket");
    const before = ingestedLines();
    const versions = aws.s3.versions(raw, "incoming/alb/").length;
    aws.s3.put(
      landing,
      landed,
      gzipSync(readFileSync(resolve(PROJECT_ROOT, "test/fixtures/logs/aws_alb_docs.log"))),
    );

    // Act
    await stack.pump({ only: ["Pipeline/Land", "Pipeline/Ingest"] });

    // Assess
    expect(aws.s3.versions(raw, "incoming/alb/")).toHaveLength(versions);
    expect(aws.s3.head(landing, landed)).toBeUndefined();
    expect(ingestedLines()).toBe(before);
    expect(stack.logs(stack.fn("Land"))).toContain('"outcome":"already-moved"');
  }, 600_000);

  it("every call of the land and ingest bundles is allowed by their roles", () => {
    // Act
    const checks = iamChecks(stack, [stack.fn("Land"), stack.fn("Ingest")]);

    // Assess
    expect(checks.length).toBeGreaterThan(5);
    expect(checks.filter((c) => c.decision !== "allowed")).toEqual([]);
  }, 600_000);
});
