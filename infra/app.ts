import { App, Validations } from "aws-cdk-lib";
import { ensureDashboardBuilt } from "../functions/apps/dashboard/build.ts";
import { ConfigError } from "../functions/core/config.ts";
import { MissingHandlerError } from "./constructs/function-entries.ts";
import { AwsSolutionsChecks, ServerlessChecks } from "./constructs/nag.ts";
import { readSettings } from "./constructs/settings.ts";
import { LogsieveStack } from "./stacks/logsieve-stack.ts";

/**
 * `npx cdk synth` / `npx cdk deploy`. Settings come from CDK context (cdk.json, or `-c logsieve:...=...`);
 * a bad value stops synth with the setting's name. cdk-nag runs on every synth: an unacknowledged finding is
 * an error.
 */
// The dashboard API ships the built page assets; build them if this checkout has none yet.
await ensureDashboardBuilt();
const app = new App();
try {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  new LogsieveStack(app, "Logsieve", {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.deploy.region },
    description: "logsieve: privacy-first web log and tracking pipeline",
    pipeline: { config: settings.config, deploy: settings.deploy },
  });
} catch (error) {
  // A bad setting or a missing handler is the operator's to fix: say what, not where in our code.
  if (error instanceof ConfigError || error instanceof MissingHandlerError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);
app.synth();
