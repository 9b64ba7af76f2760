import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Which workgroup a `queries/<area>.<Name>.sql` file belongs to, by its area prefix. */
export type QueryAudience = "marketing" | "security" | "pipeline";

/**
 * `dashboard.*` and `cli.*` read stats and run as marketing; `security.*` reads the security zone; `rollup.*`
 * reads `events/` — which marketing may not read — so it is registered in the pipeline workgroup the aggregate
 * function uses, where it can actually run.
 */
export const QUERY_AREAS: Readonly<Record<string, QueryAudience>> = {
  dashboard: "marketing",
  cli: "marketing",
  rollup: "pipeline",
  security: "security",
  // The Stats API's and the dashboard filters' reads of events/: only the pipeline workgroup may read events/.
  stats: "pipeline",
  // Legal holds read the security zone (the SecurityLead runs them in the security workgroup).
  hold: "security",
};

/**
 * Files whose workgroup is not their area's: `logsieve aws smoke` runs one query as each analyst role, each in that
 * role's workgroup (functions/apps/smoke/aws.ts).
 */
export const QUERY_FILE_AUDIENCES: Readonly<Record<string, QueryAudience>> = {
  "smoke.canary": "security",
  "smoke.stats": "marketing",
};

export interface QueryFile {
  /** File name without `.sql`, e.g. `dashboard.top-pages`: the named query's name. */
  readonly name: string;
  readonly audience: QueryAudience;
  readonly sql: string;
  /** The first `--` comment line, if any. */
  readonly description: string;
}

/** Athena caps a named query's text at 262,144 bytes. */
const MAX_QUERY_BYTES = 262_144;

/**
 * Reads every `*.sql` file of the folder at synth time. A file whose area prefix is unknown fails synth, so a
 * query is never silently left unregistered or put in the wrong workgroup.
 */
export function readQueryFiles(dir: string): QueryFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".sql"));
  } catch (cause) {
    throw new Error(`logsieve: cannot read the queries folder ${dir}`, { cause });
  }
  return names.sort().map((file) => {
    const name = file.slice(0, -".sql".length);
    const area = name.split(".")[0] ?? "";
    const audience = QUERY_FILE_AUDIENCES[name] ?? QUERY_AREAS[area];
    if (audience === undefined || !name.includes(".")) {
      throw new Error(
        `logsieve: queries/${file} has no known area prefix; name it <area>.<Name>.sql with area one of ` +
          `${Object.keys(QUERY_AREAS).join(", ")} (infra/constructs/named-queries.ts maps areas to workgroups).`,
      );
    }
    const sql = readFileSync(join(dir, file), "utf8");
    if (sql.trim().length === 0) throw new Error(`logsieve: queries/${file} is empty`);
    if (Buffer.byteLength(sql) > MAX_QUERY_BYTES) {
      throw new Error(
        `logsieve: queries/${file} is larger than Athena's ${MAX_QUERY_BYTES}-byte named-query limit`,
      );
    }
    const comment = sql
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.startsWith("--"));
    const description = (comment?.replace(/^--\s*/, "") ?? `logsieve ${area} query`).slice(0, 1024);
    return { name, audience, sql, description };
  });
}
