/** Lengths of time in milliseconds, named once for the whole code base (core, wiring and the dashboard page). */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
