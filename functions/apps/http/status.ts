import { Hono } from "hono";
import type { Collector } from "../../core/collect/collector.ts";
import type { EventSink } from "../../ports/event-sink.ts";
import type { HttpEnv } from "./types.ts";

/**
 * `GET /_logsieve/status`: the collector's counters and the event sink's, as JSON. Counts only (reasons from
 * closed lists), nothing a visitor sent. Mounted by `logsieve serve` only; never deployed.
 */

export const STATUS_PATH = "/_logsieve/status";

export interface StatusRoutesDeps {
  readonly collector: Collector;
  readonly sink: EventSink;
}

export function statusRoutes(deps: StatusRoutesDeps): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>();
  app.get(STATUS_PATH, (c) => {
    c.set("area", "status");
    c.set("route", STATUS_PATH);
    return new Response(JSON.stringify({ collector: deps.collector.counters(), sink: deps.sink.stats() }), {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });
  });
  return app;
}
