import { resolve } from "node:path";
import type { Command } from "commander";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { VersionedLocalStore } from "../../adapters/local/versioned-local-store.ts";
import { UsageError } from "../../cli/output.ts";
import { parseInstant, SelectionError } from "../../core/hold/selection.ts";
import { describeLimit, retentionRules } from "../../core/retention/rules.ts";
import { SWEPT_ZONES, type SweepReport, sweep } from "../../core/retention/sweep.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";

/**
 * `logsieve expire [--now ISO] [--dry-run] [--json]`: the sweeper over the local lake (hourly on AWS).
 * It prints counts per zone and, with --json, the keys; never a record, so never an address.
 *
 * It does not go through `openLocal`, which destroys expired salts as it opens the lake: a dry run must not
 * delete anything, and `--now` must be the only "now".
 */

interface GlobalOptions {
  readonly lake: string;
  readonly config?: string;
}

export function registerExpireCommand(program: Command): void {
  program
    .command("expire")
    .description("delete what is older than its zone's retention (never what is on legal hold)")
    .option("--now <time>", "the time to sweep at (ISO-8601 with zone), instead of the clock")
    .option("--dry-run", "only report what would be deleted")
    .option("--json", "print the full report (counts and keys) as JSON")
    .action(async (options: { now?: string; dryRun?: boolean; json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const now = parseNow(options.now);
      const config = await loadConfigFile(globals.config);
      const store = new VersionedLocalStore(resolve(globals.lake));
      const rules = retentionRules(config.retention);
      const report = await sweep(
        { storeFor: () => store, rules, actor: "logsieve expire" },
        { now, dryRun: options.dryRun === true },
      );
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(formatSweepReport(report, store.root, rules));
      if (report.errors.length > 0) process.exitCode = 1;
    });
}

function parseNow(text: string | undefined): number {
  if (text === undefined) return systemClock.now();
  try {
    return parseInstant(text, "--now");
  } catch (error) {
    if (error instanceof SelectionError)
      throw new UsageError(error.message, "e.g. --now 2026-11-20T12:00:00Z");
    throw error;
  }
}

/** A table of counts per zone, then the errors (keys and codes only). */
export function formatSweepReport(
  report: SweepReport,
  lakeDir: string,
  rules: ReturnType<typeof retentionRules>,
): string {
  const lines = [
    `${report.dryRun ? "dry run: would sweep" : "swept"} ${lakeDir} at ${report.now}`,
    `  ${"zone".padEnd(10)} ${"kept for".padEnd(15)} ${(report.dryRun ? "would delete" : "deleted").padStart(12)} ${"held".padStart(6)} ${"kept".padStart(8)}`,
  ];
  for (const zone of SWEPT_ZONES) {
    lines.push(
      `  ${zone.padEnd(10)} ${describeLimit(rules[zone]).padEnd(15)} ${String(report.deleted[zone]).padStart(12)} ${String(report.skippedHeld[zone]).padStart(6)} ${String(report.kept[zone]).padStart(8)}`,
    );
  }
  if (report.incidentsSwept.length > 0)
    lines.push(`released evidence removed: ${report.incidentsSwept.join(", ")}`);
  if (report.recordKey !== null) lines.push(`recorded in ${report.recordKey}`);
  if (report.errors.length === 0) lines.push("errors: none");
  else {
    lines.push(`errors: ${report.errors.length}`);
    for (const e of report.errors.slice(0, 20))
      lines.push(`  ${e.key}${e.versionId ? ` (${e.versionId})` : ""}: ${e.code}`);
    if (report.errors.length > 20) lines.push(`  … ${report.errors.length - 20} more (see --json)`);
  }
  return `${lines.join("\n")}\n`;
}
