import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { type QueryCatalog, requireQuery, resolveQueryParams } from "../../core/aggregate/catalog.ts";
import { QueryParamError } from "../../core/aggregate/query-file.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { MAX_HOLD_BODY_BYTES, parseHoldRequest } from "../../core/dashboard/holds.ts";
import { type DashboardQuery, findDashboardQuery, queriesFor } from "../../core/dashboard/queries.ts";
import {
  DashboardRequestError,
  dashboardSites,
  securityWindow,
  validateQueryParams,
} from "../../core/dashboard/request.ts";
import { exportFileName, isSuppressed, projectResult } from "../../core/dashboard/results.ts";
import {
  type Capability,
  capabilitiesOf,
  type DashboardRole,
  rolesFromGroupsClaim,
} from "../../core/dashboard/roles.ts";
import {
  clearedSessionCookie,
  type SessionBook,
  sessionCookie,
  sessionIdFromCookies,
} from "../../core/dashboard/sessions.ts";
import { toCsv } from "../../core/export/csv.ts";
import type { CreateHoldRequest, CreateHoldResult, HoldSummary } from "../../core/hold/holds.ts";
import { HoldError } from "../../core/hold/holds.ts";
import { redactAddresses } from "../../core/hold/redact.ts";
import { utcDay } from "../../core/zones.ts";
import type { Clock } from "../../ports/clock.ts";
import type { QueryEngine } from "../../ports/query-engine.ts";

/**
 * The dashboards' Lambda handler (API Gateway HTTP API v2 events), also mounted by `logsieve serve`:
 *
 *   GET  /dashboard/                       the page (a static shell: no data in it)
 *   GET  /dashboard/assets/<name>          the bundled script and style sheet (content-hashed, immutable)
 *   GET  /dashboard/config.json            how the page signs in (local session or Cognito)
 *   GET  /api/dashboard/me                 who is signed in, what they may see (sites, window, queries)
 *   GET  /api/dashboard/query/<name>       one allowlisted query with typed parameters → JSON
 *   GET  /api/dashboard/export/<name>.csv  the same as CSV (formula-safe), as a download
 *   GET  /api/dashboard/holds              legal holds (security lead)
 *   POST /api/dashboard/holds              place a legal hold on one address's records (security lead)
 *
 * The data routes live under `/api/dashboard/`, the path the deployment puts behind the Cognito JWT authorizer
 * (infra/constructs/collector.ts). Roles are checked here on every request: on AWS from the verified token's
 * `cognito:groups` claim, locally from the session cookie that a printed sign-in link sets. The page hides what a
 * role may not see, but the refusal is the API's (401 without a session, 403 without the role).
 *
 * Logs carry the route, the query name, the status and the roles: never a parameter value, an address or a row.
 */

export type DashboardEvent = APIGatewayProxyEventV2;
export type DashboardResponse = APIGatewayProxyStructuredResultV2;
export type DashboardHandler = (event: DashboardEvent, context?: Context) => Promise<DashboardResponse>;

export interface DashboardIdentity {
  readonly roles: readonly DashboardRole[];
  /** Who acts, for the legal-hold audit trail (an e-mail on AWS, the OS user and role locally). */
  readonly who: string;
}

/** Finds the caller of a request; null: not signed in (401). */
export interface DashboardAuth {
  readonly mode: "session" | "cognito";
  identify(event: DashboardEvent): DashboardIdentity | null;
  /** Local only: the sign-in links' tokens and the sessions they open. */
  readonly sessions?: SessionBook;
}

export interface DashboardAsset {
  readonly body: string;
  readonly contentType: string;
}

export interface DashboardAssets {
  /** The page's HTML (it names the hashed asset files). */
  page(): string;
  asset(name: string): DashboardAsset | null;
}

/** The legal-hold operations the security lead reaches from the page (core/hold/holds.ts, wired in apps/hold/local.ts). */
export interface DashboardHolds {
  create(request: CreateHoldRequest): Promise<CreateHoldResult>;
  list(): Promise<HoldSummary[]>;
}

export interface DashboardLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface DashboardApiDeps {
  readonly config: LogsieveConfig;
  readonly catalog: QueryCatalog;
  readonly clock: Clock;
  readonly auth: DashboardAuth;
  readonly assets: DashboardAssets;
  /** The engine for a view's queries (marketing: stats; security: the security zone); null: not deployed here. */
  engine(view: "marketing" | "security"): Promise<QueryEngine> | null;
  /** Null where holds cannot be placed from the dashboard (answered 501). */
  readonly holds: DashboardHolds | null;
  readonly logger: DashboardLogger;
  /** What the page needs to sign in (served as /dashboard/config.json). */
  readonly pageConfig: Readonly<Record<string, unknown>>;
  /** Origins besides 'self' the page may connect to (the Cognito token endpoint). */
  readonly connectOrigins?: readonly string[];
}

export const PAGE_PATH = "/dashboard/";
export const ASSETS_PATH = "/dashboard/assets/";
export const API_PATH = "/api/dashboard/";
/** Every path prefix the handler answers (for a local server's mounts). */
export const DASHBOARD_PATHS = ["/dashboard", PAGE_PATH, API_PATH] as const;

/** The Content-Security-Policy of every response: scripts and styles from this origin only, nothing inline. */
export function contentSecurityPolicy(connectOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${connectOrigins.map((o) => ` ${o}`).join("")}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
  };
}

function json(statusCode: number, body: unknown, extra: Record<string, string> = {}): DashboardResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra },
    body: JSON.stringify(body),
  };
}

function errorResponse(error: DashboardRequestError): DashboardResponse {
  return json(error.status, { error: error.code, message: error.message });
}

/** Local sign-in: the session cookie a printed link set. */
export function sessionAuth(sessions: SessionBook, actor: string): DashboardAuth {
  return {
    mode: "session",
    sessions,
    identify(event) {
      const id = sessionIdFromCookies(event.cookies);
      const session = id === null ? null : sessions.lookup(id);
      return session === null
        ? null
        : { roles: [session.role], who: `${actor} (dashboard, ${session.role})` };
    },
  };
}

interface JwtAuthorizerContext {
  readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>> };
}

/**
 * On AWS: the claims of the token API Gateway's JWT authorizer verified (signature, issuer, audience, expiry).
 * They exist only on the authorizer's routes (`/api/dashboard/*`); without them the caller is not signed in.
 */
export function cognitoAuth(): DashboardAuth {
  return {
    mode: "cognito",
    identify(event) {
      const authorizer = (event.requestContext as { authorizer?: JwtAuthorizerContext }).authorizer;
      const claims = authorizer?.jwt?.claims;
      if (claims === undefined) return null;
      const roles = rolesFromGroupsClaim(claims["cognito:groups"]);
      const name = [claims.email, claims["cognito:username"], claims.username, claims.sub].find(
        (v): v is string => typeof v === "string" && v.length > 0,
      );
      return { roles, who: name ?? "unknown" };
    },
  };
}

function identify(deps: DashboardApiDeps, event: DashboardEvent): DashboardIdentity {
  const identity = deps.auth.identify(event);
  if (identity === null) {
    throw new DashboardRequestError(
      401,
      "not_signed_in",
      deps.auth.mode === "session"
        ? "not signed in: open one of the dashboard links `logsieve serve` printed when it started"
        : "not signed in",
    );
  }
  return identity;
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

/** Requests to the API must come from the dashboard's own page (defence in depth beside SameSite=Strict). */
function checkSameOrigin(event: DashboardEvent): void {
  const headers = event.headers ?? {};
  if (headers["sec-fetch-site"] === "cross-site") {
    throw new DashboardRequestError(403, "cross_site", "requests from other sites are refused");
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== headers.host) {
      throw new DashboardRequestError(403, "cross_site", "requests from other origins are refused");
    }
  }
}

function queryParamsOf(event: DashboardEvent): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(event.rawQueryString ?? "")) {
    if (params[key] !== undefined) {
      throw new DashboardRequestError(400, "bad_parameter", "a parameter is given twice");
    }
    params[key] = value;
  }
  return params;
}

function bodyText(event: DashboardEvent): string {
  const raw = event.body ?? "";
  return event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
}

interface Route {
  readonly name: string;
  /** The methods the route answers; others get 405. Default GET. */
  readonly methods?: readonly string[];
  run(): Promise<DashboardResponse>;
}

export function createDashboardHandler(deps: DashboardApiDeps): DashboardHandler {
  const csp = contentSecurityPolicy(deps.connectOrigins);

  async function runQuery(query: DashboardQuery, event: DashboardEvent) {
    const identity = identify(deps, event);
    requireCapability(identity, query.capability);
    const named = validateQueryParams(query, queryParamsOf(event), {
      config: deps.config,
      nowMs: deps.clock.now(),
    });
    const definition = requireQuery(deps.catalog, query.queryId);
    let params: ReturnType<typeof resolveQueryParams>;
    try {
      params = resolveQueryParams(definition, named, deps.config);
    } catch (error) {
      if (error instanceof QueryParamError)
        throw new DashboardRequestError(400, "bad_parameter", error.message);
      throw error;
    }
    const engine = deps.engine(query.capability);
    if (engine === null) {
      throw new DashboardRequestError(
        503,
        "view_unavailable",
        `the ${query.capability} view is not set up in this deployment`,
      );
    }
    const result = await (await engine).query(definition.select, params);
    return { named, rows: projectResult(query, result) };
  }

  function route(event: DashboardEvent): Route {
    const path = event.rawPath ?? "/";
    const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();

    if (path === "/dashboard") {
      return {
        name: "redirect",
        run: async () => ({ statusCode: 308, headers: { location: PAGE_PATH, "cache-control": "no-store" } }),
      };
    }
    if (path === PAGE_PATH || path === `${PAGE_PATH}index.html`) {
      return { name: "page", run: async () => page(event) };
    }
    if (path === `${PAGE_PATH}config.json`) {
      return {
        name: "config",
        run: async () => json(200, { auth: deps.auth.mode, ...deps.pageConfig }),
      };
    }
    if (path.startsWith(ASSETS_PATH)) {
      return {
        name: "asset",
        run: async () => {
          const asset = deps.assets.asset(path.slice(ASSETS_PATH.length));
          if (asset === null) throw new DashboardRequestError(404, "not_found", "no such asset");
          return {
            statusCode: 200,
            headers: {
              "content-type": asset.contentType,
              "cache-control": "public, max-age=31536000, immutable",
            },
            body: asset.body,
          };
        },
      };
    }
    if (!path.startsWith(API_PATH)) {
      return {
        name: "unknown",
        run: async () => {
          throw new DashboardRequestError(404, "not_found", "no such page");
        },
      };
    }
    const rest = path.slice(API_PATH.length);
    checkSameOrigin(event);
    if (rest === "me") {
      return { name: "me", run: async () => me(event) };
    }
    if (rest === "logout") {
      return { name: "logout", methods: ["POST"], run: async () => logout(event) };
    }
    if (rest.startsWith("query/")) {
      const name = rest.slice("query/".length);
      return {
        name: "query",
        run: async () => {
          const query = findDashboardQuery(name);
          if (query === undefined) throw new DashboardRequestError(404, "unknown_query", "no such query");
          const { named, rows } = await runQuery(query, event);
          return json(200, {
            query: query.name,
            title: query.title,
            params: named,
            k: isSuppressed(query) ? deps.config.k : null,
            columns: query.columns,
            rows,
          });
        },
      };
    }
    if (rest.startsWith("export/") && rest.endsWith(".csv")) {
      const name = rest.slice("export/".length, -".csv".length);
      return {
        name: "export",
        run: async () => {
          const query = findDashboardQuery(name);
          if (query === undefined) throw new DashboardRequestError(404, "unknown_query", "no such query");
          const { named, rows } = await runQuery(query, event);
          return {
            statusCode: 200,
            headers: {
              "content-type": "text/csv; charset=utf-8",
              "content-disposition": `attachment; filename="${exportFileName(query, named)}"`,
              "cache-control": "no-store",
            },
            body: toCsv(
              query.columns.map((c) => c.name),
              rows,
            ),
          };
        },
      };
    }
    if (rest === "holds") {
      return {
        name: "holds",
        methods: ["GET", "POST"],
        run: async () => (method === "POST" ? createHold(event) : listHolds(event)),
      };
    }
    return {
      name: "unknown",
      run: async () => {
        throw new DashboardRequestError(404, "not_found", "no such API route");
      },
    };
  }

  function page(event: DashboardEvent): DashboardResponse {
    const html = {
      statusCode: 200,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      body: deps.assets.page(),
    };
    const token = new URLSearchParams(event.rawQueryString ?? "").get("token");
    const sessions = deps.auth.sessions;
    if (token === null || sessions === undefined) return html;
    const session = sessions.signIn(token);
    if (session === null) {
      // The page still loads and tells the person what to do; the cookie is not touched.
      return {
        statusCode: 303,
        headers: { location: `${PAGE_PATH}?signin=invalid`, "cache-control": "no-store" },
      };
    }
    return {
      statusCode: 303,
      headers: { location: PAGE_PATH, "cache-control": "no-store" },
      cookies: [sessionCookie(session, deps.clock.now())],
    };
  }

  function me(event: DashboardEvent): DashboardResponse {
    const identity = identify(deps, event);
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
      auth: deps.auth.mode,
    });
  }

  function logout(event: DashboardEvent): DashboardResponse {
    const id = sessionIdFromCookies(event.cookies);
    if (id !== null) deps.auth.sessions?.signOut(id);
    return { ...json(200, { signedOut: true }), cookies: [clearedSessionCookie()] };
  }

  function holdsOrUnavailable(): DashboardHolds {
    if (deps.holds === null) {
      throw new DashboardRequestError(
        501,
        "holds_unavailable",
        "legal holds cannot be placed from the dashboard in this deployment; use `logsieve hold create`",
      );
    }
    return deps.holds;
  }

  async function listHolds(event: DashboardEvent): Promise<DashboardResponse> {
    requireCapability(identify(deps, event), "holds");
    return json(200, { holds: await holdsOrUnavailable().list() });
  }

  async function createHold(event: DashboardEvent): Promise<DashboardResponse> {
    const identity = identify(deps, event);
    requireCapability(identity, "holds");
    const holds = holdsOrUnavailable();
    const contentType = (event.headers?.["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json") {
      throw new DashboardRequestError(415, "unsupported_media_type", "send the hold as application/json");
    }
    const text = bodyText(event);
    if (Buffer.byteLength(text, "utf8") > MAX_HOLD_BODY_BYTES) {
      throw new DashboardRequestError(
        413,
        "payload_too_large",
        `a hold request is at most ${MAX_HOLD_BODY_BYTES} bytes`,
      );
    }
    const request = parseHoldRequest(text);
    let result: CreateHoldResult;
    try {
      result = await holds.create({ ...request, who: identity.who });
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
  }

  const base = async (event: DashboardEvent): Promise<DashboardResponse> => {
    const r = route(event);
    requestNames.set(event, r.name);
    const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();
    const methods = r.methods ?? ["GET"];
    if (!methods.includes(method)) {
      throw new DashboardRequestError(
        405,
        "method_not_allowed",
        `this route answers ${methods.join(" and ")} only`,
      );
    }
    return r.run();
  };

  const requestNames = new WeakMap<DashboardEvent, string>();

  const headers: MiddlewareObj<DashboardEvent, DashboardResponse> = {
    after: async (request) => {
      const response = request.response;
      if (response === null || response === undefined) return;
      request.response = { ...response, headers: { ...securityHeaders(csp), ...(response.headers ?? {}) } };
      deps.logger.info("dashboard request", {
        route: requestNames.get(request.event) ?? "unknown",
        status: request.response.statusCode,
      });
    },
    onError: async (request) => {
      const error = request.error;
      let response: DashboardResponse;
      if (error instanceof DashboardRequestError) {
        response = errorResponse(error);
        deps.logger.info("dashboard request refused", {
          route: requestNames.get(request.event) ?? "unknown",
          status: error.status,
          code: error.code,
        });
      } else {
        // Engine and store errors may quote what they failed on (an address): logged by name, answered generically.
        deps.logger.error("dashboard request failed", {
          route: requestNames.get(request.event) ?? "unknown",
          errorName: error instanceof Error ? error.name : typeof error,
        });
        response = json(500, {
          error: "internal",
          message: "the request failed; the server log has details",
        });
      }
      request.response = { ...response, headers: { ...securityHeaders(csp), ...(response.headers ?? {}) } };
    },
  };

  const handler = middy<DashboardEvent, DashboardResponse>(base).use(headers);
  return (event, context) => handler(event, context ?? ({} as Context));
}
