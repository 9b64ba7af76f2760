import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type AssetManifest, MANIFEST_FILE, renderPage } from "./page.ts";
import type { DashboardAsset, DashboardAssets } from "./routes.ts";

/**
 * The built dashboard files (functions/apps/dashboard/build.ts) read into memory once: the page, the script and the
 * style sheet. Only the names in the manifest are served, so no request path ever becomes a file path.
 */
export async function loadDashboardAssets(dir: string): Promise<DashboardAssets> {
  let manifest: AssetManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as AssetManifest;
  } catch (error) {
    throw new Error(`the dashboard assets are not built in ${dir} (run npm run build:dashboard)`, {
      cause: error,
    });
  }
  const files = new Map<string, DashboardAsset>([
    [
      manifest.js,
      { body: await readFile(join(dir, manifest.js), "utf8"), contentType: "text/javascript; charset=utf-8" },
    ],
    [
      manifest.css,
      { body: await readFile(join(dir, manifest.css), "utf8"), contentType: "text/css; charset=utf-8" },
    ],
  ]);
  const page = renderPage(manifest);
  return { page: () => page, asset: (name) => files.get(name) ?? null };
}
