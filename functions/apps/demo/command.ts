import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { UsageError } from "../../cli/output.ts";
import { type LogsieveConfig, parseConfig } from "../../core/config.ts";
import { HOUR_MS } from "../../core/time.ts";
import { partitionPrefix, ZONES } from "../../core/zones.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { aggregateDays } from "../aggregate/local.ts";
import { announceAndServeUntilStopped, startServe } from "../http/server.ts";
import { openLocal } from "../ingest/local.ts";
import { formatIngestSummary } from "../ingest/summary.ts";
import { renderTable, runCliQuery } from "../query/command.ts";
import { generateSampleLog } from "./sample-log.ts";

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
const DEMO_LINES = 30_000;

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("generate a realistic sample log, ingest it into the local lake and show what landed where")
    .option("--lines <n>", "how many log lines to generate", String(DEMO_LINES))
    .option("--seed <n>", "seed of the generator (same seed, same log)", "2026")
    .option("--serve", "afterwards, serve the collector and the dashboards on 127.0.0.1 until Ctrl-C")
    .option("--port <n>", "port for --serve", "8080")
    .action(
      async (options: { lines: string; seed: string; serve?: boolean; port: string }, command: Command) => {
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
        const config = withDemoSite(await loadConfigFile(globals.config));
        const logsieve = await openLocal({ lakeDir: globals.lake, config });
        const out = process.stdout;
        const now = logsieve.clock.now();

        // 1. A sample log as a web server would deliver it, into incoming/ (kept 7 days like any raw log).
        const startMs = now - 48 * HOUR_MS;
        const text = [
          ...generateSampleLog({
            seed,
            lines,
            startMs,
            spanMs: 47 * HOUR_MS,
            clients: 1500,
            malformedShare: 0.004,
          }),
        ].join("\n");
        const incomingKey = `${partitionPrefix("incoming", now)}demo-access-${seed}.log`;
        const incomingPath = join(logsieve.lakeDir, incomingKey);
        await mkdir(dirname(incomingPath), { recursive: true, mode: 0o700 });
        await writeFile(incomingPath, `${text}\n`, { mode: 0o600 });
        out.write(
          `logsieve demo\n\n1. Generated ${lines.toLocaleString("en")} lines of combined-format traffic for ${DEMO_SITE}\n`,
        );
        out.write(
          "   (humans on IPv4 and IPv6, crawlers, scanners, a login brute force, campaigns, malformed lines)\n",
        );
        out.write(`   → ${incomingKey}\n\n`);

        // 2. Ingest it: parse, enrich, decide consent, write the full record and the anonymized event.
        const summary = await logsieve.ingestFile(incomingPath, { site: DEMO_SITE });
        out.write(`2. Ingested\n${indent(formatIngestSummary(summary))}\n\n`);

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

        // 4. Statistics: the touched days are aggregated into stats/, the only zone marketing reads.
        const aggregated = await aggregateDays({
          lakeDir: logsieve.lakeDir,
          days: summary.eventDays,
          config: logsieve.config,
          store: logsieve.store,
          clock: logsieve.clock,
        });
        out.write(
          `\n4. Aggregated ${aggregated.days.length} day(s) into stats/ in ${aggregated.seconds.toFixed(2)} s (daily rollups, no identifiers)\n`,
        );
        const from = summary.eventDays[0] ?? "";
        const to = summary.eventDays[summary.eventDays.length - 1] ?? "";
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
            host: "127.0.0.1",
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
