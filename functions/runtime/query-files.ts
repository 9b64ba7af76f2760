import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCatalog, type QueryCatalog } from "../core/aggregate/catalog.ts";

/** The project's `queries/` folder, found from this module's own location (works from any working directory). */
export const QUERIES_DIR = fileURLToPath(new URL("../../queries/", import.meta.url));

/** Every `<area>.<Name>.sql` file of a folder, as id and text, in name order. */
export function readQueryFiles(dir: string = QUERIES_DIR): { id: string; text: string }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => ({ id: name.slice(0, -".sql".length), text: readFileSync(join(dir, name), "utf8") }));
}

const cache = new Map<string, QueryCatalog>();

/** The parsed catalogue of a queries folder (read once per process). */
export function loadQueryCatalog(dir: string = QUERIES_DIR): QueryCatalog {
  let catalog = cache.get(dir);
  if (catalog === undefined) {
    catalog = buildCatalog(readQueryFiles(dir));
    cache.set(dir, catalog);
  }
  return catalog;
}
