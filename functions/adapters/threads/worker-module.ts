import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * How a worker thread loads the module that spawned it. Four modules run themselves in a worker (the ingest
 * shards, the files an ingest reads side by side, the Parquet encoder, the collector's event sink): the worker
 * imports the module, whose last line starts the worker's side when it finds its mark in `workerData`.
 *
 * - From the TypeScript sources (vitest, `LOGSIEVE_SOURCES=1`, or a CLI bundle older than the sources): the worker
 *   registers tsx's loader, then imports the module's `.ts` file.
 * - In the CLI bundle (tools/build-cli.mjs): each of the four is an entry file of its own beside the bundle, plain
 *   JavaScript, so the worker pays no TypeScript loader (about a second of CPU per thread under tsx).
 * - Anything else (a module already run as JavaScript): the worker imports the module itself.
 */

/** Defined (as `true`) by tools/build-cli.mjs in the CLI bundle only; undeclared everywhere else. */
declare const LOGSIEVE_CLI_BUNDLE: boolean | undefined;

/** The URL a worker imports to run `moduleUrl` (its `import.meta.url`); `bundleEntry` names its bundle entry. */
export function workerModuleUrl(moduleUrl: string, bundleEntry: string): string {
  if (typeof LOGSIEVE_CLI_BUNDLE === "boolean") {
    // The bundle rewrites `import.meta.url` to the sources' URLs (so data files are found as from the sources);
    // `import.meta.dirname` is left alone: it is the folder of the bundle's own files, the entries' folder.
    return pathToFileURL(join(import.meta.dirname, `${bundleEntry}.js`)).href;
  }
  return moduleUrl;
}

/** The code a worker evaluates (`new Worker(code, { eval: true })`) to load `moduleUrl`. */
export function workerBootstrap(moduleUrl: string, bundleEntry: string): string {
  const url = workerModuleUrl(moduleUrl, bundleEntry);
  if (!url.endsWith(".ts")) return `import(${JSON.stringify(url)})`;
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return `import(${tsx}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
}
