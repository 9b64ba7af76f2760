/// <reference lib="dom" />
import type { ColumnSpec } from "../../../core/dashboard/queries.ts";
import { DASHBOARD_QUERIES } from "../../../core/dashboard/queries.ts";
import { bucketSeries, type Granularity } from "../../../core/dashboard/series.ts";
import {
  ApiError,
  downloadCsv,
  downloadStatsCsv,
  fetchLive,
  type LiveResponse,
  type Me,
  type QueryResponse,
  type Row,
  runQuery,
  runStats,
  type StatsAnswer,
} from "./api.ts";
import { trendChart } from "./charts.ts";
import { append, h, replace } from "./dom.ts";
import {
  addDays,
  type Delta,
  daysBetween,
  delta,
  formatCount,
  formatDay,
  formatDuration,
  formatMonth,
  formatPercent,
  formatShortDay,
} from "./format.ts";
import { resultTable } from "./table.ts";

/**
 * The marketing view: visitors, visits, page views, bounce rate and visit duration over time (day, week, month)
 * against the previous period, the breakdowns (pages, entry and exit pages, referrers, campaigns, countries,
 * browsers, operating systems, devices, goals, bots), a site and a date-range picker (Today, Yesterday, the last
 * 7, 30, 90 days, 12 months, any range), a CSV export per table, and the live panel (visitors in the last 30
 * minutes, today so far), polled every {@link LIVE_POLL_MS}.
 *
 * Filters: a click on a row (a page, a referrer, a campaign, a country, …) filters every panel by it; up to three at
 * once, each a chip that removes it. Site, range and filters live in the page's address (`?site=…&from=…&to=…&f=…`),
 * so a filtered view can be bookmarked and shared. Without filters the panels read stats/ (the allowlisted queries,
 * k-suppressed in their SQL); with filters every panel asks the Stats API's service (POST /api/dashboard/stats),
 * which reads events/ and leaves out every row whose day cells would point at fewer than k people or differ by
 * fewer than k from the same filter with a condition removed (docs/PRIVACY.md "Filtered queries"). The page only
 * adds rows up, it never splits them.
 */

/** How often the page asks for the live figures while it is visible (they change at most once a minute). */
const LIVE_POLL_MS = 10_000;
/** Filters at once: the filtered queries take up to three conditions (core/stats/filters.ts). */
const MAX_FILTERS = 3;

type Metric = "visitors" | "pageviews";

/** A filter the page can set by a click: which panel's value, and its Stats API dimension. */
const FILTERS = {
  page: { label: "Page", dimension: "event:page" },
  entry_page: { label: "Entry page", dimension: "visit:entry_page" },
  exit_page: { label: "Exit page", dimension: "visit:exit_page" },
  source: { label: "Referrer", dimension: "visit:source" },
  campaign: { label: "Campaign", dimension: "visit:utm_campaign" },
  utm_source: { label: "Campaign source", dimension: "visit:utm_source" },
  country: { label: "Country", dimension: "visit:country" },
  browser: { label: "Browser", dimension: "visit:browser" },
  os: { label: "Operating system", dimension: "visit:os" },
  device: { label: "Device", dimension: "visit:device" },
  goal: { label: "Goal", dimension: "event:goal" },
} as const;
type FilterKey = keyof typeof FILTERS;

interface Filter {
  readonly key: FilterKey;
  readonly value: string;
}

interface State {
  site: string;
  from: string;
  to: string;
  preset: string;
  granularity: Granularity;
  metric: Metric;
  filters: Filter[];
}

/** A range preset: `days` ending `endsDaysAgo` days before today (0: today). */
const PRESETS: readonly { id: string; label: string; days?: number; endsDaysAgo?: number }[] = [
  { id: "today", label: "Today", days: 1 },
  { id: "yesterday", label: "Yesterday", days: 1, endsDaysAgo: 1 },
  { id: "7d", label: "Last 7 days", days: 7 },
  { id: "30d", label: "Last 30 days", days: 30 },
  { id: "90d", label: "Last 90 days", days: 90 },
  { id: "12m", label: "Last 12 months", days: 365 },
  { id: "custom", label: "Custom range" },
];

const COUNT = (name: string, label: string): ColumnSpec => ({ name, label, kind: "count" });
const PAGEVIEWS = COUNT("pageviews", "Page views");
const VISITORS = COUNT("visitors", "Visitors");

/**
 * One breakdown panel. `named`: the allowlisted query that answers it without filters (its CSV export too); none
 * for panels the Stats API answers in both cases. `dimension`/`metrics`: its Stats API query; `filter`: which filter
 * a click on a row sets, and from which column.
 */
interface Panel {
  readonly id: string;
  readonly title: string;
  readonly named?: string;
  readonly dimension?: string;
  readonly metrics: readonly string[];
  readonly columns: readonly ColumnSpec[];
  readonly filter?: { readonly key: FilterKey; readonly column: string };
  readonly empty: string;
  /** Only without filters (the bots come from the server logs' totals, which filters do not reach). */
  readonly unfilteredOnly?: boolean;
}

const PANELS: readonly Panel[] = [
  {
    id: "top-pages",
    title: "Top pages",
    named: "top-pages",
    dimension: "event:page",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "path", label: "Page", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "page", column: "path" },
    empty: "No page views in this range.",
  },
  {
    id: "entry-pages",
    title: "Entry pages",
    dimension: "visit:entry_page",
    metrics: ["visitors", "visits", "bounce_rate", "visit_duration"],
    columns: [
      { name: "entry_page", label: "Entry page", kind: "text" },
      VISITORS,
      COUNT("visits", "Visits"),
      { name: "bounce_rate", label: "Bounce rate", kind: "percent" },
      { name: "visit_duration", label: "Visit duration", kind: "duration" },
    ],
    filter: { key: "entry_page", column: "entry_page" },
    empty: "No visits in this range.",
  },
  {
    id: "exit-pages",
    title: "Exit pages",
    dimension: "visit:exit_page",
    metrics: ["visitors", "visits"],
    columns: [{ name: "exit_page", label: "Exit page", kind: "text" }, VISITORS, COUNT("visits", "Visits")],
    filter: { key: "exit_page", column: "exit_page" },
    empty: "No visits in this range.",
  },
  {
    id: "top-referrers",
    title: "Referrers",
    named: "top-referrers",
    dimension: "visit:source",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "referrer_host", label: "Referrer", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "source", column: "referrer_host" },
    empty: "No referred visits in this range.",
  },
  {
    id: "campaigns",
    title: "Campaigns",
    named: "campaigns",
    dimension: "visit:utm_campaign",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "utm_campaign", label: "Campaign", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "campaign", column: "utm_campaign" },
    empty: "No campaign traffic in this range.",
  },
  {
    id: "countries",
    title: "Countries",
    named: "countries",
    dimension: "visit:country",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "country", label: "Country", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "country", column: "country" },
    empty: "No page views in this range.",
  },
  {
    id: "browsers",
    title: "Browsers",
    named: "browsers",
    dimension: "visit:browser",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "browser", label: "Browser", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "browser", column: "browser" },
    empty: "No page views in this range.",
  },
  {
    id: "operating-systems",
    title: "Operating systems",
    named: "operating-systems",
    dimension: "visit:os",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "os", label: "Operating system", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "os", column: "os" },
    empty: "No page views in this range.",
  },
  {
    id: "devices",
    title: "Devices",
    named: "devices",
    dimension: "visit:device",
    metrics: ["pageviews", "visitors"],
    columns: [{ name: "device", label: "Device", kind: "text" }, PAGEVIEWS, VISITORS],
    filter: { key: "device", column: "device" },
    empty: "No page views in this range.",
  },
  {
    id: "goals",
    title: "Goals",
    dimension: "event:goal",
    metrics: ["visitors", "events", "conversion_rate"],
    columns: [
      { name: "goal", label: "Goal", kind: "text" },
      { name: "visitors", label: "Conversions (visitors)", kind: "count" },
      COUNT("events", "Events"),
      { name: "conversion_rate", label: "Conversion rate", kind: "percent" },
    ],
    filter: { key: "goal", column: "goal" },
    empty: "No goal reached in this range (goals are set per site in the configuration: docs/STATS-API.md).",
  },
  {
    id: "bots",
    title: "Bots",
    named: "bots",
    metrics: [],
    columns: [],
    empty: "No bot requests in this range.",
    unfilteredOnly: true,
  },
];

let regionNames: Intl.DisplayNames | null | undefined;

/** `DE` → `Germany (DE)`; codes the browser does not know, and `(unknown)`/`(other)`, stay as they are. */
function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regionNames = null;
    }
  }
  const name = regionNames?.of(code);
  return name === undefined || name === code ? code : `${name} (${code})`;
}

const titleOf = (name: string): string => DASHBOARD_QUERIES.find((q) => q.name === name)?.title ?? name;

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0)) || 0;

function sumColumn(rows: readonly Row[], column: string): number {
  return rows.reduce((total, row) => total + num(row[column]), 0);
}

function bucketLabel(key: string, granularity: Granularity): string {
  if (granularity === "month") return formatMonth(key);
  if (granularity === "week") return `wk ${formatShortDay(key)}`;
  return formatShortDay(key);
}

function rangeLabel(from: string, to: string): string {
  return from === to ? formatDay(from) : `${formatDay(from)} – ${formatDay(to)}`;
}

function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const message =
    error instanceof ApiError ? error.message : "Something went wrong while loading this panel.";
  return h(
    "div",
    { className: "error", role: "alert", "data-testid": "error" },
    h("strong", {}, error instanceof ApiError && error.status === 403 ? "Not allowed. " : "Could not load. "),
    message,
    retry === undefined
      ? null
      : h("button", { type: "button", className: "link", onclick: retry }, "Try again"),
  );
}

/** A Stats API answer as table rows: one column per dimension value and metric, named as the panel's columns. */
function rowsOf(answer: StatsAnswer, columns: readonly ColumnSpec[]): Row[] {
  return answer.results.map((r) =>
    Object.fromEntries(
      columns.map((c, i) => [c.name, i === 0 ? (r.dimensions[0] ?? null) : (r.metrics[i - 1] ?? null)]),
    ),
  );
}

/** Site, range and filters from the page's address (`?site=…&from=…&to=…&range=…&f=country:DE`). */
function stateFromUrl(me: Me, state: State): void {
  const params = new URLSearchParams(location.search);
  const site = params.get("site");
  if (site !== null && me.sites.includes(site)) state.site = site;
  const from = params.get("from");
  const to = params.get("to");
  const iso = /^\d{4}-\d{2}-\d{2}$/;
  if (from !== null && to !== null && iso.test(from) && iso.test(to) && from <= to && to <= me.today) {
    state.from = from;
    state.to = to;
    state.preset = PRESETS.some((p) => p.id === params.get("range"))
      ? (params.get("range") as string)
      : "custom";
  }
  state.filters = params
    .getAll("f")
    .map((f) => {
      const at = f.indexOf(":");
      const key = f.slice(0, at) as FilterKey;
      return at > 0 && Object.hasOwn(FILTERS, key) ? { key, value: f.slice(at + 1) } : null;
    })
    .filter((f): f is Filter => f !== null && f.value !== "")
    .slice(0, MAX_FILTERS);
}

function urlOf(state: State): string {
  const params = new URLSearchParams({
    site: state.site,
    from: state.from,
    to: state.to,
    range: state.preset,
  });
  for (const f of state.filters) params.append("f", `${f.key}:${f.value}`);
  return `${location.pathname}?${params.toString()}${location.hash}`;
}

/** The filters as the Stats API's filters (each one `is` with one value). */
function statsFilters(filters: readonly Filter[]): unknown[] {
  return filters.map((f) => ["is", FILTERS[f.key].dimension, [f.value]]);
}

export function marketingView(root: HTMLElement, me: Me): void {
  const today = me.today;
  const state: State = {
    site: me.defaultSite ?? me.sites[0] ?? "",
    to: today,
    from: addDays(today, -29),
    preset: "30d",
    granularity: "day",
    metric: "visitors",
    filters: [],
  };
  stateFromUrl(me, state);

  // --- toolbar ------------------------------------------------------------------------------------------------
  const siteSelect = h(
    "select",
    { id: "site", "data-testid": "site" },
    ...me.sites.map((s) => h("option", { value: s, selected: s === state.site }, s)),
  );
  const presetSelect = h(
    "select",
    { id: "preset", "data-testid": "preset" },
    ...PRESETS.map((p) => h("option", { value: p.id, selected: p.id === state.preset }, p.label)),
  );
  const fromInput = h("input", {
    type: "date",
    id: "from",
    "data-testid": "from",
    value: state.from,
    max: today,
  });
  const toInput = h("input", { type: "date", id: "to", "data-testid": "to", value: state.to, max: today });
  const granularityButtons = (["day", "week", "month"] as const).map((g) =>
    h(
      "button",
      {
        type: "button",
        className: g === state.granularity ? "seg active" : "seg",
        "data-granularity": g,
        "aria-pressed": g === state.granularity ? "true" : "false",
        onclick: () => {
          state.granularity = g;
          for (const b of granularityButtons) {
            const on = b.dataset.granularity === g;
            b.classList.toggle("active", on);
            b.setAttribute("aria-pressed", on ? "true" : "false");
          }
          renderChart();
        },
      },
      g === "day" ? "Day" : g === "week" ? "Week" : "Month",
    ),
  );
  const toolbar = h(
    "div",
    { className: "toolbar" },
    h("label", { className: "field" }, h("span", {}, "Site"), siteSelect),
    h("label", { className: "field" }, h("span", {}, "Range"), presetSelect),
    h("label", { className: "field" }, h("span", {}, "From"), fromInput),
    h("label", { className: "field" }, h("span", {}, "To"), toInput),
    h(
      "div",
      { className: "field" },
      h("span", {}, "Group by"),
      h("div", { className: "segmented", role: "group" }, ...granularityButtons),
    ),
  );

  const filterBar = h("div", { className: "filters", "data-testid": "filters" });
  const rangeNote = h("p", { className: "range-note", "data-testid": "range-note" });
  const live = h("section", {
    className: "card live",
    "data-testid": "live",
    hidden: me.liveAvailable !== true,
  });
  const kpis = h("div", { className: "kpis", "data-testid": "kpis" });
  const chartTitle = h("h2", {});
  const chartBox = h("div", { className: "chart", "data-testid": "chart" });
  const chartNote = h("p", { className: "footnote" });
  const metricButtons = (["visitors", "pageviews"] as const).map((m) =>
    h(
      "button",
      {
        type: "button",
        className: m === state.metric ? "seg active" : "seg",
        "data-metric": m,
        onclick: () => {
          state.metric = m;
          for (const b of metricButtons) b.classList.toggle("active", b.dataset.metric === m);
          renderChart();
        },
      },
      m === "visitors" ? "Visitors" : "Page views",
    ),
  );
  const chartCard = h(
    "section",
    { className: "card chart-card" },
    h("header", {}, chartTitle, h("div", { className: "segmented" }, ...metricButtons)),
    chartBox,
    chartNote,
  );
  const grid = h("div", { className: "grid" });
  const cards = new Map<string, HTMLElement>();
  for (const panel of PANELS) {
    const body = h("div", { className: "card-body" }, h("p", { className: "loading" }, "Loading…"));
    const exportButton = h(
      "button",
      {
        type: "button",
        className: "secondary",
        "data-export": panel.id,
        title: "Download this table as CSV",
        onclick: async () => {
          exportButton.disabled = true;
          try {
            const file =
              panel.named !== undefined && state.filters.length === 0
                ? await downloadCsv(panel.named, params())
                : await downloadStatsCsv(panelBody(panel));
            status.textContent = `Downloaded ${file}`;
          } catch (error) {
            status.textContent =
              error instanceof ApiError ? `Export failed: ${error.message}` : "Export failed.";
          } finally {
            exportButton.disabled = false;
          }
        },
      },
      "Export CSV",
    );
    const card = h(
      "section",
      { className: "card", "data-query": panel.id },
      h(
        "header",
        {},
        h("h2", {}, panel.named !== undefined ? titleOf(panel.named) : panel.title),
        exportButton,
      ),
      body,
    );
    cards.set(panel.id, body);
    grid.appendChild(card);
  }
  const status = h("p", { className: "status", role: "status", "data-testid": "status" });
  const footer = h("p", { className: "footnote page-foot", "data-testid": "load-time" });
  replace(
    root,
    h(
      "div",
      { className: "view", "data-view": "marketing" },
      toolbar,
      filterBar,
      live,
      rangeNote,
      kpis,
      chartCard,
      grid,
      status,
      footer,
    ),
  );

  const params = () => ({ site: state.site, from: state.from, to: state.to });
  const filtered = () => state.filters.length > 0;
  /** A Stats API query of this view: the site, the range (or another), the filters. */
  const statsBody = (extra: Record<string, unknown>, range: { from: string; to: string } = state) => ({
    site_id: state.site,
    date_range: [range.from, range.to],
    ...(filtered() ? { filters: statsFilters(state.filters) } : {}),
    ...extra,
  });
  const panelBody = (panel: Panel) =>
    statsBody({ metrics: panel.metrics, dimensions: panel.dimension === undefined ? [] : [panel.dimension] });

  function setRange(from: string, to: string, preset: string): void {
    state.from = from;
    state.to = to;
    state.preset = preset;
    fromInput.value = from;
    toInput.value = to;
    presetSelect.value = preset;
    void load();
  }

  /** Sets a filter from a clicked row: one per kind (a second click of a kind replaces it), at most three. */
  function addFilter(key: FilterKey, value: string): void {
    const others = state.filters.filter((f) => f.key !== key);
    if (others.length >= MAX_FILTERS) {
      status.textContent = `At most ${MAX_FILTERS} filters at once: remove one first.`;
      return;
    }
    state.filters = [...others, { key, value }];
    void load();
  }

  function removeFilter(key: FilterKey): void {
    state.filters = state.filters.filter((f) => f.key !== key);
    void load();
  }

  function renderFilters(): void {
    if (!filtered()) {
      replace(
        filterBar,
        h(
          "span",
          { className: "muted" },
          "Click a row of a table (a page, a referrer, a country, …) to filter every panel by it.",
        ),
      );
      return;
    }
    replace(
      filterBar,
      h("span", { className: "filters-label" }, "Filtered by"),
      ...state.filters.map((f) =>
        h(
          "span",
          { className: "chip", "data-testid": "filter-chip", "data-filter": f.key },
          h(
            "span",
            {},
            `${FILTERS[f.key].label} is `,
            h("strong", {}, f.key === "country" ? countryName(f.value) : f.value),
          ),
          h(
            "button",
            {
              type: "button",
              className: "chip-remove",
              title: "Remove this filter",
              "aria-label": `Remove the filter ${FILTERS[f.key].label}`,
              onclick: () => removeFilter(f.key),
            },
            "×",
          ),
        ),
      ),
      h(
        "button",
        {
          type: "button",
          className: "link",
          "data-testid": "clear-filters",
          onclick: () => {
            state.filters = [];
            void load();
          },
        },
        "Clear all",
      ),
    );
  }

  siteSelect.addEventListener("change", () => {
    state.site = siteSelect.value;
    // A filter's values belong to one site's traffic.
    state.filters = [];
    void load();
    void loadLive();
  });
  presetSelect.addEventListener("change", () => {
    const preset = PRESETS.find((p) => p.id === presetSelect.value);
    if (preset?.days === undefined) {
      state.preset = "custom";
      return;
    }
    const end = addDays(today, -(preset.endsDaysAgo ?? 0));
    setRange(addDays(end, -(preset.days - 1)), end, preset.id);
  });
  for (const input of [fromInput, toInput]) {
    input.addEventListener("change", () => {
      const from = fromInput.value;
      const to = toInput.value;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to)) return;
      if (from > to) {
        status.textContent = "The start of the range must not be after its end.";
        return;
      }
      setRange(from, to, "custom");
    });
  }

  // --- data --------------------------------------------------------------------------------------------------
  /** Rows per day (day, pageviews, visitors), the (other) row of quiet days among them when unfiltered. */
  let current: readonly Row[] | null = null;
  let previous: readonly Row[] | null = null;
  let destroyChart: (() => void) | null = null;
  let generation = 0;

  function previousRange(): { from: string; to: string } {
    const length = daysBetween(state.from, state.to);
    return { from: addDays(state.from, -length), to: addDays(state.from, -1) };
  }

  /** The day series: the allowlisted timeseries without filters, the Stats API per day with them. */
  async function series(range: { from: string; to: string }): Promise<readonly Row[]> {
    if (!filtered())
      return (await runQuery("timeseries", { site: state.site, from: range.from, to: range.to })).rows;
    const answer = await runStats(
      statsBody({ metrics: ["visitors", "pageviews"], dimensions: ["time:day"] }, range),
    );
    return answer.results.map((r) => ({
      day: r.dimensions[0] ?? "",
      visitors: r.metrics[0] ?? 0,
      pageviews: r.metrics[1] ?? 0,
    }));
  }

  function renderChart(): void {
    destroyChart?.();
    destroyChart = null;
    const metricLabel = state.metric === "visitors" ? "Visitors" : "Page views";
    chartTitle.textContent = `${metricLabel} per ${state.granularity}`;
    if (current === null) return;
    if (current.length === 0) {
      replace(
        chartBox,
        h(
          "p",
          { className: "empty", "data-testid": "empty" },
          filtered()
            ? `Nothing to show for these filters: no day has at least ${me.k} people matching them (or removing one of them would change a day by fewer than ${me.k}).`
            : `No visits recorded for ${state.site} in this range. Statistics appear once logs are ingested and \`logsieve aggregate\` has run.`,
        ),
      );
      chartNote.textContent = "";
      return;
    }
    replace(chartBox);
    const prev = previousRange();
    const now = bucketSeries(current, state, state.granularity, state.metric);
    const before = bucketSeries(previous ?? [], prev, state.granularity, state.metric);
    const total = sumColumn(current, state.metric);
    const previousTotal = sumColumn(previous ?? [], state.metric);
    destroyChart = trendChart(chartBox, {
      labels: now.keys.map((k) => bucketLabel(k, state.granularity)),
      current: now.values,
      previous: now.keys.map((_, i) => before.values[i] ?? null),
      currentLabel: `${metricLabel}, ${rangeLabel(state.from, state.to)}`,
      previousLabel: `previous period, ${rangeLabel(prev.from, prev.to)}`,
      currentTotal: `${formatCount(total)} in all`,
      previousTotal: previous === null ? "could not be loaded" : `${formatCount(previousTotal)} in all`,
      rangeText: `${now.keys.length} ${state.granularity === "day" ? "days" : `${state.granularity}s`}`,
    });
    chartNote.textContent =
      now.folded > 0
        ? `${formatCount(now.folded)} ${metricLabel.toLowerCase()} on days with fewer than ${me.k} visitors are counted in the totals but not shown per day.`
        : filtered()
          ? "Filtered from the event records: days where the filters match fewer than k people are left out. Visitors are counted per day and added up."
          : "Visitors are counted per day (they cannot be linked across days) and added up over longer periods.";
  }

  function kpi(
    testId: string,
    label: string,
    value: string,
    change: Delta | null,
    hint: string,
    onClick?: () => void,
  ): HTMLElement {
    return h(
      onClick === undefined ? "div" : "button",
      {
        className: "kpi",
        "data-testid": testId,
        type: onClick === undefined ? undefined : "button",
        onclick: onClick,
      },
      h("span", { className: "kpi-label" }, label),
      h("span", { className: "kpi-value", "data-testid": `${testId}-value` }, value),
      change === null
        ? null
        : h(
            "span",
            { className: `kpi-delta ${change.direction}` },
            change.text,
            h("span", { className: "muted" }, " vs previous period"),
          ),
      h("span", { className: "kpi-hint" }, hint),
    );
  }

  /** A change in percentage points (bounce rate, bot share). */
  const pointsDelta = (now: number | null, before: number | null): Delta | null =>
    now === null || before === null
      ? null
      : {
          text: `${now >= before ? "+" : "−"}${Math.abs(now - before).toFixed(1)} pts`,
          direction: Math.abs(now - before) < 0.05 ? "flat" : now > before ? "up" : "down",
        };

  const TOTAL_METRICS = [
    "visitors",
    "pageviews",
    "visits",
    "bounce_rate",
    "visit_duration",
    "views_per_visit",
  ];

  function renderKpis(
    totals: StatsAnswer | null,
    previousTotals: StatsAnswer | null,
    traffic: QueryResponse | null,
    previousTraffic: QueryResponse | null,
  ): void {
    if (current === null) return;
    const metric = (answer: StatsAnswer | null, name: string): number | null => {
      const value = answer?.results[0]?.metrics[TOTAL_METRICS.indexOf(name)];
      return value === undefined ? null : value;
    };
    const visitors = sumColumn(current, "visitors");
    const pageviews = sumColumn(current, "pageviews");
    const prevVisitors = sumColumn(previous ?? [], "visitors");
    const prevPageviews = sumColumn(previous ?? [], "pageviews");
    const visits = metric(totals, "visits");
    // Rates against a previous period without visits compare with nothing.
    const previousVisits = metric(previousTotals, "visits") ?? 0;
    const bounce = metric(totals, "bounce_rate");
    const duration = metric(totals, "visit_duration");
    const perVisit = metric(totals, "views_per_visit");
    const select = (m: Metric) => () => {
      state.metric = m;
      for (const b of metricButtons) b.classList.toggle("active", b.dataset.metric === m);
      renderChart();
    };
    const figures: HTMLElement[] = [
      kpi(
        "kpi-visitors",
        "Visitors",
        formatCount(visitors),
        delta(visitors, prevVisitors),
        "unique per day, added up",
        select("visitors"),
      ),
      kpi(
        "kpi-visits",
        "Visits",
        visits === null ? "–" : formatCount(visits),
        visits === null ? null : delta(visits, metric(previousTotals, "visits") ?? 0),
        "no 30-minute pause; within a day",
      ),
      kpi(
        "kpi-pageviews",
        "Page views",
        formatCount(pageviews),
        delta(pageviews, prevPageviews),
        "pages seen by people (no bots)",
        select("pageviews"),
      ),
      kpi(
        "kpi-views-per-visit",
        "Views per visit",
        perVisit === null ? "–" : perVisit.toFixed(2),
        null,
        "page views ÷ visits",
      ),
      kpi(
        "kpi-bounce-rate",
        "Bounce rate",
        bounce === null ? "–" : `${bounce} %`,
        previousVisits === 0 ? null : pointsDelta(bounce, metric(previousTotals, "bounce_rate")),
        "visits of one page view and nothing else",
      ),
      kpi(
        "kpi-visit-duration",
        "Visit duration",
        duration === null ? "–" : formatDuration(duration),
        duration === null || previousVisits === 0
          ? null
          : delta(duration, metric(previousTotals, "visit_duration") ?? 0),
        "average, first to last interaction",
      ),
    ];
    if (!filtered()) {
      const hits = sumColumn(traffic?.rows ?? [], "hits");
      const botHits = sumColumn(traffic?.rows ?? [], "bot_hits");
      const prevHits = sumColumn(previousTraffic?.rows ?? [], "hits");
      const prevBotHits = sumColumn(previousTraffic?.rows ?? [], "bot_hits");
      const share = hits === 0 ? null : botHits / hits;
      const prevShare = prevHits === 0 ? null : prevBotHits / prevHits;
      figures.push(
        kpi(
          "kpi-bot-share",
          "Bot share",
          share === null ? "–" : formatPercent(share),
          pointsDelta(share === null ? null : share * 100, prevShare === null ? null : prevShare * 100),
          traffic === null
            ? "could not be loaded"
            : `${formatCount(botHits)} of ${formatCount(hits)} requests`,
        ),
      );
    }
    replace(kpis, ...figures);
  }

  type PanelResult = {
    readonly columns: readonly ColumnSpec[];
    readonly rows: readonly Row[];
    readonly k: number | null;
  };

  async function panelData(panel: Panel): Promise<PanelResult | null> {
    if (panel.unfilteredOnly === true && filtered()) return null;
    if (panel.named !== undefined && !filtered()) {
      const answer = await runQuery(panel.named, params());
      return { columns: answer.columns, rows: answer.rows, k: answer.k };
    }
    return { columns: panel.columns, rows: rowsOf(await runStats(panelBody(panel)), panel.columns), k: me.k };
  }

  function pickRow(panel: Panel): ((row: Row) => void) | undefined {
    const filter = panel.filter;
    if (filter === undefined) return undefined;
    return (row) => {
      const value = row[filter.column];
      // A campaign row of stats/ without a campaign name: its source instead.
      if (
        filter.key === "campaign" &&
        value === "(none)" &&
        typeof row.utm_source === "string" &&
        row.utm_source !== "(none)"
      ) {
        addFilter("utm_source", row.utm_source);
        return;
      }
      if (typeof value === "string" && value !== "(other)" && value !== "(none)")
        addFilter(filter.key, value);
    };
  }

  function renderPanel(panel: Panel, result: PromiseSettledResult<PanelResult | null>): void {
    const body = cards.get(panel.id);
    if (body === undefined) return;
    if (result.status === "rejected") {
      replace(
        body,
        errorBox(result.reason, () => void load()),
      );
      return;
    }
    if (result.value === null) {
      replace(
        body,
        h(
          "p",
          { className: "empty" },
          "Bot requests come from the server logs' totals, which filters do not reach: clear the filters to see them.",
        ),
      );
      return;
    }
    const { columns, rows, k } = result.value;
    const bar = columns.some((c) => c.name === "visitors")
      ? "visitors"
      : columns.some((c) => c.name === "hits")
        ? "hits"
        : undefined;
    const onRow = pickRow(panel);
    replace(
      body,
      resultTable(columns, rows, {
        ...(bar === undefined ? {} : { barColumn: bar }),
        empty: filtered() ? `Nothing with at least ${me.k} people for these filters.` : panel.empty,
        ...(columns[0]?.name === "country" ? { display: { country: countryName } } : {}),
        ...(onRow === undefined ? {} : { onRow, rowTitle: "Filter every panel by this" }),
      }),
      k === null
        ? h(
            "p",
            { className: "footnote" },
            "Requests by known bots and crawlers, counted from the server logs.",
          )
        : h(
            "p",
            { className: "footnote" },
            filtered()
              ? `Filtered from the event records: rows that would show fewer than ${k} people, or differ by fewer than ${k} from the same filters less one, are left out.`
              : `Rows with fewer than ${k} visitors are combined into “(other)”.`,
          ),
    );
  }

  async function load(): Promise<void> {
    const mine = ++generation;
    const started = performance.now();
    history.replaceState(null, "", urlOf(state));
    renderFilters();
    root.querySelector(".view")?.classList.add("is-loading");
    status.textContent = "";
    const prev = previousRange();
    rangeNote.textContent = `${state.site} · ${rangeLabel(state.from, state.to)} (${daysBetween(state.from, state.to)} ${daysBetween(state.from, state.to) === 1 ? "day" : "days"}, UTC) · compared with ${rangeLabel(prev.from, prev.to)}`;
    const prevParams = { site: state.site, from: prev.from, to: prev.to };
    const [now, before, totals, previousTotals, traffic, previousTraffic, ...panels] =
      await Promise.allSettled([
        series(state),
        series(prev),
        runStats(statsBody({ metrics: TOTAL_METRICS })),
        runStats(statsBody({ metrics: TOTAL_METRICS }, prev)),
        filtered() ? Promise.resolve(null) : runQuery("traffic", params()),
        filtered() ? Promise.resolve(null) : runQuery("traffic", prevParams),
        ...PANELS.map((panel) => panelData(panel)),
      ]);
    if (mine !== generation) return;
    root.querySelector(".view")?.classList.remove("is-loading");
    if (now === undefined || now.status === "rejected") {
      current = null;
      destroyChart?.();
      destroyChart = null;
      replace(
        kpis,
        errorBox(now?.reason, () => void load()),
      );
      replace(chartBox);
      chartNote.textContent = "";
    } else {
      current = now.value;
      previous = before?.status === "fulfilled" ? before.value : null;
      const settled = <T>(r: PromiseSettledResult<T> | undefined): T | null =>
        r?.status === "fulfilled" ? r.value : null;
      renderKpis(settled(totals), settled(previousTotals), settled(traffic), settled(previousTraffic));
      renderChart();
    }
    PANELS.forEach((panel, i) => {
      const result = panels[i];
      if (result !== undefined) renderPanel(panel, result);
    });
    const ms = Math.round(performance.now() - started);
    document.body.dataset.loadMs = String(ms);
    document.body.dataset.loaded = String(mine);
    replace(
      footer,
      `Loaded in ${ms} ms · every table hides rows with fewer than ${me.k} visitors · days are UTC days`,
    );
  }

  // --- live ---------------------------------------------------------------------------------------------------
  /** A live figure: a number, or "fewer than k" (the count would point at a person: it is not shown). */
  function liveFigure(testId: string, label: string, value: number | null, hint: string): HTMLElement {
    return h(
      "div",
      { className: "kpi" },
      h("span", { className: "kpi-label" }, label),
      h(
        "span",
        { className: "kpi-value", "data-testid": testId, "data-under-k": value === null ? "true" : "false" },
        value === null ? `fewer than ${me.k}` : formatCount(value),
      ),
      h("span", { className: "kpi-hint" }, hint),
    );
  }

  function renderLive(figures: LiveResponse): void {
    const asOf = figures.asOf.slice(11, figures.refreshSeconds < 60 ? 19 : 16);
    const every = figures.refreshSeconds % 60 === 0 ? figures.refreshSeconds / 60 : null;
    replace(
      live,
      h(
        "header",
        {},
        h("h2", {}, h("span", { className: "live-dot", "aria-hidden": "true" }), "Right now"),
        h(
          "span",
          { className: "muted", "data-testid": "live-as-of" },
          `as of ${asOf} UTC · updated every ${every === 1 ? "minute" : every !== null ? `${every} minutes` : `${figures.refreshSeconds} seconds`}`,
        ),
      ),
      h(
        "div",
        { className: "kpis" },
        liveFigure(
          "live-visitors",
          `Visitors, last ${figures.windowMinutes} minutes`,
          figures.visitorsWindow,
          "people on the site now (no bots)",
        ),
        liveFigure(
          "live-pageviews",
          `Page views, last ${figures.windowMinutes} minutes`,
          figures.pageviewsWindow,
          "pages they saw",
        ),
        liveFigure("live-visitors-today", "Visitors today", figures.visitorsToday, "since 00:00 UTC"),
        liveFigure("live-pageviews-today", "Page views today", figures.pageviewsToday, "since 00:00 UTC"),
      ),
      h(
        "p",
        { className: "footnote" },
        `Fewer than ${figures.k} visitors are never shown as a number: so few could be told apart.`,
      ),
    );
  }

  let liveGeneration = 0;
  async function loadLive(): Promise<void> {
    if (me.liveAvailable !== true || document.hidden) return;
    const mine = ++liveGeneration;
    try {
      const figures = await fetchLive(state.site);
      if (mine === liveGeneration) renderLive(figures);
    } catch (error) {
      if (mine === liveGeneration)
        replace(
          live,
          errorBox(error, () => void loadLive()),
        );
    }
  }

  append(root);
  void load();
  void loadLive();
  if (me.liveAvailable === true) window.setInterval(() => void loadLive(), LIVE_POLL_MS);
}
