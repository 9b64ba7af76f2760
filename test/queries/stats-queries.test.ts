import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { resolveQueryParams } from "../../functions/core/aggregate/catalog.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { type Formula, filterParams, type Leaf } from "../../functions/core/stats/filters.ts";
import { NEVER_PATTERN } from "../../functions/core/stats/patterns.ts";
import type { ResultRow } from "../../functions/ports/query-engine.ts";
import { loadQueryCatalog } from "../../functions/runtime/query-files.ts";
import { renderStatsQueries } from "../../scripts/stats-queries.ts";
import { type Event, event, tempLake, writeEvents, writeEventsByDay } from "./support/fixture-lake.ts";
import { DAYS, GOALS, generateEvents, SITES } from "./support/generate.ts";
import * as reference from "./support/reference.ts";

/**
 * The filtered reads of events/ (queries/stats.*.sql) against the reference (support/reference.ts, written from
 * docs/PRIVACY.md "Filtered queries"), and the attacks they exist to stop: a filter that singles one person out, and
 * two filters that differ by one condition (differencing), each with a positive control showing what would leak.
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const catalog = loadQueryCatalog();
const events = generateEvents();
const config = parseConfig({
  sites: [...SITES],
  siteSettings: Object.fromEntries(Object.entries(GOALS).map(([site, goals]) => [site, { goals }])),
});
let lake: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  lake = tempLake();
  await writeEventsByDay(lake, "0a1b2c3d", events, 5000);
  await aggregateDays({ lakeDir: lake, days: "all", config });
  engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
});

afterAll(async () => {
  await engine?.close();
  rmSync(lake, { recursive: true, force: true });
});

const plain = (rows: readonly ResultRow[]) => rows.map((r) => ({ ...r }));

interface Scenario {
  readonly name: string;
  readonly leaves: readonly Leaf[];
  readonly formula: Formula;
  /** The same filter as a function, written separately for the reference. */
  readonly test: (bits: readonly boolean[]) => boolean;
}

const leaf = (dimension: Leaf["dimension"], ...patterns: string[]): Leaf => ({ dimension, patterns });
const L = (i: number): Formula => ({ kind: "leaf", leaf: i });

const SCENARIOS: readonly Scenario[] = [
  { name: "no filter", leaves: [], formula: { kind: "true" }, test: () => true },
  { name: "country is DE", leaves: [leaf("country", "^DE$")], formula: L(0), test: (b) => b[0] === true },
  {
    name: "country is DE and browser is not Chrome",
    leaves: [leaf("country", "^DE$"), leaf("browser", "^Chrome$")],
    formula: { kind: "and", of: [L(0), { kind: "not", of: L(1) }] },
    test: (b) => b[0] === true && b[1] !== true,
  },
  {
    name: "page is / or /pricing (one leaf, two patterns), or a signup event",
    leaves: [leaf("page", "^/$", "^/pricing$"), leaf("goal_event", "^signup$")],
    formula: { kind: "or", of: [L(0), L(1)] },
    test: (b) => b[0] === true || b[1] === true,
  },
  {
    name: "page does not contain /blog, device is desktop, entry page is /",
    leaves: [leaf("page", "/blog"), leaf("device", "^desktop$"), leaf("entry_page", "^/$")],
    formula: { kind: "and", of: [{ kind: "not", of: L(0) }, L(1), L(2)] },
    test: (b) => b[0] !== true && b[1] === true && b[2] === true,
  },
];

function run(
  id: "stats.events" | "stats.visits" | "stats.goals",
  params: Record<string, string>,
  k = config.k,
) {
  const definition = catalog.byId.get(id);
  if (definition === undefined) throw new Error(`queries/${id}.sql is missing`);
  return engine.query(
    definition.select,
    resolveQueryParams(definition, params, parseConfig({ ...config, k })),
  );
}

function paramsOf(
  s: Scenario,
  dimension: string,
  grain: string,
  scope: "pageviews" | "interactions" = "pageviews",
) {
  return {
    site: "example.com",
    from: DAYS[0],
    to: DAYS[1],
    dimension,
    grain,
    scope,
    ...filterParams(s.leaves, s.formula, NEVER_PATTERN),
  };
}

function referenceOf(
  kind: reference.FilteredQuery["kind"],
  s: Scenario,
  dimension: string,
  grain: reference.FilteredQuery["grain"],
  scope: "pageviews" | "interactions" = "pageviews",
  k = config.k,
) {
  return reference.filtered(events, {
    kind,
    scope,
    site: "example.com",
    from: DAYS[0],
    to: DAYS[1],
    dimension,
    grain,
    leaves: s.leaves.map((l) => ({ dimension: l.dimension, patterns: l.patterns.map((p) => new RegExp(p)) })),
    formula: s.test,
    goals: GOALS,
    k,
  });
}

describe("queries/stats.*.sql are the generator's output", () => {
  it("equal scripts/stats-queries.ts, file by file, and are every stats.* file there is", () => {
    const rendered = renderStatsQueries();
    for (const [name, text] of Object.entries(rendered)) {
      expect(readFileSync(join(ROOT, "queries", name), "utf8"), name).toBe(text);
    }
    const files = [...catalog.byId.keys()].filter((id) => id.startsWith("stats.")).map((id) => `${id}.sql`);
    expect(files.sort()).toEqual(Object.keys(rendered).sort());
  });
});

describe("stats.events: events, page views and visitors under a filter, day cells checked", () => {
  for (const s of SCENARIOS) {
    for (const [dimension, grain, scope] of [
      ["page", "all", "pageviews"],
      ["page", "all", "interactions"],
      ["none", "day", "pageviews"],
      ["country", "all", "interactions"],
      ["source", "week", "pageviews"],
      ["name", "all", "interactions"],
      ["entry_page", "month", "pageviews"],
      ["utm_source", "all", "pageviews"],
    ] as const) {
      it(`${s.name}: by ${dimension}, ${grain}, ${scope}, equals the reference`, async () => {
        // Act
        const result = await run("stats.events", paramsOf(s, dimension, grain, scope));
        // Assess
        expect(plain(result.rows)).toEqual(referenceOf("events", s, dimension, grain, scope));
      });
    }
  }

  it("without a filter equals the stats/ answer for every row it shows (the same page views, the same visitors)", async () => {
    // Prepare
    const pages = catalog.byId.get("dashboard.topPages");
    if (pages === undefined) throw new Error("dashboard.topPages is missing");
    const stats = await engine.query(
      pages.select,
      resolveQueryParams(pages, { site: "example.com", from: DAYS[0], to: DAYS[1] }, config),
    );
    // Act
    const filtered = await run("stats.events", paramsOf(SCENARIOS[0] as Scenario, "page", "all"));
    // Assess: events/ answers the rows stats/ shows by name, with the same numbers, and shows nothing stats/ folded.
    const byPath = new Map(stats.rows.map((r) => [r.path, r]));
    expect(filtered.rows.length).toBeGreaterThan(3);
    for (const row of filtered.rows) {
      expect(byPath.get(row.label), String(row.label)).toMatchObject({
        pageviews: row.pageviews,
        visitors: row.visitors,
      });
    }
  });

  it("is exercised: most scenarios show a total, and some cells are left out for their relaxations alone", () => {
    let withheld = 0;
    let totals = 0;
    for (const s of SCENARIOS) {
      for (const dimension of ["page", "none", "country", "source", "entry_page"]) {
        // Act
        const shown = reference.filtered(events, referenceQuery(s, dimension));
        const unchecked = reference.filtered(events, {
          ...referenceQuery(s, dimension),
          ignoreRelaxations: true,
        });
        // Assess
        if (dimension === "none" && shown.length > 0) totals++;
        withheld += unchecked.length - shown.length;
      }
    }
    expect(totals).toBeGreaterThanOrEqual(3);
    expect(withheld).toBeGreaterThan(3);
  });
});

function referenceQuery(s: Scenario, dimension: string): reference.FilteredQuery {
  return {
    kind: "events",
    site: "example.com",
    from: DAYS[0],
    to: DAYS[1],
    dimension,
    grain: "all",
    leaves: s.leaves.map((l) => ({ dimension: l.dimension, patterns: l.patterns.map((p) => new RegExp(p)) })),
    formula: s.test,
    k: config.k,
  };
}

describe("stats.visits and stats.goals", () => {
  for (const s of SCENARIOS) {
    for (const [dimension, grain] of [
      ["none", "all"],
      ["entry_page", "all"],
      ["country", "day"],
      ["exit_page", "all"],
    ] as const) {
      it(`visits, ${s.name}: by ${dimension}, ${grain}, equal the reference`, async () => {
        const result = await run("stats.visits", paramsOf(s, dimension, grain, "interactions"));
        expect(plain(result.rows)).toEqual(referenceOf("visits", s, dimension, grain));
      });
    }
    it(`goals, ${s.name}: equal the reference`, async () => {
      const result = await run("stats.goals", paramsOf(s, "none", "all", "interactions"));
      expect(plain(result.rows)).toEqual(referenceOf("goals", s, "none", "all"));
    });
  }

  it("visits without a filter equal the stats/ visits of the days they show", async () => {
    // Act
    const filtered = await run(
      "stats.visits",
      paramsOf(SCENARIOS[0] as Scenario, "none", "day", "interactions"),
    );
    const stats = await engine.query(
      "SELECT dt, visits, bounces, visit_duration FROM stats_visits WHERE site = 'example.com'",
    );
    // Assess
    const byDay = new Map(stats.rows.map((r) => [r.dt, r]));
    expect(filtered.rows).toHaveLength(2);
    for (const row of filtered.rows) {
      expect(byDay.get(row.bucket)).toMatchObject({
        visits: row.visits,
        bounces: row.bounces,
        visit_duration: row.visit_duration,
      });
    }
  });
});

describe("attacks on filters (k = 5)", () => {
  // 30 people in DE (Chrome, 30 networks) read /a and /b; 10 people in LU with Firefox (10 networks) read /a; one
  // person in LU uses Lynx and reads /a and /secret. Everyone on one day.
  const DAY = "2026-04-01";
  const at = (minute: number) => Date.parse(`${DAY}T10:00:00Z`) + minute * 60_000;
  const crowd: Event[] = [];
  for (let v = 0; v < 30; v++) {
    const who = {
      visitor_id: BigInt(1000 + v),
      ip_prefix: `198.51.${v}.0/24`,
      country: "DE",
      browser: "Chrome",
    };
    crowd.push(event({ ts: at(v), path: "/a", ...who }), event({ ts: at(v) + 1000, path: "/b", ...who }));
  }
  for (let v = 0; v < 10; v++) {
    crowd.push(
      event({
        ts: at(v),
        path: "/a",
        visitor_id: BigInt(2000 + v),
        ip_prefix: `192.0.2.${v * 16}/28`,
        country: "LU",
        browser: "Firefox",
      }),
    );
  }
  const target = { visitor_id: 4242n, ip_prefix: "203.0.113.0/24", country: "LU", browser: "Lynx" };
  crowd.push(event({ ts: at(40), path: "/a", ...target }), event({ ts: at(41), path: "/secret", ...target }));

  let attackLake: string;
  let attackEngine: DuckDbQueryEngine;
  beforeAll(async () => {
    attackLake = tempLake();
    await writeEvents(attackLake, DAY, "a77ac4ed", crowd);
    attackEngine = await DuckDbQueryEngine.open({ lakeDir: attackLake, threads: 1 });
  });
  afterAll(async () => {
    await attackEngine?.close();
    rmSync(attackLake, { recursive: true, force: true });
  });

  const ask = async (leaves: readonly Leaf[], formula: Formula, overrides: Record<string, string> = {}) => {
    const definition = catalog.byId.get("stats.events");
    if (definition === undefined) throw new Error("stats.events is missing");
    const params = {
      site: "example.com",
      from: DAY,
      to: DAY,
      dimension: "page",
      grain: "all",
      scope: "pageviews",
      ...filterParams(leaves, formula, NEVER_PATTERN),
      ...overrides,
    };
    const result = await attackEngine.query(
      definition.select,
      resolveQueryParams(definition, params, parseConfig({ k: 5 })),
    );
    return new Map(result.rows.map((r) => [String(r.label), Number(r.visitors)]));
  };
  const LU = leaf("country", "^LU$");
  const LYNX = leaf("browser", "^Lynx$");

  it("a filter that singles the person out (country LU and browser Lynx) returns nothing at all", async () => {
    const answer = await ask([LU, LYNX], { kind: "and", of: [L(0), L(1)] });
    expect([...answer.entries()]).toEqual([]);
  });

  it("differencing 'LU' against 'LU and not Lynx' shows no page that differs by fewer than 5 people", async () => {
    // Act
    const lu = await ask([LU], L(0));
    const luNotLynx = await ask([LU, LYNX], { kind: "and", of: [L(0), { kind: "not", of: L(1) }] });
    // Assess: /a is shown for LU (11 people, and the unfiltered /a adds 30); 'LU and not Lynx' leaves /a out,
    // because ignoring its browser condition would add one person. /secret (one person) is never shown.
    expect(lu.get("/a")).toBe(11);
    expect(lu.has("/secret")).toBe(false);
    for (const [page, visitors] of luNotLynx) {
      const difference = Math.abs((lu.get(page) ?? 0) - visitors);
      expect(difference === 0 || difference >= 5, `${page}: ${difference}`).toBe(true);
    }
    expect(luNotLynx.has("/a")).toBe(false);
  });

  it("positive control: without the relaxation check the same pair of answers gives the person away", async () => {
    // Act: the relaxation tables replaced by the filter's own (nothing added): what a per-row k alone would answer.
    const luNotLynx = await ask(
      [LU, LYNX],
      { kind: "and", of: [L(0), { kind: "not", of: L(1) }] },
      {
        ...Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`relaxed${i + 1}`, "01000100"])),
        filter: "01000100",
      },
    );
    const lu = await ask([LU], L(0));
    // Assess: 11 − 10 = 1: one person in LU who is not 'not Lynx' read /a.
    expect(luNotLynx.get("/a")).toBe(10);
    expect((lu.get("/a") ?? 0) - (luNotLynx.get("/a") ?? 0)).toBe(1);
  });

  it("the person's pages stay hidden over a longer range too (every day is judged on its own)", async () => {
    const answer = await ask([LU], L(0), { to: "2026-04-30" });
    expect(answer.has("/secret")).toBe(false);
  });
});
