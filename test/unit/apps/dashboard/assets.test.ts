import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDashboardAssets } from "../../../../functions/apps/dashboard/assets.ts";
import { buildDashboard } from "../../../../functions/apps/dashboard/build.ts";
import type { AssetManifest } from "../../../../functions/apps/dashboard/page.ts";
import type { DashboardAssets } from "../../../../functions/apps/dashboard/routes.ts";

/**
 * The built page and bundle keep the strict CSP possible: no inline script or style in the page, no eval in the
 * script, every file named in the page with its Subresource Integrity hash, nothing loaded from another origin.
 */

describe("dashboard assets (esbuild)", () => {
  let dir: string;
  let manifest: AssetManifest;
  let assets: DashboardAssets;

  beforeAll(async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), "logsieve-dashboard-assets-"));
    manifest = await buildDashboard({ outDir: dir });
    assets = await loadDashboardAssets(dir);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("names one script and one style sheet with their SHA-384 integrity", async () => {
    // Act
    const page = assets.page();
    const js = await readFile(join(dir, manifest.js));
    const css = await readFile(join(dir, manifest.css));
    // Assess
    const sri = (bytes: Buffer) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
    expect(page).toContain(
      `<script type="module" src="/dashboard/assets/${manifest.js}" integrity="${sri(js)}"></script>`,
    );
    expect(page).toContain(
      `<link rel="stylesheet" href="/dashboard/assets/${manifest.css}" integrity="${sri(css)}">`,
    );
    expect(assets.asset(manifest.js)?.contentType).toBe("text/javascript; charset=utf-8");
    expect(assets.asset("manifest.json")).toBeNull();
  });

  it("has no inline script, no inline style and nothing from another origin in the page", () => {
    // Act
    const page = assets.page();
    // Assess
    expect(page.match(/<script\b[^>]*>/g)).toEqual([expect.stringContaining(" src=")]);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("bundles no eval, no Function constructor and no HTML injection sink", async () => {
    // Act
    const js = await readFile(join(dir, manifest.js), "utf8");
    // Assess
    expect(js).not.toMatch(
      /\beval\(|new Function\(|\bFunction\(|\.innerHTML\s*=|insertAdjacentHTML|document\.write/,
    );
    // Remote URLs: only the SVG namespace and the AS database's attribution links (CC BY 4.0; DB-IP asks for a
    // link back), which are anchors a person may follow, never something the page loads.
    expect(js).not.toMatch(
      /https?:\/\/(?!www\.w3\.org|db-ip\.com"|www\.routeviews\.org\/"|www\.nro\.net\/"|creativecommons\.org\/licenses\/by\/4\.0\/")/,
    );
  });
});
