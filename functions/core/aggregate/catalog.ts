import type { SqlParam } from "../../ports/query-engine.ts";
import { defaultSiteOf, type LogsieveConfig } from "../config.ts";
import {
  bindParams,
  parseQueryFile,
  type QueryDefinition,
  QueryDefinitionError,
  QueryParamError,
  queryParameters,
} from "./query-file.ts";

/**
 * All query files, by file id and by command-line name. `logsieve query <name>` takes the part of a
 * `cli.*`, `dashboard.*` or `security.*` file name after the area, in kebab case: `cli.dailyTraffic` is
 * `daily-traffic`, `security.topTalkers` is `top-talkers`. Rollups are run by the aggregation job only, `stats.*`
 * files by the Stats API and the dashboard's filters, `hold.*` files by legal holds only, `smoke.*` files by
 * `logsieve aws smoke` only.
 * Two files that would share a command-line name are refused when the catalogue is built.
 */
export interface QueryCatalog {
  readonly byId: ReadonlyMap<string, QueryDefinition>;
  readonly byCliName: ReadonlyMap<string, QueryDefinition>;
}

export function cliQueryName(definition: Pick<QueryDefinition, "area" | "name">): string | null {
  // Rollups run in the aggregation job; stats.* files take filters as encoded parameters from the Stats API's
  // planner (core/stats/), which no command line could write by hand; hold.* files run in legal holds only;
  // smoke.* files in `logsieve aws smoke` only.
  if (
    definition.area === "rollup" ||
    definition.area === "stats" ||
    definition.area === "hold" ||
    definition.area === "smoke"
  )
    return null;
  return definition.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function buildCatalog(files: readonly { readonly id: string; readonly text: string }[]): QueryCatalog {
  const byId = new Map<string, QueryDefinition>();
  const byCliName = new Map<string, QueryDefinition>();
  for (const file of [...files].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const definition = parseQueryFile(file.id, file.text);
    byId.set(definition.id, definition);
    const cliName = cliQueryName(definition);
    if (cliName === null) continue;
    const clash = byCliName.get(cliName);
    if (clash !== undefined) {
      throw new QueryDefinitionError(
        `${clash.id} and ${definition.id} would both be "logsieve query ${cliName}"`,
      );
    }
    byCliName.set(cliName, definition);
  }
  return { byId, byCliName };
}

/** The definition with that id, or an error naming the missing file (a packaging mistake, not a user's). */
export function requireQuery(catalog: QueryCatalog, id: string): QueryDefinition {
  const definition = catalog.byId.get(id);
  if (definition === undefined) throw new QueryDefinitionError(`queries/${id}.sql is missing`);
  return definition;
}

/**
 * The bound placeholders for a query from a caller's named values and the configuration. `k` (the smallest
 * number of visitors a shown row may have) always comes from the configuration: a caller can neither lower
 * nor raise it. A query's `site`, when not given, is the configuration's default site.
 */
export function resolveQueryParams(
  definition: QueryDefinition,
  given: Readonly<Record<string, string>>,
  config: LogsieveConfig,
): SqlParam[] {
  if (given.k !== undefined) {
    throw new QueryParamError(
      `k is not a query parameter: it comes from the configuration (k = ${config.k})`,
    );
  }
  const names = new Set(queryParameters(definition).map((p) => p.name));
  const values: Record<string, string | SqlParam> = { ...given };
  if (names.has("k")) values.k = { type: "int", value: config.k };
  const site = definition.placeholders.find((p) => p.name === "site");
  if (site !== undefined && site.defaultValue === undefined && given.site === undefined) {
    values.site = defaultSiteOf(config);
  }
  return bindParams(definition, values);
}
