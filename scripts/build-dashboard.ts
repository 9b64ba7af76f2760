import { buildDashboard, DEFAULT_ASSETS_DIR } from "../functions/apps/dashboard/build.ts";

/**
 * `npm run build:dashboard`: bundles the dashboard page's script and style sheet into dist/dashboard/ (or the
 * folder given as the first argument), for `logsieve serve` and for the dashboard-api Lambda package.
 */
const outDir = process.argv[2] ?? DEFAULT_ASSETS_DIR;
const started = performance.now();
const manifest = await buildDashboard({ outDir });
process.stdout.write(
  `dashboard assets → ${outDir}: ${manifest.js}, ${manifest.css} (${Math.round(performance.now() - started)} ms)\n`,
);
