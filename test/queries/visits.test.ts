import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { event, tempLake, writeEvents } from "./support/fixture-lake.ts";

/**
 * Visits counted by hand (docs/QUERIES.md "Visits"): a few events whose visits, bounces, durations, entry and exit
 * pages are worked out below, independently of both the SQL and the reference implementation.
 */

const DAY = "2026-03-05";
const at = (time: string) => Date.parse(`${DAY}T${time}Z`);
const A = { visitor_id: 101n, ip_prefix: "198.51.100.0/24" };
const B = { visitor_id: 202n, ip_prefix: "198.51.101.0/24" };

let lake: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  lake = tempLake();
  await writeEvents(lake, DAY, "0a0a0a0a", [
    // A, visit 1: /a, /b ten minutes later, /c exactly 30 minutes after /b (still the same visit): 40 minutes.
    event({ ts: at("10:00:00"), path: "/a", ...A }),
    event({ ts: at("10:10:00"), path: "/b", ...A }),
    event({ ts: at("10:40:00"), path: "/c", ...A }),
    // A, visit 2: 30 minutes and one second later: a new visit of one page view (a bounce).
    event({ ts: at("11:10:01"), path: "/d", ...A }),
    // B: a page view and a custom event in the same second, then an asset (no interaction): one visit, no bounce.
    event({ ts: at("12:00:00"), path: "/a", ...B }),
    event({
      ts: at("12:00:00"),
      path: "/a",
      source: "collector",
      event_name: "signup",
      method: null,
      status: null,
      ...B,
    }),
    event({ ts: at("12:01:00"), path: "/app.js", is_asset: true, ...B }),
    // An anonymous page view (no id: no visit) and a bot (never a visit).
    event({ ts: at("13:00:00"), path: "/a", visitor_id: null, ip_prefix: null, consent_tier: "anonymous" }),
    event({ ts: at("14:00:00"), path: "/a", is_bot: true, visitor_id: 909n, ip_prefix: "66.249.0.0/24" }),
  ]);
  engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
  await aggregateDays({
    lakeDir: lake,
    days: [DAY],
    config: parseConfig({ sites: ["example.com"], k: 2 }),
    engine,
  });
});

afterAll(async () => {
  await engine?.close();
  rmSync(lake, { recursive: true, force: true });
});

const rows = async (table: string) =>
  (await engine.query(`SELECT * EXCLUDE (dt) FROM ${table} ORDER BY ALL`)).rows.map((r) => ({ ...r }));

describe("visits within a day", () => {
  it("counts 3 visits of 2 visitors: one bounce, 2,400 seconds, 5 page views in visits", async () => {
    expect(await rows("stats_visits")).toEqual([
      { site: "example.com", visitors: 2, visits: 3, bounces: 1, visit_duration: 2400, visit_pageviews: 5 },
    ]);
  });

  it("enters twice on /a (two visitors: shown) and once on /d (one visitor: folded)", async () => {
    expect(await rows("stats_entries")).toEqual([
      { site: "example.com", entry_page: "(other)", visits: 1, visitors: 1, bounces: 1, visit_duration: 0 },
      { site: "example.com", entry_page: "/a", visits: 2, visitors: 2, bounces: 0, visit_duration: 2400 },
    ]);
  });

  it("exits on /c, /d and /a, each by one visitor: all folded into (other)", async () => {
    expect(await rows("stats_exits")).toEqual([
      { site: "example.com", exit_page: "(other)", visits: 3, visitors: 3 },
    ]);
  });
});
