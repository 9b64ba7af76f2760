import { isIsoDay } from "../aggregate/query-file.ts";
import { type Goal, goalsOf, isPageGoal } from "../goals.ts";
import { DAY_MS } from "../time.ts";
import { utcDay } from "../zones.ts";
import { type Formula, LEAF_SLOTS, type Leaf, type LeafDimension, PATTERNS_PER_LEAF } from "./filters.ts";
import { checkCallerPattern, literalPattern, PatternError, pageGoalPattern } from "./patterns.ts";

/**
 * A Stats API v2 request (Plausible's `POST /api/v2/query` body) read into what logsieve can answer, or refused with
 * a Plausible-style message (`#/metrics/0: Invalid metric "foo"`). Pure: today's date is given.
 *
 * What differs from Plausible is written in docs/STATS-API.md; in short: days are UTC days and visitors over a range
 * are daily uniques added up; up to three filter conditions (each up to four values); one dimension besides time;
 * dimensions and metrics logsieve does not keep (city, screen, revenue, …) are refused by name.
 */

export const METRICS = [
  "visitors",
  "visits",
  "pageviews",
  "views_per_visit",
  "bounce_rate",
  "visit_duration",
  "events",
  "conversion_rate",
] as const;
export type Metric = (typeof METRICS)[number];

/** Plausible's metrics that logsieve does not compute. */
const OTHER_METRICS = new Set([
  "percentage",
  "group_conversion_rate",
  "time_on_page",
  "scroll_depth",
  "total_revenue",
  "average_revenue",
]);

/** Metrics of visits (need stats_visits / the visits query), the rest are counted per interaction. */
export const VISIT_METRICS: ReadonlySet<Metric> = new Set([
  "visits",
  "views_per_visit",
  "bounce_rate",
  "visit_duration",
]);

/** Property dimensions logsieve keeps, by Plausible name → the filtered queries' dimension. */
export const PROPERTY_DIMENSIONS = {
  "event:page": "page",
  "event:name": "name",
  "visit:source": "source",
  "visit:referrer": "source",
  "visit:utm_source": "utm_source",
  "visit:utm_medium": "utm_medium",
  "visit:utm_campaign": "utm_campaign",
  "visit:utm_term": "utm_term",
  "visit:utm_content": "utm_content",
  "visit:country": "country",
  "visit:browser": "browser",
  "visit:os": "os",
  "visit:device": "device",
  "visit:entry_page": "entry_page",
  "visit:exit_page": "exit_page",
} as const satisfies Record<string, LeafDimension>;
export type PropertyDimension = keyof typeof PROPERTY_DIMENSIONS;

export const TIME_DIMENSIONS = ["time", "time:day", "time:week", "time:month"] as const;
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];

/** Plausible's dimensions logsieve does not keep: refused by name, not as unknown. */
const NOT_KEPT = new Set([
  "event:hostname",
  "visit:channel",
  "visit:screen",
  "visit:browser_version",
  "visit:os_version",
  "visit:region",
  "visit:city",
  "visit:country_name",
  "visit:region_name",
  "visit:city_name",
  "visit:entry_page_hostname",
  "visit:exit_page_hostname",
  "time:hour",
  "segment",
]);

export type Dimension =
  | { readonly kind: "time"; readonly name: TimeDimension; readonly grain: "day" | "week" | "month" }
  | { readonly kind: "property"; readonly name: PropertyDimension; readonly dimension: LeafDimension }
  | { readonly kind: "goal"; readonly name: "event:goal" }
  | { readonly kind: "prop"; readonly name: string; readonly key: string };

export interface OrderBy {
  readonly by: string;
  readonly direction: "asc" | "desc";
}

export interface StatsQuery {
  readonly site: string;
  readonly metrics: readonly Metric[];
  readonly from: string;
  readonly to: string;
  readonly dimensions: readonly Dimension[];
  /** The filter as leaves and a formula (core/stats/filters.ts); no leaves: no filter. */
  readonly leaves: readonly Leaf[];
  readonly formula: Formula;
  /** True when the filter tests a goal (conversion_rate then compares with the same query without it). */
  readonly goalFilter: boolean;
  readonly orderBy: readonly OrderBy[] | null;
  readonly limit: number;
  readonly offset: number;
  readonly include: { readonly timeLabels: boolean; readonly totalRows: boolean; readonly imports: boolean };
  /** What the caller sent, echoed in the response's `query` (Plausible echoes its parsed query). */
  readonly raw: {
    readonly filters: unknown[];
    readonly dimensions: string[];
    readonly include: Record<string, unknown>;
  };
}

/** A refusal: HTTP 400 with Plausible's body shape `{"error": "<message>"}`. */
export class StatsQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatsQueryError";
  }
}

export interface ParseContext {
  readonly today: string;
  readonly sites: readonly string[];
  readonly siteSettings: Parameters<typeof goalsOf>[0]["siteSettings"];
  /** The oldest day stats/ keeps (for `all`). */
  readonly oldestStatsDay: string;
}

const TOP_LEVEL = new Set([
  "site_id",
  "metrics",
  "date_range",
  "dimensions",
  "filters",
  "order_by",
  "include",
  "pagination",
]);
const MAX_LIMIT = 10_000;
const MAX_RANGE_DAYS = 800;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);
const fail = (message: string): never => {
  throw new StatsQueryError(message);
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseStatsQuery(body: unknown, context: ParseContext): StatsQuery {
  if (!isObject(body))
    fail(`#: Type mismatch. Expected Object but got ${Array.isArray(body) ? "Array" : typeof body}.`);
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL.has(key)) fail(`#/${key}: Schema does not allow additional properties.`);
  }
  for (const required of ["site_id", "metrics", "date_range"]) {
    if (input[required] === undefined) fail(`#: Required property ${required} was not present.`);
  }
  const site = input.site_id;
  if (typeof site !== "string") fail("#/site_id: Type mismatch. Expected String.");
  const metrics = parseMetrics(input.metrics);
  const { from, to } = parseDateRange(input.date_range, context);
  const rawDimensions = input.dimensions ?? [];
  const dimensions = parseDimensions(rawDimensions);
  const goals = goalsOf({ siteSettings: context.siteSettings }, site as string);
  const rawFilters = input.filters ?? [];
  const { leaves, formula, goalFilter } = parseFilters(rawFilters, goals);
  const orderBy = parseOrderBy(input.order_by, metrics, rawDimensions as string[]);
  const { limit, offset } = parsePagination(input.pagination);
  const include = parseInclude(input.include);
  checkCombination(metrics, dimensions, goalFilter, leaves.length > 0);
  return {
    site: site as string,
    metrics,
    from,
    to,
    dimensions,
    leaves,
    formula,
    goalFilter,
    orderBy,
    limit,
    offset,
    include,
    raw: {
      filters: rawFilters as unknown[],
      dimensions: rawDimensions as string[],
      include: (input.include ?? {}) as Record<string, unknown>,
    },
  };
}

function parseMetrics(value: unknown): Metric[] {
  if (!Array.isArray(value)) return fail("#/metrics: Type mismatch. Expected Array.");
  if (value.length === 0) fail("#/metrics: Expected a minimum of 1 items but got 0.");
  const seen = new Set<string>();
  return value.map((m, i) => {
    if (typeof m === "string" && OTHER_METRICS.has(m)) {
      fail(`#/metrics/${i}: logsieve does not compute ${m} (see docs/STATS-API.md)`);
    }
    if (typeof m !== "string" || !(METRICS as readonly string[]).includes(m))
      fail(`#/metrics/${i}: Invalid metric ${show(m)}`);
    if (seen.has(m as string)) fail("#/metrics: Expected items to be unique but they were not.");
    seen.add(m as string);
    return m as Metric;
  });
}

function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

function monthStart(day: string, monthsBack: number): string {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - monthsBack);
  return d.toISOString().slice(0, 10);
}

function monthEnd(day: string): string {
  return addDays(monthStart(day, -1), -1);
}

/** Plausible's shortcuts relative to today (UTC), or two ISO days; times of day are refused (logsieve keeps days). */
function parseDateRange(value: unknown, context: ParseContext): { from: string; to: string } {
  const today = context.today;
  let range: { from: string; to: string } | undefined;
  switch (value) {
    case "day":
      range = { from: today, to: today };
      break;
    case "7d":
      range = { from: addDays(today, -6), to: today };
      break;
    case "30d":
      range = { from: addDays(today, -30), to: today };
      break;
    case "month":
      range = { from: monthStart(today, 0), to: monthEnd(today) };
      break;
    case "6mo":
      range = { from: monthStart(today, 5), to: monthEnd(today) };
      break;
    case "12mo":
      range = { from: monthStart(today, 11), to: monthEnd(today) };
      break;
    case "year":
      range = { from: `${today.slice(0, 4)}-01-01`, to: `${today.slice(0, 4)}-12-31` };
      break;
    case "all":
      range = { from: context.oldestStatsDay, to: today };
      break;
    default:
      if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string")) {
        const [a, b] = value as [string, string];
        if (isIsoDay(a) && isIsoDay(b)) range = { from: a, to: b };
        else if (/T\d/.test(a) || /T\d/.test(b)) {
          fail(
            `#/date_range: logsieve answers whole UTC days: give two dates (YYYY-MM-DD), not times: ${show(value)}`,
          );
        }
      }
  }
  if (range === undefined) return fail(`#/date_range: Invalid date range ${show(value)}`);
  if (range.from > range.to)
    fail(`#/date_range: Invalid date range ${show(value)}: the first day is after the last`);
  const days =
    Math.round((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / DAY_MS) + 1;
  if (days > MAX_RANGE_DAYS) fail(`#/date_range: a range spans at most ${MAX_RANGE_DAYS} days`);
  return range;
}

function parseDimensions(value: unknown): Dimension[] {
  if (!Array.isArray(value)) return fail("#/dimensions: Type mismatch. Expected Array.");
  const dimensions = value.map((d, i): Dimension => {
    if (typeof d !== "string") return fail(`#/dimensions/${i}: Invalid dimension ${show(d)}`);
    if ((TIME_DIMENSIONS as readonly string[]).includes(d)) {
      const grain = d === "time:week" ? "week" : d === "time:month" ? "month" : "day";
      return { kind: "time", name: d as TimeDimension, grain };
    }
    if (Object.hasOwn(PROPERTY_DIMENSIONS, d)) {
      return {
        kind: "property",
        name: d as PropertyDimension,
        dimension: PROPERTY_DIMENSIONS[d as PropertyDimension],
      };
    }
    if (d === "event:goal") return { kind: "goal", name: "event:goal" };
    if (d.startsWith("event:props:") && d.length > "event:props:".length) {
      return { kind: "prop", name: d, key: d.slice("event:props:".length) };
    }
    if (NOT_KEPT.has(d))
      return fail(`#/dimensions/${i}: logsieve does not keep ${d} (see docs/STATS-API.md)`);
    return fail(`#/dimensions/${i}: Invalid dimension ${show(d)}`);
  });
  if (new Set(value).size !== value.length)
    fail("#/dimensions: Expected items to be unique but they were not.");
  if (dimensions.filter((d) => d.kind === "time").length > 1)
    fail("#/dimensions: at most one time dimension");
  if (dimensions.filter((d) => d.kind !== "time").length > 1) {
    fail("#/dimensions: logsieve breaks down by one dimension besides time (see docs/STATS-API.md)");
  }
  return dimensions;
}

// --- filters ------------------------------------------------------------------------------------------------------

const OPERATORS = new Set(["is", "is_not", "contains", "contains_not", "matches", "matches_not"]);

/** Builds leaves while the filter tree is read; identical leaves are shared. */
class LeafBook {
  readonly leaves: Leaf[] = [];
  goalFilter = false;

  add(leaf: Leaf, where: string): Formula {
    const key = JSON.stringify(leaf);
    let index = this.leaves.findIndex((l) => JSON.stringify(l) === key);
    if (index < 0) {
      if (this.leaves.length >= LEAF_SLOTS) {
        fail(
          `${where}: logsieve takes at most ${LEAF_SLOTS} filter conditions per query (each with up to ${PATTERNS_PER_LEAF} values; see docs/STATS-API.md)`,
        );
      }
      this.leaves.push(leaf);
      index = this.leaves.length - 1;
    }
    return { kind: "leaf", leaf: index };
  }
}

function parseFilters(
  value: unknown,
  goals: readonly Goal[],
): { leaves: Leaf[]; formula: Formula; goalFilter: boolean } {
  if (!Array.isArray(value)) return fail("#/filters: Type mismatch. Expected Array.");
  const book = new LeafBook();
  const parts = value.map((f, i) => parseFilterTree(f, `#/filters/${i}`, book, goals));
  const formula: Formula =
    parts.length === 0
      ? { kind: "true" }
      : parts.length === 1
        ? (parts[0] as Formula)
        : { kind: "and", of: parts };
  return { leaves: book.leaves, formula, goalFilter: book.goalFilter };
}

function parseFilterTree(value: unknown, where: string, book: LeafBook, goals: readonly Goal[]): Formula {
  if (!Array.isArray(value) || value.length < 2) return fail(`${where}: Invalid filter ${show(value)}`);
  const [operator, second] = value as [unknown, unknown];
  if (operator === "not") {
    if (value.length !== 2) fail(`${where}: Invalid filter ${show(value)}`);
    return { kind: "not", of: parseFilterTree(second, `${where}/1`, book, goals) };
  }
  if (operator === "and" || operator === "or") {
    if (value.length !== 2 || !Array.isArray(second) || second.length === 0)
      fail(`${where}: Invalid filter ${show(value)}`);
    return {
      kind: operator,
      of: (second as unknown[]).map((f, i) => parseFilterTree(f, `${where}/1/${i}`, book, goals)),
    };
  }
  if (typeof operator !== "string" || !OPERATORS.has(operator)) {
    if (operator === "has_done" || operator === "has_not_done" || operator === "matches_wildcard") {
      fail(`${where}: logsieve does not support the operator ${operator} (see docs/STATS-API.md)`);
    }
    return fail(`${where}: Invalid filter ${show(value)}`);
  }
  if (value.length < 3 || value.length > 4) return fail(`${where}: Invalid filter ${show(value)}`);
  const dimension = second;
  const clauses = value[2];
  const modifiers = value[3];
  if (!Array.isArray(clauses) || clauses.length === 0 || !clauses.every((c) => typeof c === "string")) {
    return fail(`${where}: Invalid filter ${show(value)}`);
  }
  let caseSensitive = true;
  if (modifiers !== undefined) {
    if (
      !isObject(modifiers) ||
      Object.keys(modifiers).some((k) => k !== "case_sensitive") ||
      typeof modifiers.case_sensitive !== "boolean"
    ) {
      fail(`${where}/3: Schema does not allow additional properties.`);
    }
    caseSensitive = (modifiers as { case_sensitive: boolean }).case_sensitive;
  }
  const negated = operator.endsWith("_not");
  const base = negated ? operator.slice(0, -"_not".length) : operator;
  const values = clauses as string[];
  if (values.length > PATTERNS_PER_LEAF) {
    fail(`${where}/2: logsieve takes at most ${PATTERNS_PER_LEAF} values per filter (see docs/STATS-API.md)`);
  }
  let formula: Formula;
  if (dimension === "event:goal") {
    if (base === "matches") fail(`${where}: Invalid filter ${show(value)}: event:goal takes is and contains`);
    formula = goalFormula(values, base === "contains", caseSensitive, goals, where, book);
  } else {
    if (typeof dimension !== "string" || !Object.hasOwn(PROPERTY_DIMENSIONS, dimension)) {
      if (
        typeof dimension === "string" &&
        (NOT_KEPT.has(dimension) || dimension.startsWith("event:props:"))
      ) {
        fail(`${where}/1: logsieve cannot filter by ${dimension} (see docs/STATS-API.md)`);
      }
      return fail(`${where}: Invalid filter ${show(value)}`);
    }
    if (dimension === "visit:country" && base === "is" && !values.every((v) => /^[A-Za-z]{2}$/.test(v))) {
      fail("Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.");
    }
    const patterns = values.map((v, i) => {
      if (base === "matches") {
        try {
          checkCallerPattern(v);
        } catch (error) {
          if (error instanceof PatternError) fail(`${where}/2/${i}: ${error.message}`);
          throw error;
        }
        return v;
      }
      return literalPattern(v, base === "is" ? "exact" : "contains", caseSensitive);
    });
    formula = book.add({ dimension: PROPERTY_DIMENSIONS[dimension as PropertyDimension], patterns }, where);
  }
  return negated ? { kind: "not", of: formula } : formula;
}

/** A goal filter as leaves: the event goals' names on custom events, the page goals' patterns on page views. */
function goalFormula(
  values: readonly string[],
  contains: boolean,
  caseSensitive: boolean,
  goals: readonly Goal[],
  where: string,
  book: LeafBook,
): Formula {
  const norm = (s: string) => (caseSensitive ? s : s.toLowerCase());
  const chosen: Goal[] = [];
  for (const v of values) {
    const found = goals.filter((g) => (contains ? norm(g.name).includes(norm(v)) : norm(g.name) === norm(v)));
    if (found.length === 0 && !contains)
      fail(
        `The goal \`${v}\` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals`,
      );
    for (const g of found) if (!chosen.includes(g)) chosen.push(g);
  }
  book.goalFilter = true;
  const eventPatterns = chosen
    .filter((g) => !isPageGoal(g))
    .map((g) => literalPattern((g as { event: string }).event, "exact", true));
  const pagePatterns = chosen.filter(isPageGoal).map((g) => pageGoalPattern(g.page));
  if (eventPatterns.length > PATTERNS_PER_LEAF || pagePatterns.length > PATTERNS_PER_LEAF) {
    fail(`${where}/2: this goal filter names more than ${PATTERNS_PER_LEAF} goals of one kind`);
  }
  const parts: Formula[] = [];
  if (eventPatterns.length > 0)
    parts.push(book.add({ dimension: "goal_event", patterns: eventPatterns }, where));
  if (pagePatterns.length > 0)
    parts.push(book.add({ dimension: "goal_page", patterns: pagePatterns }, where));
  // No goal matched (contains found none): a leaf that matches nothing.
  if (parts.length === 0) return { kind: "not", of: { kind: "true" } };
  return parts.length === 1 ? (parts[0] as Formula) : { kind: "or", of: parts };
}

function parseOrderBy(
  value: unknown,
  metrics: readonly Metric[],
  dimensions: readonly string[],
): OrderBy[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) return fail("#/order_by: Type mismatch. Expected Array.");
  return value.map((entry, i) => {
    if (
      !Array.isArray(entry) ||
      entry.length !== 2 ||
      typeof entry[0] !== "string" ||
      (entry[1] !== "asc" && entry[1] !== "desc")
    ) {
      return fail(`#/order_by/${i}: Invalid order_by entry ${show(entry)}`);
    }
    const by = entry[0] as string;
    if (!(metrics as readonly string[]).includes(by) && !dimensions.includes(by)) {
      fail(`Invalid order_by entry '${show(entry)}'. Entry is not a queried metric or dimension.`);
    }
    return { by, direction: entry[1] as "asc" | "desc" };
  });
}

function parsePagination(value: unknown): { limit: number; offset: number } {
  if (value === undefined) return { limit: MAX_LIMIT, offset: 0 };
  if (!isObject(value)) return fail("#/pagination: Type mismatch. Expected Object.");
  for (const key of Object.keys(value))
    if (key !== "limit" && key !== "offset")
      fail(`#/pagination/${key}: Schema does not allow additional properties.`);
  const limit = value.limit ?? MAX_LIMIT;
  const offset = value.offset ?? 0;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    fail(`#/pagination/limit: Expected an integer from 1 to ${MAX_LIMIT}.`);
  }
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0)
    fail("#/pagination/offset: Expected a non-negative integer.");
  return { limit: limit as number, offset: offset as number };
}

function parseInclude(value: unknown): StatsQuery["include"] {
  if (value === undefined) return { timeLabels: false, totalRows: false, imports: false };
  if (!isObject(value)) return fail("#/include: Type mismatch. Expected Object.");
  for (const [key, v] of Object.entries(value)) {
    if (key !== "time_labels" && key !== "total_rows" && key !== "imports")
      fail(`#/include/${key}: Schema does not allow additional properties.`);
    if (typeof v !== "boolean") fail(`#/include/${key}: Type mismatch. Expected Boolean.`);
  }
  return {
    timeLabels: value.time_labels === true,
    totalRows: value.total_rows === true,
    imports: value.imports === true,
  };
}

/** Which metrics go with which dimensions in logsieve (docs/STATS-API.md "Metrics and dimensions"). */
const VISIT_DIMENSIONS = new Set(["entry_page", "exit_page", "country", "browser", "os", "device"]);

function checkCombination(
  metrics: readonly Metric[],
  dimensions: readonly Dimension[],
  goalFilter: boolean,
  filtered: boolean,
): void {
  const property = dimensions.find((d) => d.kind !== "time");
  const visitMetrics = metrics.filter((m) => VISIT_METRICS.has(m));
  if (visitMetrics.length > 0 && property !== undefined) {
    const ok = property.kind === "property" && VISIT_DIMENSIONS.has(property.dimension);
    if (!ok) {
      fail(
        `Metric \`${visitMetrics[0]}\` cannot be queried with the dimension \`${property.name}\`: visit metrics go with no dimension, time, visit:entry_page, visit:exit_page, visit:country, visit:browser, visit:os and visit:device (see docs/STATS-API.md)`,
      );
    }
  }
  if (metrics.includes("conversion_rate") && property?.kind !== "goal" && !goalFilter) {
    fail("Metric `conversion_rate` can only be queried with event:goal filters or dimensions.");
  }
  if (metrics.includes("conversion_rate") && property !== undefined && property.kind !== "goal") {
    fail(
      "Metric `conversion_rate` goes with the event:goal dimension, or an event:goal filter and no other dimension, in logsieve (see docs/STATS-API.md)",
    );
  }
  if (property?.kind === "goal" && visitMetrics.length > 0) {
    fail(`Metric \`${visitMetrics[0]}\` cannot be queried with the dimension \`event:goal\`.`);
  }
  if (property?.kind === "prop") {
    if (filtered) fail(`logsieve answers ${property.name} without filters only (see docs/STATS-API.md)`);
    if (dimensions.some((d) => d.kind === "time"))
      fail(`logsieve answers ${property.name} without a time dimension (see docs/STATS-API.md)`);
    const other = metrics.find((m) => m !== "visitors" && m !== "events");
    if (other !== undefined)
      fail(
        `Metric \`${other}\` cannot be queried with the dimension \`${property.name}\`: it takes visitors and events.`,
      );
  }
}
