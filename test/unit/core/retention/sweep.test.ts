import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../functions/core/config.ts";
import { retentionRules } from "../../../../functions/core/retention/rules.ts";
import { type SweepDeps, sweep } from "../../../../functions/core/retention/sweep.ts";
import type { Zone } from "../../../../functions/core/zones.ts";
import type { VersionedStore } from "../../../../functions/ports/versioned-store.ts";
import { MemoryVersionedStore } from "./memory-versioned-store.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// A Friday noon, UTC; whole hours, so hour partitions start exactly `age` before it.
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

const rules = retentionRules(parseConfig({}).retention);

/** The promised age limits, written out independently of the code under test. */
function limitPassed(zone: Zone, origin: number, now: number): boolean {
  switch (zone) {
    case "incoming":
    case "security":
    case "rejects":
      return now - origin >= 168 * HOUR;
    case "events":
      return now - origin >= 90 * DAY;
    case "salts":
      return now - origin >= 48 * HOUR;
    case "checkpoints":
      // As long as the events its lines became, from its last update.
      return now - origin >= 90 * DAY;
    case "stats": {
      const d = new Date(origin);
      // 25 calendar months later (no test day is past the 28th, so no clamping is involved).
      return now >= Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 25, d.getUTCDate());
    }
    case "evidence":
      return false;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
const hh = (ms: number) => iso(ms).slice(11, 13);
const startOfDay = (ms: number) => Date.parse(`${day(ms)}T00:00:00Z`);

interface Seeded {
  readonly zone: Zone;
  readonly key: string;
  /** The earliest access the object can describe, as the test built its key. */
  readonly origin: number;
  readonly held: boolean;
}

/** One object per zone, age and hold state, keyed the way the pipeline keys them. */
function seedMatrix(store: MemoryVersionedStore, ages: Record<Zone, readonly number[]>): Seeded[] {
  const seeded: Seeded[] = [];
  for (const [zone, zoneAges] of Object.entries(ages) as [Zone, number[]][]) {
    for (const age of zoneAges) {
      for (const held of [false, true]) {
        const at = NOW - age;
        const tag = `${age / HOUR}h-${held ? "held" : "free"}`;
        let key: string;
        let origin = at;
        switch (zone) {
          case "incoming":
            key = `incoming/nginx/access-${tag}.log.gz`; // no time in the name: its arrival counts
            break;
          case "security":
          case "rejects":
            key = `${zone}/dt=${day(at)}/hour=${hh(at)}/input${tag}-0000.parquet`;
            break;
          case "events":
            key = `events/dt=${day(at)}/input${tag}-0000.parquet`;
            origin = startOfDay(at);
            break;
          case "stats":
            key = `stats/pages/dt=${day(at)}/rollup-${tag}.parquet`;
            origin = startOfDay(at);
            break;
          case "salts":
            key = `salts/dt=${day(at)}/salt-${tag}.json`;
            break;
          case "evidence":
            key = `evidence/incident=INC-${tag}/records.parquet`;
            break;
          case "checkpoints":
            key = `checkpoints/stream${tag}.json`; // no time in the key: its last update counts
            break;
        }
        // The object was written when its access happened (late files are tested apart).
        store.seed(key, at, new Uint8Array([1, 2, 3]), held ? "ON" : "OFF");
        seeded.push({ zone, key, origin, held });
      }
    }
  }
  return seeded;
}

function depsFor(store: VersionedStore): SweepDeps {
  return { storeFor: () => store, rules };
}

/** Every key but the audit trail's. */
const dataKeys = (store: MemoryVersionedStore) =>
  store.allKeys().filter((k) => !k.startsWith("evidence/audit/"));

const BRIEF_AGES = [167 * HOUR, 168 * HOUR, 169 * HOUR, 8 * DAY];

describe("sweep: ages × held × zones", () => {
  it("leaves no unheld version beyond its zone's age, keeps every held one, and keeps everything younger", async () => {
    // Prepare: the brief's ages in every zone, plus each zone's own edge (limit −1 h, limit, +1 h, +1 d)
    const store = new MemoryVersionedStore(() => NOW);
    const edges = (limit: number) => [limit - HOUR, limit, limit + HOUR, limit + DAY];
    const statsLimit = NOW - Date.UTC(2024, 9, 20, 12); // 25 months before NOW
    const seeded = seedMatrix(store, {
      incoming: BRIEF_AGES,
      security: BRIEF_AGES,
      rejects: BRIEF_AGES,
      events: [...BRIEF_AGES, ...edges(90 * DAY)],
      stats: [...BRIEF_AGES, 400 * DAY, statsLimit - DAY, statsLimit + DAY, statsLimit + 40 * DAY],
      salts: [47 * HOUR, 48 * HOUR, 49 * HOUR, ...BRIEF_AGES],
      checkpoints: [...BRIEF_AGES, ...edges(90 * DAY)],
      evidence: [],
    });

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    const remaining = new Set(dataKeys(store));
    const unheldBeyond = seeded.filter(
      (s) => !s.held && limitPassed(s.zone, s.origin, NOW) && remaining.has(s.key),
    );
    expect(unheldBeyond).toEqual([]);
    const heldGone = seeded.filter((s) => s.held && !remaining.has(s.key));
    expect(heldGone).toEqual([]);
    const youngGone = seeded.filter((s) => !limitPassed(s.zone, s.origin, NOW) && !remaining.has(s.key));
    expect(youngGone).toEqual([]);
    // The brief's four ages in the seven-day zones: 167 h stays, 168 h, 169 h and 8 days go.
    for (const zone of ["incoming", "security", "rejects"] as const) {
      expect(report.deleted[zone]).toBe(3);
      expect(report.skippedHeld[zone]).toBe(3);
      expect(
        seeded.filter((s) => s.zone === zone && !s.held && remaining.has(s.key)).map((s) => s.key),
      ).toHaveLength(1);
    }
    // The seven-day rule does not touch events or stats: only what is past 90 days / 25 months goes.
    // 90 d − 1 h is in a day partition that began 90 d + 10 h ago (its earliest possible record), so it goes too.
    expect(report.deleted.events).toBe(4);
    expect(report.deleted.stats).toBe(2); // 25 months + 1 day, + 40 days
    expect(report.errors).toEqual([]);
  });

  it("deletes a version once its hold is released, on the next run", async () => {
    // Prepare
    const store = new MemoryVersionedStore(() => NOW);
    const at = NOW - 8 * DAY;
    const key = `security/dt=${day(at)}/hour=${hh(at)}/abc-0000.parquet`;
    const versionId = store.seed(key, at, new Uint8Array([9]), "ON");
    const first = await sweep(depsFor(store), { now: NOW });

    // Act
    await store.putLegalHold(key, versionId, "OFF");
    const second = await sweep(depsFor(store), { now: NOW + HOUR });

    // Assess
    expect(first.skippedHeld.security).toBe(1);
    expect(first.keys.skippedHeld).toEqual([{ key, versionId, why: "legal-hold" }]);
    expect(second.deleted.security).toBe(1);
    expect(dataKeys(store)).toEqual([]);
  });
});

describe("sweep: the seven-day promise to the hour", () => {
  it("removes a partition on the first hourly sweep at which its earliest record is 168 hours old", async () => {
    // Prepare: a record of 10:00 and one of 10:59 share the partition hour=10 of 2026-11-13
    const store = new MemoryVersionedStore(() => NOW);
    const key = "security/dt=2026-11-13/hour=10/abc-0000.parquet";
    store.seed(key, Date.UTC(2026, 10, 13, 11, 5));
    const sweepsAt = [9, 10, 11].map((h) => Date.UTC(2026, 10, 20, h, 0));

    // Act
    const results: boolean[] = [];
    for (const now of sweepsAt) {
      await sweep(depsFor(store), { now });
      results.push(dataKeys(store).includes(key));
    }

    // Assess: 10:00 + 168 h = 2026-11-20T10:00Z; the sweep of 09:00 keeps it, the sweep of 10:00 removes it,
    // so the record of 10:00 lived exactly 168 h, the one of 10:59 less: none outlived 168 h + one period.
    expect(results).toEqual([true, false, false]);
  });

  it("judges a log file delivered late by the access it describes, not by its arrival", async () => {
    // Prepare: accesses of 2026-11-12 14:00, parsed (written) only on 2026-11-19
    const store = new MemoryVersionedStore(() => NOW);
    const late = "security/dt=2026-11-12/hour=14/late-0000.parquet";
    const cloudfront = "incoming/cf/E2EXAMPLE.2026-11-12-14.a1b2c3d4.gz";
    store.seed(late, Date.UTC(2026, 10, 19, 9));
    store.seed(cloudfront, Date.UTC(2026, 10, 19, 9));

    // Act: 2026-11-19 14:00 + 1 h... the first sweep at or after 2026-11-19T14:00Z
    await sweep(depsFor(store), { now: Date.UTC(2026, 10, 19, 13) });
    const before = dataKeys(store);
    await sweep(depsFor(store), { now: Date.UTC(2026, 10, 19, 14) });

    // Assess
    expect(before).toEqual([cloudfront, late]);
    expect(dataKeys(store)).toEqual([]);
  });

  it("bounds an object whose partition lies in the future by its own write time", async () => {
    // Prepare: a log with a wrong clock wrote accesses of 2031 on 2026-11-10
    const store = new MemoryVersionedStore(() => NOW);
    store.seed("security/dt=2031-01-01/hour=00/skew-0000.parquet", Date.UTC(2026, 10, 10));

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(report.deleted.security).toBe(1);
    expect(dataKeys(store)).toEqual([]);
  });

  it("takes a salt's recorded creation time when it is earlier than the object's write time", async () => {
    // Prepare: salt created 50 h ago (recorded inside), object rewritten 10 h ago
    const store = new MemoryVersionedStore(() => NOW);
    const body = new TextEncoder().encode(JSON.stringify({ createdAt: NOW - 50 * HOUR, salt: "AAAA" }));
    store.seed("salts/dt=2026-11-18/salt.json", NOW - 10 * HOUR, body);
    store.seed("salts/dt=2026-11-20/salt.json", NOW - 10 * HOUR, new TextEncoder().encode("{}"));

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(report.deleted.salts).toBe(1);
    expect(dataKeys(store)).toEqual(["salts/dt=2026-11-20/salt.json"]);
  });

  it("deletes every expired version of a key, noncurrent versions and delete markers included", async () => {
    // Prepare: an 8-day-old partition rewritten twice, then deleted without a version id (a delete marker)
    const store = new MemoryVersionedStore(() => NOW - 7 * DAY - 23 * HOUR);
    const key = `security/dt=${day(NOW - 8 * DAY)}/hour=${hh(NOW - 8 * DAY)}/x-0000.parquet`;
    store.seed(key, NOW - 8 * DAY);
    store.seed(key, NOW - 8 * DAY + HOUR);
    await store.delete(key);

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(report.deleted.security).toBe(3);
    expect(store.versionsOf(key)).toEqual([]);
  });
});

describe("sweep: reports, dry run, failures", () => {
  it("in a dry run reports what it would delete and deletes nothing", async () => {
    // Prepare
    const store = new MemoryVersionedStore(() => NOW);
    store.seed(`security/dt=${day(NOW - 8 * DAY)}/hour=01/a-0000.parquet`, NOW - 8 * DAY);
    store.seed(`rejects/dt=${day(NOW - 8 * DAY)}/hour=01/a-0000.parquet`, NOW - 8 * DAY);
    const before = dataKeys(store);

    // Act
    const report = await sweep(depsFor(store), { now: NOW, dryRun: true });

    // Assess
    expect(report.dryRun).toBe(true);
    expect(report.deleted.security + report.deleted.rejects).toBe(2);
    expect(dataKeys(store)).toEqual(before);
    expect(store.calls.deleteVersion).toBe(0);
    expect(report.recordKey).toBeNull();
  });

  it("records a run in the audit trail with counts and keys", async () => {
    // Prepare
    const store = new MemoryVersionedStore(() => NOW);
    const key = `security/dt=${day(NOW - 8 * DAY)}/hour=03/b-0000.parquet`;
    store.seed(key, NOW - 8 * DAY);

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(report.recordKey).toMatch(
      /^evidence\/audit\/sweeps\/dt=2026-11-20\/20261120T120000\.000Z-sweep-000\.json$/,
    );
    const record = JSON.parse(
      new TextDecoder().decode((await store.get(report.recordKey ?? "")) ?? new Uint8Array()),
    );
    expect(record.deleted.security).toBe(1);
    expect(record.keys.deleted).toEqual([{ key, versionId: expect.any(String) }]);
  });

  it("counts a refused delete of a version held meanwhile as held, and goes on", async () => {
    // Prepare: the hold read says OFF, then a hold lands before the delete (the store answers denied)
    const store = new MemoryVersionedStore(() => NOW);
    const old = NOW - 9 * DAY;
    const racing = `security/dt=${day(old)}/hour=01/race-0000.parquet`;
    const other = `security/dt=${day(old)}/hour=02/other-0000.parquet`;
    const racingVersion = store.seed(racing, old);
    store.seed(other, old);
    const wrapped: VersionedStore = Object.create(store, {
      getLegalHold: {
        value: async (key: string, versionId: string) => {
          const status = await store.getLegalHold(key, versionId);
          if (key === racing && status === "OFF") await store.putLegalHold(racing, racingVersion, "ON");
          return status;
        },
      },
    });

    // Act
    const report = await sweep(depsFor(wrapped), { now: NOW });

    // Assess
    expect(report.skippedHeld.security).toBe(1);
    expect(report.deleted.security).toBe(1);
    expect(report.errors).toEqual([]);
    expect(dataKeys(store)).toEqual([racing]);
  });

  it("records a failing delete without the address its message carries, and sweeps the rest", async () => {
    // Prepare
    const store = new MemoryVersionedStore(() => NOW);
    for (const h of ["01", "02", "03"])
      store.seed(`security/dt=${day(NOW - 8 * DAY)}/hour=${h}/c-0000.parquet`, NOW - 8 * DAY);
    store.failAfter(
      "deleteVersion",
      1,
      Object.assign(new Error("connect ECONNRESET 203.0.113.9:443"), { code: "ECONNRESET" }),
    );

    // Act
    const report = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(report.deleted.security).toBe(2);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.code).toBe("ECONNRESET");
    expect(JSON.stringify(report)).not.toContain("203.0.113.9");
  });

  it("finishes on a rerun what a sweep that died midway left behind", async () => {
    // Prepare: the first run dies (never returns) on its third delete
    const store = new MemoryVersionedStore(() => NOW);
    const keys = ["01", "02", "03", "04", "05"].map(
      (h) => `rejects/dt=${day(NOW - 8 * DAY)}/hour=${h}/d-0000.parquet`,
    );
    for (const key of keys) store.seed(key, NOW - 8 * DAY);
    let deletes = 0;
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => {
      died = resolve;
    });
    const dying: VersionedStore = Object.create(store, {
      deleteVersion: {
        value: (key: string, versionId: string) => {
          if (++deletes !== 3) return store.deleteVersion(key, versionId);
          died();
          return new Promise<never>(() => {});
        },
      },
    });
    void sweep(depsFor(dying), { now: NOW });
    await dead; // the moment it hangs, not a guess at how long two deletes take
    const leftBehind = dataKeys(store);

    // Act
    const rerun = await sweep(depsFor(store), { now: NOW });
    const again = await sweep(depsFor(store), { now: NOW });

    // Assess
    expect(leftBehind).toHaveLength(3);
    expect(rerun.deleted.rejects).toBe(3);
    expect(dataKeys(store).filter((k) => k.startsWith("rejects/"))).toEqual([]);
    expect(again.deleted.rejects).toBe(0);
    expect(again.recordKey).toBeNull(); // nothing happened, nothing recorded
  });

  it("keeps the evidence of an active incident and sweeps a released one, release record last", async () => {
    // Prepare
    const store = new MemoryVersionedStore(() => NOW);
    const old = NOW - 40 * DAY;
    for (const name of ["records.parquet", "manifest.json"])
      store.seed(`evidence/incident=A/${name}`, old, undefined, "ON");
    for (const name of ["records.parquet", "manifest.json"]) store.seed(`evidence/incident=B/${name}`, old);
    store.seed("evidence/incident=B/release.json", NOW - HOUR);
    store.seed("evidence/audit/holds/dt=2026-10-11/x.json", old);
    const order: string[] = [];
    const observed: VersionedStore = Object.create(store, {
      deleteVersion: {
        value: (key: string, versionId: string) => {
          order.push(key);
          return store.deleteVersion(key, versionId);
        },
      },
    });

    // Act
    const report = await sweep(depsFor(observed), { now: NOW });

    // Assess
    expect(order).toEqual([
      "evidence/incident=B/records.parquet",
      "evidence/incident=B/manifest.json",
      "evidence/incident=B/release.json",
    ]);
    expect(report.skippedHeld.evidence).toBe(2);
    expect(report.incidentsSwept).toEqual(["B"]);
    expect(dataKeys(store)).toEqual([
      "evidence/incident=A/manifest.json",
      "evidence/incident=A/records.parquet",
    ]);
    expect(store.allKeys()).toContain("evidence/audit/holds/dt=2026-10-11/x.json");
  });

  it("routes each zone to its own store and asks no hold of a store that cannot hold", async () => {
    // Prepare: raw bucket with Object Lock, analytics bucket without
    const raw = new MemoryVersionedStore(() => NOW);
    const analytics = new MemoryVersionedStore(() => NOW, { versioned: false, objectLock: false });
    raw.seed(`security/dt=${day(NOW - 8 * DAY)}/hour=01/e-0000.parquet`, NOW - 8 * DAY);
    analytics.seed(`events/dt=${day(NOW - 91 * DAY)}/e-0000.parquet`, NOW - 91 * DAY);
    const rawZones = new Set<Zone>(["incoming", "security", "rejects", "evidence"]);

    // Act
    const report = await sweep({ storeFor: (z) => (rawZones.has(z) ? raw : analytics), rules }, { now: NOW });

    // Assess
    expect(report.deleted.security).toBe(1);
    expect(report.deleted.events).toBe(1);
    expect(analytics.calls.getLegalHold).toBe(0);
    expect(dataKeys(raw)).toEqual([]);
    expect(dataKeys(analytics)).toEqual([]);
  });
});
