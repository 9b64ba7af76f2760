import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { VersionedLocalStore } from "../../functions/adapters/local/versioned-local-store.ts";
import { aggregateDays } from "../../functions/apps/aggregate/local.ts";
import { runCliQuery } from "../../functions/apps/query/command.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { retentionRules } from "../../functions/core/retention/rules.ts";
import { sweep } from "../../functions/core/retention/sweep.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { ingestSampleLog } from "../helpers/sample-lake.ts";

/**
 * The sweeper over a real local lake: logs of ten days ingested and aggregated, then swept. The security zone
 * keeps nothing older than its window (asked through the security queries themselves), while events/ and
 * stats/ are untouched by the seven-day rule.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const config = parseConfig({ sites: ["example.com"] });

async function hashes(store: VersionedLocalStore, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const info of store.list(prefix)) {
    out.set(
      info.key,
      createHash("sha256")
        .update((await store.get(info.key)) ?? new Uint8Array())
        .digest("hex"),
    );
  }
  return out;
}

async function oldestSecurityRecord(lake: string): Promise<{ oldest: number | null; rows: number }> {
  const engine = await DuckDbQueryEngine.open({ lakeDir: lake });
  try {
    const result = await engine.query("SELECT min(epoch_ms(ts)) AS oldest, count(*) AS n FROM security");
    const row = result.rows[0];
    return { oldest: row?.oldest === null ? null : Number(row?.oldest), rows: Number(row?.n ?? 0) };
  } finally {
    await engine.close();
  }
}

describe("sweeping a local lake", () => {
  let dir: string;
  let lake: string;
  let store: VersionedLocalStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-retention-"));
    lake = await ingestSampleLog({
      dir,
      now: NOW,
      days: 10,
      seed: 11,
      lines: 3000,
      clients: 120,
      malformedShare: 0.01,
    });
    await aggregateDays({ lakeDir: lake, days: "all", config, clock: new FixedClock(NOW) });
    store = new VersionedLocalStore(lake);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves the security queries nothing older than the window, and events/ and stats/ byte for byte", async () => {
    // Prepare
    const before = await oldestSecurityRecord(lake);
    const eventsBefore = await hashes(store, "events/");
    const statsBefore = await hashes(store, "stats/");

    // Act
    const report = await sweep(
      { storeFor: () => store, rules: retentionRules(config.retention) },
      { now: NOW },
    );

    // Assess: there was data older than 168 h, and now there is none
    expect(before.oldest).not.toBeNull();
    expect(NOW - (before.oldest ?? NOW)).toBeGreaterThan(9 * DAY);
    const after = await oldestSecurityRecord(lake);
    expect(after.rows).toBeGreaterThan(0);
    expect(NOW - (after.oldest ?? 0)).toBeLessThanOrEqual(168 * HOUR);
    const talkers = await runCliQuery({
      lakeDir: lake,
      name: "top-talkers",
      params: { from: "2026-11-01", to: "2026-11-30", limit: "1000" },
      config,
    });
    expect(talkers.rows.length).toBeGreaterThan(0);
    for (const row of talkers.rows) {
      expect(NOW - Date.parse(String(row.first_seen))).toBeLessThanOrEqual(168 * HOUR);
    }
    expect(report.deleted.security).toBeGreaterThan(0);
    expect(await hashes(store, "events/")).toEqual(eventsBefore);
    expect(await hashes(store, "stats/")).toEqual(statsBefore);
    expect(report.errors).toEqual([]);
  });

  it("removes events after 90 days and keeps the statistics built from them", async () => {
    // Prepare
    const statsBefore = await hashes(store, "stats/");
    const later = NOW + 91 * DAY;

    // Act
    const report = await sweep(
      { storeFor: () => store, rules: retentionRules(config.retention) },
      { now: later },
    );

    // Assess
    expect(report.deleted.events).toBeGreaterThan(0);
    expect([...(await hashes(store, "events/")).keys()]).toEqual([]);
    expect(await hashes(store, "stats/")).toEqual(statsBefore);
    expect((await oldestSecurityRecord(lake)).rows).toBe(0);
  });
});
