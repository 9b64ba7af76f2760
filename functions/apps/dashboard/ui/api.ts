/// <reference lib="dom" />
import type { ColumnSpec } from "../../../core/dashboard/queries.ts";

/**
 * The page's only way to data: GET the allowlisted queries by name with typed parameters, download their CSV,
 * and the legal-hold calls. Locally the session cookie (HttpOnly, SameSite=Strict) goes along by itself; on AWS
 * the Cognito token is sent as a Bearer header (auth.ts).
 */

export type Value = string | number | boolean | null;
export type Row = Readonly<Record<string, Value>>;

export interface QueryResponse {
  readonly query: string;
  readonly title: string;
  readonly params: Readonly<Record<string, string>>;
  readonly k: number | null;
  readonly columns: readonly ColumnSpec[];
  readonly rows: readonly Row[];
}

export interface Me {
  readonly roles: readonly string[];
  readonly capabilities: readonly ("marketing" | "security" | "holds")[];
  readonly sites: readonly string[];
  readonly defaultSite: string | null;
  readonly today: string;
  readonly k: number;
  readonly securityWindow: { readonly from: string; readonly to: string } | null;
  readonly queries: readonly string[];
  readonly holdsAvailable: boolean;
  /** The provider column comes from the bundled AS database, whose licence asks for the credit under it. */
  readonly providerAttribution: boolean;
  /** Whether this deployment computes the live panel's figures. */
  readonly liveAvailable?: boolean;
  readonly auth: "session" | "cognito";
}

/** The live panel's figures (core/dashboard/live.ts): null means fewer than k people. */
export interface LiveResponse {
  readonly site: string;
  readonly asOf: string;
  readonly refreshSeconds: number;
  readonly windowMinutes: number;
  readonly k: number;
  readonly visitorsWindow: number | null;
  readonly pageviewsWindow: number | null;
  readonly visitorsToday: number | null;
  readonly pageviewsToday: number | null;
}

export interface HoldSummary {
  readonly incident: string;
  readonly status: string;
  readonly createdAt: string | null;
  readonly createdBy: string | null;
  readonly reason: string | null;
  readonly records: number | null;
}

/** An answer the page shows to the person: what went wrong and, where possible, what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let bearer: string | null = null;

export function setBearerToken(token: string | null): void {
  bearer = token;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return bearer === null ? extra : { ...extra, authorization: `Bearer ${bearer}` };
}

function url(path: string, params: Readonly<Record<string, string>> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `/api/dashboard/${path}${query === "" ? "" : `?${query}`}`;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = "error";
  let message = "";
  try {
    const body = (await response.json()) as { error?: string; message?: string };
    code = body.error ?? code;
    message = body.message ?? "";
  } catch {
    // not JSON: a proxy or the platform answered
  }
  if (response.status === 401) {
    return new ApiError(401, code, message || "You are not signed in, or your session has ended.");
  }
  if (response.status === 403) return new ApiError(403, code, message || "Your role may not see this.");
  if (response.status >= 500 && message === "")
    message = "The server could not answer. Try again in a moment.";
  return new ApiError(response.status, code, message || `The server answered ${response.status}.`);
}

async function send(input: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(input, {
      credentials: "same-origin",
      ...init,
      headers: headers(init.headers as Record<string, string>),
    });
  } catch {
    throw new ApiError(
      0,
      "network",
      "The dashboard server cannot be reached. Is `logsieve serve` still running?",
    );
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getMe(): Promise<Me> {
  return (await send(url("me"))).json() as Promise<Me>;
}

export async function runQuery(
  name: string,
  params: Readonly<Record<string, string>>,
): Promise<QueryResponse> {
  return (await send(url(`query/${encodeURIComponent(name)}`, params))).json() as Promise<QueryResponse>;
}

/** The live panel's figures of a site (GET /api/dashboard/live). */
export async function fetchLive(site: string): Promise<LiveResponse> {
  return (await send(url("live", { site }))).json() as Promise<LiveResponse>;
}

/** Fetches the CSV export and hands it to the browser as a download. */
export async function downloadCsv(name: string, params: Readonly<Record<string, string>>): Promise<string> {
  const response = await send(url(`export/${encodeURIComponent(name)}.csv`, params));
  const disposition = response.headers.get("content-disposition") ?? "";
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${name}.csv`;
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return fileName;
}

/** A Stats API (v2) answer, as `POST /api/v2/query` gives it (core/stats/plan.ts). */
export interface StatsAnswer {
  readonly results: readonly {
    readonly metrics: readonly (number | null)[];
    readonly dimensions: readonly string[];
  }[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
}

/** One Stats API query for a panel (filters, visit metrics, goals), through the signed-in session. */
export async function runStats(body: Readonly<Record<string, unknown>>): Promise<StatsAnswer> {
  const response = await send(url("stats"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json() as Promise<StatsAnswer>;
}

/** The same query's rows as a CSV download. */
export async function downloadStatsCsv(body: Readonly<Record<string, unknown>>): Promise<string> {
  const response = await send(url("stats.csv"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const fileName =
    /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "logsieve.csv";
  downloadText(fileName, await response.text(), "text/csv");
  return fileName;
}

/** Hands text made in the page (the block list) to the browser as a download. */
export function downloadText(fileName: string, text: string, type: string): void {
  const href = URL.createObjectURL(new Blob([text], { type: `${type}; charset=utf-8` }));
  const link = document.createElement("a");
  link.href = href;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export async function listHolds(): Promise<readonly HoldSummary[]> {
  return ((await (await send(url("holds"))).json()) as { holds: HoldSummary[] }).holds;
}

export interface PlacedHold {
  readonly incident: string;
  readonly records: number;
  readonly createdAt: string;
  readonly createdBy: string;
}

export async function placeHold(body: {
  incident: string;
  ip: string;
  reason: string;
  from?: string;
  to?: string;
}): Promise<PlacedHold> {
  const response = await send(url("holds"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return response.json() as Promise<PlacedHold>;
}

export async function signOut(): Promise<void> {
  await send(url("logout"), { method: "POST" }).catch(() => undefined);
}
