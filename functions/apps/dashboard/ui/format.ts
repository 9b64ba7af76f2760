import { DAY_MS } from "../../../core/time.ts";

/**
 * How numbers, bytes, days and times are written on the page (English, UTC: the lake's days are UTC days).
 */

const numbers = new Intl.NumberFormat("en-US");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function formatCount(value: unknown): string {
  if (typeof value === "number") return numbers.format(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return numbers.format(BigInt(value));
  return value === null || value === undefined ? "–" : String(value);
}

export function formatBytes(value: unknown): string {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${unit === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds as `2 min 05 s` (or `45 s`). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** `2026-11-20` → `20 Nov 2026`. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) return day;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

/** `2026-11-20` → `20 Nov`. */
export function formatShortDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) return day;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]}`;
}

export function formatMonth(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  return m === null ? month : `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

/** An ISO-8601 UTC time as `2026-11-20 10:05:03`. */
export function formatTime(value: unknown): string {
  if (typeof value !== "string") return value === null || value === undefined ? "–" : String(value);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(value);
  return m === null ? value : `${m[1]} ${m[2]}`;
}

export interface Delta {
  readonly text: string;
  readonly direction: "up" | "down" | "flat" | "none";
}

/** The change from the previous period, e.g. `+12.5 %`; `none` when there was nothing to compare with. */
export function delta(current: number, previous: number): Delta {
  if (previous === 0) return { text: current === 0 ? "no change" : "new", direction: "none" };
  const change = (current - previous) / previous;
  if (Math.abs(change) < 0.0005) return { text: "±0 %", direction: "flat" };
  return {
    text: `${change > 0 ? "+" : "−"}${Math.abs(change * 100).toFixed(1)} %`,
    direction: change > 0 ? "up" : "down",
  };
}

export function dayToMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function msToDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return msToDay(dayToMs(day) + days * DAY_MS);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dayToMs(to) - dayToMs(from)) / DAY_MS) + 1;
}
