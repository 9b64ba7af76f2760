/// <reference lib="dom" />
import { DASHBOARD_QUERIES } from "../../../core/dashboard/queries.ts";
import { bucketSeries, type Granularity } from "../../../core/dashboard/series.ts";
import {
  ApiError,
  downloadCsv,
  fetchLive,
  type LiveResponse,
  type Me,
  type QueryResponse,
  type Row,
  runQuery,
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
  formatMonth,
  formatPercent,
  formatShortDay,
} from "./format.ts";
import { resultTable } from "./table.ts";

/**
 * The marketing view: visitors and page views over time (day, week, month) against the previous period, the
 * breakdowns (pages, referrers, campaigns, countries, browsers, operating systems, devices), the bot share, a
 * site and a date-range picker (Today, Yesterday, the last 7, 30, 90 days, 12 months), a CSV export per table,
 * and the live panel (visitors in the last 30 minutes, today so far), polled every {@link LIVE_POLL_MS}. Every
 * number comes from the allowlisted queries, which suppress rows below k in their SQL, or from the live figures,
 * stored and served with k applied; the page adds rows up, it never splits them.
 */

/** How often the page asks for the live figures while it is visible (they change at most once a minute). */
const LIVE_POLL_MS = 10_000;

type Metric = "visitors" | "pageviews";

interface State {
  site: string;
  from: string;
  to: string;
  preset: string;
  granularity: Granularity;
  metric: Metric;
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

const BREAKDOWNS: readonly { name: string; empty: string }[] = [
  { name: "top-pages", empty: "No page views in this range." },
  { name: "top-referrers", empty: "No referred visits in this range." },
  { name: "campaigns", empty: "No campaign traffic in this range." },
  { name: "countries", empty: "No page views in this range." },
  { name: "browsers", empty: "No page views in this range." },
  { name: "operating-systems", empty: "No page views in this range." },
  { name: "devices", empty: "No page views in this range." },
  { name: "bots", empty: "No bot requests in this range." },
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

export function marketingView(root: HTMLElement, me: Me): void {
  const today = me.today;
  const state: State = {
    site: me.defaultSite ?? me.sites[0] ?? "",
    to: today,
    from: addDays(today, -29),
    preset: "30d",
    granularity: "day",
    metric: "visitors",
  };

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
  for (const b of BREAKDOWNS) {
    const body = h("div", { className: "card-body" }, h("p", { className: "loading" }, "Loading…"));
    const exportButton = h(
      "button",
      {
        type: "button",
        className: "secondary",
        "data-export": b.name,
        title: "Download this table as CSV",
        onclick: async () => {
          exportButton.disabled = true;
          try {
            const file = await downloadCsv(b.name, params());
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
      { className: "card", "data-query": b.name },
      h("header", {}, h("h2", {}, titleOf(b.name)), exportButton),
      body,
    );
    cards.set(b.name, body);
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

  function setRange(from: string, to: string, preset: string): void {
    state.from = from;
    state.to = to;
    state.preset = preset;
    fromInput.value = from;
    toInput.value = to;
    presetSelect.value = preset;
    void load();
  }

  siteSelect.addEventListener("change", () => {
    state.site = siteSelect.value;
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
  let current: QueryResponse | null = null;
  let previous: QueryResponse | null = null;
  let destroyChart: (() => void) | null = null;
  let generation = 0;

  function previousRange(): { from: string; to: string } {
    const length = daysBetween(state.from, state.to);
    return { from: addDays(state.from, -length), to: addDays(state.from, -1) };
  }

  function renderChart(): void {
    destroyChart?.();
    destroyChart = null;
    const metricLabel = state.metric === "visitors" ? "Visitors" : "Page views";
    chartTitle.textContent = `${metricLabel} per ${state.granularity}`;
    if (current === null) return;
    if (current.rows.length === 0) {
      replace(
        chartBox,
        h(
          "p",
          { className: "empty", "data-testid": "empty" },
          `No visits recorded for ${state.site} in this range. Statistics appear once logs are ingested and \`logsieve aggregate\` has run.`,
        ),
      );
      chartNote.textContent = "";
      return;
    }
    replace(chartBox);
    const prev = previousRange();
    const now = bucketSeries(current.rows, state, state.granularity, state.metric);
    const before = bucketSeries(previous?.rows ?? [], prev, state.granularity, state.metric);
    destroyChart = trendChart(chartBox, {
      labels: now.keys.map((k) => bucketLabel(k, state.granularity)),
      current: now.values,
      previous: now.keys.map((_, i) => before.values[i] ?? null),
      currentLabel: `${metricLabel}, ${rangeLabel(state.from, state.to)}`,
      previousLabel: `previous period, ${rangeLabel(prev.from, prev.to)}`,
    });
    chartNote.textContent =
      now.folded > 0
        ? `${formatCount(now.folded)} ${metricLabel.toLowerCase()} on days with fewer than ${me.k} visitors are counted in the totals but not shown per day.`
        : `Visitors are counted per day (they cannot be linked across days) and added up over longer periods.`;
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

  function renderKpis(traffic: QueryResponse | null, previousTraffic: QueryResponse | null): void {
    if (current === null) return;
    const visitors = sumColumn(current.rows, "visitors");
    const pageviews = sumColumn(current.rows, "pageviews");
    const prevVisitors = sumColumn(previous?.rows ?? [], "visitors");
    const prevPageviews = sumColumn(previous?.rows ?? [], "pageviews");
    const hits = sumColumn(traffic?.rows ?? [], "hits");
    const botHits = sumColumn(traffic?.rows ?? [], "bot_hits");
    const prevHits = sumColumn(previousTraffic?.rows ?? [], "hits");
    const prevBotHits = sumColumn(previousTraffic?.rows ?? [], "bot_hits");
    const share = hits === 0 ? null : botHits / hits;
    const prevShare = prevHits === 0 ? null : prevBotHits / prevHits;
    const shareDelta: Delta | null =
      share === null || prevShare === null
        ? null
        : {
            text: `${share >= prevShare ? "+" : "−"}${Math.abs((share - prevShare) * 100).toFixed(1)} pts`,
            direction: Math.abs(share - prevShare) < 0.0005 ? "flat" : share > prevShare ? "up" : "down",
          };
    const select = (m: Metric) => () => {
      state.metric = m;
      for (const b of metricButtons) b.classList.toggle("active", b.dataset.metric === m);
      renderChart();
    };
    replace(
      kpis,
      kpi(
        "kpi-visitors",
        "Visitors",
        formatCount(visitors),
        delta(visitors, prevVisitors),
        "unique per day, added up",
        select("visitors"),
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
        "kpi-per-visitor",
        "Pages per visitor",
        visitors === 0 ? "–" : (pageviews / visitors).toFixed(2),
        null,
        "page views ÷ visitors",
      ),
      kpi(
        "kpi-bot-share",
        "Bot share",
        share === null ? "–" : formatPercent(share),
        shareDelta,
        traffic === null ? "could not be loaded" : `${formatCount(botHits)} of ${formatCount(hits)} requests`,
      ),
    );
  }

  function renderBreakdown(name: string, result: PromiseSettledResult<QueryResponse>): void {
    const body = cards.get(name);
    if (body === undefined) return;
    if (result.status === "rejected") {
      replace(
        body,
        errorBox(result.reason, () => void load()),
      );
      return;
    }
    const { columns, rows, k } = result.value;
    const bar = columns.some((c) => c.name === "visitors") ? "visitors" : "hits";
    const empty = BREAKDOWNS.find((b) => b.name === name)?.empty ?? "Nothing in this range.";
    replace(
      body,
      resultTable(columns, rows, {
        barColumn: bar,
        empty,
        ...(name === "countries" ? { display: { country: countryName } } : {}),
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
            `Rows with fewer than ${k} visitors are combined into “(other)”.`,
          ),
    );
  }

  async function load(): Promise<void> {
    const mine = ++generation;
    const started = performance.now();
    root.querySelector(".view")?.classList.add("is-loading");
    status.textContent = "";
    const prev = previousRange();
    rangeNote.textContent = `${state.site} · ${rangeLabel(state.from, state.to)} (${daysBetween(state.from, state.to)} ${daysBetween(state.from, state.to) === 1 ? "day" : "days"}, UTC) · compared with ${rangeLabel(prev.from, prev.to)}`;
    const p = params();
    const prevParams = { site: state.site, from: prev.from, to: prev.to };
    const [now, before, traffic, previousTraffic, ...breakdowns] = await Promise.allSettled([
      runQuery("timeseries", p),
      runQuery("timeseries", prevParams),
      runQuery("traffic", p),
      runQuery("traffic", prevParams),
      ...BREAKDOWNS.map((b) => runQuery(b.name, p)),
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
      renderKpis(
        traffic?.status === "fulfilled" ? traffic.value : null,
        previousTraffic?.status === "fulfilled" ? previousTraffic.value : null,
      );
      renderChart();
    }
    BREAKDOWNS.forEach((b, i) => {
      const result = breakdowns[i];
      if (result !== undefined) renderBreakdown(b.name, result);
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
