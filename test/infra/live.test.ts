import type { CfnElement, Stack } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { AWS_ENV } from "../../functions/runtime/env.ts";
import type { LogsieveStack } from "../../infra/stacks/logsieve-stack.ts";
import { ACCOUNT, IamSimulator, REGION, type Template } from "./helpers/iam-sim.ts";
import { synthLogsieve } from "./helpers/synth.ts";

/**
 * The live panel on AWS (infra/constructs/live.ts): a one-minute schedule runs the live function, which reads the
 * latest events/ partitions in the pipeline workgroup and may write stats/live/ and nothing else (offline IAM
 * evaluation of the synthesized policies).
 */

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

let resources: Record<string, Resource>;
let sim: IamSimulator;
let ids: { fn: string; role: string; raw: string; analytics: string; rawKey: string };

const logicalId = (s: Stack, element: unknown) => s.resolve(s.getLogicalId(element as CfnElement)) as string;
const obj = (bucketId: string, key: string) => `${sim.arnOf(bucketId)}/${key}`;
const workgroup = (name: string) => `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${name}`;

beforeAll(() => {
  // Prepare
  const { stack, template } = synthLogsieve();
  const l = (stack as LogsieveStack).logsieve;
  resources = template.toJSON().Resources as Record<string, Resource>;
  ids = {
    fn: logicalId(stack, l.live.function.fn.node.defaultChild),
    role: logicalId(stack, l.live.function.role.node.defaultChild),
    raw: logicalId(stack, l.storage.rawBucket.node.defaultChild),
    analytics: logicalId(stack, l.storage.analyticsBucket.node.defaultChild),
    rawKey: logicalId(stack, l.storage.rawKey.node.defaultChild),
  };
  sim = new IamSimulator(template.toJSON() as Template);
}, 120_000);

describe("the live function", () => {
  it("runs once a minute, in the pipeline workgroup", () => {
    // Act
    const rules = Object.values(resources).filter(
      (r) => r.Type === "AWS::Events::Rule" && JSON.stringify(r.Properties.Targets).includes(ids.fn),
    );
    const env = (
      resources[ids.fn]?.Properties.Environment as { Variables: Record<string, unknown> } | undefined
    )?.Variables;

    // Assess
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(["rate(1 minute)"]);
    expect(env?.[AWS_ENV.athenaWorkgroup]).toBe("logsieve-pipeline");
  });

  it("reads events/ and writes stats/live/, and nothing else", () => {
    // Act
    const allowed = [
      ["s3:GetObject", obj(ids.analytics, "events/dt=2026-12-06/in-0000.parquet")],
      ["s3:PutObject", obj(ids.analytics, "stats/live/dt=2026-12-06/live.json")],
      ["athena:StartQueryExecution", workgroup("logsieve-pipeline")],
    ].map(([action, resource]) =>
      sim.evaluate(ids.role, { action: action as string, resource: resource as string }),
    );
    const denied = [
      ["s3:PutObject", obj(ids.analytics, "stats/pages/dt=2026-12-06/x.parquet")],
      ["s3:PutObject", obj(ids.analytics, "events/dt=2026-12-06/x.parquet")],
      ["s3:GetObject", obj(ids.analytics, "salts/2026-12-06.bin")],
      ["s3:GetObject", obj(ids.raw, "security/dt=2026-12-06/hour=13/x.parquet")],
      ["kms:Decrypt", sim.arnOf(ids.rawKey)],
      ["athena:StartQueryExecution", workgroup("logsieve-marketing")],
      ["athena:StartQueryExecution", workgroup("logsieve-security")],
    ].map(([action, resource]) =>
      sim.evaluate(ids.role, { action: action as string, resource: resource as string }),
    );

    // Assess
    expect(allowed).toEqual(["allowed", "allowed", "allowed"]);
    // The raw bucket's and the raw key's policies deny every principal outside the pipeline and security roles
    // (raw-zone.ts): an explicit deny on top of the missing grant.
    expect(denied).toEqual([
      "implicit-deny",
      "implicit-deny",
      "implicit-deny",
      "explicit-deny",
      "explicit-deny",
      "implicit-deny",
      "implicit-deny",
    ]);
  });
});
