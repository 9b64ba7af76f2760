import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import { ProgressBar } from "../../cli/progress.ts";
import { defaultSiteOf, type LogsieveConfig } from "../../core/config.ts";
import { LineSites } from "../../core/sites.ts";
import { LOG_FORMATS, type LogFormat } from "../../core/types.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { type FileIngestSummary, openLocal } from "./local.ts";
import { formatIngestSummary, totalsOf } from "./summary.ts";

export function registerIngestCommand(program: Command): void {
  program
    .command("ingest")
    .description("ingest server log files (plain, gzip, bzip2 or zstd; `-` reads standard input) into the local lake")
    .argument("<files...>", "log files, or - for standard input")
    .option("--format <format>", `the log format instead of detecting it: ${LOG_FORMATS.join(", ")}`)
    .option(
      "--site <site>",
      "the site these logs belong to (default: the log's host, else the configured default)",
    )
    .option("--json", "print the summary as one JSON object")
    .option(
      "--input-id <id>",
      "for stdin (-): a stable name of what is piped in, so piping it again overwrites instead of adding",
    )
    .action(
      async (
        files: string[],
        options: { format?: string; site?: string; json?: boolean; inputId?: string },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
        const format = checkFormat(options.format);
        await checkInputs(files);
        // The configuration is read first, so a wrong --site leaves no lake behind.
        const config = await loadConfigFile(globals.config);
        checkSite(options.site, config);
        const logsieve = await openLocal({ lakeDir: globals.lake, config });
        const summaries: FileIngestSummary[] = [];
        for (const file of files) {
          const bar = new ProgressBar(`ingesting ${file === "-" ? "(stdin)" : file}`);
          const summary = await logsieve.ingestFile(file, {
            format,
            site: options.site,
            inputId: file === "-" ? options.inputId : undefined,
            onProgress: (lines, bytes, size) => bar.update(lines, bytes, size),
          });
          bar.done();
          summaries.push(summary);
          if (!options.json) process.stdout.write(`${formatIngestSummary(summary)}\n`);
        }
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ lake: logsieve.lakeDir, files: summaries, totals: totalsOf(summaries) })}\n`,
          );
        }
      },
    );
}

/**
 * `--site` must name a configured site (or an alias), else every line would be an `unknown_site`: refused before
 * anything is read. The message does not repeat the value (it may be anything, even an address).
 */
function checkSite(site: string | undefined, config: LogsieveConfig): void {
  if (site === undefined || new LineSites(config).resolveForced(site) !== null) return;
  throw new UsageError(
    "--site names none of the configured sites",
    config.sites.length > 0
      ? `use one of: ${config.sites.join(", ")} (or an alias in siteSettings), or add it to sites in the configuration`
      : `no sites are configured, so every line counts for the default site ${defaultSiteOf(config)}: leave --site out, or list your sites in the configuration`,
  );
}

function checkFormat(format: string | undefined): LogFormat | undefined {
  if (format === undefined) return undefined;
  if ((LOG_FORMATS as readonly string[]).includes(format)) return format as LogFormat;
  throw new UsageError(
    `unknown format "${format}"`,
    `use one of: ${LOG_FORMATS.join(", ")} (or leave --format out to detect it)`,
  );
}

/** All inputs are checked before anything is ingested, so a typo does not leave half a batch behind. */
async function checkInputs(files: readonly string[]): Promise<void> {
  if (files.filter((f) => f === "-").length > 1) {
    throw new UsageError("standard input (-) can be read only once", "pass - at most once");
  }
  for (const file of files) {
    if (file === "-") continue;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch {
      throw new UsageError(`no such file: ${file}`, "check the path; nothing was ingested");
    }
    if (!info.isFile())
      throw new UsageError(
        `not a file: ${file}`,
        "pass log files, not folders (a shell glob like logs/*.log works)",
      );
  }
}
