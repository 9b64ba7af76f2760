import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATUS_PATH } from "../../functions/apps/http/status.ts";
import {
  type LakeRow,
  readZone,
  type ServeProcess,
  startServeProcess,
  status,
  waitForStatus,
} from "./collector-harness.ts";

/**
 * Real trackers in headless Debian Chromium, sending to the real `logsieve serve`:
 * the official Plausible tracker from npm and logsieve.js, on pages of `site.test` (mapped to 127.0.0.1, so the
 * collector is cross-origin as in production). The events must land in events/ with the tier their consent gives;
 * DNT and GPC must drop them with that reason. Only loopback traffic.
 */

const CHROMIUM = "/usr/bin/chromium";
// A desktop Chrome agent: headless Chromium's own agent says "HeadlessChrome", which is (rightly) a bot.
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const PAGES = new URL("../fixtures/collector/pages/", import.meta.url);
const PLAUSIBLE_JS = new URL("../../node_modules/@plausible-analytics/tracker/plausible.js", import.meta.url);

const CONSENT: Record<string, string> = {
  granted: "{ statistics: true, marketing: false }",
  denied: "{ statistics: false }",
  none: "undefined",
};

describe("collector with real trackers in headless Chromium", () => {
  let dir: string;
  let lake: string;
  let serve: ServeProcess;
  let site: Server;
  let siteOrigin: string;
  let context: BrowserContext;
  let eventRows: LakeRow[] = [];
  let finalCounts: ReturnType<typeof JSON.parse>;
  const collectRequests: string[] = [];
  const collectTypes: string[] = [];

  beforeAll(async () => {
    // Prepare: the collector, a site serving the test pages, and a browser.
    dir = await mkdtemp(join(tmpdir(), "logsieve-browser-"));
    lake = join(dir, "lake");
    const configPath = join(dir, "config.json");
    await writeFile(configPath, JSON.stringify({ sites: ["site.test"] }));
    serve = await startServeProcess(lake, configPath, ["--flush-ms", "100"]);
    const plausibleJs = await readFile(PLAUSIBLE_JS, "utf8");
    site = createServer(async (request, response) => {
      const url = new URL(request.url ?? "/", "http://site.test");
      if (url.pathname === "/vendor/plausible.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(plausibleJs);
        return;
      }
      const page = url.pathname === "/plausible.html" ? "plausible.html" : "tracker.html";
      const template = await readFile(new URL(page, PAGES), "utf8");
      const consent = CONSENT[url.searchParams.get("consent") ?? "none"] ?? "undefined";
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
        template
          .replaceAll("{{COLLECTOR}}", serve.url)
          .replaceAll("{{CONSENT}}", consent)
          .replaceAll("{{ATTRS}}", url.searchParams.has("require") ? 'data-require-consent="true"' : ""),
      );
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteOrigin = `http://site.test:${(site.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      userAgent: USER_AGENT,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--host-resolver-rules=MAP site.test 127.0.0.1",
      ],
    });
    context.on("request", (request) => {
      if (!request.url().startsWith(serve.url)) return;
      const url = new URL(request.url());
      collectRequests.push(`${url.pathname}${url.search}`);
      if (url.pathname === "/collect") collectTypes.push(request.resourceType());
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(path: string, setup?: (page: Page) => Promise<unknown>): Promise<Page> {
    const page = await context.newPage();
    await setup?.(page);
    await page.goto(`${siteOrigin}${path}`);
    return page;
  }

  /** Waits until logsieve.js has run in the page: its first page view, if it sends one, has then been sent. */
  async function trackerRan(page: Page): Promise<void> {
    await page.waitForFunction(() => typeof (globalThis as { logsieve?: unknown }).logsieve === "function");
  }

  let sentinels = 0;
  /**
   * The requests to the collector the browser made before a sentinel the page sends now. logsieve.js sends within
   * the call that tracks (sendBeacon or fetch, no timer), so whatever it sent for what the test did is issued
   * before the sentinel and reported before it: "nothing was sent" is then a fact, not a wait long enough.
   */
  async function requestsBeforeSentinel(page: Page): Promise<string[]> {
    const sentinel = `${STATUS_PATH}?sentinel=${++sentinels}`;
    const reported = context.waitForEvent("request", (request) => request.url().endsWith(sentinel));
    await page.evaluate(async (url) => {
      // A cross-origin read of the status page: the request is what counts, not its (opaque) answer.
      await fetch(url, { mode: "no-cors", credentials: "omit" }).catch(() => undefined);
    }, `${serve.url}${sentinel}`);
    await reported;
    return collectRequests.slice(0, collectRequests.indexOf(sentinel));
  }

  // The Plausible tracker also sends `engagement` events when a page is hidden or closed; they are events too
  // (anonymous, like its page views), so the counts below are checked per tier, and page views in the lake.

  it("takes the Plausible tracker's page view as an anonymous event (Plausible carries no consent)", async () => {
    // Act
    const page = await open("/plausible.html");
    const after = await waitForStatus(serve.url, (s) => s.collector.storedByTier.anonymous >= 1);
    await page.close();
    // Assess
    expect(after.collector.storedByTier).toMatchObject({ statistics: 0, marketing: 0 });
    expect(after.collector.rejected.total).toBe(0);
  });

  it("drops the Plausible tracker's events when the browser sends DNT, with the reason dnt", async () => {
    // Act
    const page = await open("/plausible.html", (p) => p.setExtraHTTPHeaders({ DNT: "1" }));
    const after = await waitForStatus(serve.url, (s) => s.collector.dropped.byReason.dnt >= 1);
    await page.close();
    // Assess
    expect(after.collector.dropped.byReason.gpc).toBe(0);
    expect(after.collector.storedByTier.statistics).toBe(0);
  });

  it("takes logsieve.js page views with statistics consent, including a single-page-app navigation", async () => {
    // Act
    const page = await open("/tracker.html?consent=granted");
    await waitForStatus(serve.url, (s) => s.collector.storedByTier.statistics >= 1);
    await page.click("#next");
    const after = await waitForStatus(serve.url, (s) => s.collector.storedByTier.statistics >= 2);
    await page.close();
    // Assess
    expect(after.collector.storedByTier.statistics).toBe(2);
  });

  it("stores a logsieve.js page view with consent denied as anonymous", async () => {
    // Prepare
    const before = (await status(serve.url)).collector.storedByTier.anonymous;
    // Act
    const page = await open("/tracker.html?consent=denied");
    const after = await waitForStatus(serve.url, (s) => s.collector.storedByTier.anonymous > before);
    await page.close();
    // Assess
    expect(after.collector.storedByTier.statistics).toBe(2);
  });

  it("drops a logsieve.js page view whose request carries Sec-GPC: 1, with the reason gpc", async () => {
    // Act
    const page = await open("/tracker.html?consent=granted", (p) =>
      p.setExtraHTTPHeaders({ "Sec-GPC": "1" }),
    );
    const after = await waitForStatus(serve.url, (s) => s.collector.dropped.byReason.gpc >= 1);
    await page.close();
    // Assess
    expect(after.collector.dropped.byReason.gpc).toBe(1);
    expect(after.collector.storedByTier.statistics).toBe(2);
  });

  it("sends nothing at all from logsieve.js when the browser exposes Global Privacy Control or DNT", async () => {
    // Prepare
    const before = collectRequests.filter((p) => p === "/collect").length;
    const countsBefore = (await status(serve.url)).collector;
    const sentBefore: number[] = [];
    // Act
    for (const signal of ["globalPrivacyControl", "doNotTrack"] as const) {
      const page = await open("/tracker.html?consent=granted", (p) =>
        p.addInitScript((name) => {
          // Runs in the page: the browser's Navigator prototype.
          const navigator = (globalThis as unknown as { navigator: object }).navigator;
          Object.defineProperty(Object.getPrototypeOf(navigator), name, {
            get: () => (name === "doNotTrack" ? "1" : true),
            configurable: true,
          });
        }, signal),
      );
      await trackerRan(page);
      await page.click("#next");
      await page.waitForFunction(() => location.pathname === "/spa/next"); // the navigation logsieve.js sees
      sentBefore.push((await requestsBeforeSentinel(page)).filter((p) => p === "/collect").length);
      await page.close();
    }
    // Assess: the script was fetched and ran, but nothing was sent.
    const after = await status(serve.url);
    expect(sentBefore).toEqual([before, before]);
    expect(collectRequests.filter((p) => p === "/collect").length).toBe(before);
    expect(collectRequests).toContain("/logsieve.js");
    expect(after.collector.storedByTier.statistics).toBe(countsBefore.storedByTier.statistics);
    expect(after.collector.dropped.byReason.gpc).toBe(countsBefore.dropped.byReason.gpc);
  });

  it("holds events until the banner answers through logsieve('consent'), and falls back to fetch without sendBeacon", async () => {
    // Prepare: a page that requires consent, in a browser without sendBeacon.
    const before = collectRequests.filter((p) => p === "/collect").length;
    const page = await open("/tracker.html?require=1", (p) =>
      p.addInitScript(() => {
        const navigator = (globalThis as unknown as { navigator: object }).navigator;
        Object.defineProperty(Object.getPrototypeOf(navigator), "sendBeacon", {
          value: undefined,
          configurable: true,
        });
      }),
    );
    await trackerRan(page);
    const heldBack = (await requestsBeforeSentinel(page)).filter((p) => p === "/collect").length;
    // Act: the banner answers, then the site tracks a custom event.
    await page.evaluate(() => {
      const w = globalThis as unknown as { logsieve: (...args: unknown[]) => void };
      w.logsieve("consent", { statistics: true, marketing: true });
      w.logsieve("event", "Signup", { props: { plan: "pro" } });
    });
    const after = await waitForStatus(serve.url, (s) => s.collector.storedByTier.marketing >= 2);
    await page.close();
    // Assess
    expect(heldBack).toBe(before);
    expect(after.collector.storedByTier.marketing).toBe(2);
    expect(collectTypes.slice(-2)).toEqual(["fetch", "fetch"]);
    expect(collectTypes.slice(0, before)).not.toContain("fetch");
  });

  it("has written every stored event to events/ with the right tier when the server stops", async () => {
    // Act
    expect(await serve.stop()).toBe(0);
    finalCounts = JSON.parse(/stopped\. (\{.*\})/.exec(serve.stdout())?.[1] ?? "null");
    eventRows = (await readZone(lake, "events")).flatMap((o) => o.rows);
    // Assess
    expect(eventRows).toHaveLength(finalCounts.collector.stored);
    expect(finalCounts.sink.written).toBe(finalCounts.collector.stored);
    const pageviews = eventRows
      .filter((r) => r.event_name === "pageview" || r.event_name === "Signup")
      .map(
        (r) =>
          `${r.path}|${r.query}|${r.consent_tier}|${r.consent_reason}|${r.visitor_id === null ? "no id" : "id"}|${r.ip_prefix}`,
      )
      .sort();
    expect(pageviews).toEqual(
      [
        "/plausible.html|null|anonymous|no_consent_anonymous|no id|null",
        "/spa/next|utm_source=spa|statistics|granted_statistics|id|127.0.0.0/24",
        "/tracker.html|null|anonymous|denied|no id|null",
        "/tracker.html|null|statistics|granted_statistics|id|127.0.0.0/24",
        "/tracker.html|null|marketing|granted_marketing|id|127.0.0.0/24",
        "/tracker.html|null|marketing|granted_marketing|id|127.0.0.0/24",
      ].sort(),
    );
    // Anything else is the Plausible tracker's engagement events: anonymous, from its page.
    expect(eventRows.filter((r) => r.event_name === "Signup").map((r) => r.consent_tier)).toEqual([
      "marketing",
    ]);
    for (const row of eventRows.filter((r) => r.event_name !== "pageview" && r.event_name !== "Signup")) {
      expect(row).toMatchObject({
        event_name: "engagement",
        path: "/plausible.html",
        consent_tier: "anonymous",
        visitor_id: null,
      });
    }
    for (const row of eventRows) {
      expect(row).toMatchObject({ site: "site.test", source: "collector", browser: "Chrome", is_bot: false });
    }
    // The identified events are one visitor (same address and agent, same day): no identifier is kept in the
    // browser, the collector derives the same daily id.
    const ids = eventRows.filter((r) => r.visitor_id !== null).map((r) => String(r.visitor_id));
    expect(new Set(ids).size).toBe(1);
  });
});
