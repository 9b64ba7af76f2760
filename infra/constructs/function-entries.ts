import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** The Lambda functions logsieve deploys. */
export const FUNCTION_NAMES = [
  "ingest",
  "aggregate",
  "sweep",
  "collect",
  "dashboardApi",
  "statsApi",
  "statsAuthorizer",
  "live",
  "land",
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Entry file of each function, relative to the project root. Each exports `handler`. */
export type FunctionEntries = Readonly<Record<FunctionName, string>>;

/** The project's own handlers: one per use case, functions/apps/<room>/handler.ts. */
export const DEFAULT_FUNCTION_ENTRIES: FunctionEntries = {
  ingest: "functions/apps/ingest/handler.ts",
  aggregate: "functions/apps/aggregate/handler.ts",
  sweep: "functions/apps/sweep/handler.ts",
  collect: "functions/apps/collect/handler.ts",
  dashboardApi: "functions/apps/dashboard/handler.ts",
  statsApi: "functions/apps/stats/handler.ts",
  statsAuthorizer: "functions/apps/stats/authorizer.ts",
  live: "functions/apps/live/handler.ts",
  land: "functions/apps/land/handler.ts",
};

export class MissingHandlerError extends Error {
  constructor(readonly missing: readonly { name: FunctionName; path: string }[]) {
    super(
      `logsieve: ${missing.length} Lambda handler entr${missing.length === 1 ? "y does" : "ies do"} not exist, ` +
        "so there is nothing to deploy for:\n" +
        missing.map((m) => `  - ${m.name}: ${m.path}`).join("\n") +
        "\nWrite the handler (exporting `handler`) or pass `functionEntries` to LogsievePipeline.",
    );
    this.name = "MissingHandlerError";
  }
}

/**
 * Resolves each entry against the project root and checks that the file exists. Every missing entry is named
 * in one error, so synth fails loudly instead of deploying a function without code.
 */
export function resolveFunctionEntries(
  projectRoot: string,
  entries: FunctionEntries = DEFAULT_FUNCTION_ENTRIES,
): FunctionEntries {
  const resolved = {} as Record<FunctionName, string>;
  const missing: { name: FunctionName; path: string }[] = [];
  for (const name of FUNCTION_NAMES) {
    const path = isAbsolute(entries[name]) ? entries[name] : resolve(projectRoot, entries[name]);
    if (!existsSync(path)) missing.push({ name, path });
    resolved[name] = path;
  }
  if (missing.length > 0) throw new MissingHandlerError(missing);
  return resolved;
}
