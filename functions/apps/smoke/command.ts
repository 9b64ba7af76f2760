import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import { renderSmokeTable, smokeExitCode } from "../../core/smoke/report.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";

/**
 * `logsieve aws smoke --stack <name>`: after `cdk deploy`, with the operator's own AWS credentials (the SDK's usual
 * chain: environment, profile, SSO), checks that the deployment ingests, keeps marketing out of the security zone,
 * sweeps and alarms; prints a pass/fail table and exits 1 when anything failed (apps/smoke/aws.ts has the checks,
 * docs/DEPLOY.md when to run it).
 */

interface SmokeCommandOptions {
  readonly stack: string;
  readonly region?: string;
  readonly timeout: string;
  readonly poll: string;
  readonly mfaSerial?: string;
  readonly mfaCode?: string;
}

function seconds(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${option} ${text} is not a whole number of seconds from ${min} to ${max}`);
  }
  return value;
}

export function registerSmokeCommand(program: Command): void {
  const aws = program.command("aws").description("commands for a deployment on AWS (see docs/DEPLOY.md)");
  aws
    .command("smoke")
    .description(
      "check a deployed stack end to end with your AWS credentials: upload a canary log, wait for ingestion, query as " +
        "MarketingAnalyst (stats yes, security/ no) and SecurityAnalyst (the canary), sweeper runs, alarms; " +
        "print a pass/fail table (exit code 1 on any failure) and remove the canary",
    )
    .requiredOption("--stack <name>", "the CloudFormation stack `cdk deploy` created (e.g. Logsieve)")
    .option("--region <region>", "its region (default: AWS_REGION or your profile's)")
    .option("--timeout <seconds>", "how long to wait for the canary to be ingested", "600")
    .option("--poll <seconds>", "how often to look for it meanwhile", "10")
    .option("--mfa-serial <arn>", "your MFA device, when your credentials are not MFA-authenticated yet")
    .option("--mfa-code <code>", "its current code (used once, for one GetSessionToken)")
    .action(async (options: SmokeCommandOptions) => {
      if ((options.mfaSerial === undefined) !== (options.mfaCode === undefined)) {
        throw new UsageError("--mfa-serial and --mfa-code go together");
      }
      // The AWS SDK (five clients) is loaded only by this command, not by every start of `logsieve`.
      const { runAwsSmoke } = await import("./aws.ts");
      const checks = await runAwsSmoke({
        stack: options.stack,
        ...(options.region === undefined ? {} : { region: options.region }),
        timeoutMs: seconds(options.timeout, "--timeout", 1, 3600) * 1000,
        pollMs: seconds(options.poll, "--poll", 1, 600) * 1000,
        ...(options.mfaSerial === undefined || options.mfaCode === undefined
          ? {}
          : { mfa: { serial: options.mfaSerial, code: options.mfaCode } }),
        catalog: loadQueryCatalog(),
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(renderSmokeTable(options.stack, checks));
      process.exitCode = smokeExitCode(checks);
    });
}
