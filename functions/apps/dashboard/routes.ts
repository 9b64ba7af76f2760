import { type Context, Hono, type MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { type QueryCatalog, requireQuery, resolveQueryParams } from "../../core/aggregate/catalog.ts";
import { QueryParamError, queryParameters } from "../../core/aggregate/query-file.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { MAX_HOLD_BODY_BYTES, parseHoldRequest } from "../../core/dashboard/holds.ts";
import type { LiveView } from "../../core/dashboard/live.ts";
import { type DashboardQuery, findDashboardQuery, queriesFor } from "../../core/dashboard/queries.ts";
import {
  DashboardRequestError,
  dashboardSites,
  securityWindow,
  validateQueryParams,
} from "../../core/dashboard/request.ts";
import { exportFileName, isSuppressed, projectResult } from "../../core/dashboard/results.ts";
import { type Capability, capabilitiesOf } from "../../core/dashboard/roles.ts";
import { clearedSessionCookie, SESSION_COOKIE, sessionCookie } from "../../core/dashboard/sessions.ts";
import { toCsv } from "../../core/export/csv.ts";
import type { CreateHoldRequest, CreateHoldResult, HoldSummary } from "../../core/hold/holds.ts";
import { HoldError } from "../../core/hold/holds.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { type AddressLookupDeps, runWithAddressLookup } from "../../core/security/address-lookup.ts";
import { StatsQueryError } from "../../core/stats/query.ts";
import { type StatsService, StatsUnavailableError } from "../../core/stats/service.ts";
import { utcDay } from "../../core/zones.ts";
import type { Clock } from "../../ports/clock.ts";
import type { QueryEngine } from "../../ports/query-engine.ts";
import { bodyLimit } from "../http/body-limit.ts";
import type { HttpVariables } from "../http/types.ts";
import type { DashboardAuth, DashboardIdentity } from "./auth.ts";

/**
 * The dashboards' routes in the HTTP app (apps/http/app.ts), the same behind API Gateway (the dashboard-api
 * function) and under `logsieve serve`:
 *
 *   GET  /dashboard/                       the page (a static shell: no data in it)
 *   GET  /dashboard/assets/<name>          the bundled script and style sheet (content-hashed, immutable)
 *   GET  /dashboard/config.json            how the page signs in (local session or Cognito)
 *   GET  /api/dashboard/me                 who is signed in, what they may see (sites, window, queries)
 *   POST /api/dashboard/logout             ends the local session
 *   GET  /api/dashboard/query/<name>       one allowlisted query with typed parameters → JSON
 *   GET  /api/dashboard/export/<name>.csv  the same as CSV (formula-safe), as a download
 *   GET  /api/dashboard/live?site=<site>   the live panel: visitors in the last 30 minutes and today so far (k-applied)
 *   POST /api/dashboard/stats              a Stats API (v2) query for the page's panels: filters, visits, goals
 *   POST /api/dashboard/stats.csv          the same query's rows as CSV (formula-safe), as a download
 *   GET  /api/dashboard/holds              legal holds (security lead)
 *   POST /api/dashboard/holds              place a legal hold on one address's records (security lead)
 *
 * The data routes live under `/api/dashboard/`, the path the deployment puts behind the Cognito JWT authorizer
 * (infra/constructs/collector.ts). Each route is one function below and one line in {@link dashboardRoutes}: a
 * chain of steps — the same-origin check, the pluggable identify step (./auth.ts: 401 without a session), the
 * role a route needs (403), a body cap — then the route. The page hides what a role may not see, but the refusal
 * is the API's. A refusal is a DashboardRequestError, answered by the app's one error handler; every answer gets
 * the security headers (CSP without inline script or style) from one middleware.
 *
 * Logs carry the route's name, the query name, the status and the roles: never a parameter value, an address or a
 * row.
 */

export interface DashboardAsset {
  readonly body: string;
  readonly contentType: string;
}

export interface DashboardAssets {
  /** The page's HTML (it names the hashed asset files). */
  page(): string;
  asset(name: string): DashboardAsset | null;
}

/**
 * The legal-hold operations the security lead reaches from the page (core/hold/holds.ts, wired in apps/hold/local.ts
 * and ./aws.ts), done with the signed-in person's rights (on AWS: their role's credentials).
 */
export interface DashboardHolds {
  create(request: CreateHoldRequest, identity: DashboardIdentity): Promise<CreateHoldResult>;
  list(identity: DashboardIdentity): Promise<HoldSummary[]>;
}

export interface DashboardLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface DashboardRoutesDeps {
  readonly config: LogsieveConfig;
  readonly catalog: QueryCatalog;
  readonly clock: Clock;
  readonly auth: DashboardAuth;
  readonly assets: DashboardAssets;
  /**
   * The engine for a view's queries (marketing: stats; security: the security zone), reading with the signed-in
   * person's rights (on AWS: the credentials the identity pool issues for their token, so IAM decides what the
   * query can read); null: not deployed here.
   */
  engine(view: "marketing" | "security", identity: DashboardIdentity): Promise<QueryEngine> | null;
  /** Address lookups for queries that look for one address (core/security/address-lookup.ts), with those rights. */
  lookups(identity: DashboardIdentity): AddressLookupDeps;
  /** Null where holds cannot be placed from the dashboard (answered 501). */
  readonly holds: DashboardHolds | null;
  /**
   * The live panel's figures of a site (core/dashboard/live.ts: k applied before they are stored and again here),
   * read with the signed-in person's rights where the deployment has them (on AWS: apps/live/read.ts); null where
   * no live rollup is written (answered 503).
   */
  readonly live?: ((site: string, identity: DashboardIdentity) => Promise<LiveView>) | null;
  readonly logger: DashboardLogger;
  /** What the page needs to sign in (served as /dashboard/config.json). */
  readonly pageConfig: Readonly<Record<string, unknown>>;
  /** Origins besides 'self' the page may connect to (the Cognito token endpoint). */
  readonly connectOrigins?: readonly string[];
  /**
   * The Stats API's service for the page's panels (Plausible-shaped queries: filters, visits, goals): the same
   * planner and allowlisted query files as `POST /api/v2/query` (core/stats/service.ts), reading with the signed-in
   * person's rights like `engine`. Absent: answered 501.
   */
  readonly stats?: (identity: DashboardIdentity) => StatsService;
}

export const PAGE_PATH = "/dashboard/";
export const ASSETS_PATH = "/dashboard/assets/";
export const API_PATH = "/api/dashboard/";

export interface DashboardEnv {
  Variables: HttpVariables & { identity: DashboardIdentity };
}
type DashboardContext = Context<DashboardEnv>;
type Step = MiddlewareHandler<DashboardEnv>;
type Route = (c: DashboardContext) => Response | Promise<Response>;

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra },
  });
}

/**
 * Every dashboard answer's security headers (Hono's secureHeaders): a Content-Security-Policy with scripts and
 * styles from this origin only and nothing inline, no framing, no referrer, no sniffing, no powerful features. A
 * header a route set itself is kept.
 */
export function dashboardSecurityHeaders(connectOrigins: readonly string[] = []): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'", ...connectOrigins],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], browsingTopics: [] },
    overwrite: false,
  });
}

/** Logs every answered request by route name and status (refusals and failures: the app's error handler). */
function requestLog(logger: DashboardLogger): Step {
  return async (c, next) => {
    c.set("area", "dashboard");
    await next();
    if (c.error === undefined) {
      logger.info("dashboard request", { route: c.get("route") ?? "unknown", status: c.res.status });
    }
  };
}

const named =
  (name: string): Step =>
  async (c, next) => {
    c.set("route", name);
    await next();
  };

/** Requests to the API must come from the dashboard's own page (defence in depth beside SameSite=Strict). */
const sameOrigin: Step = async (c, next) => {
  if (c.req.header("sec-fetch-site") === "cross-site") {
    throw new DashboardRequestError(403, "cross_site", "requests from other sites are refused");
  }
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== c.req.header("host")) {
      throw new DashboardRequestError(403, "cross_site", "requests from other origins are refused");
    }
  }
  await next();
};

/** The identify step: the caller, or 401. */
function signedIn(auth: DashboardAuth): Step {
  return async (c, next) => {
    const identity = await auth.identify(c);
    if (identity === null) {
      throw new DashboardRequestError(
        401,
        "not_signed_in",
        auth.mode === "session"
          ? "not signed in: open one of the dashboard links `logsieve serve` printed when it started"
          : "not signed in",
      );
    }
    c.set("identity", identity);
    await next();
  };
}

function requireCapability(identity: DashboardIdentity, capability: Capability): void {
  if (capabilitiesOf(identity.roles).includes(capability)) return;
  const needed =
    capability === "marketing"
      ? "a dashboard role"
      : capability === "security"
        ? "the security or security-lead role"
        : "the security-lead role";
  const has = identity.roles.length === 0 ? "no dashboard role" : `the role ${identity.roles.join(", ")}`;
  throw new DashboardRequestError(403, "forbidden", `this needs ${needed}; you are signed in with ${has}`);
}

/** The role step: 403 unless the signed-in caller may do this. */
const requires =
  (capability: Capability): Step =>
  async (c, next) => {
    requireCapability(c.get("identity"), capability);
    await next();
  };

function rawQuery(c: Context): string {
  const url = c.req.url;
  const at = url.indexOf("?");
  return at < 0 ? "" : url.slice(at + 1);
}

function queryParamsOf(c: Context): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery(c))) {
    if (params[key] !== undefined) {
      throw new DashboardRequestError(400, "bad_parameter", "a parameter is given twice");
    }
    params[key] = value;
  }
  return params;
}

// --- the routes: one function each -------------------------------------------------------------------------

const redirectToPage: Route = () =>
  new Response(null, { status: 308, headers: { location: PAGE_PATH, "cache-control": "no-store" } });

/** The page; with `?token=` (a printed sign-in link) it opens a session and drops the token from the URL. */
function page(deps: DashboardRoutesDeps): Route {
  return (c) => {
    const token = c.req.query("token");
    const sessions = deps.auth.sessions;
    if (token === undefined || sessions === undefined) {
      return new Response(deps.assets.page(), {
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    const session = sessions.signIn(token);
    if (session === null) {
      // The page still loads and tells the person what to do; the cookie is not touched.
      return new Response(null, {
        status: 303,
        headers: { location: `${PAGE_PATH}?signin=invalid`, "cache-control": "no-store" },
      });
    }
    return new Response(null, {
      status: 303,
      headers: {
        location: PAGE_PATH,
        "cache-control": "no-store",
        "set-cookie": sessionCookie(session, deps.clock.now()),
      },
    });
  };
}

function pageConfig(deps: DashboardRoutesDeps): Route {
  return () => json(200, { auth: deps.auth.mode, ...deps.pageConfig });
}

/** Only the names in the build's manifest exist: no request path ever becomes a file path. */
function asset(deps: DashboardRoutesDeps): Route {
  return (c) => {
    const found = deps.assets.asset(c.req.param("name") ?? "");
    if (found === null) throw new DashboardRequestError(404, "not_found", "no such asset");
    return new Response(found.body, {
      status: 200,
      headers: { "content-type": found.contentType, "cache-control": "public, max-age=31536000, immutable" },
    });
  };
}

function me(deps: DashboardRoutesDeps): Route {
  return (c) => {
    const identity = c.get("identity");
    const capabilities = capabilitiesOf(identity.roles);
    if (capabilities.length === 0) requireCapability(identity, "marketing");
    const nowMs = deps.clock.now();
    const sites = dashboardSites(deps.config);
    return json(200, {
      roles: identity.roles,
      capabilities,
      sites,
      defaultSite: sites[0] ?? null,
      today: utcDay(nowMs),
      k: deps.config.k,
      securityWindow: capabilities.includes("security") ? securityWindow(deps.config, nowMs) : null,
      queries: queriesFor(capabilities),
      holdsAvailable: capabilities.includes("holds") && deps.holds !== null,
      providerAttribution: deps.config.geo.provider && deps.config.geo.asnDb === undefined,
      liveAvailable: capabilities.includes("marketing") && (deps.live ?? null) !== null,
      auth: deps.auth.mode,
    });
  };
}

function logout(deps: DashboardRoutesDeps): Route {
  return (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id !== undefined && id !== "") deps.auth.sessions?.signOut(id);
    return json(200, { signedOut: true }, { "set-cookie": clearedSessionCookie() });
  };
}

/** Runs one allowlisted query for the signed-in caller, with the parameters validated and k from the config. */
async function runQuery(deps: DashboardRoutesDeps, query: DashboardQuery, c: DashboardContext) {
  const identity = c.get("identity");
  requireCapability(identity, query.capability);
  const named = validateQueryParams(query, queryParamsOf(c), {
    config: deps.config,
    nowMs: deps.clock.now(),
  });
  const definition = requireQuery(deps.catalog, query.queryId);
  const bind = (values: Readonly<Record<string, string>>) => {
    try {
      return resolveQueryParams(definition, values, deps.config);
    } catch (error) {
      if (error instanceof QueryParamError)
        throw new DashboardRequestError(400, "bad_parameter", error.message);
      throw error;
    }
  };
  const engine = deps.engine(query.capability, identity);
  if (engine === null) {
    throw new DashboardRequestError(
      503,
      "view_unavailable",
      `the ${query.capability} view is not set up in this deployment`,
    );
  }
  const open = await engine;
  // A query for one address gets it through a lookup, never in its text or parameters (Athena's history).
  const result = await runWithAddressLookup(
    queryParameters(definition).map((p) => p.name),
    named,
    deps.lookups(identity),
    async (values) => open.query(definition.select, bind(values)),
    () => new DashboardRequestError(400, "bad_parameter", "this query needs an address (ip)"),
  );
  return { named, rows: projectResult(query, result) };
}

function knownQuery(name: string): DashboardQuery {
  const query = findDashboardQuery(name);
  if (query === undefined) throw new DashboardRequestError(404, "unknown_query", "no such query");
  return query;
}

function query(deps: DashboardRoutesDeps): Route {
  return async (c) => {
    const found = knownQuery(c.req.param("name") ?? "");
    const { named, rows } = await runQuery(deps, found, c);
    return json(200, {
      query: found.name,
      title: found.title,
      params: named,
      k: isSuppressed(found) ? deps.config.k : null,
      columns: found.columns,
      rows,
    });
  };
}

function exportCsv(deps: DashboardRoutesDeps): Route {
  return async (c) => {
    const file = c.req.param("file") ?? "";
    if (!file.endsWith(".csv")) throw new DashboardRequestError(404, "not_found", "no such API route");
    const found = knownQuery(file.slice(0, -".csv".length));
    const { named, rows } = await runQuery(deps, found, c);
    return new Response(
      toCsv(
        found.columns.map((column) => column.name),
        rows,
      ),
      {
        status: 200,
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${exportFileName(found, named)}"`,
          "cache-control": "no-store",
        },
      },
    );
  };
}

/** The live panel of one configured site; the figures were k-applied where they are stored and are again. */
function live(deps: DashboardRoutesDeps): Route {
  return async (c) => {
    const figures = deps.live ?? null;
    if (figures === null) {
      throw new DashboardRequestError(
        503,
        "live_unavailable",
        "live figures are not computed in this deployment (docs/DASHBOARD.md)",
      );
    }
    const params = queryParamsOf(c);
    const sites = dashboardSites(deps.config);
    const site = params.site ?? sites[0];
    if (site === undefined || !sites.includes(site) || Object.keys(params).some((key) => key !== "site")) {
      throw new DashboardRequestError(
        400,
        "bad_parameter",
        "give site, one of the configured sites, and nothing else",
      );
    }
    return json(200, await figures(site, c.get("identity")));
  };
}

/** Upper bound of a panel's query body (a Stats API query: filters of at most three conditions). */
export const MAX_STATS_BODY_BYTES = 16 * 1024;

const statsBodyLimit = bodyLimit(MAX_STATS_BODY_BYTES, () => {
  throw new DashboardRequestError(
    413,
    "payload_too_large",
    `a query is at most ${MAX_STATS_BODY_BYTES} bytes`,
  );
});

/** Runs one panel's query through the Stats API's service, with the same refusals as the API, in the page's shape. */
async function statsAnswer(deps: DashboardStatsRoutesDeps, c: DashboardContext) {
  const service = deps.stats?.(c.get("identity"));
  if (service === undefined) {
    throw new DashboardRequestError(
      501,
      "stats_unavailable",
      "filters and visit metrics are not available in this deployment",
    );
  }
  const contentType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") {
    throw new DashboardRequestError(415, "unsupported_media_type", "send the query as application/json");
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new DashboardRequestError(400, "bad_parameter", "the query is not valid JSON");
  }
  const site = service.siteOf(body);
  if (site === null || !dashboardSites(deps.config).includes(site)) {
    throw new DashboardRequestError(
      400,
      "bad_parameter",
      `site_id must be one of: ${dashboardSites(deps.config).join(", ")}`,
    );
  }
  try {
    return await service.answer(body);
  } catch (error) {
    if (error instanceof StatsQueryError) throw new DashboardRequestError(400, "bad_query", error.message);
    if (error instanceof StatsUnavailableError)
      throw new DashboardRequestError(503, "view_unavailable", error.message);
    throw error;
  }
}

function stats(deps: DashboardStatsRoutesDeps): Route {
  return async (c) => json(200, await statsAnswer(deps, c));
}

/** The panel's rows as CSV: one column per dimension, then one per metric, named as in the query. */
function statsCsv(deps: DashboardStatsRoutesDeps): Route {
  return async (c) => {
    const result = await statsAnswer(deps, c);
    const dimensions = (result.query.dimensions as string[]) ?? [];
    const metrics = (result.query.metrics as string[]) ?? [];
    const rows = result.results.map((r) =>
      Object.fromEntries([
        ...dimensions.map((d, i) => [d, r.dimensions[i] ?? null]),
        ...metrics.map((m, i) => [m, r.metrics[i] ?? null]),
      ]),
    );
    const [from, to] = (result.query.date_range as string[]).map((d) => d.slice(0, 10));
    const what = dimensions.find((d) => !d.startsWith("time")) ?? "totals";
    const name = `logsieve-${what.replace(/[^a-z0-9]+/gi, "-")}-${String(result.query.site_id)}-${from}-to-${to}.csv`;
    return new Response(toCsv([...dimensions, ...metrics], rows), {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${name}"`,
        "cache-control": "no-store",
      },
    });
  };
}

function holdsOrUnavailable(deps: DashboardRoutesDeps): DashboardHolds {
  if (deps.holds === null) {
    throw new DashboardRequestError(
      501,
      "holds_unavailable",
      "legal holds cannot be placed from the dashboard in this deployment; use `logsieve hold create`",
    );
  }
  return deps.holds;
}

function listHolds(deps: DashboardRoutesDeps): Route {
  return async (c) => json(200, { holds: await holdsOrUnavailable(deps).list(c.get("identity")) });
}

function createHold(deps: DashboardRoutesDeps): Route {
  return async (c) => {
    const holds = holdsOrUnavailable(deps);
    const contentType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      throw new DashboardRequestError(415, "unsupported_media_type", "send the hold as application/json");
    }
    const request = parseHoldRequest(await c.req.text());
    let result: CreateHoldResult;
    try {
      const identity = c.get("identity");
      result = await holds.create({ ...request, who: identity.who }, identity);
    } catch (error) {
      if (error instanceof HoldError) {
        const message = redactAddresses(
          error.hint === undefined ? error.message : `${error.message} (${error.hint})`,
        );
        throw new DashboardRequestError(
          /already|released/.test(error.message) ? 409 : 400,
          "hold_refused",
          message,
        );
      }
      throw error;
    }
    const m = result.manifest;
    return json(201, {
      incident: m.incident,
      records: m.records,
      createdAt: m.createdAt,
      createdBy: m.createdBy,
      objects: m.objects.length,
      resumed: result.resumed,
    });
  };
}

const holdBodyLimit = bodyLimit(MAX_HOLD_BODY_BYTES, () => {
  throw new DashboardRequestError(
    413,
    "payload_too_large",
    `a hold request is at most ${MAX_HOLD_BODY_BYTES} bytes`,
  );
});

const notFound =
  (message: string): Route =>
  () => {
    throw new DashboardRequestError(404, "not_found", message);
  };

// --- the group ---------------------------------------------------------------------------------------------------

type Method = "GET" | "POST";

/**
 * Registers one route: its name (for logs), then per method its steps and its function; any other method is
 * answered 405.
 */
function route(
  app: Hono<DashboardEnv>,
  name: string,
  path: string,
  methods: Partial<Record<Method, readonly [...Step[], Route]>>,
): void {
  const allowed = Object.keys(methods) as Method[];
  for (const method of allowed) app.on(method, path, named(name), ...(methods[method] ?? []));
  app.all(path, named(name), () => {
    throw new DashboardRequestError(
      405,
      "method_not_allowed",
      `this route answers ${allowed.join(" and ")} only`,
    );
  });
}

/** The panels' Stats API routes: one definition, in the whole group and in {@link dashboardStatsRoutes}. */
function addStatsRoutes(app: Hono<DashboardEnv>, deps: DashboardStatsRoutesDeps, identify: Step): void {
  route(app, "stats", `${API_PATH}stats`, {
    POST: [sameOrigin, identify, requires("marketing"), statsBodyLimit, stats(deps)],
  });
  route(app, "stats-csv", `${API_PATH}stats.csv`, {
    POST: [sameOrigin, identify, requires("marketing"), statsBodyLimit, statsCsv(deps)],
  });
}

/** What the panels' Stats API routes need: a part of {@link DashboardRoutesDeps}. */
export type DashboardStatsRoutesDeps = Pick<
  DashboardRoutesDeps,
  "config" | "auth" | "logger" | "stats" | "connectOrigins"
>;

/**
 * Only `POST /api/dashboard/stats` and `/api/dashboard/stats.csv`, with the same steps, refusals and answers as in
 * {@link dashboardRoutes}: the stats-api function serves these two on AWS (apps/stats/aws.ts), because filtered
 * panels read events/, which only that function's role may read; the person's Cognito token says who asks.
 */
export function dashboardStatsRoutes(deps: DashboardStatsRoutesDeps): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  app.use(`${API_PATH}*`, requestLog(deps.logger), dashboardSecurityHeaders(deps.connectOrigins));
  addStatsRoutes(app, deps, signedIn(deps.auth));
  return app;
}

export function dashboardRoutes(deps: DashboardRoutesDeps): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const headers = dashboardSecurityHeaders(deps.connectOrigins);
  for (const scope of ["/dashboard/*", `${API_PATH}*`]) app.use(scope, requestLog(deps.logger), headers);
  const identify = signedIn(deps.auth);

  route(app, "redirect", "/dashboard", { GET: [redirectToPage] });
  route(app, "page", PAGE_PATH, { GET: [page(deps)] });
  route(app, "page", `${PAGE_PATH}index.html`, { GET: [page(deps)] });
  route(app, "config", `${PAGE_PATH}config.json`, { GET: [pageConfig(deps)] });
  route(app, "asset", `${ASSETS_PATH}:name`, { GET: [asset(deps)] });
  app.all("/dashboard/*", named("unknown"), notFound("no such page"));

  route(app, "me", `${API_PATH}me`, { GET: [sameOrigin, identify, me(deps)] });
  route(app, "logout", `${API_PATH}logout`, { POST: [sameOrigin, logout(deps)] });
  route(app, "query", `${API_PATH}query/:name`, { GET: [sameOrigin, identify, query(deps)] });
  route(app, "export", `${API_PATH}export/:file`, { GET: [sameOrigin, identify, exportCsv(deps)] });
  route(app, "live", `${API_PATH}live`, { GET: [sameOrigin, identify, requires("marketing"), live(deps)] });
  addStatsRoutes(app, deps, identify);
  route(app, "holds", `${API_PATH}holds`, {
    GET: [sameOrigin, identify, requires("holds"), listHolds(deps)],
    POST: [sameOrigin, identify, requires("holds"), holdBodyLimit, createHold(deps)],
  });
  app.all(`${API_PATH}*`, named("unknown"), sameOrigin, notFound("no such API route"));
  return app;
}
