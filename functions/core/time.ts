/** Lengths of time in milliseconds, named once for the whole code base (core, wiring and the dashboard page). */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
