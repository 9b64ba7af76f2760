import { type Context, Hono } from "hono";
import { capabilitiesOf } from "../../core/dashboard/roles.ts";
import { StatsQueryError } from "../../core/stats/query.ts";
import { type StatsService, StatsUnavailableError } from "../../core/stats/service.ts";
import { bodyLimit } from "../http/body-limit.ts";
import type { HttpEnv, HttpLogger } from "../http/types.ts";
import type { StatsAuth } from "./auth.ts";

/**
 * The Stats API in the HTTP app: `POST /api/v2/query`, Plausible's Stats API v2 request and answer
 * (docs/STATS-API.md), for a Bearer key of the site it asks about (`logsieve keys create`). Errors are Plausible's
 * shape, `{"error": "<message>"}`: 401 without a key or with a key that is unknown, revoked or of another site, 400
 * for a request the schema or logsieve refuses (the message names the field), 413 over 64 KiB, 503 when a path is
 * not set up, 500 with a fixed text (the log has the error's name only). Logs carry the key's id, the status and
 * the path taken — never the filters' values or a row.
 */

export const STATS_QUERY_PATH = "/api/v2/query";
export const MAX_QUERY_BODY_BYTES = 64 * 1024;

export interface StatsRoutesDeps {
  readonly service: StatsService;
  readonly auth: StatsAuth;
  readonly logger: HttpLogger;
}

const MISSING_KEY =
  "Missing API key. Please use a valid logsieve API key (logsieve keys create) as a Bearer Token.";
const INVALID_KEY =
  "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested.";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

const error = (status: number, message: string) => answer(status, { error: message });

/** The request body as JSON, or why not (a message for the caller). */
async function jsonBody(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; message: string }> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json")
    return { ok: false, message: "Send the query as JSON (Content-Type: application/json)." };
  try {
    return { ok: true, value: JSON.parse(await c.req.text()) };
  } catch {
    return { ok: false, message: "The request body is not valid JSON." };
  }
}

export function statsRoutes(deps: StatsRoutesDeps): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  const limit = bodyLimit(MAX_QUERY_BODY_BYTES, () =>
    error(413, `A query is at most ${MAX_QUERY_BODY_BYTES} bytes.`),
  );
  app.on("POST", STATS_QUERY_PATH, limit, async (c) => {
    c.set("route", STATS_QUERY_PATH);
    const log = (status: number, attributes: Record<string, unknown> = {}) =>
      deps.logger.info("stats query", { status, ...attributes });
    const check = await deps.auth.identify(c);
    if (check.kind === "missing") {
      log(401, { why: "missing_key" });
      return error(401, MISSING_KEY);
    }
    if (check.kind === "invalid") {
      log(401, { why: "invalid_key" });
      return error(401, INVALID_KEY);
    }
    const { identity } = check;
    if (!capabilitiesOf([identity.role]).includes("marketing")) {
      log(401, { key: identity.keyId, why: "role" });
      return error(401, INVALID_KEY);
    }
    const body = await jsonBody(c);
    if (!body.ok) {
      log(400, { key: identity.keyId, why: "body" });
      return error(400, body.message);
    }
    const site = deps.service.siteOf(body.value);
    if (site === null) {
      log(400, { key: identity.keyId, why: "site_id" });
      return error(400, "Missing site ID. Please provide the required site_id parameter with your request.");
    }
    // A key reads the one site it was made for; another site answers as an unknown key would (Plausible does too).
    if (site !== identity.site) {
      log(401, { key: identity.keyId, why: "other_site" });
      return error(401, INVALID_KEY);
    }
    try {
      const result = await deps.service.answer(body.value);
      log(200, { key: identity.keyId, rows: result.results.length });
      return answer(200, result);
    } catch (failure) {
      if (failure instanceof StatsQueryError) {
        log(400, { key: identity.keyId, why: "query" });
        return error(400, failure.message);
      }
      if (failure instanceof StatsUnavailableError) {
        log(503, { key: identity.keyId, path: failure.path });
        return error(503, failure.message);
      }
      deps.logger.error("stats query failed", {
        key: identity.keyId,
        errorName: failure instanceof Error ? failure.name : "unknown",
      });
      return error(500, "The query failed; the server log has details.");
    }
  });
  app.all(STATS_QUERY_PATH, (c) => {
    c.set("route", STATS_QUERY_PATH);
    return error(405, "Send the query with POST.");
  });
  return app;
}
