import { isIsoDay } from "../aggregate/query-file.ts";
import { defaultSiteOf, type LogsieveConfig } from "../config.ts";
import { parseSelection, SelectionError } from "../hold/selection.ts";
import { DAY_MS, HOUR_MS } from "../time.ts";
import { utcDay } from "../zones.ts";
import type { DashboardQuery, ParamRule } from "./queries.ts";

/**
 * Checks what a browser asked for before anything reaches the engine: every parameter must be one the allowlist
 * names for that query, with a value of its kind. The result is a set of named textual values that
 * `resolveQueryParams` (core/aggregate/catalog.ts) binds, adding `k` from the configuration: a browser can
 * neither pass `k` nor any other name. Error messages name the parameter and what it must be, never echo the
 * value (it may be an address).
 */

export type DashboardErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 501 | 503;

/** A request the API refuses with a status, a fixed code and a message a person can act on. */
export class DashboardRequestError extends Error {
  constructor(
    readonly status: DashboardErrorStatus,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DashboardRequestError";
  }
}

/** The longest marketing range: the stats are kept 25 months by default; a longer range is a typo. */
export const MAX_RANGE_DAYS = 800;
/** The default marketing range: the last 30 days, today included. */
export const DEFAULT_RANGE_DAYS = 30;

export function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** The sites a dashboard may show: the configured ones, or the one default site. */
export function dashboardSites(config: LogsieveConfig): string[] {
  return config.sites.length > 0 ? [...config.sites] : [defaultSiteOf(config)];
}

/**
 * The UTC days the security zone still holds at `nowMs`: from the day of the oldest access it may keep
 * (`retention.securityHours` back) to today.
 */
export function securityWindow(config: LogsieveConfig, nowMs: number): { from: string; to: string } {
  return { from: utcDay(nowMs - config.retention.securityHours * HOUR_MS), to: utcDay(nowMs) };
}

export interface ValidationContext {
  readonly config: LogsieveConfig;
  readonly nowMs: number;
}

const SAFE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

function bad(message: string): DashboardRequestError {
  return new DashboardRequestError(400, "bad_parameter", message);
}

function checkInt(rule: Extract<ParamRule, { kind: "int" }>, raw: string): string {
  if (!/^\d{1,10}$/.test(raw))
    throw bad(`${rule.name} must be a whole number from ${rule.min} to ${rule.max}`);
  const value = Number(raw);
  if (value < rule.min || value > rule.max)
    throw bad(`${rule.name} must be a whole number from ${rule.min} to ${rule.max}`);
  return String(value);
}

/**
 * The named values for one allowlisted query from a request's query string. Missing dates default to the last
 * 30 days (marketing) or the whole security window (security); a missing site to the default site.
 */
export function validateQueryParams(
  query: DashboardQuery,
  raw: Readonly<Record<string, string | undefined>>,
  context: ValidationContext,
): Record<string, string> {
  const rules = new Map(query.params.map((rule) => [rule.name, rule]));
  for (const name of Object.keys(raw)) {
    if (!rules.has(name)) {
      throw bad(
        SAFE_NAME.test(name)
          ? `${query.name} takes no parameter ${name} (it takes: ${[...rules.keys()].join(", ")})`
          : `${query.name} takes only: ${[...rules.keys()].join(", ")}`,
      );
    }
  }
  const today = utcDay(context.nowMs);
  const window = securityWindow(context.config, context.nowMs);
  const values: Record<string, string> = {};
  for (const rule of query.params) {
    const given = raw[rule.name];
    switch (rule.kind) {
      case "site": {
        const sites = dashboardSites(context.config);
        const site = given ?? sites[0] ?? defaultSiteOf(context.config);
        if (!sites.includes(site)) throw bad(`site must be one of: ${sites.join(", ")}`);
        values.site = site;
        break;
      }
      case "date": {
        if (given !== undefined && !isIsoDay(given))
          throw bad(`${rule.name} must be a day written YYYY-MM-DD`);
        if (given !== undefined) values[rule.name] = given;
        break;
      }
      case "address": {
        if (given === undefined || given.trim() === "") throw bad(`${rule.name} is required: one IP address`);
        try {
          values[rule.name] = parseSelection({ ip: given }).value;
        } catch (error) {
          if (error instanceof SelectionError)
            throw bad(`${rule.name} must be one IPv4 or IPv6 address, without port or prefix length`);
          throw error;
        }
        break;
      }
      case "int": {
        if (given !== undefined) values[rule.name] = checkInt(rule, given);
        break;
      }
    }
  }
  const isSecurity = query.capability === "security";
  if (query.params.some((r) => r.name === "from")) {
    const to = values.to ?? (isSecurity ? window.to : today);
    const from = values.from ?? (isSecurity ? window.from : addDays(to, -(DEFAULT_RANGE_DAYS - 1)));
    if (from > to) throw bad("from must not be after to");
    if (isSecurity) {
      if (from < window.from || to > window.to) {
        throw bad(
          `the security view covers the security zone's window only: from ${window.from} to ${window.to}`,
        );
      }
    } else if (daysBetween(from, to) > MAX_RANGE_DAYS) {
      throw bad(`a range spans at most ${MAX_RANGE_DAYS} days`);
    }
    values.from = from;
    values.to = to;
  }
  return values;
}

/** The range of the same length just before `[from, to]`: what "previous period" compares with. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const length = daysBetween(from, to);
  return { from: addDays(from, -length), to: addDays(from, -1) };
}
