/**
 * The dashboard page: a static shell without data and without inline script or style, so the strict
 * Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds. It loads the two bundled files built
 * by build.ts, by their content-hashed names, with Subresource Integrity.
 */

/** The file in the built folder that names the assets (written by build.ts, read by apps/dashboard/assets.ts). */
export const MANIFEST_FILE = "manifest.json";

export interface AssetManifest {
  /** File names under /dashboard/assets/. */
  readonly js: string;
  readonly css: string;
  /** `sha384-...` of each file, for the integrity attributes. */
  readonly jsIntegrity: string;
  readonly cssIntegrity: string;
}

const escapeAttribute = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderPage(assets: AssetManifest): string {
  const asset = (name: string) => escapeAttribute(`/dashboard/assets/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>logsieve · dashboards</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset(assets.css)}" integrity="${escapeAttribute(assets.cssIntegrity)}">
<script type="module" src="${asset(assets.js)}" integrity="${escapeAttribute(assets.jsIntegrity)}"></script>
</head>
<body>
<noscript><p class="notice">The dashboards need JavaScript.</p></noscript>
<div id="app"><p class="notice">Loading the dashboards…</p></div>
</body>
</html>
`;
}
