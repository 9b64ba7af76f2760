import { describe, expect, it } from "vitest";
import {
  AggregateRequestError,
  CLOCK_MARGIN_MS,
  catchUpDays,
  compactionDays,
  dayOfPendingKey,
  parseDayState,
  parseRequests,
  pendingKey,
  requestBody,
  workFor,
} from "../../../../functions/core/aggregate/requests.ts";

/** The aggregate queue's requests and when they ask for work (the coalescing rule). */

const T = Date.UTC(2026, 10, 20, 12);
const HOUR = 3_600_000;
const INTERVAL = 15 * 60_000;

describe("aggregate requests", () => {
  it("round-trip through a message body, and the older {days: [...]} form still asks for a recompute", () => {
    // Act
    const parsed = parseRequests(requestBody({ day: "2026-11-20", sentAt: T, why: "ingest" }), 1);
    const legacy = parseRequests(JSON.stringify({ days: ["2026-11-20", "2026-11-21"] }), T);

    // Assess
    expect(parsed).toEqual([{ day: "2026-11-20", sentAt: T, why: "ingest" }]);
    expect(legacy).toEqual([
      { day: "2026-11-20", sentAt: T, why: "ingest" },
      { day: "2026-11-21", sentAt: T, why: "ingest" },
    ]);
  });

  it("refuses a body that is not a request, naming what is wrong", () => {
    // Act & Assess
    expect(() => parseRequests("{", T)).toThrow(AggregateRequestError);
    expect(() => parseRequests(JSON.stringify({ day: "2026-02-30" }), T)).toThrow(/YYYY-MM-DD/);
    expect(() => parseRequests(JSON.stringify({ day: "2026-11-20", why: "now" }), T)).toThrow(/why/);
    expect(() => parseRequests(JSON.stringify({ day: "2026-11-20", sentAt: "soon" }), T)).toThrow(/sentAt/);
  });

  it("a request sent before the last recompute started (by more than the clock margin) asks for nothing", () => {
    // Prepare
    const state = { version: 1 as const, startedAt: T };
    const at = (sentAt: number) => ({ day: "2026-11-20", sentAt, why: "ingest" as const });
    const later = T + HOUR; // long after the last recompute: nothing defers

    // Act
    const covered = workFor([at(T - CLOCK_MARGIN_MS), at(T - 60_000)], state, later, INTERVAL);
    const withinMargin = workFor([at(T - CLOCK_MARGIN_MS + 1)], state, later, INTERVAL);
    const mixed = workFor([at(T - 60_000), at(T + 1)], state, later, INTERVAL);
    const never = workFor([at(T - 60_000)], null, later, INTERVAL);

    // Assess
    expect(covered).toEqual({ recompute: false, defer: false, compact: false, covered: 2 });
    expect(withinMargin.recompute).toBe(true);
    expect(mixed).toEqual({ recompute: true, defer: false, compact: false, covered: 1 });
    expect(never.recompute).toBe(true);
  });

  it("ingestion's new requests within the interval after a recompute are deferred; a catch-up's are done now", () => {
    // Prepare
    const state = { version: 1 as const, startedAt: T };
    const soon = T + INTERVAL - 1;

    // Act
    const ingest = workFor([{ day: "2026-11-20", sentAt: T + 1000, why: "ingest" }], state, soon, INTERVAL);
    const catchUp = workFor(
      [{ day: "2026-11-20", sentAt: T + 1000, why: "schedule" }],
      state,
      soon,
      INTERVAL,
    );
    const afterInterval = workFor(
      [{ day: "2026-11-20", sentAt: T + 1000, why: "ingest" }],
      state,
      T + INTERVAL,
      INTERVAL,
    );

    // Assess
    expect(ingest).toEqual({ recompute: false, defer: true, compact: false, covered: 0 });
    expect(catchUp).toEqual({ recompute: true, defer: false, compact: false, covered: 0 });
    expect(afterInterval).toEqual({ recompute: true, defer: false, compact: false, covered: 0 });
  });

  it("a compaction request compacts, and recomputes only with a request that is not covered", () => {
    // Act
    const work = workFor(
      [{ day: "2026-11-20", sentAt: T, why: "compact" }],
      { version: 1, startedAt: T + 10_000 },
      T + HOUR,
      INTERVAL,
    );

    // Assess
    expect(work).toEqual({ recompute: false, defer: false, compact: true, covered: 0 });
  });

  it("the catch-up asks for today, pending days, and yesterday in the first hours; the compaction for yesterday and today", () => {
    // Act & Assess
    expect(catchUpDays(Date.UTC(2026, 0, 1, 0, 20), [])).toEqual(["2025-12-31", "2026-01-01"]);
    expect(catchUpDays(Date.UTC(2026, 0, 1, 9, 20), ["2025-12-01"])).toEqual(["2025-12-01", "2026-01-01"]);
    expect(compactionDays(Date.UTC(2026, 0, 1, 2, 40))).toEqual(["2025-12-30", "2025-12-31", "2026-01-01"]);
    expect(compactionDays(Date.UTC(2026, 0, 1, 9, 40))).toEqual(["2025-12-31", "2026-01-01"]);
    expect(dayOfPendingKey(pendingKey("2026-11-20"))).toBe("2026-11-20");
    expect(dayOfPendingKey("events/_pending/dt=2026-02-30/pending.json")).toBeNull();
  });

  it("reads a day's state, and takes anything else for no state (a recompute follows)", () => {
    // Act & Assess
    expect(parseDayState(JSON.stringify({ version: 1, startedAt: T }))).toEqual({ version: 1, startedAt: T });
    expect(parseDayState("{}")).toBeNull();
    expect(parseDayState("not json")).toBeNull();
  });
});
