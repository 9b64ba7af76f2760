import type { Command } from "commander";
import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { UsageError } from "../../cli/output.ts";
import { parseInstant, SelectionError } from "../../core/hold/selection.ts";
import { HOUR_MS } from "../../core/time.ts";
import { utcDay } from "../../core/zones.ts";
import type { QueryResult } from "../../ports/query-engine.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";
import { renderTable, runCliQuery } from "../query/command.ts";

/**
 * `logsieve abuse [--since 24h] [--now ISO] [--ip X] [--json]`: the security role's review of the seven-day
 * window. It runs the security queries (`queries/security.*.sql`: top talkers, 4xx/5xx bursts, login brute
 * force, scanners; with --ip also that address's timeline) over the local lake and prints what they find,
 * WITH the client addresses: that is this command's purpose, and the only command that prints them.
 *
 * The security zone is partitioned by day for these queries, so `--since` is widened to whole UTC days: the
 * report names the days it covers.
 */

const SECTIONS = [
  { name: "top-talkers", title: "Top talkers", params: { limit: "20" } },
  { name: "error-bursts", title: "Bursts of 4xx/5xx answers", params: {} },
  { name: "login-brute-force", title: "Login brute force", params: {} },
  { name: "scanners", title: "Scanners", params: {} },
] as const;

/** `24h`, `90m`, `3d`, `1w` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,5})\s*(m|min|h|d|w)$/i.exec(text.trim());
  if (m === null) throw new UsageError(`--since ${text}: write a duration such as 24h, 90m, 3d or 1w`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "h").toLowerCase();
  const ms =
    n *
    (unit.startsWith("m") ? 60_000 : unit === "h" ? HOUR_MS : unit === "d" ? 24 * HOUR_MS : 7 * 24 * HOUR_MS);
  if (ms <= 0) throw new UsageError("--since must be longer than zero");
  return ms;
}

export function registerAbuseCommand(program: Command): void {
  program
    .command("abuse")
    .description(
      "security review of the retention window: top talkers, error bursts, brute force, scanners (prints IPs)",
    )
    .option("--since <duration>", "how far back: 24h, 3d, 1w (within the security retention)", "24h")
    .option("--now <time>", "the end of the window (ISO-8601 with zone), instead of the clock")
    .option("--ip <address>", "also print this address's timeline")
    .option("--json", "print every section's rows as JSON")
    .action(
      async (options: { since: string; now?: string; ip?: string; json?: boolean }, command: Command) => {
        const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
        const config = await loadConfigFile(globals.config);
        let now: number;
        try {
          now = options.now === undefined ? systemClock.now() : parseInstant(options.now, "--now");
        } catch (error) {
          if (error instanceof SelectionError) throw new UsageError(error.message);
          throw error;
        }
        const since = parseDuration(options.since);
        const windowHours = config.retention.securityHours;
        const from = utcDay(now - Math.min(since, windowHours * HOUR_MS));
        const to = utcDay(now);
        const catalog = loadQueryCatalog();
        const engine = await DuckDbQueryEngine.open({ lakeDir: globals.lake });
        const results: { name: string; title: string; result: QueryResult }[] = [];
        try {
          const sections: { name: string; title: string; params: Record<string, string> }[] = SECTIONS.map(
            (s) => ({
              ...s,
              params: { ...s.params },
            }),
          );
          if (options.ip !== undefined)
            sections.push({
              name: "ip-timeline",
              title: "Timeline",
              params: { ip: options.ip, limit: "200" },
            });
          for (const section of sections) {
            const result = await runCliQuery({
              lakeDir: globals.lake,
              name: section.name,
              params: { from, to, ...section.params },
              config,
              catalog,
              engine,
            });
            results.push({ name: section.name, title: section.title, result });
          }
        } finally {
          await engine.close();
        }
        if (options.json === true) {
          const out = { from, to, sections: Object.fromEntries(results.map((r) => [r.name, r.result.rows])) };
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        const lines = [`security review, UTC days ${from} to ${to} (window: ${windowHours} h)`, ""];
        for (const { title, result } of results) {
          lines.push(`## ${title}`);
          lines.push(
            result.rows.length === 0
              ? "(nothing found)\n"
              : renderTable(
                  result.columns.map((c) => c.name),
                  result.rows,
                ),
          );
        }
        process.stdout.write(`${lines.join("\n")}`);
      },
    );
}
