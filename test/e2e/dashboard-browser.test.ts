import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import ipaddr from "ipaddr.js";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { formatDay } from "../../functions/apps/dashboard/ui/format.ts";
import { generateSampleLog, seededRandom } from "../../functions/apps/demo/sample-log.ts";
import { render, runCliQuery } from "../../functions/apps/query/command.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { type ServeProcess, startServeProcess } from "./collector-harness.ts";

/**
 * The dashboards in headless Debian Chromium against the real `logsieve serve`, after the demo data is in place
 * (`logsieve demo` for example.com, a second generated log with canary addresses for shop.example.com,
 * `aggregateDays`). The marketing numbers must be those `logsieve query` prints; range and site must change them;
 * the CSV must download; the security view must be refused by the API to marketing and work for security; a hold
 * placed from the page must be listed by `logsieve hold list`; no address of the security zone may appear in any
 * marketing page or API response. Screenshots of both views go to artifacts/ (not committed). Only loopback.
 */

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url);
const ARTIFACTS = new URL("../../artifacts/", import.meta.url);
const CHROMIUM = "/usr/bin/chromium";
const SITES = ["example.com", "shop.example.com"];
const CONFIG = {
  sites: SITES,
  siteSettings: {
    "example.com": {
      goals: [
        { name: "Read the docs", page: "/docs/*" },
        { name: "Pricing", page: "/pricing/" },
      ],
    },
  },
};
const HOUR_MS = 3_600_000;

interface Links {
  readonly marketing: string;
  readonly security: string;
  readonly "security-lead": string;
}

/** Public-looking canary addresses, hidden as clients and in paths and referrers of the second site's log. */
function canaries(): string[] {
  const random = seededRandom(77);
  const list: string[] = [];
  while (list.length < 40) {
    list.push(
      [
        11 + Math.floor(random() * 180),
        Math.floor(random() * 256),
        Math.floor(random() * 256),
        2 + Math.floor(random() * 250),
      ].join("."),
    );
  }
  return list;
}

function canaryLines(addresses: readonly string[], startMs: number): string[] {
  const ua =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
  return addresses.flatMap((ip, i) => {
    const t = new Date(startMs + i * 60_000);
    const stamp = `${String(t.getUTCDate()).padStart(2, "0")}/${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][t.getUTCMonth()]}/${t.getUTCFullYear()}:${t.toISOString().slice(11, 19)} +0000`;
    const other = addresses[(i + 1) % addresses.length];
    return [
      `${ip} - - [${stamp}] "GET / HTTP/1.1" 200 812 "https://${other}/from" "${ua}"`,
      `${ip} - - [${stamp}] "GET /lookup/${other}?q=${other} HTTP/1.1" 200 512 "-" "${ua} ${other}"`,
    ];
  });
}

const toNumber = (text: string | null): number => Number((text ?? "").replace(/[^\d]/g, ""));

describe("dashboards in headless Chromium", () => {
  let dir: string;
  let lake: string;
  let configPath: string;
  let serve: ServeProcess;
  let browser: Browser;
  let links: Links;
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];
  const canaryList = canaries();
  const config = parseConfig(CONFIG);

  const cli = async (...args: string[]): Promise<string> =>
    (
      await run(process.execPath, ["bin/logsieve.js", "--lake", lake, "--config", configPath, ...args], {
        cwd: ROOT,
      })
    ).stdout;

  const query = (name: string, params: Record<string, string>) =>
    runCliQuery({ lakeDir: lake, name, params, config });

  async function signedIn(role: keyof Links): Promise<BrowserContext> {
    const context = await browser.newContext({
      viewport: { width: 1360, height: 900 },
      acceptDownloads: true,
    });
    contexts.push(context);
    context.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const page = await context.newPage();
    await page.goto(links[role]);
    await page.close();
    return context;
  }

  /**
   * Waits until the marketing view shows the state of the last change made to it. `data-loaded` alone is not
   * enough: filling "from" and then "to" starts two loads, and the first one (new start, old end) can finish
   * before "to" is filled, which moves `data-loaded` while the view shows an intermediate range. The view drops
   * `is-loading` only when its latest load has rendered, and every change the test makes starts its load
   * synchronously (Playwright fires `change` before it returns), so "moved and not loading" means "current".
   */
  async function waitForLoad(page: Page, before?: string): Promise<void> {
    await page.waitForFunction(
      (b) => {
        const loaded = document.body.dataset.loaded;
        const view = document.querySelector("[data-view=marketing]");
        return (
          loaded !== undefined && loaded !== b && view !== null && !view.classList.contains("is-loading")
        );
        // A filtered load reads events/ with sixteen queries: seconds, or tens of them on a loaded machine.
      },
      before,
      { timeout: 120_000 },
    );
  }

  beforeAll(async () => {
    // Prepare: the demo data for example.com, a second site with canaries, the stats, the server, a browser.
    dir = await mkdtemp(join(tmpdir(), "logsieve-dashboard-"));
    lake = join(dir, "lake");
    configPath = join(dir, "config.json");
    await writeFile(configPath, JSON.stringify(CONFIG));
    await cli("demo", "--lines", "12000");
    const now = Date.now();
    const shopLog = join(dir, "shop-access.log");
    const lines = [
      ...generateSampleLog({
        seed: 7,
        lines: 3000,
        startMs: now - 30 * HOUR_MS,
        spanMs: 28 * HOUR_MS,
        clients: 300,
        malformedShare: 0,
      }),
      ...canaryLines(canaryList, now - 3 * HOUR_MS),
    ];
    await writeFile(shopLog, `${lines.join("\n")}\n`);
    await cli("ingest", "--site", "shop.example.com", shopLog);
    await aggregateDays({ lakeDir: lake, days: "all", config });
    serve = await startServeProcess(lake, configPath);
    const found: Record<string, string> = {};
    for (const m of serve
      .stdout()
      .matchAll(
        /^\s+(marketing|security|security-lead)\s+(http:\/\/127\.0\.0\.1:\d+\/dashboard\/\?token=\S+)$/gm,
      )) {
      found[m[1] ?? ""] = m[2] ?? "";
    }
    links = found as unknown as Links;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await serve?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("prints one sign-in link per role, on 127.0.0.1", () => {
    // Assess
    expect(Object.keys(links).sort()).toEqual(["marketing", "security", "security-lead"]);
    expect(new Set(Object.values(links)).size).toBe(3);
  });

  it("shows the numbers `logsieve query` returns, and other numbers for another range or site", async () => {
    // Prepare
    const page = await (await signedIn("marketing")).newPage();
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await waitForLoad(page);
    const from = await page.inputValue("[data-testid=from]");
    const to = await page.inputValue("[data-testid=to]");
    const [timeseriesJson, topPagesJson] = await Promise.all(
      ["timeseries", "top-pages"].map((name) =>
        cli(
          "query",
          name,
          "--param",
          "site=example.com",
          "--param",
          `from=${from}`,
          "--param",
          `to=${to}`,
          "--format",
          "json",
        ),
      ),
    );
    const days = JSON.parse(timeseriesJson ?? "[]") as { day: string; pageviews: number; visitors: number }[];
    const topPages = JSON.parse(topPagesJson ?? "[]") as {
      path: string;
      pageviews: number;
      visitors: number;
    }[];
    console.log(
      `marketing dashboard loaded in ${await page.evaluate(() => document.body.dataset.loadMs)} ms`,
    );
    await page.screenshot({ path: new URL("dashboard-marketing.png", ARTIFACTS).pathname, fullPage: true });

    // Act: what the page shows
    const visitors = toNumber(await page.textContent("[data-testid=kpi-visitors-value]"));
    const pageviews = toNumber(await page.textContent("[data-testid=kpi-pageviews-value]"));
    const rows = await page.$$eval("section[data-query=top-pages] tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );

    // Assess: the same numbers as the command
    expect(days.length).toBeGreaterThan(1);
    expect(visitors).toBe(days.reduce((s, d) => s + d.visitors, 0));
    expect(pageviews).toBe(days.reduce((s, d) => s + d.pageviews, 0));
    expect(rows.length).toBe(topPages.length);
    expect(
      rows.map(([path, pv, v]) => ({ path, pageviews: toNumber(pv ?? ""), visitors: toNumber(v ?? "") })),
    ).toEqual(topPages);

    // Act: one day only
    const day = days.find((d) => d.day !== "(other)");
    if (day === undefined) throw new Error("no day in the demo data");
    let before = await page.evaluate(() => document.body.dataset.loaded);
    await page.fill("[data-testid=from]", day.day);
    await page.fill("[data-testid=to]", day.day);
    await page.dispatchEvent("[data-testid=to]", "change");
    await waitForLoad(page, before);
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=range-note]")?.textContent?.includes("(1 day,"),
    );
    const oneDay = toNumber(await page.textContent("[data-testid=kpi-visitors-value]"));

    // Act: the other site, same day
    before = await page.evaluate(() => document.body.dataset.loaded);
    await page.selectOption("[data-testid=site]", "shop.example.com");
    await waitForLoad(page, before);
    const shop = toNumber(await page.textContent("[data-testid=kpi-visitors-value]"));
    const shopDays = await query("timeseries", { site: "shop.example.com", from: day.day, to: day.day });

    // Assess
    expect(oneDay).toBe(day.visitors);
    expect(oneDay).not.toBe(visitors);
    expect(shop).toBe(shopDays.rows.reduce((s, r) => s + Number(r.visitors), 0));
    expect(shop).not.toBe(oneDay);
    await page.close();
  });

  it("filters every panel by a clicked row, keeps the filters in the address, and shows the Stats API's numbers", async () => {
    // Prepare
    const page = await (await signedIn("marketing")).newPage();
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await waitForLoad(page);
    const unfiltered = toNumber(await page.textContent("[data-testid=kpi-visitors-value]"));
    const from = await page.inputValue("[data-testid=from]");
    const to = await page.inputValue("[data-testid=to]");

    // Act: click the first country, then the first browser
    let before = await page.evaluate(() => document.body.dataset.loaded);
    const country =
      (await page.textContent("section[data-query=countries] tbody tr button.row-filter")) ?? "";
    await page.click("section[data-query=countries] tbody tr button.row-filter");
    await waitForLoad(page, before);
    const code = /\(([A-Z]{2})\)$/.exec(country)?.[1] ?? country;
    before = await page.evaluate(() => document.body.dataset.loaded);
    await page.click("section[data-query=browsers] tbody tr button.row-filter");
    await waitForLoad(page, before);
    const browserName = (await page.textContent("[data-filter=browser] strong")) ?? "";
    await page.screenshot({ path: new URL("dashboard-filters.png", ARTIFACTS).pathname, fullPage: true });

    // Assess: two chips, the address holds them, the figures are the service's answer for the same filters
    expect(await page.$$eval("[data-testid=filter-chip]", (chips) => chips.length)).toBe(2);
    const address = new URL(page.url());
    expect(address.searchParams.getAll("f")).toEqual([`country:${code}`, `browser:${browserName}`]);
    const filteredVisitors = toNumber(await page.textContent("[data-testid=kpi-visitors-value]"));
    const answer = (await page.evaluate(
      async (body) =>
        (
          await fetch("/api/dashboard/stats", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          })
        ).json(),
      {
        site_id: "example.com",
        metrics: ["visitors", "pageviews"],
        date_range: [from, to],
        dimensions: ["time:day"],
        filters: [
          ["is", "visit:country", [code]],
          ["is", "visit:browser", [browserName]],
        ],
      },
    )) as { results: { metrics: number[] }[] };
    expect(filteredVisitors).toBe(answer.results.reduce((s, r) => s + (r.metrics[0] ?? 0), 0));
    expect(filteredVisitors).toBeGreaterThan(0);
    expect(filteredVisitors).toBeLessThan(unfiltered);
    const countries = await page.$$eval("section[data-query=countries] tbody tr td:first-child", (tds) =>
      tds.map((td) => td.textContent ?? ""),
    );
    expect(countries).toEqual([country]);
    const pageVisitors = await page.$$eval("section[data-query=top-pages] tbody tr td:last-child", (tds) =>
      tds.map((td) => Number((td.textContent ?? "").replace(/[^\d]/g, ""))),
    );
    expect(pageVisitors.length).toBeGreaterThan(0);
    expect(pageVisitors.every((v) => v >= config.k)).toBe(true);
    // The legend says what the whole chart holds, not a dash.
    expect(await page.textContent(".u-legend")).toMatch(/in all/);

    // Act: the same address in a new tab restores the view; removing a chip leaves one filter
    const copy = await page.context().newPage();
    await copy.goto(page.url());
    await waitForLoad(copy);
    expect(toNumber(await copy.textContent("[data-testid=kpi-visitors-value]"))).toBe(filteredVisitors);
    before = await copy.evaluate(() => document.body.dataset.loaded);
    await copy.click("[data-filter=browser] .chip-remove");
    await waitForLoad(copy, before);
    expect(new URL(copy.url()).searchParams.getAll("f")).toEqual([`country:${code}`]);
    await copy.close();
    await page.close();
    // Four filtered loads of sixteen queries over events/ each: tens of seconds on a loaded 2-core machine.
  }, 240_000);

  it("shows visits, bounce rate, duration, entry and exit pages, and goals with their conversion rate", async () => {
    // Prepare
    const page = await (await signedIn("marketing")).newPage();
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await waitForLoad(page);
    const from = await page.inputValue("[data-testid=from]");
    const to = await page.inputValue("[data-testid=to]");
    const [entryJson, goalsJson, visitsJson] = await Promise.all(
      ["entry-pages", "goals", "visits"].map((name) =>
        cli(
          "query",
          name,
          "--param",
          "site=example.com",
          "--param",
          `from=${from}`,
          "--param",
          `to=${to}`,
          "--format",
          "json",
        ),
      ),
    );
    const entries = JSON.parse(entryJson ?? "[]") as { entry_page: string; visits: number }[];
    const goals = JSON.parse(goalsJson ?? "[]") as { goal: string; visitors: number; events: number }[];
    const days = JSON.parse(visitsJson ?? "[]") as { visits: number; bounces: number }[];

    // Act
    const visits = toNumber(await page.textContent("[data-testid=kpi-visits-value]"));
    const bounce = toNumber(await page.textContent("[data-testid=kpi-bounce-rate-value]"));
    const entryRows = await page.$$eval("section[data-query=entry-pages] tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    const goalRows = await page.$$eval("section[data-query=goals] tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    await (await page.$("[data-testid=kpis]"))?.screenshot({
      path: new URL("dashboard-visits.png", ARTIFACTS).pathname,
    });
    await (await page.$("section[data-query=entry-pages]"))?.screenshot({
      path: new URL("dashboard-entry-pages.png", ARTIFACTS).pathname,
    });
    await (await page.$("section[data-query=goals]"))?.screenshot({
      path: new URL("dashboard-goals.png", ARTIFACTS).pathname,
    });

    // Assess: the numbers of `logsieve query` (visits of the range, bounces ÷ visits, the goals' conversions)
    const allVisits = days.reduce((s, d) => s + d.visits, 0);
    expect(visits).toBe(allVisits);
    expect(bounce).toBe(Math.round((days.reduce((s, d) => s + d.bounces, 0) / allVisits) * 100));
    // Entry pages by visitors (the page) and by visitors then visits (the file): equal rows, ties in either order.
    const sorted = (rows: (string | number)[][]) =>
      [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(sorted(entryRows.map((r) => [r[0] ?? "", toNumber(r[2] ?? "")]))).toEqual(
      sorted(entries.map((e) => [e.entry_page, e.visits])),
    );
    expect(goals.map((g) => g.goal)).toContain("Read the docs");
    expect(sorted(goalRows.map((r) => [r[0] ?? "", toNumber(r[1] ?? "")]))).toEqual(
      sorted(goals.map((g) => [g.goal, g.visitors])),
    );
    expect(goalRows.every((r) => /%$/.test(r[3] ?? ""))).toBe(true);
    await page.close();
  });

  it("downloads the CSV export, the same file `logsieve query --format csv` prints", async () => {
    // Prepare
    const page = await (await signedIn("marketing")).newPage();
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await waitForLoad(page);
    const from = await page.inputValue("[data-testid=from]");
    const to = await page.inputValue("[data-testid=to]");
    // Act
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("[data-export=countries]"),
    ]);
    const csv = await readFile((await download.path()) ?? "", "utf8");
    // Assess
    const expected = render(await query("countries", { site: "example.com", from, to }), "csv");
    expect(download.suggestedFilename()).toBe(`logsieve-countries-example.com-${from}-to-${to}.csv`);
    expect(csv).toBe(expected);
    expect(csv.split("\r\n").length).toBeGreaterThan(3);
    await page.close();
  });

  it("refuses the security view to a marketing session in the API (403), not only in the page", async () => {
    // Prepare
    const page = await (await signedIn("marketing")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    // Act
    const statuses = await page.evaluate(async () =>
      Promise.all(
        [
          "/api/dashboard/query/top-talkers",
          "/api/dashboard/query/ip-timeline?ip=203.0.113.7",
          "/api/dashboard/export/scanners.csv",
          "/api/dashboard/holds",
        ].map(async (path) => (await fetch(path)).status),
      ),
    );
    const message = await page.textContent("[data-view=security] [data-testid=error]");
    const tabs = await page.$$eval("a[data-tab]", (as) => as.map((a) => a.getAttribute("data-tab")));
    // Assess
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(message).toContain("security");
    expect(tabs).toEqual(["marketing"]);
    await page.close();
  });

  it("shows a security session the window's top talkers, the timeline of one, and no hold button", async () => {
    // Prepare
    const page = await (await signedIn("security")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);
    const from = await page.inputValue("[data-testid=sec-from]");
    const to = await page.inputValue("[data-testid=sec-to]");
    const expected = await query("top-talkers", { from, to, limit: "25" });
    // Act
    const shown = await page.$$eval(
      "section[data-query=top-talkers] tbody td[data-column=client_ip]",
      (tds) => tds.map((td) => td.textContent),
    );
    await page.click("section[data-query=top-talkers] tbody tr:first-child button");
    await page.waitForSelector("section[data-query=ip-timeline] tbody tr");
    const holdNote = await page.textContent("[data-testid=hold-area]");
    const post = await page.evaluate(async () => {
      const r = await fetch("/api/dashboard/holds", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ incident: "INC-NOPE", ip: "203.0.113.7", reason: "not allowed" }),
      });
      return r.status;
    });
    // Assess
    expect(shown).toEqual(expected.rows.map((r) => r.client_ip));
    expect(holdNote).toContain("Only the security lead");
    expect(post).toBe(403);
    await page.close();
  });

  it("places a legal hold from the timeline, and `logsieve hold list` shows it", async () => {
    // Prepare
    const page = await (await signedIn("security-lead")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);
    await page.click("section[data-query=login-brute-force] tbody tr:first-child button");
    await page.waitForSelector("[data-testid=hold-incident]");
    // Act
    await page.fill("[data-testid=hold-incident]", "INC-E2E-1");
    await page.fill("[data-testid=hold-reason]", "login brute force, ticket SEC-42");
    await page.click("[data-testid=hold-submit]");
    await page.waitForSelector("[data-testid=hold-result].ok");
    const message = (await page.textContent("[data-testid=hold-result]")) ?? "";
    await page.waitForSelector("[data-testid=holds] tbody tr");
    await page.screenshot({ path: new URL("dashboard-security.png", ARTIFACTS).pathname, fullPage: true });
    const listed = JSON.parse(await cli("hold", "list", "--json")) as {
      incident: string;
      status: string;
      records: number;
    }[];
    // Assess
    const records = Number(/placed: (\d+) record/.exec(message)?.[1]);
    expect(message).toContain("Legal hold INC-E2E-1 placed");
    expect(records).toBeGreaterThan(0);
    expect(listed).toEqual([expect.objectContaining({ incident: "INC-E2E-1", status: "active", records })]);
    await page.close();
  });

  it("opens the security roles' sign-in links on the Security tab, the marketing link on Marketing", async () => {
    // Act: the printed links, as a person would open them.
    const landed: Record<string, string | null> = {};
    for (const role of ["marketing", "security", "security-lead"] as const) {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(links[role]);
      await page.waitForSelector("[data-view]");
      landed[role] = await page.$eval("a.tab.active", (a) => a.getAttribute("data-tab"));
      await page.close();
    }
    // Assess
    expect(links.security).toMatch(/#security$/);
    expect(landed).toEqual({ marketing: "marketing", security: "security", "security-lead": "security" });
  });

  it("charts requests and errors per hour for all addresses and for one, with the numbers of `logsieve query`", async () => {
    // Prepare
    const page = await (await signedIn("security")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);
    const from = await page.inputValue("[data-testid=sec-from]");
    const to = await page.inputValue("[data-testid=sec-to]");
    const hours = await query("requests-over-time", { from, to });
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake });
    const [counts] = (
      await engine.query(
        `SELECT count(*) AS requests, count(*) FILTER (WHERE status >= 400 AND status < 500) AS e4,
                count(*) FILTER (WHERE status >= 500 AND status < 600) AS e5
         FROM security WHERE dt >= '${from}' AND dt <= '${to}'`,
      )
    ).rows;
    await engine.close();
    const sum = (rows: readonly Record<string, unknown>[], column: string) =>
      rows.reduce((total, r) => total + Number(r[column]), 0);
    // Act: the chart, its legend without and with the pointer on it
    await page.waitForSelector("[data-testid=security-chart] canvas");
    const note = (await page.textContent("[data-query=requests-over-time] .footnote")) ?? "";
    const legendAway = await page.$$eval("[data-query=requests-over-time] .u-legend .u-value", (cells) =>
      cells.map((c) => c.textContent),
    );
    const box = await page.$("[data-testid=security-chart] .u-over");
    const bounds = await box?.boundingBox();
    if (bounds === null || bounds === undefined) throw new Error("the chart has no plot area");
    // The busiest hour, where the pointer goes.
    const busiest = hours.rows.reduce((a, b) => (Number(b.requests) > Number(a.requests) ? b : a));
    const startMs = Date.parse(`${from}T00:00:00Z`);
    const hourCount = Math.ceil(
      (Math.min(Date.parse(`${to}T00:00:00Z`) + 86_400_000, Date.now()) - startMs) / HOUR_MS,
    );
    const at = (Date.parse(String(busiest.hour)) - startMs) / HOUR_MS / Math.max(1, hourCount - 1);
    await page.mouse.move(bounds.x + at * bounds.width, bounds.y + bounds.height / 2);
    const legendOver = await page.$$eval("[data-query=requests-over-time] .u-legend .u-value", (cells) =>
      cells.map((c) => c.textContent),
    );
    await page.screenshot({ path: new URL("security-chart.png", ARTIFACTS).pathname, fullPage: false });
    // Act: one address
    const address = String((await query("top-talkers", { from, to, limit: "1" })).rows[0]?.client_ip);
    const addressHours = await query("address-over-time", { from, to, ip: address });
    await page.click("section[data-query=top-talkers] tbody tr:first-child button");
    await page.waitForSelector("[data-testid=address-chart] canvas");
    const addressNote = (await page.textContent("section[data-query=ip-timeline] .footnote")) ?? "";
    await (await page.$("section[data-query=ip-timeline]"))?.screenshot({
      path: new URL("security-address-chart.png", ARTIFACTS).pathname,
    });
    // Assess: the totals are the security zone's, hour by hour as the query gives them.
    expect(sum(hours.rows, "requests")).toBe(Number(counts?.requests));
    expect(note).toContain(`${Number(counts?.requests).toLocaleString("en-US")} requests`);
    expect(note).toContain(`${Number(counts?.e4).toLocaleString("en-US")} answered 4xx`);
    expect(note).toContain(`${Number(counts?.e5).toLocaleString("en-US")} answered 5xx`);
    expect(legendAway[0]).toBe("whole range");
    expect(legendAway[1]).toBe(`${Number(counts?.requests).toLocaleString("en-US")} in all`);
    expect(legendOver[0]).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{2}:00$/);
    expect(legendOver[1]).not.toContain("in all");
    expect(addressNote).toContain(`${sum(addressHours.rows, "requests").toLocaleString("en-US")} request(s)`);
    await page.close();
  });

  it("shows the last chosen range in the security tables when an earlier range answers last", async () => {
    // Prepare: the window (from0 … to0) and its last day alone (the earlier change), whose top talkers differ.
    const page = await (await signedIn("security")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    const settled = (before: string | undefined) =>
      page.waitForFunction((b) => {
        const loaded = document.body.dataset.securityLoaded;
        const view = document.querySelector("[data-view=security]");
        return (
          loaded !== undefined && loaded !== b && view !== null && !view.classList.contains("is-loading")
        );
      }, before);
    await settled(undefined);
    const from0 = await page.inputValue("[data-testid=sec-from]");
    const to0 = await page.inputValue("[data-testid=sec-to]");
    const talkers = async (from: string) =>
      (await query("top-talkers", { from, to: to0, limit: "25" })).rows.map(
        (r) => `${String(r.client_ip)} ${Number(r.requests)}`,
      );
    const expected = await talkers(from0);
    expect(await talkers(to0)).not.toEqual(expected); // else the test could not tell the two ranges apart
    // Every answer the page has read (its JSON parsed), by URL: the sign that a held answer reached the page.
    await page.evaluate(() => {
      const read: string[] = [];
      (window as unknown as { answersRead: string[] }).answersRead = read;
      const json = Response.prototype.json;
      Response.prototype.json = function (this: Response) {
        return json.call(this).then((body: unknown) => {
          read.push(this.url);
          return body;
        });
      };
    });
    // The earlier change's top talkers are held at the route until the later change has been shown.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = () => {};
    const reachedHeld = new Promise<void>((resolve) => {
      reached = resolve;
    });
    await page.route(
      (url) => url.pathname === "/api/dashboard/query/top-talkers",
      async (route) => {
        if (new URL(route.request().url()).searchParams.get("from") === to0) {
          reached();
          await held;
        }
        await route.continue();
      },
    );
    const before = await page.evaluate(() => document.body.dataset.securityLoaded);
    // Act: two quick changes of the start; the first one's answer comes last.
    await page.fill("[data-testid=sec-from]", to0);
    await reachedHeld;
    await page.fill("[data-testid=sec-from]", from0);
    await settled(before);
    release();
    await page.waitForFunction(
      (day) =>
        (window as unknown as { answersRead: string[] }).answersRead.some(
          (u) => u.includes("/query/top-talkers?") && new URL(u).searchParams.get("from") === day,
        ),
      to0,
    );
    // Whatever the page does with that answer it does before its next task: wait for one.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    const shownFrom = await page.inputValue("[data-testid=sec-from]");
    const shown = await page.$$eval("section[data-query=top-talkers] tbody tr", (rows) =>
      rows.map(
        (row) =>
          `${row.querySelector("td[data-column=client_ip]")?.textContent?.trim()} ${row.querySelector("td[data-column=requests]")?.textContent?.replace(/[^\d]/g, "")}`,
      ),
    );
    const note = await page.textContent("[data-query=requests-over-time] .footnote");
    // Assess
    expect(shownFrom).toBe(from0);
    expect(shown).toEqual(expected);
    expect(note).toContain(`from ${formatDay(from0)} to ${formatDay(to0)}`);
    await page.close();
  });

  it("builds a block list from ticked addresses and typed prefixes, and downloads it as nginx, CIDR and CSV", async () => {
    // Prepare
    const page = await (await signedIn("security")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);
    const ticked = await page.$$eval("section[data-query=top-talkers] input[data-choose]", (boxes) =>
      boxes.slice(0, 3).map((b) => (b as HTMLInputElement).dataset.choose ?? ""),
    );
    const typed = ["198.51.100.7/24", "2001:DB8::1/48", "::ffff:192.0.2.9", "10.0.0.0/7", "not-an-address"];
    // Act: tick three addresses, type five entries.
    for (const ip of ticked) await page.check(`section[data-query=top-talkers] input[data-choose="${ip}"]`);
    const current = await page.inputValue("[data-testid=blocklist-entries]");
    await page.fill("[data-testid=blocklist-entries]", `${current}${typed.join("\n")}\n`);
    const download = async (format: string, widen = "exact") => {
      await page.selectOption("[data-testid=blocklist-format]", format);
      await page.selectOption("[data-testid=blocklist-widen]", widen);
      const [file] = await Promise.all([
        page.waitForEvent("download"),
        page.click("[data-testid=blocklist-download]"),
      ]);
      return { name: file.suggestedFilename(), text: await readFile((await file.path()) ?? "", "utf8") };
    };
    const nginx = await download("nginx");
    await (await page.$("[data-testid=blocklist]"))?.screenshot({
      path: new URL("security-blocklist.png", ARTIFACTS).pathname,
    });
    const problems = await page.$$eval("[data-testid=blocklist-problems] li:not(.note)", (lis) =>
      lis.map((li) => li.textContent ?? ""),
    );
    const cidr = await download("cidr", "24-64");
    const csv = await download("csv");
    // Assess: what each file must hold, worked out with ipaddr.js (not the code under test).
    const inBlock = (ip: string, block: string): boolean => {
      const address = ipaddr.parse(ip);
      const range = ipaddr.parseCIDR(block);
      return address.kind() === range[0].kind() && address.match(range);
    };
    const wanted = ["198.51.100.0/24", "2001:db8::/48", "192.0.2.9/32"];
    for (const ip of ticked) {
      const inside = wanted.slice(0, 2).some((block) => inBlock(ip, block));
      if (!inside) wanted.push(`${ipaddr.parse(ip).toString()}/${ip.includes(":") ? 128 : 32}`);
    }
    const denyOf = (block: string) => (/\/(32|128)$/.test(block) ? block.replace(/\/\d+$/, "") : block);
    expect(ticked).toHaveLength(3);
    expect(nginx.name).toMatch(/^logsieve-blocklist-\d{4}-\d{2}-\d{2}\.conf$/);
    const denyLines = nginx.text.split("\n").filter((l) => l.startsWith("deny "));
    expect(denyLines.sort()).toEqual(wanted.map((b) => `deny ${denyOf(b)};`).sort());
    expect(nginx.text.split("\n")[0]).toMatch(new RegExp(`^# logsieve block list: ${wanted.length} entries`));
    expect(problems).toEqual([
      expect.stringContaining("10.0.0.0/7 — wider than /8"),
      expect.stringContaining("not-an-address — not an IPv4 or IPv6 address"),
    ]);
    // Widened to /24 and /64: every ticked address's network is there, nothing narrower than /24 or /64.
    const widened = cidr.text.trim().split("\n");
    for (const ip of ticked) {
      expect(widened.some((block) => inBlock(ip, block))).toBe(true);
    }
    for (const block of widened)
      expect(Number(block.split("/")[1])).toBeLessThanOrEqual(block.includes(":") ? 64 : 24);
    expect(cidr.name).toMatch(/\.txt$/);
    expect(csv.text.split("\r\n")[0]).toBe("cidr,ip_version,prefix_length,first_address,last_address");
    expect(csv.text).toContain("198.51.100.0/24,4,24,198.51.100.0,198.51.100.255");
    expect(csv.text).toContain("2001:db8::/48,6,48,2001:db8::,2001:db8:0:ffff:ffff:ffff:ffff:ffff");
    await page.close();
  });

  it("fills Provider for public addresses from the bundled AS database, credits it, and leaves other addresses without", async () => {
    // Prepare
    const page = await (await signedIn("security")).newPage();
    await page.goto(`${serve.url}/dashboard/#security`);
    await page.waitForFunction(() => document.body.dataset.securityLoaded !== undefined);
    // Act
    const rows = await page.$$eval("section[data-query=top-talkers] tbody tr", (trs) =>
      trs.map((tr) => ({
        ip: tr.querySelector("td[data-column=client_ip]")?.textContent?.trim() ?? "",
        provider: tr.querySelector("td[data-column=provider]")?.textContent ?? "",
      })),
    );
    const providers = await page.$$eval(
      "section[data-query=by-provider-country] td[data-column=provider]",
      (tds) => tds.map((td) => td.textContent ?? ""),
    );
    const credit = await page.$eval("section[data-query=top-talkers] [data-testid=provider-credit] a", (a) =>
      a.getAttribute("href"),
    );
    await (await page.$("section[data-query=top-talkers]"))?.screenshot({
      path: new URL("security-provider.png", ARTIFACTS).pathname,
    });
    // Assess: ipaddr.js decides which addresses are public; the demo's public addresses are real providers' blocks.
    const isPublic = (ip: string) => ipaddr.parse(ip).range() === "unicast";
    const publicRows = rows.filter((r) => isPublic(r.ip));
    expect(publicRows.length).toBeGreaterThan(5);
    expect(publicRows.filter((r) => r.provider !== "–").length / publicRows.length).toBeGreaterThan(0.8);
    expect(rows.filter((r) => !isPublic(r.ip)).map((r) => r.provider)).toEqual(
      rows.filter((r) => !isPublic(r.ip)).map(() => "–"),
    );
    expect(providers.filter((p) => p !== "(unknown)").length).toBeGreaterThan(3);
    expect(credit).toBe("https://db-ip.com");
    await page.close();
  });

  it("shows no address of the security zone in any marketing page or API response", async () => {
    // Prepare: every address the security zone holds (the canaries among them)
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake });
    const addresses = new Set(
      (await engine.query("SELECT DISTINCT client_ip FROM security")).rows.map((r) => String(r.client_ip)),
    );
    await engine.close();
    const context = await signedIn("marketing");
    // Every response body is read before the page closes (a body read after it is lost, and an unread body
    // would be a response the scan silently skipped).
    const reads: Promise<string>[] = [];
    const unreadable: string[] = [];
    context.on("response", (response) => {
      if (!response.url().startsWith(serve.url)) return;
      reads.push(
        response.text().catch((error: unknown) => {
          unreadable.push(`${response.status()} ${response.url()}: ${String(error)}`);
          return "";
        }),
      );
    });
    const page = await context.newPage();
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await waitForLoad(page);
    for (const site of SITES) {
      const before = await page.evaluate(() => document.body.dataset.loaded);
      await page.selectOption("[data-testid=site]", site);
      if (site !== SITES[0]) await waitForLoad(page, before);
    }
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("[data-export=top-referrers]"),
    ]);
    const bodies = await Promise.all(reads);
    bodies.push(await readFile((await download.path()) ?? "", "utf8"), await page.content());
    await page.close();
    // Act
    const leaked = new Set<string>();
    for (const body of bodies) {
      for (const m of body.matchAll(/(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g))
        if (addresses.has(m[0])) leaked.add(m[0]);
      for (const ip of addresses) if (ip.includes(":") && body.includes(ip)) leaked.add(ip);
    }
    // Assess
    for (const canary of canaryList) expect(addresses.has(canary)).toBe(true);
    expect(unreadable).toEqual([]);
    expect(bodies.length).toBeGreaterThan(20);
    expect([...leaked]).toEqual([]);
  });

  it("ran without a single Content-Security-Policy violation", () => {
    // Assess
    expect(cspViolations).toEqual([]);
  });
});
