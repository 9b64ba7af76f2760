import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { type FileIngestSummary, openLocal } from "../../functions/apps/ingest/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";
import { parseConfig } from "../../functions/core/config.ts";

/**
 * Referrer spam from log to statistics: a log where twenty people from twenty networks arrive from two hosts of
 * Matomo's spam list (one as a subdomain) and from one real site, ingested and aggregated as `logsieve ingest` and
 * `logsieve aggregate` do. The spam lines are dropped as spam_referrer, stay in security/, and no referrer table
 * shows their hosts; the real referrer is there. Positive control: with the filter off, the same log puts both
 * spam hosts into the referrer table (twenty people are above k, so it is the filter, not k, that keeps them out).
 */

const DAY = "2026-11-20";
const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SPAM = ["http://www.semalt.com/crawler.php?u=example.com", "https://forum.darodar.com/"];
const REAL = "https://news.example.org/article";

function lines(): string[] {
  const out: string[] = [];
  for (let person = 0; person < 20; person++) {
    const ip = `10.${person}.7.${10 + person}`;
    [...SPAM, REAL].forEach((referrer, i) => {
      const time = `20/Nov/2026:10:${String(person).padStart(2, "0")}:${String(i * 10).padStart(2, "0")} +0000`;
      out.push(`${ip} - - [${time}] "GET /landing-${i} HTTP/1.1" 200 512 "${referrer}" "${UA}"`);
    });
  }
  return out;
}

describe("referrer spam from log to stats", () => {
  let dir: string;
  const runs: Record<"filtered" | "unfiltered", { lake: string; summary: FileIngestSummary }> = {} as never;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-spam-"));
    const log = join(dir, "access.log");
    await writeFile(log, `${lines().join("\n")}\n`);
    for (const [name, extra] of [
      ["filtered", {}],
      ["unfiltered", { referrerSpam: { enabled: false } }],
    ] as const) {
      const lake = join(dir, name);
      const config = { sites: ["example.com"], ...extra };
      const local = await openLocal({ lakeDir: lake, config });
      const summary = await local.ingestFile(log);
      await aggregateDays({ lakeDir: lake, days: "all", config: parseConfig(config) });
      runs[name] = { lake, summary };
    }
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const referrers = async (name: "filtered" | "unfiltered") =>
    (
      await runCliQuery({
        lakeDir: runs[name].lake,
        name: "top-referrers",
        params: { site: "example.com", from: DAY, to: DAY },
        config: parseConfig({ sites: ["example.com"] }),
      })
    ).rows.map((r) => [r.referrer_host, Number(r.pageviews), Number(r.visitors)]);

  it("counts the spam lines as dropped spam_referrer and keeps their security records", async () => {
    // Act
    const { summary, lake } = runs.filtered;
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake });
    const security = await engine.query(
      "SELECT count(*) AS n FROM security WHERE referrer LIKE '%semalt.com%' OR referrer LIKE '%darodar.com%'",
    );
    const events = await engine.query("SELECT count(*) AS n FROM events");
    await engine.close();
    // Assess
    expect(summary.accepted).toBe(60);
    expect(summary.dropped).toEqual({ total: 40, byReason: { spam_referrer: 40 } });
    expect(summary.events).toBe(20);
    expect(Number(security.rows[0]?.n)).toBe(40);
    expect(Number(events.rows[0]?.n)).toBe(20);
  });

  it("shows the real referrer and no spam host in the referrer table", async () => {
    expect(await referrers("filtered")).toEqual([["news.example.org", 20, 20]]);
  });

  it("would show both spam hosts with the filter off (positive control)", async () => {
    expect(runs.unfiltered.summary.dropped.total).toBe(0);
    expect((await referrers("unfiltered")).sort()).toEqual(
      [
        ["forum.darodar.com", 20, 20],
        ["news.example.org", 20, 20],
        ["www.semalt.com", 20, 20],
      ].sort(),
    );
  });
});
