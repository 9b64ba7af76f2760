import { type ChildProcess, spawn } from "node:child_process";
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServeProcess } from "./collector-harness.ts";

/**
 * The live panel in headless Chromium (issue 17 item 3): `logsieve serve` (live figures recomputed every 10 s)
 * and `logsieve ingest --follow` (batches of 1 s) on one lake, the marketing view open. Lines appended to the
 * followed log reach the panel without any `logsieve aggregate`: with 3 people on the site the panel says "fewer
 * than 5" (a count that small is never shown), with 8 it shows 8, with 14 it shows 14. The Today and Yesterday
 * presets set the range.
 */

const ROOT = new URL("../../", import.meta.url);
const ARTIFACTS = new URL("../../artifacts/", import.meta.url);
const CHROMIUM = "/usr/bin/chromium";
const SITE = "example.com";
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A page view now by person `n` (each from a network of its own, so each counts for k). */
function pageView(n: number, path: string): string {
  const t = new Date();
  const stamp = `${String(t.getUTCDate()).padStart(2, "0")}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${t.toISOString().slice(11, 19)} +0000`;
  return `198.${18 + (n >> 8)}.${n & 255}.7 - - [${stamp}] "GET ${path} HTTP/1.1" 200 1234 "-" "${UA}"\n`;
}

describe("the live panel in headless Chromium", () => {
  let dir: string;
  let log: string;
  let serve: ServeProcess;
  let follower: ChildProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-live-"));
    const lake = join(dir, "lake");
    const configPath = join(dir, "config.json");
    await writeFile(configPath, JSON.stringify({ sites: [SITE] }));
    log = join(dir, "access.log");
    await writeFile(log, [0, 1, 2].map((n) => pageView(n, "/")).join(""));
    follower = spawn(
      process.execPath,
      [
        "bin/logsieve.js",
        "--lake",
        lake,
        "--config",
        configPath,
        "ingest",
        "--follow",
        "--batch-seconds",
        "1",
        log,
      ],
      { cwd: ROOT, stdio: "ignore" },
    );
    serve = await startServeProcess(lake, configPath, ["--live-seconds", "10"]);
    const link = /^\s+marketing\s+(http:\/\/127\.0\.0\.1:\d+\/dashboard\/\?token=\S+)$/m.exec(
      serve.stdout(),
    )?.[1];
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    await page.goto(link ?? ""); // opens the session
    await page.goto(`${serve.url}/dashboard/#marketing`);
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (follower !== undefined && follower.exitCode === null) {
      const exited = new Promise((resolve) => follower.once("exit", resolve));
      follower.kill("SIGTERM");
      await exited;
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Waits until the panel's visitors figure reads `text` (the page polls every 10 s, the server refreshes every 10 s). */
  async function liveVisitorsReads(text: string): Promise<void> {
    await page.waitForFunction(
      (expected) => document.querySelector("[data-testid=live-visitors]")?.textContent === expected,
      text,
      { timeout: 90_000, polling: 500 },
    );
  }

  it("says 'fewer than 5' for three people, never the number", async () => {
    await liveVisitorsReads("fewer than 5");
    expect(await page.getAttribute("[data-testid=live-visitors]", "data-under-k")).toBe("true");
    expect(await page.textContent("[data-testid=live-pageviews]")).toBe("fewer than 5");
  }, 120_000);

  it("moves as lines are appended to the followed log: 8 people, then 14", async () => {
    await appendFile(log, [3, 4, 5, 6, 7].map((n) => pageView(n, "/pricing")).join(""));
    await liveVisitorsReads("8");
    await page.screenshot({ path: new URL("dashboard-live-8.png", ARTIFACTS).pathname });
    await appendFile(log, [8, 9, 10, 11, 12, 13].map((n) => pageView(n, "/docs")).join(""));
    await liveVisitorsReads("14");
    await page.screenshot({ path: new URL("dashboard-live-14.png", ARTIFACTS).pathname });
    expect(await page.textContent("[data-testid=live-visitors-today]")).toBe("14");
    expect(await page.textContent("[data-testid=live-pageviews-today]")).toBe("14");
  }, 200_000);

  it("has Today and Yesterday presets that set the range", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.selectOption("[data-testid=preset]", "today");
    expect([await page.inputValue("[data-testid=from]"), await page.inputValue("[data-testid=to]")]).toEqual([
      today,
      today,
    ]);
    await page.selectOption("[data-testid=preset]", "yesterday");
    expect([await page.inputValue("[data-testid=from]"), await page.inputValue("[data-testid=to]")]).toEqual([
      yesterday,
      yesterday,
    ]);
  });
});
