import type { Capability } from "./roles.ts";

/**
 * The allowlist: the only queries the dashboard API runs, by name, each bound to one file in `queries/`, one
 * capability (see roles.ts), the parameters a browser may pass with their types and bounds, and the columns
 * that are returned (anything else a query file might return is dropped before the response is written).
 * There is no other way to reach the engine from the browser: no SQL text, no table or column names.
 *
 * Marketing queries read `stats/` only; the `dashboard.*` files suppress every row below k in their SQL. The two
 * `cli.*` files give the operator's totals (requests and bots, no person-level dimension) from which the page
 * shows the bot share; their people counts (visitors, unique clients) are not in the column list.
 * Security queries read `security/` (full addresses) and are limited to its retention window.
 *
 * This module is also bundled into the page (labels and units of the columns); it must stay free of I/O.
 */

/** How a column is shown and exported. */
export type ColumnKind =
  | "text"
  | "count"
  | "bytes"
  | "day"
  | "time"
  | "address"
  | "flag"
  /** A percentage as the Stats API gives it (0–100). */
  | "percent"
  /** Seconds, written as minutes and seconds. */
  | "duration"
  /** A ratio such as views per visit. */
  | "ratio";

export interface ColumnSpec {
  readonly name: string;
  readonly label: string;
  readonly kind: ColumnKind;
}

/**
 * A parameter a browser may pass. `site`: one of the configured sites (default: the default site); `date`:
 * `YYYY-MM-DD`; `address`: one IPv4 or IPv6 address, normalized like `security.client_ip`; `int`: a whole
 * number within [min, max].
 */
export type ParamRule =
  | { readonly name: string; readonly kind: "site" }
  | { readonly name: string; readonly kind: "date" }
  | { readonly name: string; readonly kind: "address" }
  | { readonly name: string; readonly kind: "int"; readonly min: number; readonly max: number };

export interface DashboardQuery {
  /** The name in the URL: `/api/dashboard/query/<name>`. */
  readonly name: string;
  /** The query file, `queries/<queryId>.sql`. */
  readonly queryId: string;
  readonly capability: Extract<Capability, "marketing" | "security">;
  readonly title: string;
  readonly params: readonly ParamRule[];
  readonly columns: readonly ColumnSpec[];
}

const SITE: ParamRule = { name: "site", kind: "site" };
const FROM: ParamRule = { name: "from", kind: "date" };
const TO: ParamRule = { name: "to", kind: "date" };
const MARKETING_PARAMS = [SITE, FROM, TO] as const;
const WINDOW_PARAMS = [FROM, TO] as const;

const PAGEVIEWS: ColumnSpec = { name: "pageviews", label: "Page views", kind: "count" };
const VISITORS: ColumnSpec = { name: "visitors", label: "Visitors", kind: "count" };

function breakdown(name: string, queryId: string, title: string, column: ColumnSpec): DashboardQuery {
  return {
    name,
    queryId,
    capability: "marketing",
    title,
    params: MARKETING_PARAMS,
    columns: [column, PAGEVIEWS, VISITORS],
  };
}

const ADDRESS: ColumnSpec = { name: "client_ip", label: "Address", kind: "address" };
const FIRST_SEEN: ColumnSpec = { name: "first_seen", label: "First seen (UTC)", kind: "time" };
const LAST_SEEN: ColumnSpec = { name: "last_seen", label: "Last seen (UTC)", kind: "time" };
const HOUR: ColumnSpec = { name: "hour", label: "Hour (UTC)", kind: "time" };
const REQUESTS: ColumnSpec = { name: "requests", label: "Requests", kind: "count" };
const STATUS_4XX: ColumnSpec = { name: "status_4xx", label: "4xx", kind: "count" };
const STATUS_5XX: ColumnSpec = { name: "status_5xx", label: "5xx", kind: "count" };

export const DASHBOARD_QUERIES: readonly DashboardQuery[] = [
  {
    name: "timeseries",
    queryId: "dashboard.timeseries",
    capability: "marketing",
    title: "Visitors and page views per day",
    params: MARKETING_PARAMS,
    columns: [{ name: "day", label: "Day", kind: "day" }, PAGEVIEWS, VISITORS],
  },
  breakdown("top-pages", "dashboard.topPages", "Top pages", { name: "path", label: "Page", kind: "text" }),
  breakdown("top-referrers", "dashboard.topReferrers", "Referrers", {
    name: "referrer_host",
    label: "Referrer",
    kind: "text",
  }),
  {
    name: "campaigns",
    queryId: "dashboard.campaigns",
    capability: "marketing",
    title: "Campaigns",
    params: MARKETING_PARAMS,
    columns: [
      { name: "utm_source", label: "Source", kind: "text" },
      { name: "utm_medium", label: "Medium", kind: "text" },
      { name: "utm_campaign", label: "Campaign", kind: "text" },
      PAGEVIEWS,
      VISITORS,
    ],
  },
  breakdown("countries", "dashboard.countries", "Countries", {
    name: "country",
    label: "Country",
    kind: "text",
  }),
  breakdown("browsers", "dashboard.browsers", "Browsers", {
    name: "browser",
    label: "Browser",
    kind: "text",
  }),
  breakdown("operating-systems", "dashboard.operatingSystems", "Operating systems", {
    name: "os",
    label: "Operating system",
    kind: "text",
  }),
  breakdown("devices", "dashboard.devices", "Devices", { name: "device", label: "Device", kind: "text" }),
  {
    name: "traffic",
    queryId: "cli.dailyTraffic",
    capability: "marketing",
    title: "Requests and bot requests per day",
    params: MARKETING_PARAMS,
    columns: [
      { name: "day", label: "Day", kind: "day" },
      { name: "hits", label: "Requests", kind: "count" },
      { name: "bot_hits", label: "Bot requests", kind: "count" },
    ],
  },
  {
    name: "bots",
    queryId: "cli.bots",
    capability: "marketing",
    title: "Bots",
    params: MARKETING_PARAMS,
    columns: [
      { name: "bot_name", label: "Bot", kind: "text" },
      { name: "hits", label: "Requests", kind: "count" },
      { name: "bandwidth", label: "Bytes", kind: "bytes" },
    ],
  },
  {
    name: "requests-over-time",
    queryId: "security.requestsOverTime",
    capability: "security",
    title: "Requests and errors per hour",
    params: WINDOW_PARAMS,
    columns: [HOUR, REQUESTS, STATUS_4XX, STATUS_5XX, { name: "clients", label: "Addresses", kind: "count" }],
  },
  {
    name: "address-over-time",
    queryId: "security.addressOverTime",
    capability: "security",
    title: "Requests and errors per hour of one address",
    params: [...WINDOW_PARAMS, { name: "ip", kind: "address" }],
    columns: [HOUR, REQUESTS, STATUS_4XX, STATUS_5XX],
  },
  {
    name: "top-talkers",
    queryId: "security.topTalkers",
    capability: "security",
    title: "Top talkers",
    params: [...WINDOW_PARAMS, { name: "limit", kind: "int", min: 1, max: 500 }],
    columns: [
      ADDRESS,
      { name: "requests", label: "Requests", kind: "count" },
      { name: "bytes", label: "Bytes", kind: "bytes" },
      { name: "status_4xx", label: "4xx", kind: "count" },
      { name: "status_5xx", label: "5xx", kind: "count" },
      { name: "distinct_targets", label: "Distinct URLs", kind: "count" },
      { name: "country", label: "Country", kind: "text" },
      { name: "provider", label: "Provider", kind: "text" },
      FIRST_SEEN,
      LAST_SEEN,
    ],
  },
  {
    name: "error-bursts",
    queryId: "security.errorBursts",
    capability: "security",
    title: "Bursts of 4xx/5xx answers",
    params: [...WINDOW_PARAMS, { name: "min_errors", kind: "int", min: 1, max: 1_000_000 }],
    columns: [
      ADDRESS,
      { name: "minute", label: "Minute (UTC)", kind: "time" },
      { name: "errors", label: "Errors", kind: "count" },
      { name: "status_4xx", label: "4xx", kind: "count" },
      { name: "status_5xx", label: "5xx", kind: "count" },
      { name: "distinct_targets", label: "Distinct URLs", kind: "count" },
    ],
  },
  {
    name: "login-brute-force",
    queryId: "security.loginBruteForce",
    capability: "security",
    title: "Login brute force",
    params: [...WINDOW_PARAMS, { name: "min_attempts", kind: "int", min: 1, max: 1_000_000 }],
    columns: [
      ADDRESS,
      { name: "attempts", label: "Login POSTs", kind: "count" },
      { name: "distinct_paths", label: "Login paths", kind: "count" },
      { name: "status_2xx", label: "2xx", kind: "count" },
      { name: "status_3xx", label: "3xx", kind: "count" },
      { name: "status_4xx", label: "4xx", kind: "count" },
      { name: "distinct_user_agents", label: "User agents", kind: "count" },
      FIRST_SEEN,
      LAST_SEEN,
    ],
  },
  {
    name: "scanners",
    queryId: "security.scanners",
    capability: "security",
    title: "Scanners",
    params: WINDOW_PARAMS,
    columns: [
      { name: "signature", label: "Signature", kind: "text" },
      ADDRESS,
      { name: "hits", label: "Requests", kind: "count" },
      { name: "answered_2xx", label: "Answered 2xx", kind: "count" },
      FIRST_SEEN,
      LAST_SEEN,
    ],
  },
  {
    name: "ip-timeline",
    queryId: "security.ipTimeline",
    capability: "security",
    title: "Timeline of one address",
    params: [
      ...WINDOW_PARAMS,
      { name: "ip", kind: "address" },
      { name: "limit", kind: "int", min: 1, max: 5000 },
    ],
    columns: [
      { name: "ts", label: "Time (UTC)", kind: "time" },
      { name: "site", label: "Site", kind: "text" },
      { name: "method", label: "Method", kind: "text" },
      { name: "target", label: "Target", kind: "text" },
      { name: "status", label: "Status", kind: "count" },
      { name: "bytes", label: "Bytes", kind: "bytes" },
      { name: "referrer", label: "Referrer", kind: "text" },
      { name: "user_agent", label: "User agent", kind: "text" },
      { name: "country", label: "Country", kind: "text" },
      { name: "provider", label: "Provider", kind: "text" },
      { name: "is_bot", label: "Bot", kind: "flag" },
    ],
  },
  {
    name: "by-provider-country",
    queryId: "security.byProviderCountry",
    capability: "security",
    title: "Providers and countries",
    params: WINDOW_PARAMS,
    columns: [
      { name: "provider", label: "Provider", kind: "text" },
      { name: "country", label: "Country", kind: "text" },
      { name: "requests", label: "Requests", kind: "count" },
      { name: "clients", label: "Addresses", kind: "count" },
      { name: "bytes", label: "Bytes", kind: "bytes" },
      { name: "status_4xx", label: "4xx", kind: "count" },
      { name: "status_5xx", label: "5xx", kind: "count" },
      { name: "bot_requests", label: "Bot requests", kind: "count" },
    ],
  },
];

const BY_NAME: ReadonlyMap<string, DashboardQuery> = new Map(DASHBOARD_QUERIES.map((q) => [q.name, q]));

/** The allowlisted query with that URL name, or undefined (the API answers 404). */
export function findDashboardQuery(name: string): DashboardQuery | undefined {
  return BY_NAME.get(name);
}

/** The names of the queries a set of capabilities may run, in allowlist order. */
export function queriesFor(capabilities: readonly Capability[]): string[] {
  return DASHBOARD_QUERIES.filter((q) => capabilities.includes(q.capability)).map((q) => q.name);
}
