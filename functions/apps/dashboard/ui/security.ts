/// <reference lib="dom" />
import { DASHBOARD_QUERIES } from "../../../core/dashboard/queries.ts";
import { ApiError, downloadCsv, listHolds, type Me, placeHold, runQuery } from "./api.ts";
import { h, replace } from "./dom.ts";
import { formatDay, formatTime } from "./format.ts";
import { resultTable } from "./table.ts";

/**
 * The security view (security and security-lead roles): within the security zone's window (168 hours), the top
 * talkers, bursts of 4xx/5xx answers, login brute force, scanners and providers; one address's timeline; and,
 * for the security lead, "place on legal hold" for that address. Addresses are shown here, and only here.
 */

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
      ),
    );
  }
  replace(
    root,
    h("div", { className: "view", "data-view": "security" }, toolbar, timelineCard, grid, holdsCard, status),
  );

  async function openTimeline(ip: string): Promise<void> {
    ipInput.value = ip;
    replace(holdArea);
    if (ip === "") {
      replace(timelineBody, h("p", { className: "empty" }, "Type an address first."));
      return;
    }
    replace(timelineBody, h("p", { className: "loading" }, "Loading…"));
    timelineCard.scrollIntoView({ block: "start", behavior: "smooth" });
    try {
      const result = await runQuery("ip-timeline", { ...state, ip });
      replace(
        timelineBody,
        h(
          "p",
          { className: "footnote" },
          `${result.rows.length} request(s) of ${ip}, oldest first${result.rows.length >= 1000 ? " (the first 1,000)" : ""}.`,
        ),
        resultTable(result.columns, result.rows, {
          empty: "No request from this address in the chosen days.",
        }),
      );
      if (result.rows.length > 0) renderHoldForm(ip);
    } catch (error) {
      replace(timelineBody, errorBox(error));
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

  async function load(): Promise<void> {
    const results = await Promise.allSettled(PANELS.map((panel) => runQuery(panel.name, paramsOf(panel))));
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
    });
    document.body.dataset.securityLoaded = String(Date.now());
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
  void load();
  void refreshHolds();
}
