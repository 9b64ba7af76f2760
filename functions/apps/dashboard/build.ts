import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AssetManifest, MANIFEST_FILE } from "./page.ts";

export { MANIFEST_FILE };

/**
 * Bundles the dashboard's browser code (functions/apps/dashboard/ui/, plus uPlot and its style sheet) with esbuild
 * into one script and one style sheet with content-hashed names, and writes `manifest.json` naming them with
 * their SHA-384 for Subresource Integrity. No CDN: everything the page loads comes from these two files.
 *
 * Run by `npm run build:dashboard` (scripts/build-dashboard.ts), by `logsieve serve` when the sources are newer
 * than the last build, and by the tests. esbuild is a development dependency: a deployment ships the built folder.
 */

export const DASHBOARD_SOURCE_DIR = fileURLToPath(new URL("./ui/", import.meta.url));
/** The shared allowlist is bundled too (column labels and units). */
const CORE_DASHBOARD_DIR = fileURLToPath(new URL("../../core/dashboard/", import.meta.url));
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL("../../../dist/dashboard/", import.meta.url));

export interface BuildOptions {
  readonly outDir?: string;
  /** Default true: the page is smaller; the license comments stay. */
  readonly minify?: boolean;
}

const integrity = (bytes: Uint8Array): string =>
  `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

export async function buildDashboard(options: BuildOptions = {}): Promise<AssetManifest> {
  const outDir = options.outDir ?? DEFAULT_ASSETS_DIR;
  // Loaded here only: serving prebuilt assets (Lambda) needs no esbuild.
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [join(DASHBOARD_SOURCE_DIR, "main.ts"), join(DASHBOARD_SOURCE_DIR, "styles.css")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022", "chrome110", "firefox115", "safari16"],
    minify: options.minify ?? true,
    sourcemap: false,
    write: false,
    outdir: "out",
    entryNames: "app-[hash]",
    assetNames: "asset-[hash]",
    legalComments: "eof",
    logLevel: "silent",
  });
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"));
  const css = result.outputFiles.find((f) => f.path.endsWith(".css"));
  if (js === undefined || css === undefined) throw new Error("esbuild produced no script or no style sheet");
  const name = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const manifest: AssetManifest = {
    js: name(js.path),
    css: name(css.path),
    jsIntegrity: integrity(js.contents),
    cssIntegrity: integrity(css.contents),
  };
  await mkdir(outDir, { recursive: true });
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  for (const file of [js, css]) {
    await writeFile(join(outDir, `${name(file.path)}${suffix}`), file.contents);
    await rename(join(outDir, `${name(file.path)}${suffix}`), join(outDir, name(file.path)));
  }
  await writeFile(join(outDir, `${MANIFEST_FILE}${suffix}`), `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(join(outDir, `${MANIFEST_FILE}${suffix}`), join(outDir, MANIFEST_FILE));
  // Earlier builds' files: removed once they are an hour old (a page loaded just before a rebuild still finds them).
  for (const entry of await readdir(outDir)) {
    if (!/^app-[A-Z0-9]+\.(js|css)$/i.test(entry) || entry === manifest.js || entry === manifest.css)
      continue;
    const info = await stat(join(outDir, entry)).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > 3_600_000)
      await rm(join(outDir, entry), { force: true });
  }
  return manifest;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name));
    newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

/** The manifest of a built folder, or null when there is none. */
export async function readManifest(dir: string = DEFAULT_ASSETS_DIR): Promise<AssetManifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as AssetManifest;
  } catch {
    return null;
  }
}

/** Builds when there is no build yet or a source file changed since; otherwise returns the existing manifest. */
export async function ensureDashboardBuilt(outDir: string = DEFAULT_ASSETS_DIR): Promise<AssetManifest> {
  const built = await stat(join(outDir, MANIFEST_FILE)).catch(() => null);
  const manifest = built === null ? null : await readManifest(outDir);
  if (manifest !== null && built !== null) {
    const sources = Math.max(await newestMtime(DASHBOARD_SOURCE_DIR), await newestMtime(CORE_DASHBOARD_DIR));
    const present = await Promise.all(
      [manifest.js, manifest.css].map((f) =>
        stat(join(outDir, f)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (sources <= built.mtimeMs && present.every(Boolean)) return manifest;
  }
  return buildDashboard({ outDir });
}
