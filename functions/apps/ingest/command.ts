import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { type Command, Option } from "commander";
import { checkInputId } from "../../adapters/input/input-id.ts";
import { UsageError } from "../../cli/output.ts";
import { ProgressBar } from "../../cli/progress.ts";
import { defaultSiteOf, type LogsieveConfig } from "../../core/config.ts";
import { NamedStreamMismatchError } from "../../core/ingest/resume.ts";
import { SHARD_BYTES } from "../../core/ingest/shards.ts";
import {
  compileFormatSpec,
  type FormatChoice,
  FormatError,
  type FormatSpec,
} from "../../core/parse/index.ts";
import { LineSites } from "../../core/sites.ts";
import { LOG_FORMATS, type LogFormat } from "../../core/types.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { limitHeapGrowth } from "../../runtime/heap.ts";
import { ingestSideBySide, sideBySidePlan } from "./file-lanes.ts";
import { follow } from "./follow.ts";
import { type FileIngestOptions, type FileIngestSummary, type LocalLogsieve, openLocal } from "./local.ts";
import { formatFollowEvent, formatIngestSummary, totalsOf } from "./summary.ts";

export function registerIngestCommand(program: Command): void {
  program
    .command("ingest")
    .description(
      "ingest server log files (plain, gzip, bzip2 or zstd; `-` reads standard input) into the local lake",
    )
    .argument("<files...>", "log files, or - for standard input")
    .option("--format <format>", `the log format instead of detecting it: ${LOG_FORMATS.join(", ")}`)
    .option(
      "--nginx-format <log_format>",
      "your nginx log_format, pasted as in nginx.conf (the directive, its quoted strings or the bare format)",
    )
    .option(
      "--nginx-variables <names>",
      "with --nginx-format: your own variables (map, set, modules), comma-separated, without $",
    )
    .option(
      "--apache-format <LogFormat>",
      'your Apache LogFormat, with or without the " escapes of apache2.conf',
    )
    .option("--goaccess-format <log-format>", "a GoAccess log-format (with --date-format and --time-format)")
    .option("--date-format <format>", "with --goaccess-format: GoAccess's date-format, e.g. %d/%b/%Y")
    .option("--time-format <format>", "with --goaccess-format: GoAccess's time-format, e.g. %H:%M:%S")
    .option("--datetime-format <format>", "with --goaccess-format: GoAccess's datetime-format, for %x")
    .option(
      "--site <site>",
      "the site these logs belong to (default: the log's host, else the configured default)",
    )
    .option("--json", "print the summary as one JSON object")
    .option(
      "--input-id <id>",
      "for stdin (-): a stable name of what is piped in; piping more of it later reads on where this run ended",
    )
    .option(
      "--allow-duplicates",
      "for stdin (-) without --input-id: ingest all of it, even what an earlier run ingested",
    )
    .option(
      "--follow",
      "keep reading the files as they grow (rotation-aware, like tail -F) until Ctrl-C or SIGTERM",
    )
    .option(
      "--batch-seconds <n>",
      "with --follow: longest wait before complete lines are written (1-10)",
      "5",
    )
    .option(
      "--threads <n>",
      `threads at most (1-${MAX_THREADS}): a file above 32 MiB is cut into shards ingested side by side, ` +
        "one per thread; 1 runs everything on one thread (less memory, more time); the output is the same",
      String(availableParallelism()),
    )
    // Not for users (the shard size decides the objects' keys): lets the tests run the workers of the real command
    // on a small file.
    .addOption(new Option("--shard-bytes <n>").hideHelp())
    .action(async (files: string[], options: IngestOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
      const { format, formatOption, formatSpec } = formatOf(options);
      const threads = threadsOf(options);
      const sizes = await checkInputs(files, options.follow === true);
      // Not Math.max(...sizes): a shell glob may give more files than a call takes arguments.
      let largestFile = 0;
      for (const size of sizes.values()) largestFile = Math.max(largestFile, size);
      checkStdinNamed(files, options);
      if (options.follow && files.includes("-")) {
        throw new UsageError(
          "--follow reads files as they grow; standard input (-) cannot be followed",
          "give the log's path (e.g. /var/log/nginx/access.log)",
        );
      }
      const seconds = options.follow ? batchSeconds(options) : 0;
      // The configuration is read first, so a wrong --site leaves no lake behind.
      const config = await loadConfigFile(globals.config);
      checkSite(options.site, config);
      const shardBytes = options.shardBytes === undefined ? SHARD_BYTES : shardBytesOf(options.shardBytes);
      const shards = {
        threads,
        bytes: shardBytes,
        // A file larger than a shard will be cut: its worker starts now, beside this thread's own start-up.
        warm: options.follow !== true && largestFile > shardBytes,
      };
      // Full collections sooner: the ingest's threads otherwise let garbage grow to twice or three times what they
      // hold (runtime/heap.ts).
      limitHeapGrowth();
      const logsieve = await openLocal({ lakeDir: globals.lake, config, shards });
      if (options.follow) {
        await runFollow(logsieve, files, { ...options, format, batchSeconds: seconds });
        return;
      }
      // Printed in the order the files were given, each as soon as every file before it is done.
      const summaries: (FileIngestSummary | undefined)[] = files.map(() => undefined);
      let printed = 0;
      const done = (index: number, summary: FileIngestSummary): void => {
        summaries[index] = summary;
        for (; printed < files.length; printed++) {
          const next = summaries[printed];
          if (next === undefined) break;
          if (!options.json) process.stdout.write(`${formatIngestSummary(next)}\n`);
        }
      };
      const plan = sideBySidePlan(files, sizes, { threads, shardBytes });
      for (const index of plan.oneByOne) {
        const file = files[index] as string;
        const bar = new ProgressBar(`ingesting ${file === "-" ? "(stdin)" : file}`);
        const summary = await ingestOrExplain(logsieve, file, {
          format,
          formatOption,
          site: options.site,
          inputId: file === "-" ? options.inputId : undefined,
          allowDuplicates: options.allowDuplicates,
          onProgress: (lines, bytes, size) => bar.update(lines, bytes, size),
        });
        bar.done();
        done(index, summary);
      }
      if (plan.sideBySide.length > 0) {
        if (!options.json) {
          process.stdout.write(
            `reading ${plan.sideBySide.length} files side by side on ${Math.min(threads, plan.sideBySide.length)} threads\n`,
          );
        }
        const bar = new ProgressBar(`ingesting ${plan.sideBySide.length} files side by side`);
        const total = plan.sideBySide.reduce(
          (sum, index) => sum + (sizes.get(files[index] as string) ?? 0),
          0,
        );
        let lines = 0;
        let bytes = 0;
        await ingestSideBySide(
          logsieve,
          plan.sideBySide.map((index) => ({
            path: files[index] as string,
            index,
            bytes: sizes.get(files[index] as string) ?? 0,
          })),
          {
            threads,
            shardBytes,
            configSource: { config },
            formatSpec,
            formatOption,
            site: options.site,
          },
          (index, summary) => {
            lines += summary.lines;
            bytes += sizes.get(files[index] as string) ?? 0;
            bar.update(lines, bytes, total);
            done(index, summary);
          },
        ).finally(() => bar.done());
      }
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            lake: logsieve.lakeDir,
            files: summaries,
            totals: totalsOf(summaries as FileIngestSummary[]),
            sideBySide: plan.sideBySide.length,
          })}\n`,
        );
      }
    });
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

interface IngestOptions {
  format?: string;
  nginxFormat?: string;
  nginxVariables?: string;
  apacheFormat?: string;
  goaccessFormat?: string;
  dateFormat?: string;
  timeFormat?: string;
  datetimeFormat?: string;
  site?: string;
  json?: boolean;
  inputId?: string;
  allowDuplicates?: boolean;
  follow?: boolean;
  batchSeconds: string;
  threads: string;
  shardBytes?: string;
}

/**
 * The format the options name, compiled once for all files, and the option that named it; both undefined when
 * none does (then the configuration's `formats`, else detection, decide per file).
 */
function formatOf(options: IngestOptions): {
  format?: FormatChoice;
  formatOption?: string;
  formatSpec?: FormatSpec;
} {
  const given = (
    [
      ["--format", options.format],
      ["--nginx-format", options.nginxFormat],
      ["--apache-format", options.apacheFormat],
      ["--goaccess-format", options.goaccessFormat],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (given.length > 1) {
    throw new UsageError(
      `${given.map(([o]) => o).join(" and ")} both name the format`,
      "give one of --format, --nginx-format, --apache-format, --goaccess-format",
    );
  }
  if (options.nginxVariables !== undefined && options.nginxFormat === undefined) {
    throw new UsageError("--nginx-variables goes with --nginx-format", "add --nginx-format, or leave it out");
  }
  const goaccessOnly = (
    [
      ["--date-format", options.dateFormat],
      ["--time-format", options.timeFormat],
      ["--datetime-format", options.datetimeFormat],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (goaccessOnly.length > 0 && options.goaccessFormat === undefined) {
    throw new UsageError(
      `${goaccessOnly.map(([o]) => o).join(" and ")} go${goaccessOnly.length === 1 ? "es" : ""} with --goaccess-format`,
      "add --goaccess-format, or leave them out",
    );
  }
  const [option] = given[0] ?? [];
  if (option === undefined) return {};
  let spec: FormatSpec;
  if (options.format !== undefined) spec = { format: checkFormat(options.format) };
  else if (options.nginxFormat !== undefined) {
    const variables = (options.nginxVariables ?? "")
      .split(",")
      .map((v) => v.trim().replace(/^\$/, ""))
      .filter((v) => v.length > 0);
    spec = { nginx: options.nginxFormat, variables };
  } else if (options.apacheFormat !== undefined) spec = { apache: options.apacheFormat };
  else {
    const goaccess: { goaccess: string; dateFormat?: string; timeFormat?: string; datetimeFormat?: string } =
      {
        goaccess: options.goaccessFormat ?? "",
      };
    if (options.dateFormat !== undefined) goaccess.dateFormat = options.dateFormat;
    if (options.timeFormat !== undefined) goaccess.timeFormat = options.timeFormat;
    if (options.datetimeFormat !== undefined) goaccess.datetimeFormat = options.datetimeFormat;
    spec = goaccess;
  }
  try {
    return { format: compileFormatSpec(spec), formatOption: option, formatSpec: spec };
  } catch (error) {
    if (error instanceof FormatError) throw new UsageError(`${option}: ${error.problem}`, error.hint);
    throw error;
  }
}

function batchSeconds(options: { batchSeconds: string }): number {
  const n = Number(options.batchSeconds);
  if (!Number.isInteger(n) || n < 1 || n > 10) {
    throw new UsageError(
      `--batch-seconds must be a whole number from 1 to 10, got "${options.batchSeconds.slice(0, 20)}"`,
      "for example --batch-seconds 5",
    );
  }
  return n;
}

/** More threads than this only adds start-up and memory (a shard is 32 MiB; Lambda gives at most 6 vCPUs). */
const MAX_THREADS = 64;

function threadsOf(options: { threads: string }): number {
  const n = Number(options.threads);
  if (!/^\d+$/.test(options.threads) || n < 1 || n > MAX_THREADS) {
    throw new UsageError(
      `--threads must be a whole number from 1 to ${MAX_THREADS}, got "${options.threads.slice(0, 20)}"`,
      `for example --threads 2 (the default is this machine's ${availableParallelism()} cores)`,
    );
  }
  return n;
}

function shardBytesOf(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 4096)
    throw new UsageError("--shard-bytes must be a whole number from 4096");
  return n;
}

/**
 * `--follow` until SIGINT or SIGTERM: the first signal lets the batch being written finish and writes the lines
 * complete by then; a second one ends the process at once (nothing is half-written either way: see follow.ts).
 */
async function runFollow(
  logsieve: LocalLogsieve,
  files: readonly string[],
  options: { format?: FormatChoice; site?: string; json?: boolean; batchSeconds: number },
): Promise<void> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    process.stderr.write(`logsieve ingest --follow: ${signal}: writing the complete lines, then stopping\n`);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (!options.json) {
      out(
        `logsieve ingest --follow: ${files.length} file(s), a batch at most every ${options.batchSeconds} s into ${logsieve.lakeDir} (Ctrl-C stops)`,
      );
    }
    const totals = await follow(
      logsieve,
      { files, format: options.format, site: options.site, batchMs: options.batchSeconds * 1000 },
      (event) => out(options.json ? JSON.stringify(event) : formatFollowEvent(event, logsieve.clock.now())),
      stop.signal,
    );
    out(
      options.json
        ? JSON.stringify({ kind: "stopped", totals })
        : `logsieve ingest --follow: stopped. ${totals.batches} batch(es), ${totals.lines.toLocaleString("en")} lines (${totals.accepted.toLocaleString("en")} accepted, ${totals.rejected.toLocaleString("en")} rejected, ${totals.dropped.toLocaleString("en")} dropped)`,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Ingests one input; a named stream fed other content is the user's to fix (exit 2), with what to do. */
async function ingestOrExplain(
  logsieve: LocalLogsieve,
  file: string,
  options: FileIngestOptions,
): Promise<FileIngestSummary> {
  try {
    return await logsieve.ingestFile(file, options);
  } catch (error) {
    if (error instanceof NamedStreamMismatchError) {
      throw new UsageError(
        `standard input: ${error.message}`,
        "nothing was ingested from it; pipe it again with another --input-id",
      );
    }
    throw error;
  }
}

function checkFormat(format: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(format)) return format as LogFormat;
  throw new UsageError(
    `unknown format "${format}"`,
    `use one of: ${LOG_FORMATS.join(", ")} (or leave --format out to detect it); for a format of your own use --nginx-format, --apache-format or --goaccess-format`,
  );
}

/**
 * Standard input has no content of its own to recognize before it is read, and may be several logs run together
 * (`zcat access.log.*.gz | ...`): a second run could not tell what it already read. So it needs a name, or the
 * explicit wish to count it again.
 */
function checkStdinNamed(
  files: readonly string[],
  options: { inputId?: string; allowDuplicates?: boolean },
): void {
  if (options.inputId !== undefined) {
    if (!files.includes("-")) {
      throw new UsageError(
        "--input-id names standard input (-), and no - was given",
        "files are recognized by their content; leave --input-id out",
      );
    }
    try {
      checkInputId(options.inputId);
    } catch (error) {
      throw new UsageError(
        `--input-id "${options.inputId.slice(0, 70)}" cannot be used`,
        (error as Error).message,
      );
    }
    return;
  }
  if (files.includes("-") && options.allowDuplicates !== true) {
    throw new UsageError(
      "standard input (-) needs a name, or it would be counted again each time it is piped in",
      "add --input-id NAME, a stable name for what you pipe (e.g. --input-id web1-access); piping more of it " +
        "later under the same name reads on where this run ended. Or give the file's path instead of piping it " +
        "(files are recognized by their content), or add --allow-duplicates to count it whatever was read before",
    );
  }
}

/**
 * All inputs are checked before anything is ingested, so a typo does not leave half a batch behind. Refuses inputs
 * that cannot be read; returns each file's size (standard input and a file `--follow` waits for have none).
 */
async function checkInputs(files: readonly string[], follow: boolean): Promise<Map<string, number>> {
  if (files.filter((f) => f === "-").length > 1) {
    throw new UsageError("standard input (-) can be read only once", "pass - at most once");
  }
  const sizes = new Map<string, number>();
  for (const file of files) {
    if (file === "-") continue;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch {
      // `--follow` waits for a file that is not there yet (a log about to be created or rotated in), like tail -F.
      if (follow) continue;
      throw new UsageError(`no such file: ${file}`, "check the path; nothing was ingested");
    }
    if (!info.isFile())
      throw new UsageError(
        `not a file: ${file}`,
        "pass log files, not folders (a shell glob like logs/*.log works)",
      );
    sizes.set(file, info.size);
  }
  return sizes;
}
