import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServeProcess } from "./collector-harness.ts";

/**
 * The Stats API as a user meets it (issue 19 "Must show"): `logsieve demo` data, a key from
 * `logsieve keys create --site example.com`, the real `logsieve serve`, plain HTTP requests. A total equals the sum of
 * its event:page breakdown; a `contains` filter narrows it; no key, a revoked key and another site's question are
 * 401; a marketing key opens no security data (the dashboard API takes no keys; security fields are no dimensions).
 */

const ROOT = new URL("../../", import.meta.url).pathname;
const run = promisify(execFile);
const CONFIG = {
  sites: ["example.com", "shop.example.com"],
  siteSettings: { "example.com": { goals: [{ name: "Docs", page: "/docs*" }] } },
};

let dir: string;
let lake: string;
let configPath: string;
let serve: ServeProcess;
let key: string;
let keyId: string;

const cli = async (...args: string[]) =>
  (
    await run(process.execPath, ["bin/logsieve.js", "--lake", lake, "--config", configPath, ...args], {
      cwd: ROOT,
    })
  ).stdout;

async function query(
  body: unknown,
  bearer: string | null = key,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${serve.url}/api/v2/query`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

type Results = { metrics: number[]; dimensions: string[] }[];
const results = (json: Record<string, unknown>) => json.results as Results;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-stats-api-"));
  lake = join(dir, "lake");
  configPath = join(dir, "config.json");
  await writeFile(configPath, JSON.stringify(CONFIG));
  await cli("demo", "--lines", "12000");
  const created = JSON.parse(
    await cli("keys", "create", "--site", "example.com", "--name", "e2e", "--json"),
  ) as {
    key: string;
    id: string;
  };
  key = created.key;
  keyId = created.id;
  serve = await startServeProcess(lake, configPath);
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("logsieve keys", () => {
  it("prints the key once and stores only its hash", async () => {
    // Assess
    expect(key).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);
    const listed = JSON.parse(await cli("keys", "list", "--json")) as {
      id: string;
      site: string;
      role: string;
    }[];
    expect(listed).toEqual([expect.objectContaining({ id: keyId, site: "example.com", role: "marketing" })]);
    const { stdout } = await run("grep", ["-rl", key, lake]).catch(() => ({ stdout: "" }));
    expect(stdout).toBe("");
  });

  it("refuses a site the configuration does not name, without repeating it", async () => {
    await expect(cli("keys", "create", "--site", "alice@example.net")).rejects.toThrow(/configured sites/);
  });
});

describe("POST /api/v2/query with a key", () => {
  const body = { site_id: "example.com", metrics: ["visitors", "pageviews"], date_range: "7d" };

  it("answers a total that equals the sum of its event:page breakdown (page views; the (other) row included)", async () => {
    // Act
    const total = await query(body);
    const pages = await query({ ...body, dimensions: ["event:page"] });
    // Assess
    expect(total.status).toBe(200);
    expect(pages.status).toBe(200);
    const [visitors, pageviews] = results(total.json)[0]?.metrics ?? [];
    const byPage = results(pages.json);
    expect(pageviews).toBeGreaterThan(1000);
    expect(byPage.length).toBeGreaterThan(3);
    expect(byPage.reduce((s, r) => s + (r.metrics[1] ?? 0), 0)).toBe(pageviews);
    // Visitors are people per page: one person on two pages counts on each, so the pages add up to more.
    expect(byPage.reduce((s, r) => s + (r.metrics[0] ?? 0), 0)).toBeGreaterThanOrEqual(visitors ?? 0);
    expect(Object.keys(pages.json).sort()).toEqual(["meta", "query", "results"]);
    expect(pages.json.query).toMatchObject({ site_id: "example.com", dimensions: ["event:page"] });
  });

  it("narrows with a contains filter (read from events/, every row at least k people)", async () => {
    // Act
    const all = await query(body);
    const docs = await query({ ...body, filters: [["contains", "event:page", ["/docs"]]] });
    const docsPages = await query({
      ...body,
      dimensions: ["event:page"],
      filters: [["contains", "event:page", ["/docs"]]],
    });
    // Assess
    expect(docs.status).toBe(200);
    const [allVisitors, allViews] = results(all.json)[0]?.metrics ?? [];
    const [docsVisitors, docsViews] = results(docs.json)[0]?.metrics ?? [];
    expect(docsViews).toBeGreaterThan(0);
    expect(docsViews).toBeLessThan(allViews ?? 0);
    expect(docsVisitors).toBeLessThan(allVisitors ?? 0);
    expect(results(docsPages.json).every((r) => (r.dimensions[0] ?? "").includes("/docs"))).toBe(true);
    expect(results(docsPages.json).every((r) => (r.metrics[0] ?? 0) >= 5)).toBe(true);
  });

  it("answers 401 without a key, with an unknown or revoked key, and for another site", async () => {
    const missing = await query(body, null);
    expect(missing.status).toBe(401);
    expect(missing.json.error).toMatch(/Missing API key/);
    expect((await query(body, `lsk_${"A".repeat(43)}`)).status).toBe(401);
    expect((await query({ ...body, site_id: "shop.example.com" })).status).toBe(401);
    // A second key, revoked: refused from then on.
    const second = JSON.parse(await cli("keys", "create", "--site", "example.com", "--json")) as {
      key: string;
      id: string;
    };
    expect((await query(body, second.key)).status).toBe(200);
    await cli("keys", "revoke", second.id);
    expect((await query(body, second.key)).status).toBe(401);
  });

  it("answers Plausible-style 400s for unknown fields, metrics, dimensions and unsafe patterns", async () => {
    const unknown = await query({ ...body, funnel: true });
    expect(unknown).toEqual({
      status: 400,
      json: { error: "#/funnel: Schema does not allow additional properties." },
    });
    expect((await query({ ...body, metrics: ["revenue"] })).json.error).toBe(
      '#/metrics/0: Invalid metric "revenue"',
    );
    const pattern = await query({ ...body, filters: [["matches", "event:page", ["(a+)+$"]]] });
    expect(pattern.status).toBe(400);
  });

  it("gives a marketing key no door to security data", async () => {
    // The dashboard's security queries take a signed-in session, never a key.
    for (const path of [
      "/api/dashboard/query/top-talkers",
      "/api/dashboard/query/ip-timeline?ip=203.0.113.9",
    ]) {
      const response = await fetch(`${serve.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status, path).toBe(401);
    }
    // The Stats API has no dimension or filter on addresses, user agents or the security zone.
    for (const dimension of ["visit:ip", "security:client_ip", "event:target"]) {
      const answer = await query({ ...body, dimensions: [dimension] });
      expect(answer.status, dimension).toBe(400);
      expect(String(answer.json.error)).toContain("Invalid dimension");
    }
  });
});

describe("requests as Plausible documents them (no Stats API client is published on npm: docs/STATS-API.md)", () => {
  // The bodies of Plausible's Stats API v2 reference, sent with the headers its curl example uses; only site_id and
  // the values filtered on are this lake's.
  async function plausible(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${serve.url}/api/v2/query`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it("the curl example: one row without dimensions, Plausible's three top-level keys", async () => {
    // Act
    const answer = await plausible({ site_id: "example.com", metrics: ["visitors"], date_range: "7d" });

    // Assess
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.json).sort()).toEqual(["meta", "query", "results"]);
    expect(results(answer.json)).toEqual([{ metrics: [expect.any(Number)], dimensions: [] }]);
    expect(results(answer.json)[0]?.metrics[0]).toBeGreaterThan(0);
    expect(answer.json.query).toMatchObject({ site_id: "example.com", metrics: ["visitors"] });
  });

  it("a time series with time labels: one row per day with data, its page views adding up to the total", async () => {
    // Act
    const total = await plausible({ site_id: "example.com", metrics: ["pageviews"], date_range: "7d" });
    const series = await plausible({
      site_id: "example.com",
      metrics: ["visitors", "pageviews"],
      date_range: "7d",
      dimensions: ["time:day"],
      include: { time_labels: true },
    });

    // Assess
    expect(series.status).toBe(200);
    const labels = (series.json.meta as { time_labels: string[] }).time_labels;
    expect(labels).toHaveLength(7);
    const rows = results(series.json);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(labels).toContain(row.dimensions[0]);
    expect(rows.map((r) => r.dimensions[0])).toEqual([...rows.map((r) => r.dimensions[0])].sort());
    expect(rows.reduce((s, r) => s + (r.metrics[1] ?? 0), 0)).toBe(results(total.json)[0]?.metrics[0]);
  });

  it("a breakdown with nested and/not filters, order_by and pagination with total_rows", async () => {
    // Prepare
    const body = {
      site_id: "example.com",
      metrics: ["visitors", "pageviews"],
      date_range: "7d",
      dimensions: ["visit:browser"],
      filters: [
        [
          "and",
          [
            ["contains", "event:page", ["/"]],
            ["not", ["is", "visit:device", ["Tablet"]]],
          ],
        ],
      ],
      order_by: [["pageviews", "desc"]],
      include: { total_rows: true },
    };

    // Act
    const first = await plausible({ ...body, pagination: { limit: 2, offset: 0 } });
    const rest = await plausible({ ...body, pagination: { limit: 100, offset: 2 } });

    // Assess
    expect(first.status).toBe(200);
    const totalRows = (first.json.meta as { total_rows: number }).total_rows;
    expect(totalRows).toBeGreaterThan(2);
    const all = [...results(first.json), ...results(rest.json)];
    expect(results(first.json)).toHaveLength(2);
    expect(all).toHaveLength(totalRows);
    const views = all.map((r) => r.metrics[1] ?? 0);
    expect(views).toEqual([...views].sort((a, b) => b - a));
    expect(first.json.query).toMatchObject({ pagination: { limit: 2, offset: 0 }, filters: body.filters });
  });

  it("Plausible's error shape for a dimension logsieve does not keep", async () => {
    // Act
    const answer = await plausible({
      site_id: "example.com",
      metrics: ["visitors"],
      date_range: "7d",
      dimensions: ["visit:city"],
    });

    // Assess
    expect(answer).toEqual({
      status: 400,
      json: { error: "#/dimensions/0: logsieve does not keep visit:city (see docs/STATS-API.md)" },
    });
  });
});
