import { hostname } from "node:os";
import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";

/**
 * `logsieve ship <files...> --bucket <RawBucketName> [--site <host>] [--host <name>] [--region <region>]`: uploads
 * rotated log files into `incoming/` of a deployed stack (see ./aws.ts for the key and why shipping twice is safe).
 * Prints one line per file; exits 1 if any file failed, after trying the others.
 */

/** A file changed this recently may still be written to: shipping it now would ship it again later. */
export const STILL_WRITTEN_MS = 60_000;

interface ShipOptions {
  readonly bucket: string;
  readonly site?: string;
  readonly host?: string;
  readonly region?: string;
}

export function registerShipCommand(program: Command): void {
  program
    .command("ship")
    .description(
      "upload rotated log files into incoming/ of a deployed stack (AWS credentials from the usual chain)",
    )
    .argument("<files...>", "rotated log files (plain or .gz), e.g. /var/log/nginx/access.log.1")
    .requiredOption("--bucket <name>", "the stack's raw bucket (output RawBucketName)")
    .option("--site <host>", "the site these logs are for, when the format names no host (combined, common)")
    .option("--host <name>", "the machine the logs come from (default: this host's name)")
    .option("--region <region>", "the stack's region (default: from the environment or profile)")
    .action(async (files: string[], options: ShipOptions) => {
      if (options.site !== undefined && !/^[a-z0-9.-]{1,253}$/i.test(options.site)) {
        throw new UsageError(`--site ${options.site} is not a host name`, "e.g. --site example.com");
      }
      // The AWS SDK is loaded only by this command, not by every start of `logsieve`.
      const { fileId, s3Client, shipFile } = await import("./aws.ts");
      const client = s3Client(options.region);
      const target = {
        client,
        bucket: options.bucket,
        host: options.host ?? hostname(),
        ...(options.site === undefined ? {} : { site: options.site }),
      };
      let failed = 0;
      for (const path of files) {
        try {
          const { modifiedMs } = await fileId(path);
          if (Date.now() - modifiedMs < STILL_WRITTEN_MS) {
            throw new UsageError(
              `${path} changed in the last minute: it may still be written to`,
              "ship rotated files (access.log.1, access.log.2.gz ...), not the one the server writes",
            );
          }
          const shipped = await shipFile(target, path);
          const where = `s3://${options.bucket}/${shipped.key}`;
          process.stdout.write(
            shipped.outcome === "shipped"
              ? `shipped ${path} → ${where} (${shipped.bytes.toLocaleString("en")} bytes${shipped.parts > 1 ? `, ${shipped.parts} parts` : ""})\n`
              : `already shipped ${path} → ${where}\n`,
          );
        } catch (error) {
          failed++;
          const message = error instanceof Error ? error.message : String(error);
          const hint = error instanceof UsageError && error.hint !== undefined ? ` (${error.hint})` : "";
          process.stderr.write(`logsieve: not shipped: ${path}: ${message}${hint}\n`);
        }
      }
      client.destroy();
      if (failed > 0) process.exitCode = 1;
    });
}
