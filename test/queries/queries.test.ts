import { existsSync, readdirSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { LocalAddressLookupStore } from "../../functions/adapters/lookup/local-address-lookups.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { resolveQueryParams } from "../../functions/core/aggregate/catalog.ts";
import { bindParams, type QueryDefinition } from "../../functions/core/aggregate/query-file.ts";
import { ROLLUPS, STATS_SCHEMAS, statsObjectKey } from "../../functions/core/aggregate/rollups.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { liveParams } from "../../functions/core/dashboard/live.ts";
import { withAddressLookup } from "../../functions/core/security/address-lookup.ts";
import { SECURITY_SCHEMA } from "../../functions/core/zones.ts";
import type { ResultRow } from "../../functions/ports/query-engine.ts";
import { addressLookupDeps } from "../../functions/runtime/address-lookups.ts";
import { loadQueryCatalog } from "../../functions/runtime/query-files.ts";
import { tempLake, writeEventsByDay, writeSecurity } from "./support/fixture-lake.ts";
import { DAYS, GOALS, generateEvents, generateSecurity, SITES } from "./support/generate.ts";
import * as liveReference from "./support/live-reference.ts";
import * as reference from "./support/reference.ts";

/**
 * Every file in queries/ runs on DuckDB over a fixture lake, and its rows are compared with the TypeScript
 * reference (support/reference.ts) over the same rows. The last test checks that no query file was left out.
 */

const catalog = loadQueryCatalog();
const covered = new Set<string>();
const events = generateEvents();
const security = generateSecurity();
const config = parseConfig({
  sites: [...SITES],
  siteSettings: Object.fromEntries(Object.entries(GOALS).map(([site, goals]) => [site, { goals }])),
});
let lake: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  lake = tempLake();
  // Small objects, several per day, as a CDN delivers them: the aggregation compacts them first.
  await writeEventsByDay(lake, "0a1b2c3d", events.slice(0, 200), 60);
  await writeEventsByDay(lake, "4e5f6a7b", events.slice(200), 90);
  await writeSecurity(lake, "sec-input", security);
  await aggregateDays({ lakeDir: lake, days: "all", config });
  engine = await DuckDbQueryEngine.open({ lakeDir: lake, threads: 1 });
});

afterAll(async () => {
  await engine?.close();
  rmSync(lake, { recursive: true, force: true });
});

function query(id: string): QueryDefinition {
  const definition = catalog.byId.get(id);
  if (definition === undefined) throw new Error(`queries/${id}.sql is missing`);
  covered.add(id);
  return definition;
}

const plain = (rows: readonly ResultRow[]) => rows.map((r) => ({ ...r }));
const lookups = () => addressLookupDeps(new LocalAddressLookupStore(lake));

/** The tables under stats/ as the lake holds them (what Athena's stats_* tables read), sorted. */
async function storedTables(lakeDir = lake): Promise<string[]> {
  return (await readdir(join(lakeDir, "stats"))).sort();
}

/** Every row of one stats/ table, with the day of the partition it is in. */
async function storedRows(table: string, lakeDir = lake): Promise<{ day: string; row: ResultRow }[]> {
  const rows: { day: string; row: ResultRow }[] = [];
  for (const partition of (await readdir(join(lakeDir, "stats", table))).sort()) {
    const day = partition.replace(/^dt=/, "");
    const files = (await readdir(join(lakeDir, "stats", table, partition))).filter((f) =>
      f.endsWith(".parquet"),
    );
    for (const file of files) {
      const path = join(lakeDir, "stats", table, partition, file);
      const result = await engine.query(`SELECT * FROM read_parquet('${path}', hive_partitioning = false)`);
      for (const row of result.rows) rows.push({ day, row });
    }
  }
  return rows;
}

/**
 * The k query over a lake's stats/: every row outside (other) of every table found there, judged on the people behind
 * it — the events (or visits) the reference groups under its site and labels — by visitor ids AND by network
 * prefixes. Rollups without a visitors column (status, bots) are judged the same way; a table the reference cannot
 * explain throws (reference.rollupGroups).
 */
async function judgeStats(lakeDir: string, k: number) {
  const tables = await storedTables(lakeDir);
  const small: string[] = [];
  const judged = new Map<string, number>();
  for (const table of tables) {
    for (const { day, row } of await storedRows(table, lakeDir)) {
      const labels = labelsOf(row);
      if (row.site === "(other)" || Object.values(labels).includes("(other)")) continue;
      const group = reference
        .rollupGroups(events, day, table, GOALS)
        .find((g) => g.site === row.site && JSON.stringify(g.labels) === JSON.stringify(labels));
      const people = group === undefined ? { ids: 0, prefixes: 0 } : reference.peopleOf(group);
      judged.set(table, (judged.get(table) ?? 0) + 1);
      if (people.ids < k || people.prefixes < k) {
        small.push(
          `${table} ${day}: ${JSON.stringify(row)} describes ${people.ids} ids in ${people.prefixes} prefixes`,
        );
      }
    }
  }
  return { tables, judged, small };
}

/** A stored row's labels: its text columns other than the site (counts are numbers). */
function labelsOf(row: ResultRow): Record<string, string> {
  return Object.fromEntries(
    Object.entries(row).filter((e): e is [string, string] => e[0] !== "site" && typeof e[1] === "string"),
  );
}

describe("rollup queries (per day, from events/)", () => {
  for (const rollup of ROLLUPS) {
    it(`rollup.${rollup} writes exactly the reference rows, in order, for each day`, async () => {
      // Prepare
      query(`rollup.${rollup}`);
      for (const day of DAYS) {
        const file = join(lake, statsObjectKey(rollup, day));

        // Act
        const result = await engine.query(`SELECT * FROM read_parquet('${file}', hive_partitioning = false)`);

        // Assess
        expect(plain(result.rows)).toEqual(reference.rollup(events, day, rollup, config.k, GOALS));
      }
    });
  }

  it("stats/ holds no row under k: every row outside (other) of every table in stats/ describes k ids in k networks", async () => {
    // Act: every table the aggregation wrote, found in the lake (not taken from the code's list, so a new rollup is
    // judged without anyone adding it here), every row of every day, judged on the people behind it.
    const { tables, judged, small } = await judgeStats(lake, config.k);

    // Assess: every rollup is in the lake, nearly all had rows to judge (the fixture's campaigns all fold); none is
    // under k.
    const rows = [...judged.values()].reduce((a, b) => a + b, 0);
    console.log(
      `stats/ k query: ${tables.length} tables, ${rows} rows outside (other) judged (${[...judged].map(([t, n]) => `${t} ${n}`).join(", ")}), ${small.length} under k`,
    );
    expect(tables).toEqual([...ROLLUPS].sort());
    expect(judged.size).toBeGreaterThanOrEqual(tables.length - 1);
    expect(rows).toBeGreaterThan(100);
    expect(small).toEqual([]);
  });

  it("positive control: the k query finds rows under k in stats/ aggregated with a smaller k", async () => {
    // Prepare: the same events aggregated with k = 2 (the smallest the configuration takes) into a lake of its own.
    const weak = tempLake();
    try {
      await writeEventsByDay(weak, "0a1b2c3d", events, 90);
      await aggregateDays({ lakeDir: weak, days: "all", config: { ...config, k: 2 } });
      // Act: judged against the real k.
      const { small } = await judgeStats(weak, config.k);
      // Assess: rows of 2 to 4 people (or networks) are found, in most tables (the bots of the fixture are crawlers
      // of 12 networks, or the attacker's one network, which even k = 2 folds).
      expect(small.length).toBeGreaterThan(10);
      const tables = new Set(small.map((s) => s.split(" ")[0]));
      expect(tables.size).toBeGreaterThanOrEqual(10);
      for (const table of ["pages", "referrers", "props"]) expect(tables, table).toContain(table);
    } finally {
      rmSync(weak, { recursive: true, force: true });
    }
  });

  it("bots cannot lift a quiet site's day over k: tiny.example (3 people) is in stats/ only as the (other) site", async () => {
    // Prepare: tiny.example has 3 people a day, plus crawlers from 12 networks and the 6-id attacker (one network).
    const people = new Set(
      events
        .filter((e) => e.site === "tiny.example" && !e.is_bot && e.visitor_id !== null)
        .map((e) => String(e.visitor_id)),
    );
    expect(people.size).toBeGreaterThanOrEqual(config.k);
    const crawlers = events.filter((e) => e.site === "tiny.example" && e.is_bot).length;
    expect(crawlers).toBeGreaterThan(0);

    // Act
    const rows = (await engine.query("SELECT site, visitors FROM stats_totals")).rows;

    // Assess
    expect(rows.map((r) => r.site)).not.toContain("tiny.example");
    expect(rows.map((r) => r.site)).toContain("(other)");
  });

  it("one address rotating its user agent surfaces nothing: six ids from one network stay in (other)", async () => {
    // Prepare: what the attacker wrote (generate.ts), and proof it is in events/ (the scan's positive control).
    const planted = [
      "/<b>x</b>",
      "evil.example",
      "=cmd|calc!A1",
      "Rotating0",
      "Rotating5",
      "EvilBot-alice@example.com",
      "EvilEvent",
      "=evil-plan",
      "Evil",
      "Rare goal",
    ];
    const inEvents = await engine.query(
      "SELECT count(*) AS n FROM events WHERE path = ? OR referrer_host = ? OR utm_source = ? OR browser = ? OR bot_name = ?",
      ["/<b>x</b>", "evil.example", "=cmd|calc!A1", "Rotating0", "EvilBot-alice@example.com"].map(
        (value) => ({
          type: "string" as const,
          value,
        }),
      ),
    );
    expect(Number(inEvents.rows[0]?.n)).toBeGreaterThan(0);

    // Act: every value of every table in stats/ (found in the lake), the bots rollup included.
    const values = new Set<string>();
    const tables = await storedTables();
    expect(tables).toContain("bots");
    for (const table of tables) {
      for (const { row } of await storedRows(table)) {
        for (const v of Object.values(row)) if (typeof v === "string") values.add(v);
      }
    }

    // Assess: none reaches stats/; the same rows with k = 1 would (so it is the prefix rule that stops them).
    expect(planted.filter((p) => values.has(p))).toEqual([]);
    const unfolded = ROLLUPS.flatMap((r) => DAYS.flatMap((d) => reference.rollup(events, d, r, 1, GOALS)));
    const wouldShow = new Set(unfolded.flatMap((row) => Object.values(row).map(String)));
    expect(planted.every((p) => wouldShow.has(p))).toBe(true);
  });

  it("goals and properties: configured goals convert, a literal _ in a pattern matches only itself, rare ones fold", async () => {
    // Act
    const goals = await engine.query(
      "SELECT goal, sum(visitors) AS visitors FROM stats_goals GROUP BY goal ORDER BY goal",
    );
    const props = await engine.query(
      "SELECT DISTINCT event_name, prop_key, prop_value FROM stats_props ORDER BY event_name, prop_key, prop_value",
    );
    // Assess: the wildcard-free /docs_install* matched nothing (/docs/install would, were _ LIKE's wildcard).
    expect(goals.rows.map((r) => r.goal)).toEqual(["(other)", "Any page", "Blog", "Pricing", "Signup"]);
    expect(
      reference.goals(events, DAYS[0], { "example.com": [{ name: "U", page: "/docs_install*" }] }, 1),
    ).toEqual([]);
    expect(
      reference.goals(events, DAYS[0], { "example.com": [{ name: "U", page: "/docs*install" }] }, 1).length,
    ).toBe(1);
    expect(props.rows.map((r) => [r.event_name, r.prop_key, r.prop_value])).toEqual([
      ["(other)", "(other)", "(other)"],
      ["signup", "method", "card"],
      ["signup", "plan", "free"],
      ["signup", "plan", "pro"],
    ]);
  });

  it("visits: the fixture has visitors with several visits, bounces, ties and pauses of exactly 30 minutes", () => {
    // Prepare: the reference's visits of the first day (the SQL equals them, tests above).
    const all = DAYS.flatMap((d) => reference.visitsOf(events, d));
    const perVisitor = new Map<string, number>();
    for (const v of all)
      perVisitor.set(String(v.who.visitor_id), (perVisitor.get(String(v.who.visitor_id)) ?? 0) + 1);
    // Assess
    expect([...perVisitor.values()].filter((n) => n > 1).length).toBeGreaterThan(5);
    expect(all.filter((v) => v.pageviews === 1 && v.interactions === 1).length).toBeGreaterThan(10);
    expect(all.filter((v) => v.duration > 0).length).toBeGreaterThan(10);
    const ids = new Set(events.map((e) => e.ts));
    expect(events.filter((e) => e.ts === Date.parse(`${DAYS[0]}T23:59:59Z`)).length).toBeGreaterThan(1);
    expect(ids.size).toBeGreaterThan(100);
  });

  it("stats files have exactly the columns and types of STATS_SCHEMAS (what Glue declares)", async () => {
    for (const rollup of ROLLUPS) {
      // Act
      const described = await engine.query(
        `DESCRIBE SELECT * FROM read_parquet('${join(lake, statsObjectKey(rollup, DAYS[0]))}', hive_partitioning = false)`,
      );

      // Assess
      const expected = STATS_SCHEMAS[rollup].columns.map((c) => [
        c.name,
        c.type === "string" ? "VARCHAR" : "BIGINT",
      ]);
      expect(described.rows.map((r) => [r.column_name, r.column_type])).toEqual(expected);
    }
  });

  it("counts a hand-checked slice of the fixture the way the definitions say", async () => {
    // Prepare: recount the first day of example.com by the definitions, independently of the reference module.
    const day = DAYS[0];
    const rows = events.filter(
      (e) => e.site === "example.com" && new Date(e.ts).toISOString().startsWith(day),
    );
    const logs = rows.filter((e) => e.source === "log");
    const notFound = logs.filter((e) => e.status === 404).length;
    const botHits = logs.filter((e) => e.is_bot).length;
    const humanIds = new Set(rows.filter((e) => !e.is_bot && e.visitor_id !== null).map((e) => e.visitor_id));

    // Act
    const result = await engine.query("SELECT * FROM stats_totals WHERE dt = ? AND site = 'example.com'", [
      { type: "date", value: day },
    ]);

    // Assess
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({
      hits: logs.length,
      status_4xx: notFound,
      bot_hits: botHits,
      visitors: humanIds.size,
    });
    expect(humanIds.size).toBeGreaterThan(20);
  });
});

const DASHBOARDS = [
  ["dashboard.topPages", "pages", ["path"]],
  ["dashboard.topReferrers", "referrers", ["referrer_host"]],
  ["dashboard.countries", "countries", ["country"]],
  ["dashboard.browsers", "browsers", ["browser"]],
  ["dashboard.operatingSystems", "os", ["os"]],
  ["dashboard.devices", "devices", ["device"]],
  ["dashboard.campaigns", "campaigns", ["utm_source", "utm_medium", "utm_campaign"]],
] as const;

/** A site's daily rollup rows as stats/ holds them (k = config.k), or unfolded (k = 0). */
function dailyRollupRows(rollup: string, site: string, k = config.k) {
  return DAYS.flatMap((day) =>
    reference.rollup(events, day, rollup, k, GOALS).filter((r) => r.site === site),
  );
}

describe("dashboard queries (k-suppressed, over stats/)", () => {
  for (const [id, rollup, labels] of DASHBOARDS) {
    it(`${id} equals the reference over both days for each site, k = ${config.k}`, async () => {
      // Prepare
      const definition = query(id);
      for (const site of SITES) {
        const params = resolveQueryParams(definition, { site, from: DAYS[0], to: DAYS[1] }, config);

        // Act
        const result = await engine.query(definition.select, params);

        // Assess
        expect(plain(result.rows)).toEqual(
          reference.dashboard(dailyRollupRows(rollup, site), labels, config.k),
        );
      }
    });
  }

  it("dashboard.timeseries shows days with at least k visitors and folds quieter days into (other)", async () => {
    // Prepare
    const definition = query("dashboard.timeseries");
    for (const site of SITES) {
      // A day that stats/ folded into the (other) site is not the site's any more: it is absent here.
      const perDay = DAYS.flatMap((day) => {
        const t = reference.totals(events, day, config.k).find((r) => r.site === site);
        return t === undefined ? [] : [{ day, pageviews: Number(t.pageviews), visitors: Number(t.visitors) }];
      });
      for (const k of [2, 20, 30]) {
        const kConfig = parseConfig({ k });

        // Act
        const result = await engine.query(
          definition.select,
          resolveQueryParams(definition, { site, from: DAYS[0], to: DAYS[1] }, kConfig),
        );

        // Assess
        const shown = (d: { visitors: number; pageviews: number }) =>
          d.visitors >= k || (d.visitors === 0 && d.pageviews >= k);
        const kept = perDay.filter(shown);
        const folded = perDay.filter((d) => !shown(d));
        const expected = [
          ...kept,
          ...(folded.length > 0
            ? [
                {
                  day: "(other)",
                  pageviews: folded.reduce((s, d) => s + d.pageviews, 0),
                  visitors: folded.reduce((s, d) => s + d.visitors, 0),
                },
              ]
            : []),
        ];
        expect(plain(result.rows)).toEqual(expected);
      }
    }
  });

  it("no dashboard query returns a row with 0 < visitors < k (nor an anonymous row under k views) but one (other)", async () => {
    for (const [id] of [...DASHBOARDS, ["dashboard.timeseries"] as const]) {
      const definition = query(id);
      for (const k of [2, 3, 5, 8, 13, 40]) {
        for (const site of SITES) {
          // Act
          const result = await engine.query(
            definition.select,
            resolveQueryParams(definition, { site, from: DAYS[0], to: DAYS[1] }, parseConfig({ k })),
          );

          // Assess
          const small = result.rows.filter(
            (r) => Number(r.visitors) < k && (Number(r.visitors) > 0 || Number(r.pageviews) < k),
          );
          const others = result.rows.filter((r) => Object.values(r).includes("(other)"));
          expect(others.length).toBeLessThanOrEqual(1);
          expect(
            small.every((r) => others.includes(r)),
            `${id} k=${k} ${site}`,
          ).toBe(true);
        }
      }
    }
  });

  it("folds something in the fixture, so the suppression is exercised", async () => {
    // Prepare
    const definition = query("dashboard.topPages");
    const unsuppressed = reference.dashboard(dailyRollupRows("pages", "example.com", 0), ["path"], 1);
    const rare = (path: string) => unsuppressed.find((r) => r.path === path);
    expect(rare("/rare-1")).toMatchObject({ visitors: 0, pageviews: 1 });
    expect(Number(rare("/rare-2")?.visitors)).toBeGreaterThan(0);
    expect(Number(rare("/rare-2")?.visitors)).toBeLessThan(5);

    // Act
    const result = await engine.query(
      definition.select,
      resolveQueryParams(definition, { site: "example.com", from: DAYS[0], to: DAYS[1] }, config),
    );

    // Assess: /rare-2 has visitors, but fewer than 5; /rare-1 has one anonymous page view (no visitor id):
    // neither is shown by name. The home page is.
    const paths = result.rows.map((r) => r.path);
    expect(paths).toContain("(other)");
    expect(paths).not.toContain("/rare-1");
    expect(paths).not.toContain("/rare-2");
    expect(paths).toContain("/");
  });
});

const VISIT_DASHBOARDS = [
  [
    "dashboard.entryPages",
    "entries",
    ["entry_page"],
    ["visits", "visitors", "bounces", "visit_duration"],
    ["visitors", "visits"],
  ],
  ["dashboard.exitPages", "exits", ["exit_page"], ["visits", "visitors"], ["visitors", "visits"]],
  ["dashboard.goals", "goals", ["goal"], ["events", "visitors"], ["visitors", "events"]],
  [
    "dashboard.props",
    "props",
    ["event_name", "prop_key", "prop_value"],
    ["events", "visitors"],
    ["visitors", "events"],
  ],
] as const;

describe("dashboard queries over the visit, goal and property rollups", () => {
  for (const [id, rollup, labels, counts, order] of VISIT_DASHBOARDS) {
    it(`${id} equals the reference over both days for each site, for several k`, async () => {
      const definition = query(id);
      for (const k of [2, 5, 13]) {
        for (const site of SITES) {
          // Act
          const result = await engine.query(
            definition.select,
            resolveQueryParams(
              definition,
              { site, from: DAYS[0], to: DAYS[1] },
              parseConfig({ ...config, k }),
            ),
          );
          // Assess: the daily rows as stats/ holds them (folded with the configuration's k), k applied again.
          expect(plain(result.rows), `${id} k=${k} ${site}`).toEqual(
            reference.dashboardSums(dailyRollupRows(rollup, site), labels, counts, order, k),
          );
        }
      }
    });
  }

  it("dashboard.visits shows days with at least k visitors and folds quieter days into (other)", async () => {
    const definition = query("dashboard.visits");
    for (const k of [2, 20, 30]) {
      for (const site of SITES) {
        // Act
        const result = await engine.query(
          definition.select,
          resolveQueryParams(definition, { site, from: DAYS[0], to: DAYS[1] }, parseConfig({ k })),
        );
        // Assess
        const daily = DAYS.flatMap((day) =>
          reference
            .visits(events, day, config.k)
            .filter((r) => r.site === site)
            .map((r) => ({ ...r, day })),
        );
        expect(plain(result.rows), `k=${k} ${site}`).toEqual(reference.visitsPerDay(daily, k));
      }
    }
  });
});

describe("cli queries", () => {
  it("cli.dailyTraffic returns one row per day with the totals of all sites, or of one site", async () => {
    // Prepare
    const definition = query("cli.dailyTraffic");
    const sumOver = (day: string, sites: readonly string[]) => {
      const rows = reference.totals(events, day, config.k).filter((r) => sites.includes(String(r.site)));
      const sum = (c: string) => rows.reduce((s, r) => s + Number(r[c]), 0);
      return {
        day,
        ...Object.fromEntries(
          [
            "hits",
            "bandwidth",
            "status_2xx",
            "status_3xx",
            "status_4xx",
            "status_5xx",
            "status_other",
            "pageviews",
            "visitors",
            "unique_clients",
            "bot_hits",
          ].map((c) => [c, sum(c)]),
        ),
      };
    };

    // Act
    const all = await engine.query(definition.select, bindParams(definition, { from: DAYS[0], to: DAYS[1] }));
    const shop = await engine.query(
      definition.select,
      bindParams(definition, { from: DAYS[1], to: DAYS[1], site: "shop.example" }),
    );

    // Assess
    // Over all sites the quiet sites' days count too: they are in stats/ as the (other) site.
    expect(plain(all.rows)).toEqual(DAYS.map((day) => sumOver(day, [...SITES, "(other)"])));
    expect(plain(shop.rows)).toEqual([sumOver(DAYS[1], ["shop.example"])]);
  });

  it("cli.bots sums bot hits and bandwidth per family over the range", async () => {
    // Prepare
    const definition = query("cli.bots");
    const rows = DAYS.flatMap((day) => reference.bots(events, day, config.k));
    const families = [...new Set(rows.map((r) => String(r.bot_name)))];
    const expected = families
      .map((bot_name) => {
        const of = rows.filter((r) => r.bot_name === bot_name);
        return {
          bot_name,
          hits: of.reduce((s, r) => s + Number(r.hits), 0),
          bandwidth: of.reduce((s, r) => s + Number(r.bandwidth), 0),
        };
      })
      .sort((a, b) => b.hits - a.hits || (a.bot_name < b.bot_name ? -1 : 1));

    // Act
    const result = await engine.query(
      definition.select,
      bindParams(definition, { from: DAYS[0], to: DAYS[1] }),
    );

    // Assess
    expect(plain(result.rows)).toEqual(expected);
  });
});

describe("security queries (over security/, within the window)", () => {
  const window = { from: DAYS[0], to: DAYS[1] };

  it("security.topTalkers ranks addresses by requests", async () => {
    const definition = query("security.topTalkers");
    const result = await engine.query(definition.select, bindParams(definition, { ...window, limit: "5" }));
    expect(plain(result.rows)).toEqual(reference.topTalkers(security, window.from, window.to, 5));
    expect(result.rows[0]?.client_ip).toBe("2001:db8::7");
  });

  it("security.errorBursts finds the minute of 4xx/5xx from one address", async () => {
    const definition = query("security.errorBursts");
    const result = await engine.query(
      definition.select,
      bindParams(definition, { ...window, min_errors: "10" }),
    );
    expect(plain(result.rows)).toEqual(reference.errorBursts(security, window.from, window.to, 10));
    expect(result.rows.map((r) => r.client_ip)).toContain("2001:db8::7");
  });

  it("security.loginBruteForce counts POSTs to the configured login paths, query strings ignored", async () => {
    const definition = query("security.loginBruteForce");
    const defaults = [
      "/wp-login.php",
      "/xmlrpc.php",
      "/user/login",
      "/login",
      "/admin/login",
      "/administrator/index.php",
    ];
    const byDefault = await engine.query(definition.select, bindParams(definition, window));
    expect(plain(byDefault.rows)).toEqual(
      reference.loginBruteForce(security, window.from, window.to, defaults, 10),
    );
    expect(byDefault.rows.map((r) => r.client_ip)).toEqual(["203.0.113.9", "203.0.113.10"]);

    // Only the paths given count.
    const narrowed = await engine.query(
      definition.select,
      bindParams(definition, { ...window, login_paths: "/USER/LOGIN", min_attempts: "1" }),
    );
    expect(plain(narrowed.rows)).toEqual(
      reference.loginBruteForce(security, window.from, window.to, ["/user/login"], 1),
    );
  });

  it("security.scanners labels each signature and the scanning user agent", async () => {
    const definition = query("security.scanners");
    const result = await engine.query(definition.select, bindParams(definition, window));
    expect(plain(result.rows)).toEqual(reference.scanners(security, window.from, window.to));
    const signatures = new Set(result.rows.map((r) => r.signature));
    expect([...signatures].sort()).toEqual(
      ["admin-probe", "dotenv", "scanner-agent", "sql-injection", "traversal", "vcs", "wordpress"].sort(),
    );
  });

  it("security.ipTimeline lists one address's requests oldest first, capped at limit (through a lookup)", async () => {
    const definition = query("security.ipTimeline");
    const result = await withAddressLookup(lookups(), ["203.0.113.10"], (lookup) =>
      engine.query(definition.select, bindParams(definition, { ...window, lookup, limit: "5" })),
    );
    expect(plain(result.rows)).toEqual(
      reference.ipTimeline(security, window.from, window.to, "203.0.113.10", 5),
    );
    expect(result.rows).toHaveLength(5);
    // The lookup is gone once the query ended.
    expect(existsSync(join(lake, "lookups")) ? readdirSync(join(lake, "lookups")) : []).toEqual([]);
  });

  it("concurrent lookups on one engine each find their own address, and none is left", async () => {
    // Prepare: removals wait for the engine between statements, as the dashboard wires it
    const definition = query("security.ipTimeline");
    const store = new LocalAddressLookupStore(lake, (work) => engine.exclusive(work));
    const addresses = ["203.0.113.10", "2001:db8::7", "198.51.100.99"];

    // Act
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => addresses[i % 3] as string).map((ip) =>
        withAddressLookup(addressLookupDeps(store), [ip], (lookup) =>
          engine.query(definition.select, bindParams(definition, { ...window, lookup, limit: "1000" })),
        ),
      ),
    );

    // Assess
    results.forEach((result, i) => {
      const ip = addresses[i % 3] as string;
      expect(result.rows.length, ip).toBe(
        security.filter(
          (r) =>
            r.client_ip === ip &&
            r.ts >= Date.parse(`${window.from}T00:00:00Z`) &&
            r.ts < Date.parse(`${window.to}T00:00:00Z`) + 86_400_000,
        ).length,
      );
    });
    expect(existsSync(join(lake, "lookups")) ? readdirSync(join(lake, "lookups")) : []).toEqual([]);
  });

  it("security.byProviderCountry groups requests by provider and country", async () => {
    const definition = query("security.byProviderCountry");
    const result = await engine.query(definition.select, bindParams(definition, window));
    expect(plain(result.rows)).toEqual(reference.byProviderCountry(security, window.from, window.to));
  });

  it("security.requestsOverTime counts requests, 4xx, 5xx and addresses per hour", async () => {
    const definition = query("security.requestsOverTime");
    const result = await engine.query(definition.select, bindParams(definition, window));
    expect(plain(result.rows)).toEqual(reference.requestsOverTime(security, window.from, window.to));
    // The burst of 2001:db8::7 (45 × 404, 15 × 503 within half a minute) is in its hour.
    const burstHour = result.rows.find((r) => r.hour === `${DAYS[0]}T10:00:00.000Z`);
    expect(Number(burstHour?.status_4xx)).toBeGreaterThanOrEqual(45);
    expect(Number(burstHour?.status_5xx)).toBeGreaterThanOrEqual(15);
    expect(result.rows.reduce((sum, r) => sum + Number(r.requests), 0)).toBe(security.length);
  });

  it("security.addressOverTime counts one address's requests per hour, and nothing for another", async () => {
    const definition = query("security.addressOverTime");
    const result = await withAddressLookup(lookups(), ["2001:db8::7"], (lookup) =>
      engine.query(definition.select, bindParams(definition, { ...window, lookup })),
    );
    expect(plain(result.rows)).toEqual(
      reference.addressOverTime(security, window.from, window.to, "2001:db8::7"),
    );
    expect(plain(result.rows)).toEqual([
      { hour: `${DAYS[0]}T10:00:00.000Z`, requests: 60, status_4xx: 45, status_5xx: 15 },
    ]);
    const none = await withAddressLookup(lookups(), ["198.51.100.99"], (lookup) =>
      engine.query(definition.select, bindParams(definition, { ...window, lookup })),
    );
    expect(none.rows).toEqual([]);
  });

  it("every security query that selects one address binds it the way security.ipTimeline does", () => {
    // The address binding is a privacy decision (issue 16: no address in Athena's query history): a query that
    // reads one address's records must follow security.ipTimeline's, whatever it becomes.
    const addressParams = new Set(["ip", "lookup"]);
    const bindingOf = (id: string) =>
      (catalog.byId.get(id)?.placeholders ?? []).map((p) => p.name).filter((name) => addressParams.has(name));
    const timeline = bindingOf("security.ipTimeline");
    const byAddress = [...catalog.byId.keys()].filter(
      (id) => id.startsWith("security.") && bindingOf(id).length > 0,
    );
    expect(timeline).toHaveLength(1);
    expect(byAddress.sort()).toEqual(["security.addressOverTime", "security.ipTimeline"]);
    for (const id of byAddress) expect(bindingOf(id), id).toEqual(timeline);
  });

  it("a window outside the data returns nothing", async () => {
    const definition = query("security.topTalkers");
    const result = await engine.query(
      definition.select,
      bindParams(definition, { from: "2026-04-01", to: "2026-04-30" }),
    );
    expect(result.rows).toEqual([]);
  });
});

describe("smoke queries (logsieve aws smoke)", () => {
  it("smoke.canary counts the records of one path in one hour's partition, and none in the next hour", async () => {
    // Prepare: the path with the most records, and the hour of its first one
    const byTarget = new Map<string, number>();
    for (const r of security) byTarget.set(r.target, (byTarget.get(r.target) ?? 0) + 1);
    const [target] = [...byTarget].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const first = new Date(Math.min(...security.filter((r) => r.target === target).map((r) => r.ts)));
    const day = first.toISOString().slice(0, 10);
    const hour = first.toISOString().slice(11, 13);
    const next = new Date(first.getTime() + 3_600_000).toISOString();
    const definition = query("smoke.canary");

    // Act
    const found = await engine.query(definition.select, bindParams(definition, { day, hour, target }));
    const later = await engine.query(
      definition.select,
      bindParams(definition, { day: next.slice(0, 10), hour: next.slice(11, 13), target: "/no-such-path" }),
    );

    // Assess
    const expected = security.filter((r) => {
      const iso = new Date(r.ts).toISOString();
      return r.target === target && iso.slice(0, 10) === day && iso.slice(11, 13) === hour;
    }).length;
    expect(expected).toBeGreaterThan(0);
    expect(plain(found.rows)).toEqual([{ records: expected }]);
    expect(plain(later.rows)).toEqual([{ records: 0 }]);
  });

  it("smoke.stats counts the days with a totals rollup and their rows from a day on", async () => {
    // Prepare
    const definition = query("smoke.stats");
    const rowsOf = (day: string) => reference.totals(events, day, config.k).length;

    // Act
    const all = await engine.query(definition.select, bindParams(definition, { from: DAYS[0] }));
    const last = await engine.query(definition.select, bindParams(definition, { from: DAYS[1] }));

    // Assess
    expect(plain(all.rows)).toEqual([{ days: 2, rollup_rows: rowsOf(DAYS[0]) + rowsOf(DAYS[1]) }]);
    expect(plain(last.rows)).toEqual([{ days: 1, rollup_rows: rowsOf(DAYS[1]) }]);
  });
});

describe("dashboard.live (the dashboard's live panel)", () => {
  const at = (moment: string, windowMinutes: number) => {
    const until = Date.parse(moment);
    const params = liveParams(until, windowMinutes);
    return {
      params,
      reference: {
        windowFrom: until - windowMinutes * 60_000,
        until,
        yesterday: params.yesterday as string,
        today: params.today as string,
      },
    };
  };

  it.each([
    ["in the middle of a day, 8 hours", "2026-03-02T14:00:00Z", 480],
    ["just after midnight, the window reaching into the day before", "2026-03-02T03:10:00Z", 240],
    ["30 minutes, as the panel asks", "2026-03-02T12:00:00Z", 30],
  ])("%s: equals the reference, and no figure about 1 to k-1 people", async (_name, moment, minutes) => {
    const definition = query("dashboard.live");
    const { params, reference: window } = at(moment, minutes);
    const result = await engine.query(definition.select, resolveQueryParams(definition, params, config));
    expect(plain(result.rows)).toEqual(liveReference.live(events, window, config.k));
    for (const row of result.rows) {
      for (const column of ["visitors_window", "visitors_today"]) {
        const value = row[column];
        expect(value === null || value === 0 || Number(value) >= config.k, `${row.site} ${column}`).toBe(
          true,
        );
      }
    }
  });

  it("shows a site's figures when they describe k people, withholds a quieter site's", async () => {
    const definition = query("dashboard.live");
    const { params } = at("2026-03-02T14:00:00Z", 480);
    const rows = (await engine.query(definition.select, resolveQueryParams(definition, params, config))).rows;
    const bySite = new Map(rows.map((r) => [r.site, r]));
    expect(Number(bySite.get("example.com")?.visitors_window)).toBeGreaterThanOrEqual(config.k);
    expect(Number(bySite.get("example.com")?.visitors_today)).toBeGreaterThanOrEqual(config.k);
    expect(bySite.get("tiny.example")?.visitors_today).toBeNull();
    expect(bySite.get("tiny.example")?.pageviews_today).toBeNull();
  });
});

describe("legal-hold queries (the Athena evidence source's SQL, run here on DuckDB)", () => {
  const from = Date.UTC(2026, 0, 1);
  const windowOf = (fromTs: number, toTs: number) => ({
    from_day: new Date(fromTs).toISOString().slice(0, 10),
    to_day: new Date(toTs).toISOString().slice(0, 10),
    from_ts: new Date(fromTs).toISOString().replace("T", " ").replace("Z", ""),
    to_ts: new Date(toTs).toISOString().replace("T", " ").replace("Z", ""),
  });
  const span = () => {
    const times = security.map((r) => r.ts).sort((a, b) => a - b);
    const first = times[0] ?? from;
    const last = times.at(-1) ?? from;
    // The middle half of the data, so both bounds cut records off.
    return { fromTs: first + (last - first) / 4, toTs: first + ((last - first) * 3) / 4 };
  };

  it("hold.evidenceAddresses lists each address of the window once", async () => {
    const { fromTs, toTs } = span();
    const definition = query("hold.evidenceAddresses");
    const result = await engine.query(definition.select, bindParams(definition, windowOf(fromTs, toTs)));
    const expected = [
      ...new Set(security.filter((r) => r.ts >= fromTs && r.ts < toTs).map((r) => r.client_ip)),
    ];
    expect(result.rows.map((r) => r.client_ip).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(1);
  });

  it("hold.evidencePartitions and hold.evidenceRecords select the looked-up addresses' records in the window", async () => {
    const { fromTs, toTs } = span();
    const inWindow = security.filter((r) => r.ts >= fromTs && r.ts < toTs);
    const wanted = [...new Set(inWindow.map((r) => r.client_ip))].slice(0, 2);
    const expected = inWindow
      .filter((r) => wanted.includes(r.client_ip))
      .sort(
        (a, b) =>
          a.ts - b.ts || (a.input_id < b.input_id ? -1 : a.input_id > b.input_id ? 1 : a.line_no - b.line_no),
      );
    const partitions = query("hold.evidencePartitions");
    const records = query("hold.evidenceRecords");
    const [counts, rows] = await withAddressLookup(lookups(), wanted, async (lookup) => {
      const named = { ...windowOf(fromTs, toTs), lookup };
      return [
        await engine.query(partitions.select, bindParams(partitions, named)),
        await engine.query(records.select, bindParams(records, named)),
      ] as const;
    });
    expect(counts.rows.reduce((sum, r) => sum + Number(r.records), 0)).toBe(expected.length);
    expect(counts.rows.map((r) => `${r.dt}/${r.hour}`)).toEqual([
      ...new Set(expected.map((r) => new Date(r.ts).toISOString().slice(0, 13).replace("T", "/"))),
    ]);
    expect(rows.rows.map((r) => [r.client_ip, r.input_id, r.line_no])).toEqual(
      expected.map((r) => [r.client_ip, r.input_id, r.line_no]),
    );
    expect(rows.columns.map((c) => c.name)).toEqual(SECURITY_SCHEMA.columns.map((c) => c.name));
  });
});

describe("coverage", () => {
  it("every file in queries/ was run and checked above", () => {
    // The filtered reads (stats.*) have their own file: test/queries/stats-queries.test.ts.
    expect([...covered].sort()).toEqual(
      [...catalog.byId.keys()].filter((id) => !id.startsWith("stats.")).sort(),
    );
  });
});
