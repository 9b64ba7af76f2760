#!/usr/bin/env node
// Builds the `logsieve` command as plain JavaScript (dist/cli/), so neither the command nor its worker threads
// load the TypeScript sources through tsx (about a second of CPU per thread). Run by `npm ci` / `npm install`
// (the `prepare` script) and by `npm run build:cli`. bin/logsieve.js runs the bundle only while it is fresh (every
// file it was built from unchanged, see bin/cli-bundle.js), else the sources through tsx: it never runs stale code.
//
//   node tools/build-cli.mjs [--outdir dir]
//
// - Entries: the command (functions/cli/main.ts) and the four modules that run themselves in a worker thread
//   (functions/adapters/threads/worker-module.ts), each an entry file of its own; code they share is split into
//   chunks, and modules imported with `import()` (the AWS commands' wiring) are chunks loaded only when used.
// - `import.meta.url` in every bundled file is rewritten to that file's own URL, relative to the bundle, so a module
//   finding its data files from its own location (queries/, the tracker script, the dashboard's sources, the
//   bundled databases in node_modules) finds the same files as from the sources.
// - Dependencies are bundled (as the Lambda functions are, infra/constructs/logsieve-function.ts) except DuckDB's
//   native addon, loaded from node_modules.
// - dist/cli/inputs.json lists every input with its size and modification time: the freshness check.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { BUNDLE_ENTRY, BUNDLE_EXTRA_INPUTS, INPUTS_FILE } from "../bin/cli-bundle.js";

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  // An install without the development dependencies (`npm ci --omit=dev`): the command runs from the sources.
  console.log("logsieve: esbuild is not installed, so the command runs from the TypeScript sources (tsx)");
  process.exit(0);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outdirArg = args.indexOf("--outdir");
const outdir = resolve(root, outdirArg >= 0 ? args[outdirArg + 1] : "dist/cli");

/** Each module's `import.meta.url` made its source file's URL, relative to wherever the chunk holding it is. */
const sourceUrls = {
  name: "source-urls",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs|cjs)$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const loader = args.path.endsWith(".ts") || args.path.endsWith(".mts") ? "ts" : "js";
      if (!text.includes("import.meta.url")) return { contents: text, loader };
      const own = relative(outdir, args.path).split(sep).join("/");
      return {
        contents: text.replaceAll("import.meta.url", `new URL(${JSON.stringify(own)}, import.meta.url).href`),
        loader,
      };
    });
  },
};

/**
 * DuckDB's native addon stays in node_modules: imported by a path relative to the bundle's folder (a bare name would
 * be looked up from wherever the bundle is, which need not be inside the project).
 */
const nativeDependencies = {
  name: "native-dependencies",
  setup(build) {
    build.onResolve({ filter: /^@duckdb\// }, (args) => {
      const file = fileURLToPath(import.meta.resolve(args.path));
      return { path: relative(outdir, file).split(sep).join("/"), external: true };
    });
  },
};

const temporary = `${outdir}.building-${process.pid}`;
rmSync(temporary, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: {
    [BUNDLE_ENTRY]: "functions/cli/main.ts",
    "ingest-shard-worker": "functions/apps/ingest/shard-pool.ts",
    "ingest-lane-worker": "functions/apps/ingest/file-lanes.ts",
    "parquet-encoder-worker": "functions/adapters/parquet/worker-encoder.ts",
    "event-sink-worker": "functions/adapters/local/event-sink.ts",
  },
  outdir: temporary,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  mainFields: ["module", "main"],
  define: { LOGSIEVE_CLI_BUNDLE: "true" },
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __logsieveCreateRequire } from 'node:module'; const require = __logsieveCreateRequire(import.meta.url);",
  },
  plugins: [nativeDependencies, sourceUrls],
  metafile: true,
  logLevel: "warning",
});

const inputs = [...Object.keys(result.metafile.inputs), ...BUNDLE_EXTRA_INPUTS]
  .filter((path) => !path.includes(":"))
  .map((path) => {
    const info = statSync(join(root, path));
    return [path, info.size, info.mtimeMs];
  });
writeFileSync(join(temporary, INPUTS_FILE), `${JSON.stringify({ inputs })}\n`);
// Swapped in whole: a command started meanwhile sees the old bundle or the new one, never half of one.
const old = `${outdir}.old-${process.pid}`;
try {
  renameSync(outdir, old);
} catch {
  // no bundle yet
}
renameSync(temporary, outdir);
rmSync(old, { recursive: true, force: true });
console.log(`logsieve: built the command in ${relative(root, outdir)}/ from ${inputs.length} files`);
