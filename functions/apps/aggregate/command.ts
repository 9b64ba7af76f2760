import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import { isIsoDay } from "../../core/aggregate/query-file.ts";
import { DAY_MS } from "../../core/time.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { type AggregateSummary, aggregateDays } from "./local.ts";

/**
 * `logsieve aggregate [--day D ... | --from D --to D | --all]`: compacts the days' events and recomputes their
 * rollups in stats/, replacing each day's partition. Safe to repeat: the same events give the same bytes.
 */

/** A range longer than this is almost certainly a typo in a year. */
const MAX_RANGE_DAYS = 3_660;

interface AggregateCommandOptions {
  readonly day: string[];
  readonly from?: string;
  readonly to?: string;
  readonly all?: boolean;
}

export function registerAggregateCommand(program: Command): void {
  program
    .command("aggregate")
    .description("recompute the daily statistics (stats/) of some days from their events, compacting events/")
    .option(
      "--day <YYYY-MM-DD>",
      "a day to recompute, repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option("--from <YYYY-MM-DD>", "first day of a range (with --to)")
    .option("--to <YYYY-MM-DD>", "last day of a range, included (with --from)")
    .option("--all", "every day that has events")
    .action(async (options: AggregateCommandOptions, command: Command) => {
      const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
      const days = daysToAggregate(options);
      const config = await loadConfigFile(globals.config);
      const summary = await aggregateDays({ lakeDir: globals.lake, days, config });
      process.stdout.write(formatAggregateSummary(summary));
    });
}

/** The days a command line asks for; exactly one of --day, --from/--to, --all. */
export function daysToAggregate(options: AggregateCommandOptions): readonly string[] | "all" {
  const modes = [
    options.day.length > 0,
    options.from !== undefined || options.to !== undefined,
    options.all === true,
  ];
  if (modes.filter(Boolean).length !== 1) {
    throw new UsageError(
      "say which days to aggregate",
      "use exactly one of --day YYYY-MM-DD (repeatable), --from YYYY-MM-DD --to YYYY-MM-DD, or --all",
    );
  }
  if (options.all === true) return "all";
  if (options.day.length > 0) {
    for (const day of options.day) checkDay("--day", day);
    return options.day;
  }
  if (options.from === undefined || options.to === undefined) {
    throw new UsageError("--from and --to go together", "e.g. --from 2026-11-01 --to 2026-11-07");
  }
  checkDay("--from", options.from);
  checkDay("--to", options.to);
  return dayRange(options.from, options.to);
}

function checkDay(option: string, day: string): void {
  if (!isIsoDay(day)) throw new UsageError(`${option} ${day} is not a day`, "write days as YYYY-MM-DD (UTC)");
}

/** Every day from `from` to `to`, both included. */
export function dayRange(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (end < start) throw new UsageError(`--to ${to} is before --from ${from}`);
  const count = (end - start) / DAY_MS + 1;
  if (count > MAX_RANGE_DAYS)
    throw new UsageError(`--from ${from} --to ${to} spans ${count} days; at most ${MAX_RANGE_DAYS}`);
  return Array.from({ length: count }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

export function formatAggregateSummary(summary: AggregateSummary): string {
  const lines: string[] = [];
  for (const day of summary.days) {
    const compaction =
      day.compaction.action === "none"
        ? ""
        : `; events compacted ${day.compaction.objectsBefore} → ${day.compaction.objectsAfter} objects`;
    if (day.outcome === "aggregated") {
      const rows = Object.values(day.rollupRows).reduce((sum, n) => sum + (n ?? 0), 0);
      lines.push(
        `  ${day.day}  ${day.events.toLocaleString("en")} events → ${rows.toLocaleString("en")} stats rows${compaction}`,
      );
    } else if (day.outcome === "removed") {
      lines.push(`  ${day.day}  no events: its stats were removed${compaction}`);
    } else if (day.outcome === "kept") {
      lines.push(`  ${day.day}  no events (expired): its stats were kept`);
    } else {
      lines.push(`  ${day.day}  no events, no stats`);
    }
  }
  const head = `aggregated ${summary.aggregated} day(s)${summary.removed > 0 ? `, removed ${summary.removed}` : ""} in ${summary.seconds.toFixed(1)} s`;
  return `${[head, ...lines].join("\n")}\n`;
}
