import { describe, expect, it } from "vitest";
import { NO_EVENT_PROPS } from "../../../../../functions/core/ingest/rows.ts";
import { writeEvent } from "../../../../../functions/core/ingest/steps/write-event.ts";
import type { EventRow } from "../../../../../functions/core/types.ts";
import { stepRun } from "./run-fixture.ts";

function event(ts: number, path: string): EventRow {
  return {
    ts,
    site: "example.com",
    source: "log",
    event_name: "request",
    method: "GET",
    path,
    query: null,
    status: 200,
    bytes: 1,
    is_asset: false,
    referrer_host: null,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    click_id: null,
    country: null,
    browser: null,
    browser_major: null,
    os: null,
    device: "desktop",
    is_bot: false,
    bot_name: null,
    visitor_id: null,
    ip_prefix: null,
    consent_tier: "anonymous",
    consent_reason: "no_consent_anonymous",
    ...NO_EVENT_PROPS,
  };
}

describe("write event step", () => {
  it("writes events to the partition of their UTC day and lists the days aggregation must recompute", async () => {
    // Prepare
    const { run, store, rows } = stepRun();
    // Act
    writeEvent(run, "2026-11-21", event(Date.UTC(2026, 10, 21, 0, 0, 1), "/b"));
    writeEvent(run, "2026-11-20", event(Date.UTC(2026, 10, 20, 23, 59, 59), "/a"));
    writeEvent(run, "2026-11-21", event(Date.UTC(2026, 10, 21, 8), "/c"));
    // Assess
    expect(run.events).toBe(3);
    expect([...run.eventDays].sort()).toEqual(["2026-11-20", "2026-11-21"]);
    expect(store.keys()).toEqual([]); // nothing written before the writers finish: rows are buffered
    expect((await rows("events/dt=2026-11-21/")).map((e) => e.path)).toEqual(["/b", "/c"]);
    expect((await rows("events/dt=2026-11-20/")).map((e) => e.path)).toEqual(["/a"]);
  });
});
