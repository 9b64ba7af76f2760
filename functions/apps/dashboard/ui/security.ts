/// <reference lib="dom" />
import {
  BLOCK_LIST_FORMATS,
  type BlockListFormat,
  blockListFileName,
  buildBlockList,
  renderBlockList,
  type WidenTo,
} from "../../../core/dashboard/blocklist.ts";
import { hourlySeries } from "../../../core/dashboard/hourly.ts";
import { DASHBOARD_QUERIES } from "../../../core/dashboard/queries.ts";
import { ApiError, downloadCsv, downloadText, listHolds, type Me, placeHold, runQuery } from "./api.ts";
import { h, replace } from "./dom.ts";
import { formatCount, formatDay, formatTime } from "./format.ts";
import { securityChart } from "./security-chart.ts";
import { resultTable } from "./table.ts";

/**
 * The security view (security and security-lead roles): within the security zone's window (168 hours), requests
 * and errors per hour (a chart, for all addresses and for one), the top talkers, bursts of 4xx/5xx answers, login
 * brute force, scanners and providers; one address's timeline; a block list of chosen addresses and prefixes
 * (nginx `deny` lines, a CIDR list or CSV, built in the page by core/dashboard/blocklist.ts); and, for the security
 * lead, "place on legal hold" for that address. Addresses are shown here, and only here.
 */

const WIDEN_CHOICES: readonly { readonly label: string; readonly value: string; readonly widen: WidenTo }[] =
  [
    { label: "as chosen", value: "exact", widen: {} },
    { label: "IPv4 /24, IPv6 /64", value: "24-64", widen: { ipv4: 24, ipv6: 64 } },
    { label: "IPv4 /16, IPv6 /48", value: "16-48", widen: { ipv4: 16, ipv6: 48 } },
  ];

const FORMAT_LABELS: Readonly<Record<BlockListFormat, string>> = {
  nginx: "nginx deny lines",
  cidr: "plain CIDR list",
  csv: "CSV",
};

/** The panels whose rows name a provider get the AS database's attribution (CC BY 4.0 asks for it). */
const PROVIDER_PANELS = new Set(["top-talkers", "by-provider-country"]);

interface Thresholds {
  /** 4xx/5xx answers to one address within one minute that make a burst. */
  minErrors: string;
  /** Login POSTs of one address in the range that count as brute force. */
  minAttempts: string;
}

const PANELS: readonly {
  name: string;
  empty: (t: Thresholds) => string;
  params?: (t: Thresholds) => Record<string, string>;
}[] = [
  { name: "top-talkers", empty: () => "No requests in the window.", params: () => ({ limit: "25" }) },
  {
    name: "error-bursts",
    empty: (t) => `No address got ${t.minErrors} or more 4xx/5xx answers in one minute.`,
    params: (t) => ({ min_errors: t.minErrors }),
  },
  {
    name: "login-brute-force",
    empty: (t) => `No address posted to a login page ${t.minAttempts} or more times.`,
    params: (t) => ({ min_attempts: t.minAttempts }),
  },
  { name: "scanners", empty: () => "No request matched a scanner signature." },
  { name: "by-provider-country", empty: () => "No requests in the window." },
];

const titleOf = (name: string): string => DASHBOARD_QUERIES.find((q) => q.name === name)?.title ?? name;

function errorBox(error: unknown): HTMLElement {
  return h(
    "div",
    { className: "error", role: "alert", "data-testid": "error" },
    h("strong", {}, error instanceof ApiError && error.status === 403 ? "Not allowed. " : "Could not load. "),
    error instanceof ApiError ? error.message : "Something went wrong.",
  );
}

export function securityView(root: HTMLElement, me: Me): void {
  const window = me.securityWindow;
  if (window === null || !me.capabilities.includes("security")) {
    // The page does not decide this: it asks, and shows the API's answer.
    const box = h(
      "div",
      { className: "view", "data-view": "security" },
      h("p", { className: "loading" }, "Checking access…"),
    );
    replace(root, box);
    runQuery("top-talkers", {}).then(
      () =>
        replace(box, errorBox(new ApiError(403, "forbidden", "Reload the page to see the security view."))),
      (error: unknown) => replace(box, errorBox(error)),
    );
    return;
  }
  const state = { from: window.from, to: window.to };
  const thresholds: Thresholds = { minErrors: "20", minAttempts: "10" };
  const paramsOf = (panel: (typeof PANELS)[number]) => ({ ...state, ...(panel.params?.(thresholds) ?? {}) });
  const minErrorsInput = h("input", {
    type: "number",
    min: 1,
    max: 1000000,
    value: thresholds.minErrors,
    "data-testid": "min-errors",
    className: "narrow",
  });
  const minAttemptsInput = h("input", {
    type: "number",
    min: 1,
    max: 1000000,
    value: thresholds.minAttempts,
    "data-testid": "min-attempts",
    className: "narrow",
  });
  const fromInput = h("input", {
    type: "date",
    "data-testid": "sec-from",
    value: state.from,
    min: window.from,
    max: window.to,
  });
  const toInput = h("input", {
    type: "date",
    "data-testid": "sec-to",
    value: state.to,
    min: window.from,
    max: window.to,
  });
  const status = h("p", { className: "status", role: "status", "data-testid": "status" });
  const toolbar = h(
    "div",
    { className: "toolbar" },
    h("label", { className: "field" }, h("span", {}, "From"), fromInput),
    h("label", { className: "field" }, h("span", {}, "To"), toInput),
    h("label", { className: "field" }, h("span", {}, "Burst: errors per minute ≥"), minErrorsInput),
    h("label", { className: "field" }, h("span", {}, "Brute force: login POSTs ≥"), minAttemptsInput),
    h(
      "p",
      { className: "window-note" },
      `The security zone keeps full records for 168 hours: ${formatDay(window.from)} – ${formatDay(window.to)} (UTC). Older records are deleted unless on legal hold.`,
    ),
  );

  // --- the timeline of one address, and the legal hold ---------------------------------------------------------
  const ipInput = h("input", {
    type: "text",
    "data-testid": "ip-input",
    placeholder: "e.g. 203.0.113.7 or 2001:db8::1",
    autocomplete: "off",
    spellcheck: "false",
  });
  const timelineBody = h(
    "div",
    { className: "card-body" },
    h("p", { className: "empty" }, "Pick an address in one of the tables below, or type one."),
  );
  const holdArea = h("div", { className: "hold-area", "data-testid": "hold-area" });
  let disposeAddressChart: (() => void) | null = null;
  const timelineForm = h(
    "form",
    {
      className: "inline-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        void openTimeline(ipInput.value.trim());
      },
    },
    h("label", { className: "field grow" }, h("span", {}, "Address"), ipInput),
    h("button", { type: "submit", "data-testid": "show-timeline" }, "Show timeline"),
  );
  const timelineCard = h(
    "section",
    { className: "card wide", "data-query": "ip-timeline" },
    h("header", {}, h("h2", {}, "Timeline of one address")),
    timelineForm,
    timelineBody,
    holdArea,
  );

  const holdsBody = h("div", { className: "card-body" });
  const holdsCard = me.capabilities.includes("holds")
    ? h(
        "section",
        { className: "card wide", "data-testid": "holds" },
        h("header", {}, h("h2", {}, "Legal holds")),
        holdsBody,
      )
    : null;

  // --- requests and errors per hour ------------------------------------------------------------------------
  const chartBox = h("div", { className: "chart", "data-testid": "security-chart" });
  const chartNote = h("p", { className: "footnote" });
  let disposeChart: (() => void) | null = null;
  const chartCard = h(
    "section",
    { className: "card chart-card", "data-query": "requests-over-time" },
    h(
      "header",
      {},
      h("h2", {}, "Requests and errors per hour (UTC), all addresses"),
      h(
        "button",
        {
          type: "button",
          className: "secondary",
          "data-export": "requests-over-time",
          onclick: async () => {
            try {
              status.textContent = `Downloaded ${await downloadCsv("requests-over-time", { ...state })}`;
            } catch (error) {
              status.textContent =
                error instanceof ApiError ? `Export failed: ${error.message}` : "Export failed.";
            }
          },
        },
        "Export CSV",
      ),
    ),
    chartBox,
    chartNote,
  );

  // --- the block list ------------------------------------------------------------------------------------------
  const entries = h("textarea", {
    "data-testid": "blocklist-entries",
    rows: 6,
    spellcheck: "false",
    placeholder:
      "Tick addresses in the tables below, or type addresses and prefixes, one per line:\n203.0.113.7\n198.51.100.0/24\n2001:db8::/48",
  });
  const widenSelect = h(
    "select",
    { "data-testid": "blocklist-widen" },
    ...WIDEN_CHOICES.map((choice) => h("option", { value: choice.value }, choice.label)),
  );
  const formatSelect = h(
    "select",
    { "data-testid": "blocklist-format" },
    ...BLOCK_LIST_FORMATS.map((format) => h("option", { value: format }, FORMAT_LABELS[format])),
  );
  const blockSummary = h("p", { className: "status", role: "status", "data-testid": "blocklist-summary" });
  const blockProblems = h("ul", { className: "problems", "data-testid": "blocklist-problems" });
  const preview = h("pre", { className: "preview", "data-testid": "blocklist-preview" });
  const blockCard = h(
    "section",
    { className: "card wide", "data-testid": "blocklist" },
    h("header", {}, h("h2", {}, "Block list")),
    h(
      "p",
      { className: "footnote" },
      "Addresses and prefixes to block at your web server or firewall. Each entry becomes a CIDR block: host bits are cleared, IPv4-mapped IPv6 is written as IPv4, duplicates and blocks inside another are left out. Nothing is blocked by logsieve itself: download the file and deploy it.",
    ),
    h("label", { className: "field grow" }, h("span", {}, "Addresses and prefixes"), entries),
    h(
      "div",
      { className: "inline-form" },
      h("label", { className: "field" }, h("span", {}, "Widen each address to"), widenSelect),
      h("label", { className: "field" }, h("span", {}, "Format"), formatSelect),
      h(
        "button",
        { type: "button", "data-testid": "blocklist-download", onclick: () => downloadBlockList() },
        "Download block list",
      ),
      h(
        "button",
        {
          type: "button",
          className: "secondary",
          onclick: () => {
            entries.value = "";
            refreshBlockList();
          },
        },
        "Clear",
      ),
    ),
    blockSummary,
    blockProblems,
    preview,
  );

  const grid = h("div", { className: "grid" });
  const bodies = new Map<string, HTMLElement>();
  for (const panel of PANELS) {
    const body = h("div", { className: "card-body" }, h("p", { className: "loading" }, "Loading…"));
    bodies.set(panel.name, body);
    const exportButton = h(
      "button",
      {
        type: "button",
        className: "secondary",
        "data-export": panel.name,
        onclick: async () => {
          try {
            status.textContent = `Downloaded ${await downloadCsv(panel.name, paramsOf(panel))}`;
          } catch (error) {
            status.textContent =
              error instanceof ApiError ? `Export failed: ${error.message}` : "Export failed.";
          }
        },
      },
      "Export CSV",
    );
    grid.appendChild(
      h(
        "section",
        { className: "card", "data-query": panel.name },
        h("header", {}, h("h2", {}, titleOf(panel.name)), exportButton),
        body,
        PROVIDER_PANELS.has(panel.name) && me.providerAttribution ? providerCredit() : null,
      ),
    );
  }
  const view = h(
    "div",
    { className: "view", "data-view": "security" },
    toolbar,
    chartCard,
    timelineCard,
    grid,
    blockCard,
    holdsCard,
    status,
  );
  replace(root, view);

  /** Which timeline request is the latest: an earlier one that answers later is not shown. */
  let timelineGeneration = 0;

  async function openTimeline(ip: string): Promise<void> {
    const mine = ++timelineGeneration;
    const range = { ...state };
    ipInput.value = ip;
    replace(holdArea);
    if (ip === "") {
      replace(timelineBody, h("p", { className: "empty" }, "Type an address first."));
      return;
    }
    replace(timelineBody, h("p", { className: "loading" }, "Loading…"));
    timelineCard.scrollIntoView({ block: "start", behavior: "smooth" });
    disposeAddressChart?.();
    disposeAddressChart = null;
    try {
      const [result, hours] = await Promise.all([
        runQuery("ip-timeline", { ...range, ip }),
        runQuery("address-over-time", { ...range, ip }),
      ]);
      if (mine !== timelineGeneration) return;
      const addressChart = h("div", { className: "chart", "data-testid": "address-chart" });
      const series = hourlySeries(hours.rows, range, Date.now());
      replace(
        timelineBody,
        h(
          "div",
          { className: "address-head" },
          h("h3", {}, `Requests and errors per hour (UTC) of ${ip}`),
          h(
            "button",
            {
              type: "button",
              className: "secondary",
              "data-testid": "add-to-blocklist",
              onclick: () => choose(ip, true),
            },
            "Add to block list",
          ),
        ),
        addressChart,
        h(
          "p",
          { className: "footnote" },
          `${formatCount(series.totals.requests)} request(s), ${formatCount(series.totals.status4xx)} answered 4xx, ${formatCount(series.totals.status5xx)} answered 5xx in the chosen days. ${result.rows.length} request(s) of ${ip} below, oldest first${result.rows.length >= 1000 ? " (the first 1,000)" : ""}.`,
        ),
        resultTable(result.columns, result.rows, {
          empty: "No request from this address in the chosen days.",
        }),
      );
      disposeAddressChart = securityChart(addressChart, series);
      if (result.rows.length > 0) renderHoldForm(ip);
    } catch (error) {
      if (mine === timelineGeneration) replace(timelineBody, errorBox(error));
    }
  }

  function renderHoldForm(ip: string): void {
    if (!me.capabilities.includes("holds")) {
      replace(
        holdArea,
        h(
          "p",
          { className: "footnote" },
          "Only the security lead can place a legal hold. Ask them to keep this address's records as evidence.",
        ),
      );
      return;
    }
    if (!me.holdsAvailable) {
      replace(
        holdArea,
        h(
          "p",
          { className: "footnote" },
          "Legal holds cannot be placed from the dashboard in this deployment; use `logsieve hold create`.",
        ),
      );
      return;
    }
    const incident = h("input", {
      type: "text",
      "data-testid": "hold-incident",
      placeholder: "INC-2026-001",
      required: true,
      maxlength: 64,
    });
    const reason = h("input", {
      type: "text",
      "data-testid": "hold-reason",
      placeholder: "Ticket, what happened",
      required: true,
      maxlength: 2000,
    });
    const result = h("p", { className: "status", role: "status", "data-testid": "hold-result" });
    const submit = h(
      "button",
      { type: "submit", className: "danger", "data-testid": "hold-submit" },
      "Place on legal hold",
    );
    const form = h(
      "form",
      {
        className: "hold-form",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          submit.disabled = true;
          result.textContent = "Copying the records into the evidence zone…";
          result.className = "status";
          try {
            const placed = await placeHold({
              incident: incident.value.trim(),
              ip,
              reason: reason.value,
              from: state.from,
            });
            result.textContent = `Legal hold ${placed.incident} placed: ${placed.records} record(s) kept as evidence until the hold is released (by ${placed.createdBy}, ${formatTime(placed.createdAt)} UTC).`;
            result.className = "status ok";
            void refreshHolds();
          } catch (error) {
            result.textContent = error instanceof ApiError ? error.message : "The hold could not be placed.";
            result.className = "status bad";
          } finally {
            submit.disabled = false;
          }
        },
      },
      h("h3", {}, "Place this address on legal hold"),
      h(
        "p",
        { className: "footnote" },
        `Copies every record of ${ip} from ${formatDay(state.from)} on into the evidence zone, where the sweeper cannot delete it until the hold is released (logsieve hold release).`,
      ),
      h(
        "div",
        { className: "inline-form" },
        h("label", { className: "field" }, h("span", {}, "Incident ID"), incident),
        h("label", { className: "field grow" }, h("span", {}, "Reason"), reason),
        submit,
      ),
      result,
    );
    replace(holdArea, form);
  }

  async function refreshHolds(): Promise<void> {
    if (holdsCard === null) return;
    try {
      const holds = await listHolds();
      replace(
        holdsBody,
        holds.length === 0
          ? h("p", { className: "empty" }, "No incident is on hold.")
          : resultTable(
              [
                { name: "incident", label: "Incident", kind: "text" },
                { name: "status", label: "Status", kind: "text" },
                { name: "records", label: "Records", kind: "count" },
                { name: "createdAt", label: "Placed (UTC)", kind: "time" },
                { name: "createdBy", label: "By", kind: "text" },
                { name: "reason", label: "Reason", kind: "text" },
              ],
              holds.map((hold) => ({ ...hold })),
              { empty: "No incident is on hold." },
            ),
      );
    } catch (error) {
      replace(holdsBody, errorBox(error));
    }
  }

  /** The entries of the block list, one per line, as typed. */
  function entryLines(): string[] {
    return entries.value
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
  }

  function widenOf(): WidenTo {
    return WIDEN_CHOICES.find((choice) => choice.value === widenSelect.value)?.widen ?? {};
  }

  function formatOf(): BlockListFormat {
    return BLOCK_LIST_FORMATS.find((format) => format === formatSelect.value) ?? "nginx";
  }

  /** Adds an address to the block list, or takes it out. */
  function choose(ip: string, chosen: boolean): void {
    const lines = entryLines().filter((line) => line !== ip);
    if (chosen) lines.push(ip);
    entries.value = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    refreshBlockList();
  }

  /** The list as it stands: preview, summary, problems, and the ticks in the tables. */
  function refreshBlockList(): string {
    const list = buildBlockList(entryLines(), widenOf());
    const text = renderBlockList(list.blocks, formatOf(), { generatedAt: new Date().toISOString() });
    preview.textContent = list.blocks.length === 0 ? "" : text;
    const notes: string[] = [`${list.blocks.length} block(s)`];
    if (list.adjusted.length > 0) notes.push(`${list.adjusted.length} with host bits cleared`);
    if (list.covered.length > 0) notes.push(`${list.covered.length} left out as already covered`);
    if (list.problems.length > 0) notes.push(`${list.problems.length} refused`);
    blockSummary.textContent = entryLines().length === 0 ? "Nothing chosen yet." : `${notes.join(", ")}.`;
    replace(
      blockProblems,
      ...list.problems.map((problem) => h("li", {}, h("code", {}, problem.entry), ` — ${problem.reason}`)),
      ...list.adjusted.map((a) => h("li", { className: "note" }, h("code", {}, a.entry), ` → ${a.cidr}`)),
      ...list.covered.map((c) => h("li", { className: "note" }, h("code", {}, c.entry), ` is in ${c.by}`)),
    );
    const chosen = new Set(entryLines());
    for (const box of root.querySelectorAll<HTMLInputElement>("input[data-choose]")) {
      box.checked = chosen.has(box.dataset.choose ?? "");
    }
    return text;
  }

  function downloadBlockList(): void {
    const list = buildBlockList(entryLines(), widenOf());
    if (list.blocks.length === 0) {
      blockSummary.textContent = "Nothing to download: choose or type at least one address or prefix.";
      return;
    }
    const format = formatOf();
    const text = renderBlockList(list.blocks, format, { generatedAt: new Date().toISOString() });
    const name = blockListFileName(format, new Date().toISOString().slice(0, 10));
    downloadText(name, text, format === "csv" ? "text/csv" : "text/plain");
    status.textContent = `Downloaded ${name} (${list.blocks.length} block(s)).`;
  }

  /** A tick box before every address in a table: ticked addresses are in the block list. */
  function addChoiceBoxes(container: HTMLElement): void {
    const chosen = new Set(entryLines());
    for (const cell of container.querySelectorAll<HTMLTableCellElement>('td[data-column="client_ip"]')) {
      const ip = cell.textContent?.trim() ?? "";
      if (ip === "" || ip === "–") continue;
      const box = h("input", {
        type: "checkbox",
        className: "choose",
        title: "Put this address on the block list",
        "aria-label": `Block ${ip}`,
        "data-choose": ip,
        onchange: (event: Event) => choose(ip, (event.target as HTMLInputElement).checked),
      });
      box.checked = chosen.has(ip);
      cell.prepend(box);
    }
  }

  async function loadChart(mine: number): Promise<void> {
    const range = { ...state };
    try {
      const result = await runQuery("requests-over-time", range);
      if (mine !== generation) return;
      const series = hourlySeries(result.rows, range, Date.now());
      disposeChart?.();
      replace(chartBox);
      disposeChart = securityChart(chartBox, series);
      chartNote.textContent = `${formatCount(series.totals.requests)} requests, ${formatCount(series.totals.status4xx)} answered 4xx and ${formatCount(series.totals.status5xx)} answered 5xx from ${formatDay(range.from)} to ${formatDay(range.to)}. Point at the chart for one hour; tick an address in a table below to put it on the block list, click it for its own chart and timeline.`;
    } catch (error) {
      if (mine !== generation) return;
      disposeChart?.();
      disposeChart = null;
      replace(chartBox, errorBox(error));
    }
  }

  /**
   * Which load is the latest. Every change of the dates or thresholds starts a load; two quick changes start two,
   * and the first may answer last. Only the latest load's answers are shown, so the tables and the chart always
   * show the range the inputs show. The view carries `is-loading` until the latest load has rendered, and
   * `data-security-loaded` on the body then names that load (as the marketing view's `data-loaded`).
   */
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    view.classList.add("is-loading");
    const chart = loadChart(mine);
    const results = await Promise.allSettled(PANELS.map((panel) => runQuery(panel.name, paramsOf(panel))));
    if (mine !== generation) return;
    PANELS.forEach((panel, i) => {
      const body = bodies.get(panel.name);
      const result = results[i];
      if (body === undefined || result === undefined) return;
      if (result.status === "rejected") {
        replace(body, errorBox(result.reason));
        return;
      }
      replace(
        body,
        resultTable(result.value.columns, result.value.rows, {
          empty: panel.empty(thresholds),
          onAddress: (ip) => void openTimeline(ip),
        }),
      );
      addChoiceBoxes(body);
    });
    await chart;
    if (mine !== generation) return;
    view.classList.remove("is-loading");
    document.body.dataset.securityLoaded = String(mine);
  }

  for (const input of [fromInput, toInput]) {
    input.addEventListener("change", () => {
      if (fromInput.value > toInput.value) {
        status.textContent = "The start of the range must not be after its end.";
        return;
      }
      state.from = fromInput.value;
      state.to = toInput.value;
      void load();
    });
  }
  for (const [input, key] of [
    [minErrorsInput, "minErrors"],
    [minAttemptsInput, "minAttempts"],
  ] as const) {
    input.addEventListener("change", () => {
      if (!/^\d{1,7}$/.test(input.value) || Number(input.value) < 1) {
        status.textContent = "A threshold is a whole number of at least 1.";
        return;
      }
      thresholds[key] = String(Number(input.value));
      void load();
    });
  }
  entries.addEventListener("input", () => refreshBlockList());
  widenSelect.addEventListener("change", () => refreshBlockList());
  formatSelect.addEventListener("change", () => refreshBlockList());
  refreshBlockList();
  void load();
  void refreshHolds();
}

/** The AS database's attribution (CC BY 4.0; DB-IP asks for a link on pages that show its results). */
function providerCredit(): HTMLElement {
  return h(
    "p",
    { className: "footnote credit", "data-testid": "provider-credit" },
    "Provider: IP to ASN data by ",
    h("a", { href: "https://db-ip.com", rel: "noopener noreferrer", target: "_blank" }, "DB-IP"),
    ", ",
    h(
      "a",
      { href: "https://www.routeviews.org/", rel: "noopener noreferrer", target: "_blank" },
      "RouteViews",
    ),
    " and the ",
    h("a", { href: "https://www.nro.net/", rel: "noopener noreferrer", target: "_blank" }, "NRO"),
    ", licensed ",
    h(
      "a",
      { href: "https://creativecommons.org/licenses/by/4.0/", rel: "noopener noreferrer", target: "_blank" },
      "CC BY 4.0",
    ),
    ".",
  );
}
