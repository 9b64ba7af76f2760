import { pageMatches } from "../../../functions/core/goals.ts";
import type { Event, SecurityRecord } from "./fixture-lake.ts";

/**
 * A second implementation of every query, in plain TypeScript over the same rows the fixture lake holds.
 * It is written from the definitions in docs/QUERIES.md, not from the SQL, so the tests compare two
 * independent readings of the same rules.
 */

type Row = Record<string, string | number | boolean | null>;

const dayOf = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const iso = (ts: number): string => new Date(ts).toISOString();

export function isPageview(e: Event): boolean {
  if (e.is_bot) return false;
  if (e.source === "collector") return e.event_name === "pageview";
  const okStatus = e.status !== null && ((e.status >= 200 && e.status <= 299) || e.status === 304);
  return (e.method === "GET" || e.method === "HEAD") && okStatus && !e.is_asset;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}

const distinctVisitors = (events: readonly Event[]): number =>
  new Set(events.filter((e) => e.visitor_id !== null).map((e) => String(e.visitor_id))).size;

const distinctPrefixes = (events: readonly Event[]): number =>
  new Set(events.filter((e) => e.ip_prefix !== null).map((e) => e.ip_prefix)).size;

/** The rollups' k rule, read from docs/PRIVACY.md: at least k visitor ids and at least k network prefixes. */
const describesK = (events: readonly Event[], k: number): boolean =>
  distinctVisitors(events) >= k && distinctPrefixes(events) >= k;

/**
 * Folds every group under k into one "(other)" group per site (all label columns "(other)"), summing the given
 * count columns. Groups are the raw events of each row, so the rule is judged on people, not on counts.
 */
function foldUnderK(
  groups: readonly {
    site: string;
    labels: Record<string, string>;
    events: readonly Event[];
    counts: Record<string, number>;
  }[],
  k: number,
): Row[] {
  const out = new Map<
    string,
    { site: string; labels: Record<string, string>; counts: Record<string, number>; folded: boolean }
  >();
  for (const g of groups) {
    const kept = describesK(g.events, k);
    const labels = kept ? g.labels : Object.fromEntries(Object.keys(g.labels).map((c) => [c, "(other)"]));
    const key = `${g.site}\u0000${kept ? "0" : "1"}\u0000${Object.values(labels).join("\u0000")}`;
    const entry = out.get(key) ?? { site: g.site, labels, counts: {}, folded: !kept };
    for (const [c, n] of Object.entries(g.counts)) entry.counts[c] = (entry.counts[c] ?? 0) + n;
    out.set(key, entry);
  }
  return [...out.values()]
    .sort(
      (a, b) =>
        cmp(a.site, b.site) ||
        Number(a.folded) - Number(b.folded) ||
        cmp(Object.values(a.labels).join("\u0000"), Object.values(b.labels).join("\u0000")),
    )
    .map((e) => ({ site: e.site, ...e.labels, ...e.counts }));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function totalsOf(site: string, list: readonly Event[]): Row {
  const logs = list.filter((e) => e.source === "log");
  const inClass = (lo: number) =>
    logs.filter((e) => e.status !== null && e.status >= lo && e.status < lo + 100).length;
  return {
    site,
    hits: logs.length,
    bandwidth: logs.reduce((s, e) => s + e.bytes, 0),
    status_2xx: inClass(200),
    status_3xx: inClass(300),
    status_4xx: inClass(400),
    status_5xx: inClass(500),
    status_other: logs.filter((e) => e.status === null || e.status < 200 || e.status >= 600).length,
    pageviews: list.filter(isPageview).length,
    visitors: distinctVisitors(list.filter((e) => !e.is_bot)),
    unique_clients: distinctVisitors(
      logs.filter((e) => e.status === null || e.status < 400 || e.status >= 500),
    ),
    bot_hits: logs.filter((e) => e.is_bot).length,
  };
}

/**
 * The day's totals per site; a site whose day has fewer than k people (non-bot ids) or k of their prefixes, or between
 * 1 and k-1 unique clients, is summed into "(other)".
 */
export function totals(events: readonly Event[], day: string, k: number): Row[] {
  const ofDay = events.filter((e) => dayOf(e.ts) === day);
  const rows: Row[] = [];
  const quiet: Row[] = [];
  for (const [site, list] of [...groupBy(ofDay, (e) => e.site)].sort(([x], [y]) => cmp(x, y))) {
    // People only: bots cannot lift a quiet day over k; unique_clients (crawlers included) none or at least k.
    const row = totalsOf(site, list);
    const clients = Number(row.unique_clients);
    const kept =
      describesK(
        list.filter((e) => !e.is_bot),
        k,
      ) &&
      (clients === 0 || clients >= k);
    (kept ? rows : quiet).push(row);
  }
  if (quiet.length > 0) {
    const other: Row = { site: "(other)" };
    for (const row of quiet) {
      for (const [c, v] of Object.entries(row))
        if (c !== "site") other[c] = Number(other[c] ?? 0) + Number(v);
    }
    rows.push(other);
  }
  return rows;
}

export const DIMENSIONS = {
  pages: { column: "path", of: (e: Event) => e.path },
  referrers: { column: "referrer_host", of: (e: Event) => e.referrer_host ?? "(direct)" },
  countries: { column: "country", of: (e: Event) => e.country ?? "(unknown)" },
  browsers: { column: "browser", of: (e: Event) => e.browser ?? "(unknown)" },
  os: { column: "os", of: (e: Event) => e.os ?? "(unknown)" },
  devices: { column: "device", of: (e: Event) => e.device },
} as const;
export type Dimension = keyof typeof DIMENSIONS;

/** Groups events by site and label columns; counts per group are computed by `count`. */
function grouped(
  events: readonly Event[],
  labelsOf: (e: Event) => Record<string, string>,
  count: (list: readonly Event[]) => Record<string, number>,
) {
  return [...groupBy(events, (e) => `${e.site}\u0000${Object.values(labelsOf(e)).join("\u0000")}`)].map(
    ([, list]) => {
      const first = list[0] as Event;
      return { site: first.site, labels: labelsOf(first), events: list, counts: count(list) };
    },
  );
}

const people = (list: readonly Event[]) => ({ pageviews: list.length, visitors: distinctVisitors(list) });
const requests = (list: readonly Event[]) => ({
  hits: list.length,
  bandwidth: list.reduce((s, e) => s + e.bytes, 0),
});

function dimensionGroups(events: readonly Event[], day: string, name: Dimension) {
  const { column, of } = DIMENSIONS[name];
  const views = events.filter((e) => dayOf(e.ts) === day && isPageview(e));
  return grouped(views, (e) => ({ [column]: of(e) }), people);
}

export function dimension(events: readonly Event[], day: string, name: Dimension, k: number): Row[] {
  return foldUnderK(dimensionGroups(events, day, name), k);
}

export function campaigns(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(campaignGroups(events, day), k);
}

function campaignGroups(events: readonly Event[], day: string) {
  const views = events.filter(
    (e) =>
      dayOf(e.ts) === day &&
      isPageview(e) &&
      (e.utm_source !== null || e.utm_medium !== null || e.utm_campaign !== null),
  );
  const label = (v: string | null) => v ?? "(none)";
  return grouped(
    views,
    (e) => ({
      utm_source: label(e.utm_source),
      utm_medium: label(e.utm_medium),
      utm_campaign: label(e.utm_campaign),
    }),
    people,
  );
}

function statusGroups(events: readonly Event[], day: string) {
  const logs = events.filter((e) => dayOf(e.ts) === day && e.source === "log");
  const classOf = (s: number | null): string =>
    s !== null && s >= 100 && s < 600 ? `${Math.floor(s / 100)}xx` : "other";
  return grouped(logs, (e) => ({ status_class: classOf(e.status) }), requests);
}

export function statusClasses(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(statusGroups(events, day), k);
}

function botGroups(events: readonly Event[], day: string) {
  const botEvents = events.filter((e) => dayOf(e.ts) === day && e.is_bot);
  return grouped(botEvents, (e) => ({ bot_name: e.bot_name ?? "(unnamed)" }), requests);
}

export function bots(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(botGroups(events, day), k);
}

// ---- visits (docs/QUERIES.md "Visits") ----

const THIRTY_MINUTES = 30 * 60 * 1000;

/** What a visit is made of: page views and custom events (not Plausible's 'engagement'), by humans with an id. */
function isInteraction(e: Event): boolean {
  if (e.is_bot || e.visitor_id === null) return false;
  if (e.source === "collector") return e.event_name !== "engagement";
  return isPageview(e);
}

export interface Visit {
  readonly site: string;
  /** A stand-in event carrying the visit's visitor id and prefix (what the k rule judges). */
  readonly who: Event;
  readonly pageviews: number;
  readonly interactions: number;
  readonly duration: number;
  readonly entry: string | null;
  readonly exit: string | null;
}

/**
 * The day's visits: per site and visitor id, interactions in time order (ties: page views first, then path, then
 * event name), cut where the next one comes more than 30 minutes after the previous.
 */
export function visitsOf(events: readonly Event[], day: string): Visit[] {
  const visits: Visit[] = [];
  const ofDay = events.filter((e) => dayOf(e.ts) === day && isInteraction(e));
  for (const [, list] of groupBy(ofDay, (e) => `${e.site}\u0000${String(e.visitor_id)}`)) {
    const pv = (e: Event) => (isPageview(e) ? 1 : 0);
    const sorted = [...list].sort(
      (a, b) => a.ts - b.ts || pv(b) - pv(a) || cmp(a.path, b.path) || cmp(a.event_name, b.event_name),
    );
    let current: Event[] = [];
    const close = () => {
      if (current.length === 0) return;
      const views = current.filter(isPageview);
      const byTimeThenPath = [...views].sort((a, b) => a.ts - b.ts || cmp(a.path, b.path));
      const first = current[0] as Event;
      const last = current[current.length - 1] as Event;
      visits.push({
        site: first.site,
        who: first,
        pageviews: views.length,
        interactions: current.length,
        duration: Math.round((last.ts - first.ts) / 1000),
        entry: byTimeThenPath[0]?.path ?? null,
        exit: byTimeThenPath[byTimeThenPath.length - 1]?.path ?? null,
      });
      current = [];
    };
    for (const e of sorted) {
      const previous = current[current.length - 1];
      if (previous !== undefined && e.ts > previous.ts + THIRTY_MINUTES) close();
      current.push(e);
    }
    close();
  }
  return visits;
}

const isBounce = (v: Visit) => v.pageviews === 1 && v.interactions === 1;

/** rollup.visits: per site, with the totals' k rule (a quiet site's day into the (other) site). */
export function visits(events: readonly Event[], day: string, k: number): Row[] {
  const bySite = groupBy(visitsOf(events, day), (v) => v.site);
  const rows: Row[] = [];
  const quiet: Row[] = [];
  for (const [site, list] of [...bySite].sort(([x], [y]) => cmp(x, y))) {
    const row = {
      site,
      visitors: distinctVisitors(list.map((v) => v.who)),
      visits: list.length,
      bounces: list.filter(isBounce).length,
      visit_duration: list.reduce((s, v) => s + v.duration, 0),
      visit_pageviews: list.reduce((s, v) => s + v.pageviews, 0),
    };
    (describesK(
      list.map((v) => v.who),
      k,
    )
      ? rows
      : quiet
    ).push(row);
  }
  if (quiet.length > 0) {
    const other: Row = { site: "(other)" };
    for (const row of quiet) {
      for (const [c, v] of Object.entries(row))
        if (c !== "site") other[c] = Number(other[c] ?? 0) + Number(v);
    }
    rows.push(other);
  }
  return rows;
}

function visitGroups(
  list: readonly Visit[],
  column: string,
  labelOf: (v: Visit) => string | null,
  withBounces: boolean,
) {
  const labelled = list.filter((v) => labelOf(v) !== null);
  return [...groupBy(labelled, (v) => `${v.site}\u0000${labelOf(v)}`)].map(([, group]) => {
    const first = group[0] as Visit;
    const counts: Record<string, number> = {
      visits: group.length,
      visitors: distinctVisitors(group.map((v) => v.who)),
    };
    if (withBounces) {
      counts.bounces = group.filter(isBounce).length;
      counts.visit_duration = group.reduce((s, v) => s + v.duration, 0);
    }
    return {
      site: first.site,
      labels: { [column]: labelOf(first) as string },
      events: group.map((v) => v.who),
      counts,
    };
  });
}

/** rollup.entries: visits per entry page (the first page view), with visitors, bounces and duration. */
export function entries(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(entryGroups(events, day), k);
}

const entryGroups = (events: readonly Event[], day: string) =>
  visitGroups(visitsOf(events, day), "entry_page", (v) => v.entry, true);
const exitGroups = (events: readonly Event[], day: string) =>
  visitGroups(visitsOf(events, day), "exit_page", (v) => v.exit, false);

/** rollup.exits: visits per exit page (the last page view). */
export function exits(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(exitGroups(events, day), k);
}

// ---- goals and properties ----

export type GoalConfig = Readonly<
  Record<
    string,
    readonly (
      | { readonly name: string; readonly event: string }
      | { readonly name: string; readonly page: string }
    )[]
  >
>;

/** rollup.goals: per configured goal, the matching events (page views for a page goal) and their visitors. */
export function goals(events: readonly Event[], day: string, config: GoalConfig, k: number): Row[] {
  return foldUnderK(goalGroups(events, day, config), k);
}

function goalGroups(events: readonly Event[], day: string, config: GoalConfig) {
  const ofDay = events.filter((e) => dayOf(e.ts) === day && !e.is_bot);
  const groups = Object.entries(config).flatMap(([site, list]) =>
    list.map((g) => {
      const matching = ofDay.filter(
        (e) =>
          e.site === site &&
          ("event" in g
            ? e.source === "collector" && e.event_name === g.event
            : isPageview(e) && pageMatches(g.page, e.path)),
      );
      return {
        site,
        labels: { goal: g.name },
        events: matching,
        counts: { events: matching.length, visitors: distinctVisitors(matching) },
      };
    }),
  );
  return groups.filter((g) => g.events.length > 0);
}

/** rollup.props: per event name, property and value, the events carrying it and their visitors. */
export function props(events: readonly Event[], day: string, k: number): Row[] {
  return foldUnderK(propGroups(events, day), k);
}

function propGroups(events: readonly Event[], day: string) {
  const items: { e: Event; key: string; value: string }[] = [];
  for (const e of events) {
    if (dayOf(e.ts) !== day || e.is_bot) continue;
    for (const slot of [1, 2, 3, 4] as const) {
      const key = e[`prop_key_${slot}`];
      if (key !== null) items.push({ e, key, value: e[`prop_value_${slot}`] ?? "(none)" });
    }
  }
  const groups = [
    ...groupBy(items, (i) => `${i.e.site}\u0000${i.e.event_name}\u0000${i.key}\u0000${i.value}`),
  ].map(([, list]) => {
    const first = list[0] as (typeof items)[number];
    const of = list.map((i) => i.e);
    return {
      site: first.e.site,
      labels: { event_name: first.e.event_name, prop_key: first.key, prop_value: first.value },
      events: of,
      counts: { events: of.length, visitors: distinctVisitors(of) },
    };
  });
  return groups;
}

/** The people a stored row describes: its site, its label columns, and the events (or visits' stand-ins) behind it. */
export interface RollupGroup {
  readonly site: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly events: readonly Event[];
}

/**
 * Every group a rollup forms on a day before k is applied, with the events behind each: what the k rule must judge.
 * totals and visits form one group per site (totals: its people, the non-bot events); the others one per site and
 * label. An unknown rollup throws: a new rollup must say here whom its rows describe before its rows can be judged.
 */
export function rollupGroups(
  events: readonly Event[],
  day: string,
  name: string,
  goalConfig: GoalConfig = {},
): RollupGroup[] {
  const perSite = (list: readonly Event[]) =>
    [...groupBy(list, (e) => e.site)].map(([site, of]) => ({ site, labels: {}, events: of }));
  switch (name) {
    case "totals":
      return perSite(events.filter((e) => dayOf(e.ts) === day && !e.is_bot));
    case "visits":
      return perSite(visitsOf(events, day).map((v) => v.who));
    case "entries":
      return entryGroups(events, day);
    case "exits":
      return exitGroups(events, day);
    case "goals":
      return goalGroups(events, day, goalConfig);
    case "props":
      return propGroups(events, day);
    case "campaigns":
      return campaignGroups(events, day);
    case "status":
      return statusGroups(events, day);
    case "bots":
      return botGroups(events, day);
    default:
      if (Object.hasOwn(DIMENSIONS, name)) return dimensionGroups(events, day, name as Dimension);
      throw new Error(
        `rollup ${name}: the reference does not know whom its rows describe (add it to rollupGroups)`,
      );
  }
}

/** Distinct visitor ids and network prefixes among a group's events (the two counts k is judged on). */
export function peopleOf(group: RollupGroup): { readonly ids: number; readonly prefixes: number } {
  return { ids: distinctVisitors(group.events), prefixes: distinctPrefixes(group.events) };
}

/** A rollup's rows for a day, by rollup name, with the rollups' k rule applied. */
export function rollup(
  events: readonly Event[],
  day: string,
  name: string,
  k: number,
  goalConfig: GoalConfig = {},
): Row[] {
  if (name === "totals") return totals(events, day, k);
  if (name === "visits") return visits(events, day, k);
  if (name === "entries") return entries(events, day, k);
  if (name === "exits") return exits(events, day, k);
  if (name === "goals") return goals(events, day, goalConfig, k);
  if (name === "props") return props(events, day, k);
  if (name === "campaigns") return campaigns(events, day, k);
  if (name === "status") return statusClasses(events, day, k);
  if (name === "bots") return bots(events, day, k);
  return dimension(events, day, name as Dimension, k);
}

/**
 * A dashboard answer from daily rollup rows: sum per label over the days, keep labels with at least k visitors
 * (or, with no visitor at all, at least k page views) that stats/ did not fold already, fold the rest into one
 * "(other)" row; order: kept rows by visitors, page views (descending) and
 * label, then the (other) row.
 */
export function dashboard(rows: readonly Row[], labelColumns: readonly string[], k: number): Row[] {
  const sums = new Map<string, { labels: string[]; pageviews: number; visitors: number }>();
  for (const row of rows) {
    const labels = labelColumns.map((c) => String(row[c]));
    const key = labels.join("\u0000");
    const entry = sums.get(key) ?? { labels, pageviews: 0, visitors: 0 };
    entry.pageviews += Number(row.pageviews);
    entry.visitors += Number(row.visitors);
    sums.set(key, entry);
  }
  // A row that stats/ already folded (every label "(other)") stays folded.
  const shown = (e: { labels: string[]; visitors: number; pageviews: number }) =>
    !e.labels.every((l) => l === "(other)") && (e.visitors >= k || (e.visitors === 0 && e.pageviews >= k));
  const kept = [...sums.values()].filter(shown);
  const folded = [...sums.values()].filter((e) => !shown(e));
  kept.sort(
    (a, b) =>
      b.visitors - a.visitors ||
      b.pageviews - a.pageviews ||
      cmp(a.labels.join("\u0000"), b.labels.join("\u0000")),
  );
  const out: Row[] = kept.map((e) => ({
    ...Object.fromEntries(labelColumns.map((c, i) => [c, e.labels[i] as string])),
    pageviews: e.pageviews,
    visitors: e.visitors,
  }));
  if (folded.length > 0) {
    out.push({
      ...Object.fromEntries(labelColumns.map((c) => [c, "(other)"])),
      pageviews: folded.reduce((s, e) => s + e.pageviews, 0),
      visitors: folded.reduce((s, e) => s + e.visitors, 0),
    });
  }
  return out;
}

// ---- security ----

const inWindow = (rows: readonly SecurityRecord[], from: string, to: string) =>
  rows.filter((r) => dayOf(r.ts) >= from && dayOf(r.ts) <= to);
const between = (s: number | null, lo: number, hi: number) => s !== null && s >= lo && s < hi;

export function topTalkers(rows: readonly SecurityRecord[], from: string, to: string, limit: number): Row[] {
  return [...groupBy(inWindow(rows, from, to), (r) => r.client_ip)]
    .map(([ip, list]) => ({
      client_ip: ip,
      requests: list.length,
      bytes: list.reduce((s, r) => s + r.bytes, 0),
      status_4xx: list.filter((r) => between(r.status, 400, 500)).length,
      status_5xx: list.filter((r) => between(r.status, 500, 600)).length,
      distinct_targets: new Set(list.map((r) => r.target)).size,
      country: maxOf(list.map((r) => r.country)),
      provider: maxOf(list.map((r) => r.provider)),
      first_seen: iso(Math.min(...list.map((r) => r.ts))),
      last_seen: iso(Math.max(...list.map((r) => r.ts))),
    }))
    .sort((a, b) => b.requests - a.requests || cmp(a.client_ip, b.client_ip))
    .slice(0, limit);
}

function maxOf(values: readonly (string | null)[]): string | null {
  const present = values.filter((v): v is string => v !== null).sort(cmp);
  return present[present.length - 1] ?? null;
}

export function errorBursts(
  rows: readonly SecurityRecord[],
  from: string,
  to: string,
  minErrors: number,
): Row[] {
  const errors = inWindow(rows, from, to).filter((r) => between(r.status, 400, 600));
  return [...groupBy(errors, (r) => `${r.client_ip}\u0000${Math.floor(r.ts / 60_000)}`)]
    .map(([key, list]) => {
      const [ip, minute] = key.split("\u0000") as [string, string];
      return {
        client_ip: ip,
        minute: iso(Number(minute) * 60_000),
        errors: list.length,
        status_4xx: list.filter((r) => between(r.status, 400, 500)).length,
        status_5xx: list.filter((r) => between(r.status, 500, 600)).length,
        distinct_targets: new Set(list.map((r) => r.target)).size,
      };
    })
    .filter((r) => r.errors >= minErrors)
    .sort((a, b) => b.errors - a.errors || cmp(a.minute, b.minute) || cmp(a.client_ip, b.client_ip));
}

export function loginBruteForce(
  rows: readonly SecurityRecord[],
  from: string,
  to: string,
  loginPaths: readonly string[],
  minAttempts: number,
): Row[] {
  const paths = new Set(loginPaths.map((p) => p.toLowerCase()));
  const pathOf = (target: string) => (target.split("?")[0] ?? "").toLowerCase();
  const attempts = inWindow(rows, from, to).filter((r) => r.method === "POST" && paths.has(pathOf(r.target)));
  return [...groupBy(attempts, (r) => r.client_ip)]
    .map(([ip, list]) => ({
      client_ip: ip,
      attempts: list.length,
      distinct_paths: new Set(list.map((r) => pathOf(r.target))).size,
      status_2xx: list.filter((r) => between(r.status, 200, 300)).length,
      status_3xx: list.filter((r) => between(r.status, 300, 400)).length,
      status_4xx: list.filter((r) => between(r.status, 400, 500)).length,
      distinct_user_agents: new Set(list.filter((r) => r.user_agent !== null).map((r) => r.user_agent)).size,
      first_seen: iso(Math.min(...list.map((r) => r.ts))),
      last_seen: iso(Math.max(...list.map((r) => r.ts))),
    }))
    .filter((r) => r.attempts >= minAttempts)
    .sort((a, b) => b.attempts - a.attempts || cmp(a.client_ip, b.client_ip));
}

/** The signature rules of docs/QUERIES.md, first match wins. */
export function signatureOf(target: string, userAgent: string | null): string | null {
  const t = target.toLowerCase();
  const ua = (userAgent ?? "").toLowerCase();
  const has = (s: string, ...needles: string[]) => needles.some((n) => s.includes(n));
  if (has(t, "/.env")) return "dotenv";
  if (has(t, "/.git/", "/.svn/", "/.hg/")) return "vcs";
  if (has(t, "wp-login.php", "/wp-admin", "xmlrpc.php", "wp-config")) return "wordpress";
  if (has(t, "../", "..\\", "%2e%2e", "..%2f", "..%5c", "%252e%252e", "/etc/passwd")) return "traversal";
  if (
    (t.includes("union") && t.includes("select")) ||
    has(
      t,
      "information_schema",
      "sleep(",
      "sleep%28",
      "benchmark(",
      "'%20or%20",
      "%27%20or%20",
      "%27+or+",
      "' or ",
      "or%201=1",
      "or+1=1",
      "or 1=1",
    )
  ) {
    return "sql-injection";
  }
  if (has(t, "phpmyadmin", "/cgi-bin/", "/actuator", "/.aws/", "/server-status")) return "admin-probe";
  if (has(ua, "sqlmap", "nikto", "nmap", "masscan", "zgrab", "nuclei", "wpscan", "dirbuster", "gobuster")) {
    return "scanner-agent";
  }
  return null;
}

export function scanners(rows: readonly SecurityRecord[], from: string, to: string): Row[] {
  const matched = inWindow(rows, from, to)
    .map((r) => ({ r, signature: signatureOf(r.target, r.user_agent) }))
    .filter((m): m is { r: SecurityRecord; signature: string } => m.signature !== null);
  return [...groupBy(matched, (m) => `${m.signature}\u0000${m.r.client_ip}`)]
    .map(([key, list]) => {
      const [signature, ip] = key.split("\u0000") as [string, string];
      return {
        signature,
        client_ip: ip,
        hits: list.length,
        answered_2xx: list.filter((m) => between(m.r.status, 200, 300)).length,
        first_seen: iso(Math.min(...list.map((m) => m.r.ts))),
        last_seen: iso(Math.max(...list.map((m) => m.r.ts))),
      };
    })
    .sort((a, b) => b.hits - a.hits || cmp(a.signature, b.signature) || cmp(a.client_ip, b.client_ip));
}

export function ipTimeline(
  rows: readonly SecurityRecord[],
  from: string,
  to: string,
  ip: string,
  limit: number,
): Row[] {
  return inWindow(rows, from, to)
    .filter((r) => r.client_ip === ip)
    .sort((a, b) => a.ts - b.ts || cmp(a.input_id, b.input_id) || a.line_no - b.line_no)
    .slice(0, limit)
    .map((r) => ({
      ts: iso(r.ts),
      site: r.site,
      method: r.method,
      target: r.target,
      protocol: r.protocol,
      status: r.status,
      bytes: r.bytes,
      referrer: r.referrer,
      user_agent: r.user_agent,
      country: r.country,
      provider: r.provider,
      is_bot: r.is_bot,
    }));
}

export function byProviderCountry(rows: readonly SecurityRecord[], from: string, to: string): Row[] {
  const list = inWindow(rows, from, to);
  return [...groupBy(list, (r) => `${r.provider ?? "(unknown)"}\u0000${r.country ?? "(unknown)"}`)]
    .map(([key, group]) => {
      const [provider, country] = key.split("\u0000") as [string, string];
      return {
        provider,
        country,
        requests: group.length,
        clients: new Set(group.map((r) => r.client_ip)).size,
        bytes: group.reduce((s, r) => s + r.bytes, 0),
        status_4xx: group.filter((r) => between(r.status, 400, 500)).length,
        status_5xx: group.filter((r) => between(r.status, 500, 600)).length,
        bot_requests: group.filter((r) => r.is_bot).length,
      };
    })
    .sort((a, b) => b.requests - a.requests || cmp(a.provider, b.provider) || cmp(a.country, b.country));
}

/** The hour an access falls in, as the ISO time of its start (what date_trunc('hour', ts) gives). */
const hourOf = (ts: number): string => iso(Math.floor(ts / 3_600_000) * 3_600_000);

function perHour(rows: readonly SecurityRecord[], withClients: boolean): Row[] {
  return [...groupBy(rows, (r) => hourOf(r.ts))]
    .sort(([a], [b]) => cmp(a, b))
    .map(([hour, list]) => ({
      hour,
      requests: list.length,
      status_4xx: list.filter((r) => between(r.status, 400, 500)).length,
      status_5xx: list.filter((r) => between(r.status, 500, 600)).length,
      ...(withClients ? { clients: new Set(list.map((r) => r.client_ip)).size } : {}),
    }));
}

export function requestsOverTime(rows: readonly SecurityRecord[], from: string, to: string): Row[] {
  return perHour(inWindow(rows, from, to), true);
}

export function addressOverTime(
  rows: readonly SecurityRecord[],
  from: string,
  to: string,
  ip: string,
): Row[] {
  return perHour(
    inWindow(rows, from, to).filter((r) => r.client_ip === ip),
    false,
  );
}

// ---- dashboard sums over the new rollups ----

/**
 * The dashboard rule over daily rows with arbitrary count columns: sum per label over the days, show a label with at
 * least k visitors that stats/ did not fold already, fold the rest into one "(other)" row; order: kept rows by the
 * given count columns (descending) and label, then the (other) row.
 */
export function dashboardSums(
  rows: readonly Row[],
  labelColumns: readonly string[],
  countColumns: readonly string[],
  order: readonly string[],
  k: number,
): Row[] {
  const sums = new Map<string, { labels: string[]; counts: Record<string, number> }>();
  for (const row of rows) {
    const labels = labelColumns.map((c) => String(row[c]));
    const key = labels.join("\u0000");
    const entry = sums.get(key) ?? { labels, counts: Object.fromEntries(countColumns.map((c) => [c, 0])) };
    for (const c of countColumns) entry.counts[c] = (entry.counts[c] ?? 0) + Number(row[c]);
    sums.set(key, entry);
  }
  const shown = (e: { labels: string[]; counts: Record<string, number> }) =>
    e.labels[0] !== "(other)" && (e.counts.visitors ?? 0) >= k;
  const kept = [...sums.values()].filter(shown);
  const folded = [...sums.values()].filter((e) => !shown(e));
  kept.sort((a, b) => {
    for (const c of order) {
      const d = (b.counts[c] ?? 0) - (a.counts[c] ?? 0);
      if (d !== 0) return d;
    }
    return cmp(a.labels.join("\u0000"), b.labels.join("\u0000"));
  });
  const out: Row[] = kept.map((e) => ({
    ...Object.fromEntries(labelColumns.map((c, i) => [c, e.labels[i] as string])),
    ...e.counts,
  }));
  if (folded.length > 0) {
    const other: Row = Object.fromEntries(labelColumns.map((c) => [c, "(other)"]));
    for (const c of countColumns) other[c] = folded.reduce((s, e) => s + (e.counts[c] ?? 0), 0);
    out.push(other);
  }
  return out;
}

/** dashboard.visits: per day, days under k visitors into one "(other)" row. */
export function visitsPerDay(rows: readonly Row[], k: number): Row[] {
  const counts = ["visits", "visitors", "bounces", "visit_duration", "visit_pageviews"];
  const byDay = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const day = String(row.day);
    const entry = byDay.get(day) ?? Object.fromEntries(counts.map((c) => [c, 0]));
    for (const c of counts) entry[c] = (entry[c] ?? 0) + Number(row[c]);
    byDay.set(day, entry);
  }
  const days = [...byDay.entries()].sort(([a], [b]) => cmp(a, b));
  const kept = days.filter(([, c]) => (c.visitors ?? 0) >= k);
  const folded = days.filter(([, c]) => (c.visitors ?? 0) < k);
  const out: Row[] = kept.map(([day, c]) => ({ day, ...c }));
  if (folded.length > 0) {
    out.push({
      day: "(other)",
      ...Object.fromEntries(counts.map((c) => [c, folded.reduce((s, [, x]) => s + (x[c] ?? 0), 0)])),
    });
  }
  return out;
}

// ---- filtered reads of events/ (docs/PRIVACY.md "Filtered queries") ----

export interface ReferenceLeaf {
  readonly dimension: string;
  readonly patterns: readonly RegExp[];
}

export interface FilteredQuery {
  readonly kind: "events" | "visits" | "goals";
  readonly site: string;
  readonly from: string;
  readonly to: string;
  readonly dimension: string;
  readonly grain: "all" | "day" | "week" | "month";
  /** events only: rows of page views (as the rollups) or of every interaction. */
  readonly scope?: "pageviews" | "interactions";
  readonly leaves: readonly ReferenceLeaf[];
  /** The filter over the leaves' results. */
  readonly formula: (bits: readonly boolean[]) => boolean;
  readonly goals?: GoalConfig;
  readonly k: number;
  /** Judge day cells by k alone, not by what the relaxations add (a positive control: what would be shown). */
  readonly ignoreRelaxations?: boolean;
}

interface Interaction {
  readonly e: Event;
  readonly day: string;
  readonly pv: boolean;
  entry: string | null;
  exit: string | null;
  visit: number;
}

function interactionsOf(events: readonly Event[], q: FilteredQuery): Interaction[] {
  const list: Interaction[] = events
    .filter((e) => e.site === q.site && !e.is_bot && dayOf(e.ts) >= q.from && dayOf(e.ts) <= q.to)
    .filter((e) => isPageview(e) || (e.source === "collector" && e.event_name !== "engagement"))
    .map((e) => ({ e, day: dayOf(e.ts), pv: isPageview(e), entry: null, exit: null, visit: 0 }));
  // Visits, as rollup.visits: per day and visitor id, cut at pauses of more than 30 minutes.
  const identified = list.filter((i) => i.e.visitor_id !== null);
  for (const [, group] of groupBy(identified, (i) => `${i.day}\u0000${String(i.e.visitor_id)}`)) {
    const sorted = [...group].sort(
      (a, b) =>
        a.e.ts - b.e.ts ||
        Number(b.pv) - Number(a.pv) ||
        cmp(a.e.path, b.e.path) ||
        cmp(a.e.event_name, b.e.event_name),
    );
    let visit = 0;
    sorted.forEach((item, index) => {
      const previous = sorted[index - 1];
      if (previous !== undefined && item.e.ts > previous.e.ts + THIRTY_MINUTES) visit++;
      item.visit = visit;
    });
    for (const [, members] of groupBy(sorted, (i) => String(i.visit))) {
      const views = members.filter((m) => m.pv).sort((a, b) => a.e.ts - b.e.ts || cmp(a.e.path, b.e.path));
      for (const m of members) {
        m.entry = views[0]?.e.path ?? null;
        m.exit = views[views.length - 1]?.e.path ?? null;
      }
    }
  }
  return list;
}

/** An interaction's value for a dimension (the table of docs/QUERIES.md "Filtered queries"). */
function dimensionValue(i: Interaction, dimension: string): string | null {
  const e = i.e;
  switch (dimension) {
    case "none":
      return "(all)";
    case "page":
      return e.path;
    case "source":
      return e.referrer_host ?? "(direct)";
    case "utm_source":
    case "utm_medium":
    case "utm_campaign":
    case "utm_term":
    case "utm_content":
      return e[dimension];
    case "country":
    case "browser":
    case "os":
      return e[dimension] ?? "(unknown)";
    case "device":
      return e.device;
    case "name":
      return i.pv ? "pageview" : e.event_name;
    case "entry_page":
      return i.entry;
    case "exit_page":
      return i.exit;
    case "goal_event":
      return i.pv ? null : e.event_name;
    case "goal_page":
      return i.pv ? e.path : null;
    default:
      throw new Error(`unknown dimension ${dimension}`);
  }
}

function bucketOf(day: string, grain: FilteredQuery["grain"]): string {
  if (grain === "all") return "(all)";
  if (grain === "day") return day;
  if (grain === "month") return `${day.slice(0, 7)}-01`;
  const date = new Date(`${day}T00:00:00Z`);
  const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * 86_400_000);
  return monday.toISOString().slice(0, 10);
}

/**
 * The filtered answer, from the rules in words: each day cell (day, label) is kept only if the interactions matching
 * the filter come from ≥ k ids in ≥ k prefixes and, for every relaxation (any non-empty set of leaves ignored), the
 * interactions it adds come from nobody or from ≥ k ids in ≥ k prefixes (no id-less ones otherwise), and the people
 * it adds outright are nobody or ≥ k ids in ≥ k prefixes. Kept cells are summed per (bucket, label).
 */
export function filtered(events: readonly Event[], q: FilteredQuery): Row[] {
  const n = q.leaves.length;
  const bits = (i: Interaction) =>
    q.leaves.map((leaf) => {
      const value = dimensionValue(i, leaf.dimension);
      return value !== null && leaf.patterns.some((p) => p.test(value));
    });
  const inFilter = (b: readonly boolean[]) => q.formula(b);
  const relaxedBy = (b: readonly boolean[], ignored: number) => {
    for (let assignment = 0; assignment < 2 ** n; assignment++) {
      if ((assignment & ~ignored) !== 0) continue;
      const tried = b.map((v, leaf) => ((ignored >> leaf) & 1 ? ((assignment >> leaf) & 1) === 1 : v));
      if (inFilter(tried)) return true;
    }
    return false;
  };
  const interactions = interactionsOf(events, q);

  type Item = {
    readonly who: Event;
    readonly f: boolean;
    readonly r: readonly boolean[];
    readonly counts: Record<string, number>;
  };
  const items: { day: string; label: string; item: Item }[] = [];
  const relaxations = Array.from({ length: 2 ** n - 1 }, (_, i) => i + 1);
  const judge = (b: readonly boolean[]) => ({ f: inFilter(b), r: relaxations.map((m) => relaxedBy(b, m)) });

  if (q.kind === "events") {
    for (const i of interactions) {
      const label = dimensionValue(i, q.dimension);
      if (label === null || (q.scope !== "interactions" && !i.pv)) continue;
      const j = judge(bits(i));
      items.push({
        day: i.day,
        label,
        item: { who: i.e, ...j, counts: { events: 1, pageviews: i.pv ? 1 : 0 } },
      });
    }
  } else if (q.kind === "goals") {
    const goals = q.goals?.[q.site] ?? [];
    for (const i of interactions) {
      const j = judge(bits(i));
      for (const g of goals) {
        const hit =
          "event" in g ? !i.pv && i.e.event_name === g.event : i.pv && pageMatches(g.page, i.e.path);
        if (hit) items.push({ day: i.day, label: g.name, item: { who: i.e, ...j, counts: { events: 1 } } });
      }
    }
  } else {
    const identified = interactions.filter((i) => i.e.visitor_id !== null);
    for (const [, members] of groupBy(
      identified,
      (i) => `${i.day}\u0000${String(i.e.visitor_id)}\u0000${i.visit}`,
    )) {
      const first = members[0] as Interaction;
      const label = dimensionValue(first, q.dimension);
      if (label === null) continue;
      const judged = members.map((m) => judge(bits(m)));
      const f = judged.some((j) => j.f);
      const r = relaxations.map((_, ri) => judged.some((j) => j.r[ri] === true));
      const times = members.map((m) => m.e.ts);
      const pageviews = members.filter((m) => m.pv).length;
      items.push({
        day: first.day,
        label,
        item: {
          who: first.e,
          f,
          r,
          counts: {
            visits: 1,
            bounces: pageviews === 1 && members.length === 1 ? 1 : 0,
            visit_duration: Math.round((Math.max(...times) - Math.min(...times)) / 1000),
            visit_pageviews: pageviews,
          },
        },
      });
    }
  }

  const people = (list: readonly Item[]) => ({
    ids: distinctVisitors(list.map((i) => i.who)),
    prefixes: distinctPrefixes(list.map((i) => i.who)),
    anonymous: list.some((i) => i.who.visitor_id === null),
  });
  const enough = (p: { ids: number; prefixes: number }) => p.ids >= q.k && p.prefixes >= q.k;
  const sums = new Map<string, { bucket: string; label: string; counts: Record<string, number> }>();
  for (const [key, cell] of groupBy(items, (x) => `${x.day}\u0000${x.label}`)) {
    const list = cell.map((c) => c.item);
    const inF = list.filter((i) => i.f);
    if (!enough(people(inF))) continue;
    let ok = true;
    (q.ignoreRelaxations === true ? [] : relaxations).forEach((_, ri) => {
      const added = list.filter((i) => i.r[ri] === true && !i.f);
      if (added.length > 0) {
        const p = people(added);
        if (!enough(p)) ok = false;
      }
      const inFIds = new Set(
        inF.filter((i) => i.who.visitor_id !== null).map((i) => String(i.who.visitor_id)),
      );
      const outright = list.filter(
        (i) => i.r[ri] === true && i.who.visitor_id !== null && !inFIds.has(String(i.who.visitor_id)),
      );
      if (outright.length > 0 && !enough(people(outright))) ok = false;
    });
    if (!ok) continue;
    const [day, label] = key.split("\u0000") as [string, string];
    const bucket = bucketOf(day, q.grain);
    const entry = sums.get(`${bucket}\u0000${label}`) ?? { bucket, label, counts: {} };
    for (const i of inF)
      for (const [c, v] of Object.entries(i.counts)) entry.counts[c] = (entry.counts[c] ?? 0) + v;
    entry.counts.visitors = (entry.counts.visitors ?? 0) + people(inF).ids;
    sums.set(`${bucket}\u0000${label}`, entry);
  }
  const lead = q.kind === "visits" ? "visits" : "events";
  return [...sums.values()]
    .sort(
      (a, b) =>
        cmp(a.bucket, b.bucket) ||
        (b.counts.visitors ?? 0) - (a.counts.visitors ?? 0) ||
        (b.counts[lead] ?? 0) - (a.counts[lead] ?? 0) ||
        cmp(a.label, b.label),
    )
    .map((s) => ({ bucket: s.bucket, [q.kind === "goals" ? "goal" : "label"]: s.label, ...s.counts }));
}
