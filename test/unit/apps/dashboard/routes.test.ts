import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2 as DashboardResponse,
} from "aws-lambda";
import { describe, expect, it } from "vitest";
import { cognitoAuth, type DashboardAuth, sessionAuth } from "../../../../functions/apps/dashboard/auth.ts";
import type { DashboardHolds, DashboardRoutesDeps } from "../../../../functions/apps/dashboard/routes.ts";
import { createHttpApp } from "../../../../functions/apps/http/app.ts";
import { lambdaPlatform } from "../../../../functions/apps/http/lambda.ts";
import { parseConfig } from "../../../../functions/core/config.ts";
import type { LiveView } from "../../../../functions/core/dashboard/live.ts";
import { SessionBook } from "../../../../functions/core/dashboard/sessions.ts";
import { type CreateHoldRequest, HoldError } from "../../../../functions/core/hold/holds.ts";
import type { AddressLookupDeps } from "../../../../functions/core/security/address-lookup.ts";
import { statsService } from "../../../../functions/core/stats/service.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import type { QueryEngine, QueryResult, SqlParam } from "../../../../functions/ports/query-engine.ts";
import { loadQueryCatalog } from "../../../../functions/runtime/query-files.ts";
import { lambdaHandler } from "../../../helpers/lambda-http.ts";

/**
 * The dashboard routes over a recording engine — what they run, for whom, and what they answer — through the
 * dashboard function's Lambda handler (the HTTP app behind Hono's Lambda adapter), fed HTTP API v2 events.
 */

const NOW = Date.UTC(2026, 10, 22, 3, 0, 0);
const catalog = loadQueryCatalog();
const config = parseConfig({ sites: ["example.com", "shop.example.com"], k: 7 });

class RecordingEngine implements QueryEngine {
  readonly dialect = "duckdb" as const;
  readonly calls: { sql: string; params: readonly SqlParam[] }[] = [];
  constructor(
    private readonly answer: (sql: string) => QueryResult = () => ({ columns: [], rows: [] }),
    private readonly failure?: Error,
  ) {}
  async query(sql: string, params: readonly SqlParam[] = []): Promise<QueryResult> {
    this.calls.push({ sql, params });
    if (this.failure !== undefined) throw this.failure;
    return this.answer(sql);
  }
  async close(): Promise<void> {}
}

function result(rows: Record<string, string | number | null>[]): QueryResult {
  const names = Object.keys(rows[0] ?? {});
  return { columns: names.map((name) => ({ name, type: "varchar" })), rows };
}

/** Reads back the claims {@link event} put in the Bearer token; anything else is refused like a forged token. */
const testVerifier = {
  verify: async (token: string) => {
    const claims = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown;
    if (typeof claims !== "object" || claims === null) throw new Error("not a token");
    return claims as Record<string, unknown>;
  },
};

/** Address lookups in memory: what was written and whether it was removed again. */
function memoryLookups() {
  const written = new Map<string, string>();
  const removed: string[] = [];
  const deps: AddressLookupDeps = {
    store: {
      write: async (key, body) => {
        written.set(key, Buffer.from(body).toString("utf8"));
        return "v1";
      },
      remove: async (key) => {
        removed.push(key);
      },
    },
    encode: (rows) => Buffer.from(rows.map((r) => r.client_ip).join(",")),
    randomId: () => "0123456789abcdef0123456789abcdef",
  };
  return { deps, written, removed };
}

function event(
  method: string,
  target: string,
  options: {
    cookies?: string[];
    headers?: Record<string, string>;
    body?: string;
    claims?: Record<string, unknown>;
  } = {},
): APIGatewayProxyEventV2 {
  const at = target.indexOf("?");
  const rawPath = at < 0 ? target : target.slice(0, at);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: at < 0 ? "" : target.slice(at + 1),
    headers: {
      host: "127.0.0.1:8080",
      // A stand-in for a signed ID token: the claims themselves, which the test verifier below reads back.
      ...(options.claims === undefined
        ? {}
        : { authorization: `Bearer ${Buffer.from(JSON.stringify(options.claims)).toString("base64url")}` }),
      ...(options.headers ?? {}),
    },
    ...(options.cookies === undefined ? {} : { cookies: options.cookies }),
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "127",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "r",
      routeKey: "$default",
      stage: "$default",
      time: "",
      timeEpoch: NOW,
    },
  } as APIGatewayProxyEventV2;
}

interface Harness {
  readonly handle: (e: APIGatewayProxyEventV2) => Promise<DashboardResponse>;
  readonly engine: RecordingEngine;
  readonly holds: CreateHoldRequest[];
  readonly logs: { message: string; attributes?: Record<string, unknown> }[];
  cookieOf(role: "marketing" | "security" | "security-lead"): string;
  readonly sessions: SessionBook;
  readonly lookups: ReturnType<typeof memoryLookups>;
}

function harness(
  options: {
    engine?: RecordingEngine;
    auth?: DashboardAuth;
    holds?: DashboardHolds | null;
    securityEngine?: boolean;
    live?: DashboardRoutesDeps["live"];
  } = {},
): Harness {
  let n = 0;
  const clock = new FixedClock(NOW);
  const sessions = new SessionBook({ randomToken: () => `t${++n}`, now: () => clock.now() });
  const engine = options.engine ?? new RecordingEngine();
  const holds: CreateHoldRequest[] = [];
  const logs: { message: string; attributes?: Record<string, unknown> }[] = [];
  const lookups = memoryLookups();
  const deps: DashboardRoutesDeps = {
    config,
    catalog,
    clock,
    auth: options.auth ?? sessionAuth(sessions, "alice"),
    assets: {
      page: () => "<!doctype html><title>x</title>",
      asset: (name) =>
        name === "app-1.js" ? { body: "console.log(1)", contentType: "text/javascript" } : null,
    },
    engine: (view) =>
      view === "security" && options.securityEngine === false ? null : Promise.resolve(engine),
    lookups: () => lookups.deps,
    holds:
      options.holds === undefined
        ? {
            create: async (request) => {
              holds.push(request);
              return {
                manifest: {
                  format: "logsieve-evidence/1",
                  incident: request.incident,
                  createdAt: "2026-11-22T03:00:00.000Z",
                  createdBy: request.who,
                  reason: request.reason,
                  selection: { kind: "ip", value: request.selection.value, from: null, to: null },
                  records: 42,
                  protection: "local-read-only",
                  objects: [],
                  sources: [],
                },
                resumed: false,
                auditKey: "evidence/audit/holds/x.json",
              };
            },
            list: async () => [],
          }
        : options.holds,
    logger: {
      info: (message, attributes) =>
        logs.push({ message, ...(attributes === undefined ? {} : { attributes }) }),
      error: (message, attributes) =>
        logs.push({ message, ...(attributes === undefined ? {} : { attributes }) }),
    },
    pageConfig: {},
    ...(options.live === undefined ? {} : { live: options.live }),
  };
  const handle = lambdaHandler(
    createHttpApp({
      platform: lambdaPlatform,
      logger: { ...deps.logger, warn: deps.logger.info },
      dashboard: deps,
    }),
  );
  return {
    handle: (e) => handle(e),
    engine,
    holds,
    logs,
    sessions,
    lookups,
    cookieOf: (role) => {
      const session = sessions.signIn(sessions.signInTokens.get(role) ?? "");
      return `logsieve_dashboard=${session?.id ?? ""}`;
    },
  };
}

const bodyOf = (response: DashboardResponse) => JSON.parse(response.body ?? "null");

describe("dashboard API: sign-in and the page", () => {
  it("serves the page under a CSP without inline script or style", async () => {
    // Prepare
    const { handle } = harness();
    // Act
    const response = await handle(event("GET", "/dashboard/"));
    // Assess
    const csp = String(response.headers?.["content-security-policy"]);
    expect(response.statusCode).toBe(200);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe");
    expect(response.headers?.["x-content-type-options"]).toBe("nosniff");
  });

  it("exchanges a printed sign-in token for an HttpOnly, SameSite=Strict cookie and drops the token from the URL", async () => {
    // Prepare
    const { handle, sessions } = harness();
    const token = sessions.signInTokens.get("marketing") ?? "";
    // Act
    const response = await handle(event("GET", `/dashboard/?token=${token}`));
    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers?.location).toBe("/dashboard/");
    expect(response.cookies?.[0]).toMatch(
      /^logsieve_dashboard=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    expect(response.cookies?.[0]).not.toContain(token);
  });

  it("sets no cookie for a wrong token and sends the person to an explanation", async () => {
    // Prepare
    const { handle } = harness();
    // Act
    const response = await handle(event("GET", "/dashboard/?token=guess"));
    // Assess
    expect(response.statusCode).toBe(303);
    expect(response.headers?.location).toBe("/dashboard/?signin=invalid");
    expect(response.cookies).toBeUndefined();
  });

  it("serves the built assets by name only", async () => {
    // Prepare
    const { handle } = harness();
    // Act
    const found = await handle(event("GET", "/dashboard/assets/app-1.js"));
    const missing = await handle(event("GET", "/dashboard/assets/../../package.json"));
    // Assess
    expect(found.statusCode).toBe(200);
    expect(found.headers?.["cache-control"]).toContain("immutable");
    expect(missing.statusCode).toBe(404);
  });

  it("tells a signed-in person their role, sites and what they may run", async () => {
    // Prepare
    const h = harness();
    // Act
    const me = bodyOf(
      await h.handle(event("GET", "/api/dashboard/me", { cookies: [h.cookieOf("marketing")] })),
    );
    // Assess
    expect(me).toMatchObject({
      roles: ["marketing"],
      capabilities: ["marketing"],
      sites: ["example.com", "shop.example.com"],
      today: "2026-11-22",
      k: 7,
      securityWindow: null,
      holdsAvailable: false,
    });
    expect(me.queries).not.toContain("top-talkers");
  });
});

describe("dashboard routes: methods, unknown paths, cookies", () => {
  it("answers another method 405 and an unknown path 404, each with the security headers", async () => {
    // Prepare
    const h = harness();
    const cookies = [h.cookieOf("marketing")];
    // Act
    const post = await h.handle(event("POST", "/api/dashboard/me", { cookies }));
    const deleteHolds = await h.handle(event("DELETE", "/api/dashboard/holds", { cookies }));
    const api = await h.handle(event("GET", "/api/dashboard/nothing", { cookies }));
    const pageUnknown = await h.handle(event("GET", "/dashboard/nothing"));
    // Assess
    expect([post.statusCode, deleteHolds.statusCode, api.statusCode, pageUnknown.statusCode]).toEqual([
      405, 405, 404, 404,
    ]);
    expect(bodyOf(deleteHolds).message).toBe("this route answers GET and POST only");
    for (const r of [post, deleteHolds, api, pageUnknown]) {
      expect(r.headers?.["content-security-policy"]).toContain("default-src 'none'");
      expect(r.headers?.["x-frame-options"]).toBe("DENY");
    }
  });

  it("finds the session cookie among others by its exact name", async () => {
    // Prepare
    const h = harness();
    const session = h.cookieOf("marketing");
    const id = session.slice(session.indexOf("=") + 1);
    // Act
    const among = await h.handle(event("GET", "/api/dashboard/me", { cookies: ["a=1", session, "b=2"] }));
    const lookalike = await h.handle(
      event("GET", "/api/dashboard/me", { cookies: [`xlogsieve_dashboard=${id}`] }),
    );
    // Assess
    expect([among.statusCode, lookalike.statusCode]).toEqual([200, 401]);
  });

  it("signs out: the session ends and the cookie is cleared", async () => {
    // Prepare
    const h = harness();
    const cookies = [h.cookieOf("marketing")];
    // Act
    const out = await h.handle(event("POST", "/api/dashboard/logout", { cookies }));
    const after = await h.handle(event("GET", "/api/dashboard/me", { cookies }));
    // Assess
    expect(out.statusCode).toBe(200);
    expect(out.cookies?.[0]).toContain("Max-Age=0");
    expect(after.statusCode).toBe(401);
  });
});

describe("dashboard API: queries", () => {
  it("refuses every data route without a session (401) and runs nothing", async () => {
    // Prepare
    const h = harness();
    // Act
    const responses = await Promise.all(
      [
        "/api/dashboard/me",
        "/api/dashboard/query/top-pages",
        "/api/dashboard/export/top-pages.csv",
        "/api/dashboard/holds",
      ].map((path) => h.handle(event("GET", path, { cookies: ["logsieve_dashboard=forged"] }))),
    );
    // Assess
    for (const r of responses) expect(r.statusCode).toBe(401);
    expect(h.engine.calls).toHaveLength(0);
  });

  it("runs the query file of an allowlisted name, with k bound from the configuration", async () => {
    // Prepare
    const engine = new RecordingEngine(() => result([{ path: "/", pageviews: 12, visitors: 9 }]));
    const h = harness({ engine });
    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/query/top-pages?site=shop.example.com&from=2026-11-01&to=2026-11-21", {
        cookies: [h.cookieOf("marketing")],
      }),
    );
    // Assess
    expect(response.statusCode).toBe(200);
    expect(engine.calls[0]?.sql).toBe(catalog.byId.get("dashboard.topPages")?.select);
    expect(engine.calls[0]?.params.map((p) => p.value)).toEqual([
      "shop.example.com",
      "2026-11-01",
      "2026-11-21",
      7,
      7,
      7,
      7,
    ]);
    expect(bodyOf(response)).toMatchObject({
      query: "top-pages",
      k: 7,
      rows: [{ path: "/", pageviews: 12, visitors: 9 }],
    });
  });

  it("refuses k, free SQL and unknown names from the browser without touching the engine", async () => {
    // Prepare
    const h = harness();
    const cookies = [h.cookieOf("marketing")];
    // Act
    const k = await h.handle(event("GET", "/api/dashboard/query/top-pages?k=1", { cookies }));
    const sql = await h.handle(event("GET", "/api/dashboard/query/top-pages?sql=SELECT%201", { cookies }));
    const unknown = await h.handle(event("GET", "/api/dashboard/query/rollup.pages", { cookies }));
    const twice = await h.handle(
      event("GET", "/api/dashboard/query/top-pages?site=example.com&site=x", { cookies }),
    );
    // Assess
    expect([k.statusCode, sql.statusCode, unknown.statusCode, twice.statusCode]).toEqual([
      400, 400, 404, 400,
    ]);
    expect(h.engine.calls).toHaveLength(0);
  });

  it("refuses the security view to a marketing session with 403, and runs it for a security session", async () => {
    // Prepare
    const h = harness({
      engine: new RecordingEngine(() =>
        result([
          {
            client_ip: "203.0.113.7",
            requests: 5,
            bytes: 1,
            status_4xx: 0,
            status_5xx: 0,
            distinct_targets: 1,
            country: "DE",
            provider: null,
            first_seen: "x",
            last_seen: "y",
          },
        ]),
      ),
    });
    // Act
    const marketing = await h.handle(
      event("GET", "/api/dashboard/query/top-talkers", { cookies: [h.cookieOf("marketing")] }),
    );
    const callsAfterMarketing = h.engine.calls.length;
    const security = await h.handle(
      event("GET", "/api/dashboard/query/top-talkers", { cookies: [h.cookieOf("security")] }),
    );
    // Assess
    expect(marketing.statusCode).toBe(403);
    expect(bodyOf(marketing).message).toContain("security");
    expect(marketing.body).not.toContain("203.0.113.7");
    expect(callsAfterMarketing).toBe(0);
    expect(security.statusCode).toBe(200);
    expect(bodyOf(security).rows[0].client_ip).toBe("203.0.113.7");
  });

  it("never returns a column the allowlist does not name, even if the query file did", async () => {
    // Prepare: a query file that (wrongly) returned an address
    const engine = new RecordingEngine(() =>
      result([{ country: "DE", pageviews: 30, visitors: 8, client_ip: "203.0.113.7" }]),
    );
    const h = harness({ engine });
    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/query/countries", { cookies: [h.cookieOf("marketing")] }),
    );
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain("203.0.113.7");
    expect(bodyOf(response).rows).toEqual([{ country: "DE", pageviews: 30, visitors: 8 }]);
  });

  it("exports CSV as a download with formula-looking cells neutralised", async () => {
    // Prepare
    const engine = new RecordingEngine(() =>
      result([
        {
          utm_source: '=HYPERLINK("http://x")',
          utm_medium: "+cmd",
          utm_campaign: "spring, sale",
          pageviews: 10,
          visitors: 8,
        },
      ]),
    );
    const h = harness({ engine });
    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/export/campaigns.csv?from=2026-11-01&to=2026-11-21", {
        cookies: [h.cookieOf("marketing")],
      }),
    );
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.["content-type"]).toBe("text/csv; charset=utf-8");
    expect(response.headers?.["content-disposition"]).toBe(
      'attachment; filename="logsieve-campaigns-example.com-2026-11-01-to-2026-11-21.csv"',
    );
    expect(response.body).toBe(
      'utm_source,utm_medium,utm_campaign,pageviews,visitors\r\n"\'=HYPERLINK(""http://x"")",\'+cmd,"spring, sale",10,8\r\n',
    );
  });

  it("answers an engine failure with a fixed message and logs only the error's name", async () => {
    // Prepare
    const engine = new RecordingEngine(undefined, new Error("failed near client_ip = '203.0.113.7'"));
    const h = harness({ engine });
    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/query/top-talkers", { cookies: [h.cookieOf("security")] }),
    );
    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain("203.0.113.7");
    expect(JSON.stringify(h.logs)).not.toContain("203.0.113.7");
    expect(h.logs.at(-1)).toEqual({
      message: "dashboard request failed",
      attributes: { route: "query", errorName: "Error" },
    });
    expect(response.headers?.["content-security-policy"]).toBeDefined();
  });

  it("says when the security view is not deployed (503)", async () => {
    // Prepare
    const h = harness({ securityEngine: false });
    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/query/scanners", { cookies: [h.cookieOf("security")] }),
    );
    // Assess
    expect(response.statusCode).toBe(503);
  });

  it("refuses API calls from another site", async () => {
    // Prepare
    const h = harness();
    const cookies = [h.cookieOf("marketing")];
    // Act
    const fetchSite = await h.handle(
      event("GET", "/api/dashboard/me", { cookies, headers: { "sec-fetch-site": "cross-site" } }),
    );
    const origin = await h.handle(
      event("GET", "/api/dashboard/me", { cookies, headers: { origin: "http://evil.example" } }),
    );
    const same = await h.handle(
      event("GET", "/api/dashboard/me", { cookies, headers: { origin: "http://127.0.0.1:8080" } }),
    );
    // Assess
    expect([fetchSite.statusCode, origin.statusCode, same.statusCode]).toEqual([403, 403, 200]);
  });
});

describe("dashboard API: the live panel", () => {
  const figures = (site: string): LiveView => ({
    site,
    asOf: "2026-11-22T03:00:00.000Z",
    refreshSeconds: 60,
    windowMinutes: 30,
    k: 7,
    visitorsWindow: null,
    pageviewsWindow: null,
    visitorsToday: 130,
    pageviewsToday: 410,
  });

  it("answers a marketing session with the site's live figures (the default site without ?site=)", async () => {
    // Prepare
    const asked: string[] = [];
    const { handle, cookieOf } = harness({
      live: async (site) => {
        asked.push(site);
        return figures(site);
      },
    });
    const cookie = cookieOf("marketing");
    // Act
    const shop = await handle(
      event("GET", "/api/dashboard/live?site=shop.example.com", { cookies: [cookie] }),
    );
    const first = await handle(event("GET", "/api/dashboard/live", { cookies: [cookie] }));
    const me = await handle(event("GET", "/api/dashboard/me", { cookies: [cookie] }));
    // Assess
    expect(shop.statusCode).toBe(200);
    expect(bodyOf(shop)).toEqual(figures("shop.example.com"));
    expect(bodyOf(first).site).toBe("example.com");
    expect(asked).toEqual(["shop.example.com", "example.com"]);
    expect(bodyOf(me).liveAvailable).toBe(true);
    expect(shop.headers?.["cache-control"]).toBe("no-store");
  });

  it("refuses a site that is not configured, other parameters, and callers without a session", async () => {
    // Prepare
    const asked: string[] = [];
    const { handle, cookieOf } = harness({
      live: async (site) => {
        asked.push(site);
        return figures(site);
      },
    });
    const cookie = cookieOf("marketing");
    // Act
    const other = await handle(event("GET", "/api/dashboard/live?site=evil.example", { cookies: [cookie] }));
    const extra = await handle(
      event("GET", "/api/dashboard/live?site=example.com&k=1", { cookies: [cookie] }),
    );
    const anonymous = await handle(event("GET", "/api/dashboard/live"));
    // Assess
    expect([other.statusCode, extra.statusCode, anonymous.statusCode]).toEqual([400, 400, 401]);
    expect(asked).toEqual([]);
  });

  it("says when live figures are not computed in this deployment (503), and so does /me", async () => {
    // Prepare
    const { handle, cookieOf } = harness({ live: null });
    const cookie = cookieOf("marketing");
    // Act
    const response = await handle(event("GET", "/api/dashboard/live", { cookies: [cookie] }));
    const me = await handle(event("GET", "/api/dashboard/me", { cookies: [cookie] }));
    // Assess
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response).error).toBe("live_unavailable");
    expect(bodyOf(me).liveAvailable).toBe(false);
  });
});

describe("dashboard API: legal holds", () => {
  const hold = JSON.stringify({
    incident: "INC-1",
    ip: "203.0.113.7",
    reason: "brute force",
    from: "2026-11-15",
  });
  const json = { "content-type": "application/json" };

  it("lets only the security lead place a hold", async () => {
    // Prepare
    const h = harness();
    // Act
    const marketing = await h.handle(
      event("POST", "/api/dashboard/holds", {
        cookies: [h.cookieOf("marketing")],
        headers: json,
        body: hold,
      }),
    );
    const security = await h.handle(
      event("POST", "/api/dashboard/holds", { cookies: [h.cookieOf("security")], headers: json, body: hold }),
    );
    const lead = await h.handle(
      event("POST", "/api/dashboard/holds", {
        cookies: [h.cookieOf("security-lead")],
        headers: json,
        body: hold,
      }),
    );
    // Assess
    expect([marketing.statusCode, security.statusCode, lead.statusCode]).toEqual([403, 403, 201]);
    expect(h.holds).toEqual([
      {
        incident: "INC-1",
        reason: "brute force",
        who: "alice (dashboard, security-lead)",
        selection: { kind: "ip", value: "203.0.113.7", fromMs: Date.UTC(2026, 10, 15), toMs: null },
      },
    ]);
    expect(bodyOf(lead)).toMatchObject({ incident: "INC-1", records: 42 });
  });

  it("takes JSON only, and passes the core's refusal on without the address", async () => {
    // Prepare
    const h = harness({
      holds: {
        create: async () => {
          throw new HoldError(
            "incident INC-1 is already on hold",
            "see `logsieve hold show INC-1` (203.0.113.7)",
          );
        },
        list: async () => [],
      },
    });
    const cookies = [h.cookieOf("security-lead")];
    // Act
    const form = await h.handle(
      event("POST", "/api/dashboard/holds", {
        cookies,
        headers: { "content-type": "text/plain" },
        body: hold,
      }),
    );
    const refused = await h.handle(
      event("POST", "/api/dashboard/holds", { cookies, headers: json, body: hold }),
    );
    // Assess
    expect(form.statusCode).toBe(415);
    expect(refused.statusCode).toBe(409);
    expect(bodyOf(refused).message).toContain("already on hold");
    expect(refused.body).not.toContain("203.0.113.7");
  });

  it("refuses a hold body over its cap with 413, before reading it", async () => {
    // Prepare
    const h = harness();
    const big = JSON.stringify({ incident: "INC-1", ip: "203.0.113.7", reason: "x".repeat(20_000) });
    // Act
    const response = await h.handle(
      event("POST", "/api/dashboard/holds", {
        cookies: [h.cookieOf("security-lead")],
        headers: json,
        body: big,
      }),
    );
    // Assess
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).error).toBe("payload_too_large");
    expect(h.holds).toHaveLength(0);
  });

  it("answers 501 where holds cannot be placed from the dashboard", async () => {
    // Prepare
    const h = harness({ holds: null });
    // Act
    const response = await h.handle(
      event("POST", "/api/dashboard/holds", {
        cookies: [h.cookieOf("security-lead")],
        headers: json,
        body: hold,
      }),
    );
    // Assess
    expect(response.statusCode).toBe(501);
  });
});

describe("dashboard API on AWS: roles from the Cognito groups claim", () => {
  it("reads the groups of the verified ID token, and refuses a request without one", async () => {
    // Prepare
    const engine = new RecordingEngine(() => result([{ path: "/", pageviews: 12, visitors: 9 }]));
    const h = harness({ auth: cognitoAuth(testVerifier), engine });
    // Act
    const none = await h.handle(event("GET", "/api/dashboard/query/top-talkers"));
    const marketing = await h.handle(
      event("GET", "/api/dashboard/query/top-talkers", {
        claims: { "cognito:groups": "[marketing]", email: "m@example.com" },
      }),
    );
    const security = await h.handle(
      event("GET", "/api/dashboard/query/top-pages", {
        claims: { "cognito:groups": "[marketing security]" },
      }),
    );
    const noGroup = await h.handle(event("GET", "/api/dashboard/me", { claims: { email: "x@example.com" } }));
    // Assess
    expect([none.statusCode, marketing.statusCode, security.statusCode, noGroup.statusCode]).toEqual([
      401, 403, 200, 403,
    ]);
  });

  it("records the signed-in person's e-mail as who placed a hold", async () => {
    // Prepare
    const h = harness({ auth: cognitoAuth(testVerifier) });
    // Act
    const response = await h.handle(
      event("POST", "/api/dashboard/holds", {
        claims: { "cognito:groups": "[security-lead]", email: "lead@example.com" },
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ incident: "INC-2", ip: "2001:db8::1", reason: "scan" }),
      }),
    );
    // Assess
    expect(response.statusCode).toBe(201);
    expect(h.holds[0]?.who).toBe("lead@example.com");
  });
});

describe("a query for one address (no address in any query's text or parameters)", () => {
  it("runs ip-timeline with a lookup id in the address's place and removes the lookup afterwards", async () => {
    // Prepare
    const address = "2001:db8::7";
    const engine = new RecordingEngine(() =>
      result([
        {
          ts: "2026-11-22T01:00:00.000Z",
          site: "example.com",
          method: "GET",
          target: "/login",
          status: 401,
          bytes: 120,
          referrer: null,
          user_agent: "curl/8",
          country: "DE",
          provider: null,
          is_bot: "false",
        },
      ]),
    );
    const h = harness({ engine });

    // Act
    const response = await h.handle(
      event("GET", `/api/dashboard/query/ip-timeline?from=2026-11-21&to=2026-11-22&ip=${address}`, {
        cookies: [h.cookieOf("security")],
      }),
    );

    // Assess
    expect(response.statusCode, JSON.stringify(h.logs)).toBe(200);
    const sent = JSON.stringify(h.engine.calls);
    expect(sent).not.toContain(address);
    expect(sent).toContain("0123456789abcdef0123456789abcdef");
    expect([...h.lookups.written.values()]).toEqual([address]);
    expect(h.lookups.removed).toEqual([...h.lookups.written.keys()]);
  });

  it("removes the lookup when the query fails too", async () => {
    // Prepare
    const engine = new RecordingEngine(() => {
      throw new Error("Athena failed");
    });
    const h = harness({ engine });

    // Act
    const response = await h.handle(
      event("GET", "/api/dashboard/query/ip-timeline?from=2026-11-21&to=2026-11-22&ip=192.0.2.9", {
        cookies: [h.cookieOf("security")],
      }),
    );

    // Assess
    expect(response.statusCode).toBe(500);
    expect(h.lookups.written.size).toBe(1);
    expect(h.lookups.removed).toEqual([...h.lookups.written.keys()]);
  });
});

describe("dashboard API on AWS: a token that does not verify", () => {
  it("is not signed in (401), whatever groups it claims", async () => {
    // Prepare
    const h = harness({ auth: cognitoAuth(testVerifier) });

    // Act
    const forged = await h.handle(
      event("GET", "/api/dashboard/me", { headers: { authorization: "Bearer not.a-token!" } }),
    );
    const garbage = await h.handle(
      event("GET", "/api/dashboard/me", { headers: { authorization: "Bearer bm90IGpzb24" } }),
    );

    // Assess
    expect([forged.statusCode, garbage.statusCode]).toEqual([401, 401]);
  });
});

describe("the panels' routes alone, as the stats-api function serves them on AWS (dashboardStatsRoutes)", () => {
  it("answers a marketing token from the function's own engine, 401 without a token, 403 without a marketing group, and serves no other dashboard route", async () => {
    // Prepare: the HTTP app as apps/stats/aws.ts builds it, the service over the function's (here recording) engine
    const engine = new RecordingEngine(() => result([{ visits: 31, visitors: 12 }]));
    const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const service = statsService({
      config,
      catalog,
      clock: new FixedClock(NOW),
      engine: () => Promise.resolve(engine),
    });
    const handle = lambdaHandler(
      createHttpApp({
        platform: lambdaPlatform,
        logger,
        dashboardStats: { config, auth: cognitoAuth(testVerifier), logger, stats: () => service },
      }),
    );
    const body = JSON.stringify({
      site_id: "example.com",
      metrics: ["visits"],
      date_range: ["2026-11-20", "2026-11-20"],
      filters: [["is", "event:page", ["/pricing"]]],
    });
    const ask = (claims?: Record<string, unknown>, path = "/api/dashboard/stats") =>
      handle(
        event("POST", path, {
          ...(claims === undefined ? {} : { claims }),
          headers: { "content-type": "application/json" },
          body,
        }),
      );

    // Act
    const marketing = await ask({ "cognito:groups": "[marketing]", email: "m@example.com" });
    const csv = await ask({ "cognito:groups": "[marketing]" }, "/api/dashboard/stats.csv");
    const callsByMarketing = engine.calls.length;
    const none = await ask();
    const contractor = await ask({ "cognito:groups": "[contractors]", email: "c@example.com" });
    const me = await handle(
      event("GET", "/api/dashboard/me", { claims: { "cognito:groups": "[marketing]" } }),
    );

    // Assess: the filtered question ran the events/ queries (stats.*) on the function's engine
    expect(marketing.statusCode, marketing.body).toBe(200);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers?.["content-type"]).toMatch(/^text\/csv/);
    expect(callsByMarketing).toBeGreaterThan(0);
    expect(engine.calls.some((c) => /\bFROM\s+events\b/i.test(c.sql))).toBe(true);
    expect([none.statusCode, contractor.statusCode]).toEqual([401, 403]);
    expect(bodyOf(contractor).error).toBe("forbidden");
    expect(engine.calls.length).toBe(callsByMarketing);
    expect(me.statusCode).toBe(404);
  });
});
