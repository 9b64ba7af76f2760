import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LakeRow,
  readZone,
  type ServeProcess,
  startServeProcess,
  status,
  waitForStatus,
} from "./collector-harness.ts";

/**
 * Umami's real tracker (umami@2.10.0 from npm, built with esbuild as Umami's rollup build does; see
 * test/fixtures/collector/umami/README.md) in headless Debian Chromium, sending to the real `logsieve serve` at
 * `POST /api/send`, from pages of `site.test` (mapped to 127.0.0.1, so the collector is cross-origin as in
 * production: every event is preflighted). The site is found through its Umami website id
 * (`siteSettings.site.test.umamiWebsiteIds`). Umami carries no consent: page views and custom events are stored in
 * the anonymous tier (the custom event with its allowlisted property); DNT drops them; a referrer from the spam list
 * drops them as spam_referrer. Only loopback traffic.
 */

const CHROMIUM = "/usr/bin/chromium";
// A desktop Chrome agent: headless Chromium's own agent says "HeadlessChrome", which is (rightly) a bot.
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const PAGE = new URL("../fixtures/collector/pages/umami.html", import.meta.url);
const TRACKER_SOURCE = fileURLToPath(
  new URL("../fixtures/collector/umami/tracker-index.js", import.meta.url),
);
const WEBSITE_ID = "4fb7fa4c-5b46-438d-94b3-3a8fb9bc2e8b";
const SPA_SCRIPT = `document.getElementById("next").addEventListener("click", () => {
  history.pushState({}, "", "/spa/next?utm_source=spa");
});`;

describe("collector with Umami's tracker in headless Chromium", () => {
  let dir: string;
  let lake: string;
  let serve: ServeProcess;
  let site: Server;
  let siteOrigin: string;
  let context: BrowserContext;
  const sendRequests: { method: string; cacheHeader: string | undefined }[] = [];

  beforeAll(async () => {
    // Prepare: Umami's script built as Umami builds it, the collector, a site serving the page, and a browser.
    const bundled = await build({
      entryPoints: [TRACKER_SOURCE],
      bundle: true,
      format: "iife",
      minify: true,
      write: false,
      target: "es2020",
      logLevel: "silent",
    });
    const trackerJs = bundled.outputFiles[0]?.text ?? "";
    expect(trackerJs).toContain("/api/send");
    dir = await mkdtemp(join(tmpdir(), "logsieve-umami-"));
    lake = join(dir, "lake");
    const configPath = join(dir, "config.json");
    await writeFile(
      configPath,
      JSON.stringify({
        sites: ["site.test"],
        siteSettings: { "site.test": { umamiWebsiteIds: [WEBSITE_ID], eventProperties: ["plan"] } },
      }),
    );
    serve = await startServeProcess(lake, configPath, ["--flush-ms", "100"]);
    const template = await readFile(PAGE, "utf8");
    site = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://site.test");
      if (url.pathname === "/vendor/umami.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(trackerJs);
      } else if (url.pathname === "/spa.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(SPA_SCRIPT);
      } else {
        response
          .writeHead(200, { "content-type": "text/html; charset=utf-8" })
          .end(template.replaceAll("{{COLLECTOR}}", serve.url).replaceAll("{{WEBSITE_ID}}", WEBSITE_ID));
      }
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
      if (!request.url().startsWith(`${serve.url}/api/send`)) return;
      sendRequests.push({ method: request.method(), cacheHeader: request.headers()["x-umami-cache"] });
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(
    path: string,
    setup?: (page: Page) => Promise<unknown>,
    referer?: string,
  ): Promise<Page> {
    const page = await context.newPage();
    await setup?.(page);
    await page.goto(`${siteOrigin}${path}`, referer === undefined ? {} : { referer });
    return page;
  }

  it("stores the tracker's page view, its custom event and a single-page-app navigation, all anonymous", async () => {
    // Prepare
    const answered = (page: Page) =>
      page.waitForResponse((r) => r.url() === `${serve.url}/api/send` && r.request().method() === "POST");
    // Act: each step waits for the collector's answer in the page, so the tracker has read it before the next.
    const page = await context.newPage();
    const pageview = answered(page);
    await page.goto(`${siteOrigin}/umami.html`);
    await pageview;
    const signup = answered(page);
    await page.click("#signup");
    await signup;
    // The tracker sends a navigation 300 ms after pushState, by then with the x-umami-cache header of its last answer.
    const navigation = answered(page);
    await page.click("#next");
    await navigation;
    const after = await waitForStatus(serve.url, (s) => s.collector.storedByTier.anonymous >= 3);
    await page.close();
    // Assess: nothing refused, and the header the tracker adds after its first answer passed the CORS preflight.
    expect(after.collector.storedByTier).toEqual({ anonymous: 3, statistics: 0, marketing: 0 });
    expect(after.collector.rejected.total).toBe(0);
    const posts = sendRequests.filter((r) => r.method === "POST").map((r) => r.cacheHeader);
    expect(posts).toHaveLength(3);
    expect(posts[0]).toBeUndefined();
    expect(posts[2]).toBe("{}");
  });

  it("drops the tracker's page view when the browser sends DNT, with the reason dnt", async () => {
    // Act
    const page = await open("/umami.html", (p) => p.setExtraHTTPHeaders({ DNT: "1" }));
    const after = await waitForStatus(serve.url, (s) => s.collector.dropped.byReason.dnt >= 1);
    await page.close();
    // Assess
    expect(after.collector.storedByTier.anonymous).toBe(3);
  });

  it("drops a page view whose referrer is on the referrer spam list, with the reason spam_referrer", async () => {
    // Act: the page is opened from a spammer's link, so document.referrer (which the tracker sends) is its URL.
    const page = await open("/umami.html", undefined, "https://www.semalt.com/crawler.php?u=site.test");
    const after = await waitForStatus(serve.url, (s) => s.collector.dropped.byReason.spam_referrer >= 1);
    await page.close();
    // Assess
    expect(after.collector.storedByTier.anonymous).toBe(3);
    expect(after.collector.rejected.total).toBe(0);
  });

  it("has written every stored event to events/ with its tier, path and name when the server stops", async () => {
    // Act
    const before = (await status(serve.url)).collector;
    expect(await serve.stop()).toBe(0);
    const rows: LakeRow[] = (await readZone(lake, "events")).flatMap((o) => o.rows);
    // Assess
    expect(rows).toHaveLength(before.stored);
    expect(
      rows
        .map(
          (r) =>
            `${r.event_name}|${r.path}|${r.query}|${r.consent_tier}|${r.consent_reason}|${r.referrer_host}`,
        )
        .sort(),
    ).toEqual(
      [
        "pageview|/umami.html|null|anonymous|no_consent_anonymous|null",
        "signup|/umami.html|null|anonymous|no_consent_anonymous|null",
        "pageview|/spa/next|utm_source=spa|anonymous|no_consent_anonymous|null",
      ].sort(),
    );
    // The button's data-umami-event-plan="pro" is the event's property (allowlisted for the site).
    expect(rows.filter((r) => r.event_name === "signup").map((r) => [r.prop_key_1, r.prop_value_1])).toEqual([
      ["plan", "pro"],
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({
        site: "site.test",
        source: "collector",
        browser: "Chrome",
        is_bot: false,
        visitor_id: null,
        ip_prefix: null,
      });
    }
  });
});
