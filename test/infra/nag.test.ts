import { App, Stack, Validations } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { nagFindings, synthLogsieve } from "./helpers/synth.ts";

const ACK_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

describe("cdk-nag (AwsSolutions and Serverless packs)", () => {
  let app: App;

  beforeAll(() => {
    // Prepare
    ({ app } = synthLogsieve({ deploy: { alarmEmail: "ops@example.com" } }));
  });

  it("reports no unacknowledged finding on the whole deployment", () => {
    // Act
    const findings = nagFindings(app).flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`),
    );

    // Assess
    expect(findings).toEqual([]);
  });

  it("every acknowledgement names one rule and gives a specific reason", () => {
    // Act
    const acks = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata.filter((m) => m.type === ACK_KEY).map((m) => ({ path: c.node.path, data: m.data })),
      )
      .flatMap(({ path, data }) =>
        Object.entries(data as Record<string, string>).map(([key, reason]) => ({
          path,
          id: key.replace(/^[A-Za-z]+::/, ""),
          reason,
        })),
      );

    // Assess
    expect(acks.length).toBeGreaterThan(10);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it("fails on a new finding: a bucket without TLS enforcement or access logs is reported", () => {
    // Prepare
    const probeApp = new App();
    const probe = new Stack(probeApp, "Probe");
    new s3.Bucket(probe, "Careless");

    // Act
    const rules = nagFindings(probeApp).map((v) => v.ruleName);

    // Assess
    expect(rules).toEqual(expect.arrayContaining(["AwsSolutions-S1", "AwsSolutions-S10"]));
  });
});
