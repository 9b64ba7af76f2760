import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";
import type { QueryResult } from "../../functions/ports/query-engine.ts";

/**
 * GoAccess itself as the oracle on a log the demo generator makes (IPv4 and IPv6 clients, crawlers, scanners,
 * a brute force, assets, 304s, 404s): for each day, GoAccess 1.7 is run on that day's lines and its hits,
 * bandwidth, status classes and visitors must equal logsieve's daily-traffic for the day.
 * GoAccess comes from Debian (`apt-get install goaccess`); CI installs it, so there a missing binary fails.
 */

const hasGoaccess = spawnSync("goaccess", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasGoaccess && process.env.CI !== undefined) {
  throw new Error(
    "goaccess is not installed, but CI must run the GoAccess oracle (apt-get install -y goaccess)",
  );
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

interface GoaccessDay {
  hits: number;
  bandwidth: number;
  unique_clients: number;
  status_2xx: number;
  status_3xx: number;
  status_4xx: number;
  status_5xx: number;
}

function goaccessDay(dir: string, day: string, lines: readonly string[]): GoaccessDay {
  const [y, m, d] = day.split("-") as [string, string, string];
  const token = `[${d}/${MONTHS[Number(m) - 1]}/${y}:`;
  const log = join(dir, `${day}.log`);
  const report = join(dir, `${day}.json`);
  writeFileSync(log, `${lines.filter((l) => l.includes(token)).join("\n")}\n`);
  execFileSync(
    "goaccess",
    [log, "--no-global-config", "--log-format=COMBINED", "--json-pretty-print", "-o", report],
    {
      stdio: "ignore",
    },
  );
  const json = JSON.parse(readFileSync(report, "utf8")) as {
    general: { total_requests: number; valid_requests: number; bandwidth: number; unique_visitors: number };
    status_codes: { data: { data: string; hits: { count: number } }[] };
  };
  expect(json.general.valid_requests).toBe(json.general.total_requests);
  const status = (c: string) => json.status_codes.data.find((s) => s.data.startsWith(c))?.hits.count ?? 0;
  return {
    hits: json.general.valid_requests,
    bandwidth: json.general.bandwidth,
    unique_clients: json.general.unique_visitors,
    status_2xx: status("2xx"),
    status_3xx: status("3xx"),
    status_4xx: status("4xx"),
    status_5xx: status("5xx"),
  };
}

describe.skipIf(!hasGoaccess)(
  "daily-traffic against GoAccess run on a generated log (needs goaccess on PATH)",
  () => {
    let dir: string;
    let lines: string[];
    let traffic: QueryResult;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "logsieve-goaccess-"));
      lines = [
        ...generateSampleLog({
          seed: 42,
          lines: 6_000,
          startMs: Date.parse("2026-03-01T05:00:00Z"),
          spanMs: 60 * 3_600_000,
          clients: 400,
          malformedShare: 0,
        }),
      ];
      const path = join(dir, "access.log");
      writeFileSync(path, `${lines.join("\n")}\n`);
      const logsieve = await openLocal({ lakeDir: join(dir, "lake"), config: { sites: ["example.com"] } });
      const summary = await logsieve.ingestFile(path);
      expect(summary.rejected.total).toBe(0);
      await aggregateDays({ lakeDir: join(dir, "lake"), days: summary.eventDays, config: logsieve.config });
      traffic = await runCliQuery({
        lakeDir: join(dir, "lake"),
        name: "daily-traffic",
        params: { from: "2026-03-01", to: "2026-03-31" },
        config: logsieve.config,
      });
    });

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("accounts for every line, over more than one day", () => {
      expect(traffic.rows.length).toBeGreaterThan(1);
      expect(traffic.rows.reduce((sum, r) => sum + Number(r.hits), 0)).toBe(lines.length);
    });

    it("equals GoAccess day by day: hits, bandwidth, status classes, unique clients", () => {
      for (const row of traffic.rows) {
        const expected = goaccessDay(dir, String(row.day), lines);
        expect({ day: row.day, ...expected }).toEqual({
          day: row.day,
          hits: row.hits,
          bandwidth: row.bandwidth,
          unique_clients: row.unique_clients,
          status_2xx: row.status_2xx,
          status_3xx: row.status_3xx,
          status_4xx: row.status_4xx,
          status_5xx: row.status_5xx,
        });
      }
    });
  },
);
