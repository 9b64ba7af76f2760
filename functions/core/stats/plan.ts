import { DAY_MS } from "../time.ts";
import { utcDay } from "../zones.ts";
import { type Formula, filterParams, type Leaf, NO_FILTER } from "./filters.ts";
import { NEVER_PATTERN } from "./patterns.ts";
import { type Metric, type StatsQuery, StatsQueryError, VISIT_METRICS } from "./query.ts";

/**
 * How a Stats API query is answered, and its answer in Plausible's shape. Pure: the queries are run by the caller's
 * runner (DuckDB locally, Athena on AWS), by query file id and named parameters — k is bound by the runner from the
 * configuration, never here.
 *
 * Two paths (docs/STATS-API.md, docs/PRIVACY.md "Filtered queries"):
 * - **stats/**: without filters, when the rollups hold the metrics for the dimension (top pages, sources, countries,
 *   browsers, systems, devices, entry and exit pages, goals, properties, the totals per day): the `dashboard.*`
 *   files, whose (other) rows are returned as the value `(other)`, so a breakdown adds up to its total.
 * - **events/**: with filters, or for what the rollups do not hold (campaign parts, event names, visit metrics per
 *   country, the events metric): `stats.events`, `stats.visits`, `stats.goals`, whose day cells are checked against
 *   the filter's relaxations; cells that fail are left out (no (other) row). Only within `retention.eventsDays`.
 */

export type StatsRow = Readonly<Record<string, string | number | boolean | null>>;

export interface StatsRunner {
  run(queryId: string, params: Readonly<Record<string, string>>): Promise<readonly StatsRow[]>;
}

export interface PlanContext {
  readonly today: string;
  /** The oldest day events/ still holds (today − retention.eventsDays + 1). */
  readonly oldestEventsDay: string;
}

export interface StatsResult {
  readonly results: readonly {
    readonly metrics: readonly (number | null)[];
    readonly dimensions: readonly string[];
  }[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
}

/** One answer row before it is shaped: its bucket (time dimension) and label (the other dimension). */
interface Row {
  bucket: string;
  label: string;
  counts: Record<string, number>;
}

const TOTAL = "(all)";

// --- the stats/ path ----------------------------------------------------------------------------------------------

/** Which dashboard query answers a dimension from stats/, its label column and the metrics it holds. */
const STATS_BREAKDOWNS: Readonly<
  Record<string, { query: string; column: string; metrics: readonly Metric[] }>
> = {
  page: { query: "dashboard.topPages", column: "path", metrics: ["visitors", "pageviews"] },
  source: { query: "dashboard.topReferrers", column: "referrer_host", metrics: ["visitors", "pageviews"] },
  country: { query: "dashboard.countries", column: "country", metrics: ["visitors", "pageviews"] },
  browser: { query: "dashboard.browsers", column: "browser", metrics: ["visitors", "pageviews"] },
  os: { query: "dashboard.operatingSystems", column: "os", metrics: ["visitors", "pageviews"] },
  device: { query: "dashboard.devices", column: "device", metrics: ["visitors", "pageviews"] },
  entry_page: {
    query: "dashboard.entryPages",
    column: "entry_page",
    metrics: ["visits", "visitors", "bounce_rate", "visit_duration"],
  },
  exit_page: { query: "dashboard.exitPages", column: "exit_page", metrics: ["visits", "visitors"] },
};
const STATS_TOTALS: readonly Metric[] = [
  "visitors",
  "pageviews",
  "visits",
  "bounce_rate",
  "visit_duration",
  "views_per_visit",
];

function time(query: StatsQuery) {
  return query.dimensions.find((d) => d.kind === "time");
}
function property(query: StatsQuery) {
  return query.dimensions.find((d) => d.kind !== "time");
}

/** True when stats/ alone answers the query. */
export function answeredFromStats(query: StatsQuery): boolean {
  if (query.leaves.length > 0 || query.goalFilter) return false;
  const p = property(query);
  if (p === undefined) return query.metrics.every((m) => STATS_TOTALS.includes(m));
  if (time(query) !== undefined) return false;
  if (p.kind === "goal")
    return query.metrics.every((m) => m === "visitors" || m === "events" || m === "conversion_rate");
  if (p.kind === "prop") return true;
  const breakdown = STATS_BREAKDOWNS[p.dimension];
  return breakdown !== undefined && query.metrics.every((m) => breakdown.metrics.includes(m));
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0)) || 0;

function bucketOf(day: string, grain: "day" | "week" | "month"): string {
  if (grain === "day") return day;
  if (grain === "month") return `${day.slice(0, 7)}-01`;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return utcDay(ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS);
}

async function fromStats(query: StatsQuery, runner: StatsRunner): Promise<Row[]> {
  const base = { site: query.site, from: query.from, to: query.to };
  const p = property(query);
  if (p === undefined) {
    // Totals per day (visitors, page views) and visits per day; days under k are the (other) row of each.
    const wantsVisits = query.metrics.some((m) => VISIT_METRICS.has(m));
    const wantsEvents = query.metrics.some((m) => !VISIT_METRICS.has(m));
    const days = new Map<string, Record<string, number>>();
    const add = (day: string, counts: Record<string, number>) => {
      const entry = days.get(day) ?? {};
      for (const [c, v] of Object.entries(counts)) entry[c] = (entry[c] ?? 0) + v;
      days.set(day, entry);
    };
    if (wantsEvents) {
      for (const r of await runner.run("dashboard.timeseries", base)) {
        add(String(r.day), { visitors: num(r.visitors), pageviews: num(r.pageviews) });
      }
    }
    if (wantsVisits) {
      for (const r of await runner.run("dashboard.visits", base)) {
        add(String(r.day), {
          visits: num(r.visits),
          visit_visitors: num(r.visitors),
          bounces: num(r.bounces),
          visit_duration: num(r.visit_duration),
          visit_pageviews: num(r.visit_pageviews),
        });
      }
    }
    const t = time(query);
    const rows = new Map<string, Row>();
    for (const [day, counts] of days) {
      // A day folded under k counts in the total, never in a time bucket (it would point at that day).
      if (t !== undefined && t.kind === "time" && day === "(other)") continue;
      const bucket = t !== undefined && t.kind === "time" ? bucketOf(day, t.grain) : TOTAL;
      const row = rows.get(bucket) ?? { bucket, label: TOTAL, counts: {} };
      for (const [c, v] of Object.entries(counts)) row.counts[c] = (row.counts[c] ?? 0) + v;
      rows.set(bucket, row);
    }
    if (t === undefined && rows.size === 0) rows.set(TOTAL, { bucket: TOTAL, label: TOTAL, counts: {} });
    return [...rows.values()];
  }
  if (p.kind === "goal") {
    const rows: Row[] = (await runner.run("dashboard.goals", base)).map((r) => ({
      bucket: TOTAL,
      label: String(r.goal),
      counts: { visitors: num(r.visitors), events: num(r.events) },
    }));
    if (query.metrics.includes("conversion_rate")) {
      const total = (await runner.run("dashboard.timeseries", base)).reduce((s, r) => s + num(r.visitors), 0);
      for (const row of rows) row.counts.total_visitors = total;
    }
    return rows;
  }
  if (p.kind === "prop") {
    // Per value of the property, over every event name that carries it.
    const sums = new Map<string, Row>();
    for (const r of await runner.run("dashboard.props", base)) {
      const folded = r.prop_key === "(other)";
      if (!folded && r.prop_key !== p.key) continue;
      const label = folded ? "(other)" : String(r.prop_value);
      const row = sums.get(label) ?? { bucket: TOTAL, label, counts: { visitors: 0, events: 0 } };
      row.counts.visitors = (row.counts.visitors ?? 0) + num(r.visitors);
      row.counts.events = (row.counts.events ?? 0) + num(r.events);
      sums.set(label, row);
    }
    return [...sums.values()];
  }
  if (p.kind !== "property") throw new Error("unreachable");
  const breakdown = STATS_BREAKDOWNS[p.dimension];
  if (breakdown === undefined) throw new Error(`no stats/ breakdown for ${p.dimension}`);
  return (await runner.run(breakdown.query, base)).map((r) => ({
    bucket: TOTAL,
    label: String(r[breakdown.column]),
    counts: Object.fromEntries(
      ["visitors", "pageviews", "visits", "bounces", "visit_duration"]
        .filter((c) => r[c] !== undefined)
        .map((c) => [c, num(r[c])]),
    ),
  }));
}

// --- the events/ path ---------------------------------------------------------------------------------------------

/** The filter without its goal conditions (what conversion_rate compares with). */
function withoutGoals(formula: Formula, leaves: readonly Leaf[]): Formula {
  switch (formula.kind) {
    case "leaf": {
      const d = leaves[formula.leaf]?.dimension;
      return d === "goal_event" || d === "goal_page" ? NO_FILTER : formula;
    }
    case "not":
      return { kind: "not", of: withoutGoals(formula.of, leaves) };
    case "and":
    case "or":
      return { kind: formula.kind, of: formula.of.map((f) => withoutGoals(f, leaves)) };
    case "true":
      return formula;
  }
}

async function fromEvents(query: StatsQuery, runner: StatsRunner, context: PlanContext): Promise<Row[]> {
  if (query.from < context.oldestEventsDay) {
    throw new StatsQueryError(
      `This query needs the event records (it has filters, or a dimension and metrics the daily statistics do not hold), which are kept from ${context.oldestEventsDay} on: choose a date_range that starts then or later (see docs/STATS-API.md)`,
    );
  }
  const t = time(query);
  const p = property(query);
  const grain = t?.kind === "time" ? t.grain : "all";
  const base = (formula: Formula, dimension: string, scope: "pageviews" | "interactions") => ({
    site: query.site,
    from: query.from,
    to: query.to,
    dimension,
    grain,
    scope,
    ...filterParams(query.leaves, formula, NEVER_PATTERN),
  });
  const key = (r: StatsRow, label: string) => `${String(r.bucket)}\u0000${label}`;
  if (p?.kind === "goal") {
    const rows = (await runner.run("stats.goals", base(query.formula, "none", "interactions"))).map(
      (r): Row => ({
        bucket: String(r.bucket),
        label: String(r.goal),
        counts: { visitors: num(r.visitors), events: num(r.events) },
      }),
    );
    if (query.metrics.includes("conversion_rate")) {
      const totals = await runner.run("stats.events", base(query.formula, "none", "pageviews"));
      const byBucket = new Map(totals.map((r) => [String(r.bucket), num(r.visitors)]));
      for (const row of rows) row.counts.total_visitors = byBucket.get(row.bucket) ?? 0;
    }
    return rows;
  }
  const dimension = p?.kind === "property" ? p.dimension : "none";
  const interactions =
    query.metrics.includes("events") ||
    dimension === "name" ||
    query.leaves.some((l) => l.dimension === "goal_event" || l.dimension === "name");
  const wantsVisits = query.metrics.some((m) => VISIT_METRICS.has(m));
  const wantsEvents = query.metrics.some((m) => !VISIT_METRICS.has(m));
  const rows = new Map<string, Row>();
  const counted = new Map<string, number>();
  const merge = (k: string, bucket: string, label: string, counts: Record<string, number>) => {
    const row = rows.get(k) ?? { bucket, label, counts: {} };
    Object.assign(row.counts, counts);
    rows.set(k, row);
    counted.set(k, (counted.get(k) ?? 0) + 1);
  };
  let parts = 0;
  if (wantsEvents) {
    parts++;
    for (const r of await runner.run(
      "stats.events",
      base(query.formula, dimension, interactions ? "interactions" : "pageviews"),
    )) {
      merge(key(r, String(r.label)), String(r.bucket), String(r.label), {
        visitors: num(r.visitors),
        pageviews: num(r.pageviews),
        events: num(r.events),
      });
    }
  }
  if (wantsVisits) {
    parts++;
    for (const r of await runner.run("stats.visits", base(query.formula, dimension, "interactions"))) {
      merge(key(r, String(r.label)), String(r.bucket), String(r.label), {
        visits: num(r.visits),
        visit_visitors: num(r.visitors),
        bounces: num(r.bounces),
        visit_duration: num(r.visit_duration),
        visit_pageviews: num(r.visit_pageviews),
      });
    }
  }
  if (query.metrics.includes("conversion_rate")) {
    const baseline = await runner.run(
      "stats.events",
      base(withoutGoals(query.formula, query.leaves), dimension, "pageviews"),
    );
    const byKey = new Map(baseline.map((r) => [key(r, String(r.label)), num(r.visitors)]));
    for (const [k, row] of rows) row.counts.total_visitors = byKey.get(k) ?? 0;
  }
  // A row shown by one query and left out by the other (its cells judged apart) is left out: nothing half-shown.
  return [...rows.entries()].filter(([k]) => counted.get(k) === parts).map(([, row]) => row);
}

// --- the answer ---------------------------------------------------------------------------------------------------

function metricValue(metric: Metric, c: Record<string, number>): number | null {
  const visits = c.visits ?? 0;
  switch (metric) {
    case "visitors":
      return c.visitors ?? c.visit_visitors ?? 0;
    case "pageviews":
      return c.pageviews ?? 0;
    case "events":
      return c.events ?? 0;
    case "visits":
      return visits;
    case "bounce_rate":
      return visits === 0 ? 0 : Math.round(((c.bounces ?? 0) / visits) * 100);
    case "visit_duration":
      return visits === 0 ? 0 : Math.round((c.visit_duration ?? 0) / visits);
    case "views_per_visit":
      return visits === 0 ? 0 : Math.round(((c.visit_pageviews ?? 0) / visits) * 100) / 100;
    case "conversion_rate": {
      const total = c.total_visitors ?? 0;
      return total === 0 ? 0 : Math.round(((c.visitors ?? 0) / total) * 10_000) / 100;
    }
  }
}

function timeLabels(query: StatsQuery): string[] {
  const t = time(query);
  if (t === undefined || t.kind !== "time") return [];
  const labels: string[] = [];
  for (let day = query.from; day <= query.to; day = utcDay(Date.parse(`${day}T00:00:00Z`) + DAY_MS)) {
    const bucket = bucketOf(day, t.grain);
    if (labels[labels.length - 1] !== bucket) labels.push(bucket);
  }
  return labels;
}

export async function answerStatsQuery(
  query: StatsQuery,
  runner: StatsRunner,
  context: PlanContext,
): Promise<StatsResult> {
  const fromStatsPath = answeredFromStats(query);
  let rows = fromStatsPath ? await fromStats(query, runner) : await fromEvents(query, runner, context);
  const t = time(query);
  const p = property(query);
  const dimensionValues = (row: Row): string[] =>
    query.dimensions.map((d) => (d.kind === "time" ? row.bucket : row.label));
  let results = rows.map((row) => ({
    metrics: query.metrics.map((m) => metricValue(m, row.counts)),
    dimensions: dimensionValues(row),
  }));
  // Order: as asked; else time ascending, then the first metric descending (Plausible's default).
  const order = query.orderBy ?? [
    ...(t !== undefined ? [{ by: t.name, direction: "asc" as const }] : []),
    ...(p !== undefined ? [{ by: query.metrics[0] as string, direction: "desc" as const }] : []),
  ];
  const position = (by: string): { metric: number } | { dimension: number } => {
    const metric = query.metrics.indexOf(by as Metric);
    if (metric >= 0) return { metric };
    return { dimension: query.raw.dimensions.indexOf(by) };
  };
  const folded = (r: { dimensions: readonly string[] }) => (r.dimensions.includes("(other)") ? 1 : 0);
  results = [...results].sort((a, b) => {
    // The (other) row of stats/ (what k folded) comes last, whatever the order: it is no value of the dimension.
    if (folded(a) !== folded(b)) return folded(a) - folded(b);
    for (const o of order) {
      const at = position(o.by);
      const x = "metric" in at ? (a.metrics[at.metric] ?? 0) : (a.dimensions[at.dimension] ?? "");
      const y = "metric" in at ? (b.metrics[at.metric] ?? 0) : (b.dimensions[at.dimension] ?? "");
      const cmp = x < y ? -1 : x > y ? 1 : 0;
      if (cmp !== 0) return o.direction === "asc" ? cmp : -cmp;
    }
    // Stable and deterministic: by the dimension values.
    const ax = a.dimensions.join("\u0000");
    const bx = b.dimensions.join("\u0000");
    return ax < bx ? -1 : ax > bx ? 1 : 0;
  });
  // Without dimensions there is one row, also when nothing was shown (all zero), as Plausible answers.
  if (query.dimensions.length === 0 && results.length === 0) {
    results = [{ metrics: query.metrics.map((m) => metricValue(m, {})), dimensions: [] }];
  }
  rows = [];
  const total = results.length;
  const page = results.slice(query.offset, query.offset + query.limit);
  const meta: Record<string, unknown> = {};
  if (query.include.timeLabels) meta.time_labels = timeLabels(query);
  if (query.include.totalRows) meta.total_rows = total;
  if (query.include.imports) meta.imports_included = false;
  return {
    results: page,
    meta,
    query: {
      site_id: query.site,
      metrics: query.metrics,
      date_range: [`${query.from}T00:00:00+00:00`, `${query.to}T23:59:59+00:00`],
      filters: query.raw.filters,
      dimensions: query.raw.dimensions,
      order_by: order.map((o) => [o.by, o.direction]),
      include: query.raw.include,
      pagination: { limit: query.limit, offset: query.offset },
    },
  };
}
