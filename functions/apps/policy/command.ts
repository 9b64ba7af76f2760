import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import {
  generatePolicy,
  POLICY_FORMATS,
  POLICY_LANGS,
  type PolicyFormat,
  type PolicyLang,
} from "../../core/policy/notice.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";

/**
 * `logsieve policy [--lang de|en] [--format md|html] [--no-tracker]`: the privacy-policy section generated from the
 * active configuration (`--config`), so the published text says what the deployment does.
 */
export function registerPolicyCommand(program: Command): void {
  program
    .command("policy")
    .description("print the privacy-policy section (Datenschutzerklärung) for the active configuration")
    .option("--lang <lang>", `language: ${POLICY_LANGS.join(", ")}`, "de")
    .option(
      "--format <format>",
      `output: ${POLICY_FORMATS.join(", ")} (html is a fragment for your page)`,
      "md",
    )
    .option("--no-tracker", "the sites do not use the logsieve tracker (server logs only)")
    .action(async (options: { lang: string; format: string; tracker: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<{ config?: string }>();
      const lang = pick(options.lang, POLICY_LANGS, "--lang");
      const format = pick(options.format, POLICY_FORMATS, "--format");
      const config = await loadConfigFile(globals.config);
      process.stdout.write(
        generatePolicy(config, {
          lang: lang as PolicyLang,
          format: format as PolicyFormat,
          tracker: options.tracker,
        }),
      );
    });
}

function pick<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} ${value} is not one of ${allowed.join(", ")}`);
}
