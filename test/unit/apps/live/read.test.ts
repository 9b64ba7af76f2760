import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../../../functions/adapters/local/object-store.ts";
import { storedLiveView } from "../../../../functions/apps/live/read.ts";
import { encodeLiveSnapshot, liveKey, liveSnapshotOf } from "../../../../functions/core/dashboard/live.ts";
import { DashboardRequestError } from "../../../../functions/core/dashboard/request.ts";

/** The live panel as served on AWS: today's stored snapshot, k applied again; nothing stored yet is a 503. */

const NOW = Date.UTC(2026, 11, 6, 14, 30, 20);
const MOMENT = Date.UTC(2026, 11, 6, 14, 30);
let dir: string;
let store: LocalObjectStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "logsieve-live-read-"));
  store = new LocalObjectStore(dir);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function storeSnapshot(k: number, rows: Record<string, unknown>[]): Promise<void> {
  const snapshot = liveSnapshotOf(rows, MOMENT, 30, k);
  await store.put(liveKey("2026-12-06"), encodeLiveSnapshot(snapshot), { contentType: "application/json" });
}

describe("storedLiveView", () => {
  it("serves today's figures of the site with their time", async () => {
    // Prepare
    await storeSnapshot(5, [
      {
        site: "example.com",
        visitors_window: 12,
        pageviews_window: 30,
        visitors_today: 240,
        pageviews_today: 610,
      },
    ]);

    // Act
    const view = await storedLiveView(store, "example.com", 5, NOW);

    // Assess
    expect(view).toMatchObject({
      site: "example.com",
      asOf: "2026-12-06T14:30:00.000Z",
      visitorsWindow: 12,
      pageviewsWindow: 30,
      visitorsToday: 240,
      pageviewsToday: 610,
    });
  });

  it("withholds a figure under the served k, even if the snapshot was stored under a smaller one", async () => {
    // Prepare: stored with k = 2, three people in the window
    await storeSnapshot(2, [
      {
        site: "example.com",
        visitors_window: 3,
        pageviews_window: 4,
        visitors_today: 40,
        pageviews_today: 90,
      },
    ]);

    // Act
    const view = await storedLiveView(store, "example.com", 5, NOW);

    // Assess
    expect([view.visitorsWindow, view.pageviewsWindow, view.visitorsToday]).toEqual([null, null, null]);
  });

  it("answers 503 before the day's first snapshot (yesterday's is not today's)", async () => {
    // Prepare
    const yesterday = liveSnapshotOf([], MOMENT - 86_400_000, 30, 5);
    await store.put(liveKey("2026-12-05"), encodeLiveSnapshot(yesterday), {
      contentType: "application/json",
    });

    // Act
    const attempt = storedLiveView(store, "example.com", 5, NOW);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DashboardRequestError);
    await expect(attempt).rejects.toMatchObject({ status: 503, code: "live_pending" });
  });
});
