#!/usr/bin/env node
// The `logsieve` command. Runs the built command (dist/cli/, tools/build-cli.mjs, built by `npm ci`/`npm install`
// and `npm run build:cli`) while it is fresh: every file it was built from unchanged (bin/cli-bundle.js). Otherwise,
// and with LOGSIEVE_SOURCES=1, the TypeScript sources through tsx's loader, so an edit runs at once without a
// build step (about a second more CPU per start and per worker thread). Lambda bundles are built separately by cdk.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { freshBundle } from "./cli-bundle.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = process.env.LOGSIEVE_SOURCES === "1" ? null : freshBundle(root);
if (bundle !== null) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../functions/cli/main.ts");
}
