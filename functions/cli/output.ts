import { ConfigError } from "../core/config.ts";

/** A mistake the user can fix: printed as a message with a hint, without a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Prints an error for a person and returns the exit code. Messages are built by logsieve from
 * fixed texts and setting names; they never carry a log line, so never a full IP address.
 */
export function reportFailure(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`logsieve: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ""}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(
      `logsieve: ${error.message}\n  hint: fix the settings named above; every setting is described in README.md under Configuration\n`,
    );
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`logsieve: failed: ${message}\n`);
  return 1;
}
