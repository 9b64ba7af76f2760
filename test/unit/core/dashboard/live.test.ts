import { describe, expect, it } from "vitest";
import {
  decodeLiveSnapshot,
  encodeLiveSnapshot,
  type LiveSnapshot,
  liveKey,
  liveMoment,
  liveParams,
  liveSnapshotOf,
  liveViewOf,
} from "../../../../functions/core/dashboard/live.ts";

const MINUTE = 60_000;

describe("the live panel's moment and window", () => {
  it("rounds now down to the refresh period, and a window just after midnight reaches into the day before", () => {
    // Prepare
    const now = Date.UTC(2026, 10, 22, 0, 10, 42, 500);
    // Act
    const moment = liveMoment(now, MINUTE);
    const params = liveParams(moment, 30);
    // Assess
    expect(new Date(moment).toISOString()).toBe("2026-11-22T00:10:00.000Z");
    expect(params).toEqual({
      window_from: "2026-11-21 23:40:00",
      yesterday: "2026-11-21",
      today: "2026-11-22",
      until: "2026-11-22 00:10:00",
    });
    expect(liveKey(params.today as string)).toBe("stats/live/dt=2026-11-22/live.json");
  });
});

describe("live figures as served", () => {
  const snapshot = (k: number, sites: LiveSnapshot["sites"]): LiveSnapshot => ({
    version: 1,
    day: "2026-11-22",
    asOf: "2026-11-22T10:00:00.000Z",
    windowMinutes: 30,
    k,
    sites,
  });
  const site = (visitorsWindow: number | null, visitorsToday: number | null) => ({
    site: "example.com",
    visitorsWindow,
    pageviewsWindow: 40,
    visitorsToday,
    pageviewsToday: 900,
  });

  it("never serves a count of 1 to k-1 people, nor the page views that go with it", () => {
    for (const few of [1, 2, 4]) {
      // Act: a snapshot that (wrongly) holds a small count
      const view = liveViewOf(snapshot(5, [site(few, 120)]), "example.com", 5, MINUTE);
      // Assess
      expect(view.visitorsWindow).toBeNull();
      expect(view.pageviewsWindow).toBeNull();
      expect(view.visitorsToday).toBe(120);
      expect(view.pageviewsToday).toBe(900);
    }
  });

  it("serves k and more, and 0 (which describes nobody); a site without traffic gets zeros", () => {
    // Act
    const atK = liveViewOf(snapshot(5, [site(5, 5)]), "example.com", 5, MINUTE);
    const none = liveViewOf(snapshot(5, [site(0, 0)]), "example.com", 5, MINUTE);
    const absent = liveViewOf(snapshot(5, []), "shop.example.com", 5, 10_000);
    // Assess
    expect([atK.visitorsWindow, atK.pageviewsWindow]).toEqual([5, 40]);
    expect([none.visitorsWindow, none.visitorsToday]).toEqual([0, 0]);
    expect(absent).toMatchObject({
      visitorsWindow: 0,
      pageviewsWindow: 0,
      visitorsToday: 0,
      pageviewsToday: 0,
      refreshSeconds: 10,
    });
  });

  it("does not trust a snapshot stored under a smaller k than the configuration's now", () => {
    // Act
    const view = liveViewOf(snapshot(3, [site(6, 120)]), "example.com", 7, MINUTE);
    // Assess
    expect([view.visitorsWindow, view.pageviewsWindow, view.visitorsToday, view.pageviewsToday]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it("reads back what it stores, and takes a damaged file for none (it is computed again)", () => {
    // Prepare
    const stored = liveSnapshotOf(
      [
        {
          site: "example.com",
          visitors_window: 9,
          pageviews_window: 12,
          visitors_today: null,
          pageviews_today: null,
        },
      ],
      Date.UTC(2026, 10, 22, 10, 0),
      30,
      5,
    );
    // Act / Assess
    expect(decodeLiveSnapshot(encodeLiveSnapshot(stored))).toEqual(stored);
    expect(decodeLiveSnapshot(new TextEncoder().encode("{"))).toBeNull();
    expect(decodeLiveSnapshot(new TextEncoder().encode('{"version":2}'))).toBeNull();
  });
});
