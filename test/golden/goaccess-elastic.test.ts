import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";
import type { QueryResult } from "../../functions/ports/query-engine.ts";
import { tempLake } from "../queries/support/fixture-lake.ts";

/**
 * GoAccess as the oracle: 10,000 lines of real Apache traffic ingested by the real pipeline, aggregated, and
 * `logsieve query daily-traffic` must equal GoAccess 1.7's report exactly, day by day: hits, bandwidth, status
 * classes and unique clients (GoAccess's visitors). Then the same input is ingested again: stats/ must not
 * change by a byte.
 */

const FIXTURE = join(import.meta.dirname, "../fixtures/logs-elastic");
const LOG = join(FIXTURE, "elastic_apache_logs.log.gz");
interface Oracle {
  readonly days: Record<string, Record<string, number>>;
  readonly totals: Record<string, number>;
}
const oracle = JSON.parse(readFileSync(join(FIXTURE, "goaccess-default.json"), "utf8")) as Oracle;

function statsDigest(lake: string): Record<string, string> {
  const root = join(lake, "stats");
  return Object.fromEntries(
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((path) => [relative(root, path), createHash("sha256").update(readFileSync(path)).digest("hex")]),
  );
}

describe("daily-traffic against GoAccess on elastic_apache_logs", () => {
  let lake: string;
  let days: readonly string[];
  let traffic: QueryResult;
  let firstStats: Record<string, string>;

  beforeAll(async () => {
    lake = tempLake();
    const logsieve = await openLocal({ lakeDir: lake, config: {} });
    const summary = await logsieve.ingestFile(LOG);
    days = summary.eventDays;
    await aggregateDays({ lakeDir: lake, days, config: logsieve.config });
    firstStats = statsDigest(lake);
    traffic = await runCliQuery({
      lakeDir: lake,
      name: "daily-traffic",
      params: { from: "2015-05-01", to: "2015-05-31" },
      config: logsieve.config,
    });
  });

  afterAll(() => {
    rmSync(lake, { recursive: true, force: true });
  });

  it("has one row per day GoAccess reports, with at least the promised columns", () => {
    expect(traffic.rows.map((r) => r.day)).toEqual(Object.keys(oracle.days));
    expect(traffic.columns.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "day",
        "hits",
        "bandwidth",
        "status_2xx",
        "status_3xx",
        "status_4xx",
        "status_5xx",
        "pageviews",
        "visitors",
        "unique_clients",
        "bot_hits",
      ]),
    );
  });

  for (const [day, expected] of Object.entries(oracle.days)) {
    it(`${day}: hits, bandwidth, status classes and unique clients equal GoAccess's`, () => {
      const row = traffic.rows.find((r) => r.day === day);
      expect(row).toMatchObject(expected);
    });
  }

  it("adds up to GoAccess's totals", () => {
    const sum = (c: string) => traffic.rows.reduce((s, r) => s + Number(r[c]), 0);
    expect({ hits: sum("hits"), bandwidth: sum("bandwidth") }).toEqual({
      hits: oracle.totals.hits,
      bandwidth: oracle.totals.bandwidth,
    });
  });

  it("leaves stats/ byte-identical when the same input is ingested and aggregated again", async () => {
    // Prepare
    const logsieve = await openLocal({ lakeDir: lake, config: {} });

    // Act: the log again (recognized: nothing is read twice), and its days aggregated again
    const again = await logsieve.ingestFile(LOG);
    await aggregateDays({ lakeDir: lake, days, config: logsieve.config });

    // Assess
    expect(again.resume.status).toBe("already-read");
    expect(again.eventDays).toEqual([]);
    expect(statsDigest(lake)).toEqual(firstStats);
  });
});
