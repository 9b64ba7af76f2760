import { SQL_PARAM_TYPES, type SqlParam, type SqlParamType } from "../../ports/query-engine.ts";
import { placeholderCount } from "./sql-text.ts";

/**
 * The files in `queries/` are named `<area>.<Name>.sql` after their single caller and start with a header:
 *
 * ```sql
 * -- dashboard.topPages: page views and visitors per path over a date range, k-suppressed
 * -- caller: functions/apps/query/command.ts (logsieve query top-pages), dashboard API
 * -- params: site:string, from:date, to:date, k:int, k:int
 * SELECT ...
 * ```
 *
 * `params` lists one entry per `?` placeholder, in the order they appear (Athena binds positionally), so a
 * name may repeat; every repetition must declare the same type. `name:type=default` gives a default.
 */

export const QUERY_AREAS = ["rollup", "dashboard", "security", "cli", "stats", "hold", "smoke"] as const;
export type QueryArea = (typeof QUERY_AREAS)[number];

export interface ParamSpec {
  readonly name: string;
  readonly type: SqlParamType;
  /** The default as written in the header, coerced like a user's value; undefined = required. */
  readonly defaultValue?: string;
}

export interface QueryDefinition {
  /** The file name without `.sql`, e.g. `dashboard.topPages`. */
  readonly id: string;
  readonly area: QueryArea;
  /** The part after the area, e.g. `topPages`. */
  readonly name: string;
  readonly description: string;
  readonly caller: string;
  /** One entry per placeholder, in order. */
  readonly placeholders: readonly ParamSpec[];
  /** The SELECT text without the header and without a trailing semicolon: what the wrappers embed. */
  readonly select: string;
}

export class QueryDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryDefinitionError";
  }
}

/** A parameter value a caller gave that does not fit (missing, unknown, wrong type): the caller can fix it. */
export class QueryParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryParamError";
  }
}

// A literal pattern (not one built from QUERY_AREAS) so the ReDoS check can read it; the area is checked below.
const ID_PATTERN = /^([a-z]+)\.([a-z][A-Za-z0-9]*)$/;
const isQueryArea = (area: string): area is QueryArea => (QUERY_AREAS as readonly string[]).includes(area);
const PARAM_PATTERN = /^([a-z][a-z0-9_]*):([a-z]+)(?:=(.*))?$/;

/** Parses one query file. `id` is its file name without `.sql`. */
export function parseQueryFile(id: string, text: string): QueryDefinition {
  const idMatch = ID_PATTERN.exec(id);
  if (idMatch === null || !isQueryArea(idMatch[1] as string)) {
    throw new QueryDefinitionError(
      `${id}: a query file is named <area>.<name>.sql with area ${QUERY_AREAS.join("|")}`,
    );
  }
  const area = idMatch[1] as QueryArea;
  const name = idMatch[2] as string;
  const lines = text.split("\n");
  let description: string | undefined;
  let caller: string | undefined;
  const placeholders: ParamSpec[] = [];
  let sawParams = false;
  let bodyStart = 0;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    if (!line.startsWith("--")) {
      bodyStart = index;
      break;
    }
    bodyStart = index + 1;
    const content = line.slice(2).trim();
    if (description === undefined && content.startsWith(`${id}:`)) {
      description = content.slice(id.length + 1).trim();
    } else if (content.startsWith("caller:")) {
      caller = content.slice("caller:".length).trim();
    } else if (content.startsWith("params:")) {
      sawParams = true;
      const list = content.slice("params:".length).trim();
      if (list !== "" && list !== "none") {
        for (const entry of list.split(/\s*,\s*/)) placeholders.push(parseParam(id, entry));
      }
    }
  }
  if (description === undefined)
    throw new QueryDefinitionError(`${id}: the first line must be "-- ${id}: <what it returns>"`);
  if (caller === undefined) throw new QueryDefinitionError(`${id}: missing "-- caller: <who runs it>"`);
  if (!sawParams)
    throw new QueryDefinitionError(
      `${id}: missing "-- params: ..." (write "-- params: none" if it has none)`,
    );
  const select = lines.slice(bodyStart).join("\n").trim().replace(/;\s*$/, "").trimEnd();
  if (select.includes(";")) {
    // A semicolon could only be a second statement or part of a literal; neither belongs in a query file.
    throw new QueryDefinitionError(`${id}: a query file holds exactly one statement and no ';' inside it`);
  }
  const count = placeholderCount(select);
  if (count !== placeholders.length) {
    throw new QueryDefinitionError(
      `${id}: the SQL has ${count} '?' placeholders but the params header declares ${placeholders.length}`,
    );
  }
  const seen = new Map<string, ParamSpec>();
  for (const spec of placeholders) {
    const earlier = seen.get(spec.name);
    if (earlier === undefined) {
      seen.set(spec.name, spec);
    } else if (earlier.type !== spec.type || earlier.defaultValue !== spec.defaultValue) {
      throw new QueryDefinitionError(
        `${id}: parameter ${spec.name} is declared twice with different types or defaults`,
      );
    }
  }
  return { id, area, name, description, caller, placeholders, select };
}

function parseParam(id: string, entry: string): ParamSpec {
  const match = PARAM_PATTERN.exec(entry);
  const type = match?.[2];
  if (match === null || type === undefined || !(SQL_PARAM_TYPES as readonly string[]).includes(type)) {
    throw new QueryDefinitionError(
      `${id}: parameter "${entry}" must look like name:type or name:type=default, type one of ${SQL_PARAM_TYPES.join("|")}`,
    );
  }
  const name = match[1] as string;
  const defaultValue = match[3];
  if (defaultValue !== undefined) coerceParam({ name, type: type as SqlParamType }, defaultValue);
  return defaultValue === undefined
    ? { name, type: type as SqlParamType }
    : { name, type: type as SqlParamType, defaultValue };
}

/** The distinct parameters of a query, in the order of their first placeholder. */
export function queryParameters(definition: QueryDefinition): ParamSpec[] {
  const seen = new Map<string, ParamSpec>();
  for (const spec of definition.placeholders) if (!seen.has(spec.name)) seen.set(spec.name, spec);
  return [...seen.values()];
}

const MAX_STRING_PARAM = 2048;

/** Turns one textual value (from the command line, a header default, an HTTP query string) into a bound value. */
export function coerceParam(spec: Pick<ParamSpec, "name" | "type">, raw: string): SqlParam {
  const fail = (expected: string): never => {
    throw new QueryParamError(`parameter ${spec.name} must be ${expected}`);
  };
  switch (spec.type) {
    case "date": {
      if (!isIsoDay(raw)) fail("a date written YYYY-MM-DD");
      return { type: "date", value: raw };
    }
    case "int": {
      if (!/^-?\d{1,15}$/.test(raw)) fail("an integer");
      return { type: "int", value: Number.parseInt(raw, 10) };
    }
    case "double": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value)) fail("a number");
      return { type: "double", value };
    }
    case "boolean": {
      if (raw !== "true" && raw !== "false") fail("true or false");
      return { type: "boolean", value: raw === "true" };
    }
    case "string": {
      if (raw.length > MAX_STRING_PARAM) fail(`at most ${MAX_STRING_PARAM} characters`);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
      if (/[\u0000-\u001f\u007f]/.test(raw)) fail("free of control characters");
      return { type: "string", value: raw };
    }
  }
}

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isIsoDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/**
 * The positional values for a query's placeholders from named values. Every given name must be a
 * parameter of the query; every parameter without a default must be given. Values may be textual (they
 * are coerced by the declared type) or already bound.
 */
export function bindParams(
  definition: QueryDefinition,
  values: Readonly<Record<string, string | SqlParam>>,
): SqlParam[] {
  const parameters = queryParameters(definition);
  const known = new Set(parameters.map((p) => p.name));
  const unknown = Object.keys(values).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new QueryParamError(
      `${definition.id} has no parameter ${unknown.join(", ")} (its parameters: ${describeParams(definition)})`,
    );
  }
  const missing = parameters.filter((p) => values[p.name] === undefined && p.defaultValue === undefined);
  if (missing.length > 0) {
    throw new QueryParamError(
      `${definition.id} needs ${missing.map((p) => `${p.name} (${p.type})`).join(", ")} (its parameters: ${describeParams(definition)})`,
    );
  }
  const bound = new Map<string, SqlParam>();
  for (const spec of parameters) {
    const given = values[spec.name];
    if (given === undefined) {
      bound.set(spec.name, coerceParam(spec, spec.defaultValue as string));
    } else if (typeof given === "string") {
      bound.set(spec.name, coerceParam(spec, given));
    } else {
      if (given.type !== spec.type)
        throw new QueryParamError(`parameter ${spec.name} must be bound as ${spec.type}`);
      bound.set(spec.name, coerceParam(spec, String(given.value)));
    }
  }
  return definition.placeholders.map((spec) => bound.get(spec.name) as SqlParam);
}

/** `site:string, from:date, to:date, login_paths:string=/wp-login.php|/login` */
export function describeParams(definition: QueryDefinition): string {
  const parameters = queryParameters(definition);
  if (parameters.length === 0) return "none";
  return parameters
    .map((p) =>
      p.defaultValue === undefined ? `${p.name}:${p.type}` : `${p.name}:${p.type}=${p.defaultValue}`,
    )
    .join(", ");
}
