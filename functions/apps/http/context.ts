import type { LocalCollector } from "../collect/local.ts";

/**
 * What `logsieve serve` hands each feature it serves besides the collector (the dashboards). A type of its own,
 * so a feature's local wiring can depend on it without depending on the server.
 */

export interface ServeContext extends ServeExtras {
  readonly collector: LocalCollector;
}

/** What a feature may add besides its routes: lines printed once the address is known, and work at close. */
export interface ServeExtras {
  /** A line (or lines) for the start-up message, built from the server's URL. */
  readonly announce: (line: (url: string) => string) => void;
  /** Run when the server closes, before the collector drains (e.g. closing a query engine). */
  readonly onClose: (close: () => Promise<void>) => void;
  /** How often the dashboard's live panel may be recomputed (`logsieve serve --live-seconds`). */
  readonly liveRefreshMs?: number;
}
