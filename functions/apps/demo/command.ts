import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { UsageError } from "../../cli/output.ts";
import { type LogsieveConfig, parseConfig } from "../../core/config.ts";
import { parseInstant, SelectionError } from "../../core/hold/selection.ts";
import { DAY_MS, HOUR_MS } from "../../core/time.ts";
import { partitionPrefix, utcDay, ZONES } from "../../core/zones.ts";
import { FixedClock } from "../../ports/clock.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { aggregateDays } from "../aggregate/local.ts";
import { checkPortFree } from "../http/port.ts";
import { announceAndServeUntilStopped, startServe } from "../http/server.ts";
import { openLocal } from "../ingest/local.ts";
import { formatIngestSummary } from "../ingest/summary.ts";
import { renderTable, runCliQuery } from "../query/command.ts";
import { generateSampleEntries } from "./sample-log.ts";

/**
 * The configuration with the demo's site among its sites: the demo's traffic is for DEMO_SITE, and a site is
 * always a configured one (lines of any other site are kept in security/ only). A configuration that names no
 * site but a default one keeps it as a site of its own.
 */
function withDemoSite(config: LogsieveConfig): LogsieveConfig {
  const sites =
    config.sites.length === 0 && config.defaultSite !== undefined ? [config.defaultSite] : config.sites;
  return sites.includes(DEMO_SITE) && sites === config.sites
    ? config
    : parseConfig({ ...config, sites: [...new Set([...sites, DEMO_SITE])] });
}

const DEMO_SITE = "example.com";
const DEMO_LINES_PER_DAY = 15_000;
const DEMO_CLIENTS_PER_DAY = 1500;

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "generate realistic daily logs (the day before yesterday, yesterday, today so far), ingest them into the local lake and show what landed where; run again, it adds only what is new",
    )
    .option("--lines <n>", "log lines per whole day", String(DEMO_LINES_PER_DAY))
    .option("--seed <n>", "seed of the generator (same seed, same logs)", "2026")
    .option("--serve", "afterwards, serve the collector and the dashboards on 127.0.0.1 until Ctrl-C")
    .option("--port <n>", "port for --serve", "8080")
    .option("--now <time>", "the time the demo takes as now (ISO-8601 with zone), instead of the clock")
    .action(
      async (
        options: { lines: string; seed: string; serve?: boolean; port: string; now?: string },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
        const lines = positiveInt(options.lines, "--lines");
        const seed = positiveInt(options.seed, "--seed");
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          throw new UsageError(
            `--port must be a whole number from 0 to 65535, got "${options.port}"`,
            "for example --port 8080",
          );
        }
        // A port that is taken is refused before any log is generated or ingested.
        if (options.serve) await checkPortFree(DEMO_HOST, port);
        const config = withDemoSite(await loadConfigFile(globals.config));
        const logsieve = await openLocal({
          lakeDir: globals.lake,
          config,
          ...(options.now === undefined ? {} : { clock: new FixedClock(parseNow(options.now)) }),
        });
        const out = process.stdout;
        const now = logsieve.clock.now();

        // 1. One log per day, as a web server rotating daily would leave them, into incoming/ (kept 7 days like any
        //    raw log). Each day's log depends only on the seed and the day, and today's is the day's log up to the
        //    start of this hour: a second run the same hour finds every line already ingested, a run later today
        //    finds today's log grown and reads on from where the first stopped.
        const days = demoDays(now);
        out.write(
          `logsieve demo\n\n1. Generated the logs of ${days.length} days of combined-format traffic for ${DEMO_SITE}\n`,
        );
        out.write(
          "   (humans on IPv4 and IPv6, crawlers, scanners, a login brute force, campaigns, malformed lines)\n",
        );
        const paths: string[] = [];
        for (const day of days) {
          const text = demoLog(day, { seed, linesPerDay: lines });
          const key = `${partitionPrefix("incoming", day.startMs)}demo-access-${day.name}.log`;
          const path = join(logsieve.lakeDir, key);
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          await writeFile(path, text.body, { mode: 0o600 });
          paths.push(path);
          out.write(
            `   → ${key}  ${text.lines.toLocaleString("en")} lines${day.untilMs === null ? "" : ` (today until ${new Date(day.untilMs).toISOString().slice(11, 16)} UTC)`}\n`,
          );
        }

        // 2. Ingest them: parse, enrich, decide consent, write the full record and the anonymized event. What an
        //    earlier run ingested is recognized and not read again.
        out.write("\n2. Ingested\n");
        for (const path of paths) {
          const summary = await logsieve.ingestFile(path, { site: DEMO_SITE });
          out.write(`${indent(formatIngestSummary(summary))}\n`);
        }
        out.write("\n");

        // 3. What is where now.
        out.write(`3. The lake now holds (folder ${logsieve.lakeDir})\n`);
        for (const zone of ZONES) {
          let objects = 0;
          let rows = 0;
          let bytes = 0;
          for await (const info of logsieve.store.list(`${zone}/`)) {
            objects++;
            bytes += info.size;
            if (info.key.endsWith(".parquet")) {
              const body = await logsieve.store.get(info.key);
              if (body !== null) rows += Number(parquetMetadata(toArrayBuffer(body)).num_rows);
            }
          }
          if (objects > 0) {
            out.write(
              `   ${`${zone}/`.padEnd(11)} ${String(objects).padStart(4)} objects ${(bytes / 1024).toFixed(0).padStart(7)} KiB${rows > 0 ? `  ${rows.toLocaleString("en").padStart(7)} rows` : ""}  ${ZONE_PURPOSE[zone]}\n`,
            );
          }
        }

        // 4. Statistics: the demo's days are aggregated into stats/, the only zone marketing reads (recomputed from
        //    events/, so a second run gives the same rollups).
        const from = days[0]?.name ?? "";
        const to = days[days.length - 1]?.name ?? "";
        const aggregated = await aggregateDays({
          lakeDir: logsieve.lakeDir,
          days: days.map((d) => d.name),
          config: logsieve.config,
          store: logsieve.store,
          clock: logsieve.clock,
        });
        out.write(
          `\n4. Aggregated ${aggregated.days.length} day(s) into stats/ in ${aggregated.seconds.toFixed(2)} s (daily rollups, no identifiers)\n`,
        );
        const daily = await runCliQuery({
          lakeDir: logsieve.lakeDir,
          name: "daily-traffic",
          params: { from, to },
          config: logsieve.config,
        });
        out.write(`\n   logsieve query daily-traffic --param from=${from} --param to=${to}\n`);
        out.write(indent(renderTable(DAILY_COLUMNS, daily.rows)));
        const pages = await runCliQuery({
          lakeDir: logsieve.lakeDir,
          name: "top-pages",
          params: { site: DEMO_SITE, from, to },
          config: logsieve.config,
        });
        out.write(
          `\n\n   logsieve query top-pages --param site=${DEMO_SITE} --param from=${from} --param to=${to}  (top 8; fewer than k=${logsieve.config.k} visitors fold into "(other)")\n`,
        );
        out.write(
          indent(
            renderTable(
              pages.columns.map((c) => c.name),
              pages.rows.slice(0, 8),
            ),
          ),
        );
        out.write("\n");

        // 5. One anonymized event as marketing's statistics will see its source.
        const sample = await firstEvent(logsieve.store);
        if (sample !== null) {
          out.write(
            "\n5. An anonymized event (events/): no full IP, no raw user agent, only allowlisted query parameters\n",
          );
          for (const key of [
            "ts",
            "path",
            "query",
            "referrer_host",
            "utm_source",
            "country",
            "browser",
            "os",
            "device",
            "is_bot",
            "visitor_id",
            "ip_prefix",
            "consent_tier",
          ]) {
            const value = sample[key];
            const shown = value instanceof Date ? value.toISOString() : String(value ?? "—");
            out.write(`   ${key.padEnd(14)} ${shown}\n`);
          }
          out.write(
            "   The full record of the same request is in security/ for abuse review, and is deleted after 168 hours.\n",
          );
        }

        if (options.serve) {
          // 6. The same lake behind the collector and the dashboards, as `logsieve serve` runs them.
          out.write("\n6. Dashboards and collector\n");
          const running = await startServe({
            host: DEMO_HOST,
            port,
            lakeDir: logsieve.lakeDir,
            config,
          });
          await announceAndServeUntilStopped(running);
        } else {
          out.write(
            "\nNext: `npm start` (or `logsieve demo --serve`) also opens the dashboards on 127.0.0.1.\n",
          );
        }
      },
    );
}

const DAILY_COLUMNS = [
  "day",
  "hits",
  "pageviews",
  "visitors",
  "unique_clients",
  "bot_hits",
  "status_4xx",
  "bandwidth",
];

const ZONE_PURPOSE: Record<string, string> = {
  incoming: "raw logs as delivered · security only · 7 days",
  security: "full records (IP, UA, query) · security only · 7 days",
  rejects: "lines that did not parse, with a reason · security only · 7 days",
  evidence: "records under legal hold · security lead · until released",
  events: "anonymized events · pipeline only · 90 days",
  stats: "daily rollups without identifiers · marketing · 25 months",
  salts: "one random salt per day · pipeline only · destroyed after 48 hours",
  checkpoints: "how far each log was read (digests, offsets) · pipeline only · 90 days",
};

const DEMO_HOST = "127.0.0.1";

interface DemoDay {
  /** `YYYY-MM-DD` (UTC). */
  readonly name: string;
  readonly startMs: number;
  /** For today: the log so far ends here (the start of the current hour); null for a whole day. */
  readonly untilMs: number | null;
}

/** The day before yesterday, yesterday and today (UTC). */
function demoDays(now: number): DemoDay[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return [today - 2 * DAY_MS, today - DAY_MS, today].map((startMs) => ({
    name: utcDay(startMs),
    startMs,
    untilMs: startMs === today ? Math.floor(now / HOUR_MS) * HOUR_MS : null,
  }));
}

/**
 * One day's log, from the seed and the day alone (the same day gives the same lines in every run); for today, the
 * lines before `untilMs` (a prefix of the whole day's log).
 */
function demoLog(
  day: DemoDay,
  options: { seed: number; linesPerDay: number },
): { body: string; lines: number } {
  const daySeed = (Math.imul(options.seed, 2_654_435_761) + day.startMs / DAY_MS) >>> 0;
  const until = Math.min(day.untilMs ?? Number.POSITIVE_INFINITY, day.startMs + DAY_MS);
  const out: string[] = [];
  // The generator's clock moves only for page requests, not for the assets they pull (about half the lines): a
  // nominal span of two days puts the lines of one day across the whole day. Cut at the day's end.
  for (const entry of generateSampleEntries({
    seed: daySeed,
    lines: Math.ceil(options.linesPerDay * 1.1),
    startMs: day.startMs,
    spanMs: 2 * DAY_MS,
    clients: DEMO_CLIENTS_PER_DAY,
    malformedShare: 0.004,
  })) {
    if (entry.ms >= until || out.length >= options.linesPerDay) break;
    out.push(`${entry.text}\n`);
  }
  return { body: out.join(""), lines: out.length };
}

function parseNow(text: string): number {
  try {
    return parseInstant(text, "--now");
  } catch (error) {
    if (error instanceof SelectionError)
      throw new UsageError(error.message, "e.g. --now 2026-11-20T12:00:00Z");
    throw error;
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(
      `${flag} must be a positive whole number, got "${value}"`,
      `for example ${flag} 1000`,
    );
  return n;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `   ${l}`)
    .join("\n");
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function firstEvent(store: {
  list(prefix: string): AsyncIterable<{ key: string }>;
  get(key: string): Promise<Uint8Array | null>;
}): Promise<Record<string, unknown> | null> {
  for await (const info of store.list("events/")) {
    const body = await store.get(info.key);
    if (body === null) continue;
    const rows = await parquetReadObjects({ file: toArrayBuffer(body), rowStart: 0, rowEnd: 50 });
    const page = rows.find((r) => r.is_bot === false && r.utm_source !== null) ?? rows[0];
    if (page !== undefined) return page as Record<string, unknown>;
  }
  return null;
}
