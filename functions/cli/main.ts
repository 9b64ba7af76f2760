import { Command, CommanderError } from "commander";
import { registerCommands } from "./commands.ts";
import { reportFailure } from "./output.ts";

/**
 * `logsieve`: the command-line face of the same core the Lambda handlers run.
 * Each command lives in its room, functions/apps/<room>/command.ts, and is registered by one line in
 * ./commands.ts; the global options (--lake, --config) are read with commander's `optsWithGlobals()`, so every
 * command resolves the lake and configuration the same way.
 */
const program = new Command()
  .name("logsieve")
  .description("Privacy-first web log pipeline: seven-day security logs and anonymous statistics.")
  .option("--lake <dir>", "the local lake folder", ".logsieve/lake")
  .option("--config <file>", "a JSON configuration file (see README: Configuration)")
  .showHelpAfterError("(run `logsieve --help` for the commands and their options)")
  .exitOverride();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed what was wrong; help and version exit with 0.
    process.exitCode = error.exitCode;
  } else {
    process.exitCode = reportFailure(error);
  }
}
