import type { Command } from "commander";
import { DuckDbQueryEngine } from "../../adapters/local/duckdb-engine.ts";
import { LocalAddressLookupStore } from "../../adapters/lookup/local-address-lookups.ts";
import { UsageError } from "../../cli/output.ts";
import { type QueryCatalog, resolveQueryParams } from "../../core/aggregate/catalog.ts";
import { describeParams, QueryParamError, queryParameters } from "../../core/aggregate/query-file.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { toCsv } from "../../core/export/csv.ts";
import { ADDRESS_LOOKUP_PARAM, runWithAddressLookup } from "../../core/security/address-lookup.ts";
import type { QueryResult, SqlValue } from "../../ports/query-engine.ts";
import { addressLookupDeps } from "../../runtime/address-lookups.ts";
import { loadConfigFile } from "../../runtime/config-file.ts";
import { loadQueryCatalog } from "../../runtime/query-files.ts";

/**
 * `logsieve query <name> [--param key=value ...] [--format table|json|csv]`: runs one of the query files on
 * DuckDB over the local lake. `<name>` is the kebab-case name of a `cli.*`, `dashboard.*` or `security.*` file
 * (docs/QUERIES.md lists them); `k` comes from the configuration, never from the command line.
 */

const FORMATS = ["table", "json", "csv"] as const;
type Format = (typeof FORMATS)[number];

interface GlobalOptions {
  readonly lake: string;
  readonly config?: string;
}

export function registerQueryCommand(program: Command): void {
  program
    .command("query")
    .description("run a named query (dashboard, security or cli) over the local lake")
    .argument("[name]", "the query's name, e.g. daily-traffic, top-pages, top-talkers (--list shows all)")
    .option(
      "--param <key=value>",
      "a query parameter, repeatable (e.g. --param from=2026-11-01)",
      collect,
      [],
    )
    .option("--format <format>", `output format: ${FORMATS.join(", ")}`, "table")
    .option("--list", "list the queries and their parameters")
    .action(
      async (
        name: string | undefined,
        options: { param: string[]; format: string; list?: boolean },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<GlobalOptions>();
        const catalog = loadQueryCatalog();
        if (options.list === true || name === undefined) {
          process.stdout.write(listQueries(catalog));
          if (name === undefined && options.list !== true) process.exitCode = 2;
          return;
        }
        const format = parseFormat(options.format);
        const config = await loadConfigFile(globals.config);
        const result = await runCliQuery({
          lakeDir: globals.lake,
          name,
          params: parseParams(options.param),
          config,
          catalog,
        });
        process.stdout.write(render(result, format));
        if (result.rows.length === 0) {
          process.stderr.write("logsieve: no rows (stats/ is filled by `logsieve aggregate`)\n");
        }
      },
    );
}

export interface CliQueryOptions {
  readonly lakeDir: string;
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly config: LogsieveConfig;
  readonly catalog?: QueryCatalog;
  /** An open engine to use instead of opening one over `lakeDir`. */
  readonly engine?: DuckDbQueryEngine;
}

/** Runs a query by its command-line name; mistakes a user can fix are UsageErrors. */
export async function runCliQuery(options: CliQueryOptions): Promise<QueryResult> {
  const catalog = options.catalog ?? loadQueryCatalog();
  const definition = catalog.byCliName.get(options.name);
  if (definition === undefined) {
    throw new UsageError(
      `unknown query "${options.name}"`,
      `known queries: ${[...catalog.byCliName.keys()].sort().join(", ")}`,
    );
  }
  const bind = (named: Readonly<Record<string, string>>) => {
    try {
      return resolveQueryParams(definition, named, options.config);
    } catch (error) {
      if (error instanceof QueryParamError) {
        throw new UsageError(
          error.message,
          `logsieve query ${options.name} takes: ${describeParams(definition)}`,
        );
      }
      throw error;
    }
  };
  const engine = options.engine ?? (await DuckDbQueryEngine.open({ lakeDir: options.lakeDir }));
  try {
    return await runWithAddressLookup(
      queryParameters(definition).map((p) => p.name),
      options.params,
      addressLookupDeps(new LocalAddressLookupStore(options.lakeDir, (work) => engine.exclusive(work))),
      async (named) => engine.query(definition.select, bind(named)),
      () =>
        new UsageError(
          `${options.name} needs --param ip=<address>`,
          `logsieve query ${options.name} takes: ${describeParams(definition).replace(`${ADDRESS_LOOKUP_PARAM}:string`, "ip:address")}`,
        ),
    );
  } finally {
    if (options.engine === undefined) await engine.close();
  }
}

export function listQueries(catalog: QueryCatalog): string {
  const lines = ["queries (logsieve query <name> --param key=value ...):"];
  for (const [name, definition] of [...catalog.byCliName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`  ${name.padEnd(22)} ${definition.description}`);
    lines.push(
      `  ${"".padEnd(22)} file queries/${definition.id}.sql; params: ${describeParams(definition).replace(/(^|, )k:int/, "$1k (from config)")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseParams(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${pair}: write key=value`, "e.g. --param from=2026-11-01");
    const key = pair.slice(0, eq);
    if (params[key] !== undefined) throw new UsageError(`--param ${key} is given twice`);
    params[key] = pair.slice(eq + 1);
  }
  return params;
}

function parseFormat(text: string): Format {
  if ((FORMATS as readonly string[]).includes(text)) return text as Format;
  throw new UsageError(`--format ${text} is not one of ${FORMATS.join(", ")}`);
}

export function render(result: QueryResult, format: Format): string {
  const columns = result.columns.map((c) => c.name);
  if (format === "json") return `${JSON.stringify(result.rows, null, 2)}\n`;
  if (format === "csv") return toCsv(columns, result.rows);
  return renderTable(columns, result.rows);
}

/**
 * Aligned columns for a terminal. Text from logs may carry terminal escape sequences (an attacker's user
 * agent), so control characters are shown escaped, never sent to the terminal.
 */
export function renderTable(
  columns: readonly string[],
  rows: readonly Readonly<Record<string, SqlValue>>[],
): string {
  const cells = rows.map((row) => columns.map((c) => displayValue(row[c] ?? null)));
  const numeric = columns.map(
    (c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] === null),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")}\n`;
}

function displayValue(value: SqlValue): string {
  if (value === null) return "";
  return String(value).replace(
    CONTROL_CHARACTERS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach a terminal.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
