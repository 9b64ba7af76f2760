import {
  decodeLiveSnapshot,
  LIVE_REFRESH_MS,
  type LiveView,
  liveKey,
  liveViewOf,
} from "../../core/dashboard/live.ts";
import { DashboardRequestError } from "../../core/dashboard/request.ts";
import { utcDay } from "../../core/zones.ts";
import type { ObjectStore } from "../../ports/object-store.ts";

/**
 * The live panel as the dashboard serves it on AWS: the snapshot the live function wrote for today
 * (`stats/live/dt=<day>/live.json`, core/dashboard/live-refresh.ts), read with the signed-in person's rights, k applied again
 * (liveViewOf). Its `asOf` says how fresh it is. Before the day's first run (the first minute after midnight UTC,
 * or a deployment whose schedule has not run yet) there is nothing to show: 503, saying so.
 */
export async function storedLiveView(
  store: ObjectStore,
  site: string,
  k: number,
  nowMs: number,
): Promise<LiveView> {
  const bytes = await store.get(liveKey(utcDay(nowMs)));
  const snapshot = bytes === null ? null : decodeLiveSnapshot(bytes);
  if (snapshot === null) {
    throw new DashboardRequestError(
      503,
      "live_pending",
      "today's live figures are not computed yet: the live function writes them every minute (docs/DASHBOARD.md)",
    );
  }
  return liveViewOf(snapshot, site, k, LIVE_REFRESH_MS);
}
