import { z } from "zod";
import { DAY_MS, MINUTE_MS } from "../time.ts";

/**
 * The dashboard's live panel: visitors in the last {@link LIVE_WINDOW_MINUTES} minutes and the day so far, per site.
 *
 * The figures are a small rollup of their own (`queries/dashboard.live.sql`), computed from the latest `events/`
 * partitions (today, and yesterday for a window crossing midnight) at most once per {@link LIVE_REFRESH_MS}, and
 * stored in `stats/live/dt=<day>/live.json`, where marketing reads them: like every other rollup, k is applied
 * before anything is stored (a figure about fewer than k people is null), and again when it is served.
 *
 * Why minutes, and why nulls: a live count moves when one person arrives or leaves; a count of 1, 2, 3 "right now"
 * points at a person. Under k the panel says "fewer than k", and the page views that would tell what so few did
 * are withheld too. Between two refreshes a figure may still move by one visitor; that says "someone came", not
 * who, from where or what they read (the panel has no pages, referrers or countries). Refreshing per minute, not
 * per request, keeps the moments at which such differences can be taken few.
 */

export const LIVE_WINDOW_MINUTES = 30;
export const LIVE_REFRESH_MS = MINUTE_MS;
export const LIVE_PREFIX = "stats/live/";

/** The stored key of a day's live rollup. */
export function liveKey(day: string): string {
  return `${LIVE_PREFIX}dt=${day}/live.json`;
}

/** The moment the live figures describe: `now` rounded down to the refresh period (UTC epoch ms). */
export function liveMoment(nowMs: number, refreshMs: number = LIVE_REFRESH_MS): number {
  return Math.floor(nowMs / refreshMs) * refreshMs;
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), as the query takes its times. */
function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** The named parameters of `dashboard.live` for a moment (k comes from the configuration). */
export function liveParams(
  momentMs: number,
  windowMinutes: number = LIVE_WINDOW_MINUTES,
): Record<string, string> {
  const today = new Date(momentMs).toISOString().slice(0, 10);
  return {
    window_from: sqlTime(momentMs - windowMinutes * MINUTE_MS),
    yesterday: new Date(momentMs - DAY_MS).toISOString().slice(0, 10),
    today,
    until: sqlTime(momentMs),
  };
}

export interface LiveSiteFigures {
  readonly site: string;
  /** Null: fewer than k people (see the module comment). */
  readonly visitorsWindow: number | null;
  readonly pageviewsWindow: number | null;
  readonly visitorsToday: number | null;
  readonly pageviewsToday: number | null;
}

export interface LiveSnapshot {
  readonly version: 1;
  /** The UTC day of `asOf`. */
  readonly day: string;
  /** The moment the figures describe (the end of the window), ISO-8601. */
  readonly asOf: string;
  readonly windowMinutes: number;
  /** The k the figures were stored under. */
  readonly k: number;
  readonly sites: readonly LiveSiteFigures[];
}

const figure = z.number().int().min(0).nullable();
const snapshotSchema = z
  .object({
    version: z.literal(1),
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    asOf: z.string(),
    windowMinutes: z.number().int().positive(),
    k: z.number().int().positive(),
    sites: z.array(
      z
        .object({
          site: z.string(),
          visitorsWindow: figure,
          pageviewsWindow: figure,
          visitorsToday: figure,
          pageviewsToday: figure,
        })
        .strict(),
    ),
  })
  .strict();

export function encodeLiveSnapshot(snapshot: LiveSnapshot): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(snapshot)}\n`);
}

/** A stored snapshot, or null when it cannot be read (it is then computed again). */
export function decodeLiveSnapshot(bytes: Uint8Array): LiveSnapshot | null {
  try {
    const parsed = snapshotSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    return parsed.success ? (parsed.data as LiveSnapshot) : null;
  } catch {
    return null;
  }
}

/** A number from a query row, or null (SQL NULL, or a figure under k). */
function count(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** The snapshot of a moment from the rows `dashboard.live` returned. */
export function liveSnapshotOf(
  rows: readonly Readonly<Record<string, unknown>>[],
  momentMs: number,
  windowMinutes: number,
  k: number,
): LiveSnapshot {
  return {
    version: 1,
    day: new Date(momentMs).toISOString().slice(0, 10),
    asOf: new Date(momentMs).toISOString(),
    windowMinutes,
    k,
    sites: rows.map((row) => ({
      site: String(row.site),
      visitorsWindow: count(row.visitors_window),
      pageviewsWindow: count(row.pageviews_window),
      visitorsToday: count(row.visitors_today),
      pageviewsToday: count(row.pageviews_today),
    })),
  };
}

/** What the live route answers for one site. */
export interface LiveView {
  readonly site: string;
  readonly asOf: string;
  /** How often the figures are recomputed. */
  readonly refreshSeconds: number;
  readonly windowMinutes: number;
  readonly k: number;
  readonly visitorsWindow: number | null;
  readonly pageviewsWindow: number | null;
  readonly visitorsToday: number | null;
  readonly pageviewsToday: number | null;
}

/**
 * The figures of one site as served, with k applied again (a snapshot stored under a smaller k is not trusted):
 * page views are withheld with the visitors they belong to. A site without traffic gets zeros, which describe nobody.
 */
export function liveViewOf(snapshot: LiveSnapshot, site: string, k: number, refreshMs: number): LiveView {
  const found = snapshot.sites.find((s) => s.site === site);
  const trusted = snapshot.k >= k;
  const visitorsWindow = trusted ? underK(found === undefined ? 0 : found.visitorsWindow, k) : null;
  const visitorsToday = trusted ? underK(found === undefined ? 0 : found.visitorsToday, k) : null;
  return {
    site,
    asOf: snapshot.asOf,
    refreshSeconds: Math.round(refreshMs / 1000),
    windowMinutes: snapshot.windowMinutes,
    k,
    visitorsWindow,
    pageviewsWindow: visitorsWindow === null ? null : (found?.pageviewsWindow ?? 0),
    visitorsToday,
    pageviewsToday: visitorsToday === null ? null : (found?.pageviewsToday ?? 0),
  };
}

/** Null for a count of people from 1 to k - 1 (0 describes nobody). */
function underK(value: number | null, k: number): number | null {
  return value === null || (value > 0 && value < k) ? null : value;
}
