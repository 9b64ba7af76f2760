import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type PolicyViolation, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { FunctionEntries } from "../../../infra/constructs/function-entries.ts";
import type { LogsievePipelineProps } from "../../../infra/constructs/logsieve-pipeline.ts";
import { AwsSolutionsChecks, ServerlessChecks } from "../../../infra/constructs/nag.ts";
import { LogsieveStack } from "../../../infra/stacks/logsieve-stack.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const FIXTURES = resolve(ROOT, "test/fixtures/infra");

/** Small real handlers, so the infra tests depend on nobody else's progress. */
export const FIXTURE_ENTRIES: FunctionEntries = {
  ingest: "test/fixtures/infra/handlers/ingest.ts",
  aggregate: "test/fixtures/infra/handlers/aggregate.ts",
  sweep: "test/fixtures/infra/handlers/sweep.ts",
  collect: "test/fixtures/infra/handlers/collect.ts",
  dashboardApi: "test/fixtures/infra/handlers/dashboard-api.ts",
  statsApi: "test/fixtures/infra/handlers/stats-api.ts",
  statsAuthorizer: "test/fixtures/infra/handlers/stats-authorizer.ts",
  live: "test/fixtures/infra/handlers/live.ts",
  land: "test/fixtures/infra/handlers/land.ts",
};

/** The feature flags the real app runs with (cdk.json), so the tests synthesize the same template. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(resolve(ROOT, "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
}

/** Synthesizes the logsieve stack with the fixture handlers and queries. */
export function synthLogsieve(pipeline: Partial<LogsievePipelineProps> = {}): Synthesized {
  const app = new App({ context: cdkJsonContext() });
  const stack = new LogsieveStack(app, "Logsieve", {
    env: { account: "111111111111", region: "eu-central-1" },
    pipeline: {
      functionEntries: FIXTURE_ENTRIES,
      queriesDir: resolve(FIXTURES, "queries"),
      trackerScript: "test/fixtures/infra/tracker/logsieve.js",
      dashboardAssetsDir: resolve(FIXTURES, "dashboard"),
      minify: false,
      ...pipeline,
    },
  });
  const template = Template.fromStack(stack);
  return { app, stack, template };
}

/** Runs the cdk-nag packs the app gates on over the synthesized tree; returns every unacknowledged finding. */
export function nagFindings(app: App): PolicyViolation[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap(
    (pack) => pack.validateScope(app).violations,
  );
}
