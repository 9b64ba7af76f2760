// Whether the built `logsieve` command (dist/cli/, tools/build-cli.mjs) may run: only while every file it was built
// from is unchanged. Plain JavaScript, no dependencies: it runs before anything else on every start.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The bundle's folder, relative to the project. */
export const BUNDLE_DIR = "dist/cli";
/** The command's entry file in it (without `.js`). */
export const BUNDLE_ENTRY = "logsieve";
/** What the build wrote beside the bundle: every input with its size and modification time. */
export const INPUTS_FILE = "inputs.json";
/**
 * Files that shape the bundle without being inputs esbuild lists (which are every source and every dependency's
 * file bundled): the build itself, this check, and the settings it reads.
 */
export const BUNDLE_EXTRA_INPUTS = [
  "tools/build-cli.mjs",
  "bin/cli-bundle.js",
  "package.json",
  "tsconfig.json",
];

/**
 * The bundle's entry file when it is fresh, else null (never built, built from other files, or any input's size or
 * modification time differs from the build's: an edit, a checkout, an install). Equality, not "older than": a file
 * put back with an older time also counts as changed.
 */
export function freshBundle(root, dir = BUNDLE_DIR) {
  let inputs;
  try {
    ({ inputs } = JSON.parse(readFileSync(join(root, dir, INPUTS_FILE), "utf8")));
  } catch {
    return null;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return null;
  for (const [path, size, mtimeMs] of inputs) {
    const info = statSync(join(root, path), { throwIfNoEntry: false });
    if (info === undefined || info.size !== size || info.mtimeMs !== mtimeMs) return null;
  }
  return join(root, dir, `${BUNDLE_ENTRY}.js`);
}
