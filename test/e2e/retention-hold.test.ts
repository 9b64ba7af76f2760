import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbEvidenceSource } from "../../functions/adapters/hold/duckdb-evidence-source.ts";
import { DuckDbQueryEngine } from "../../functions/adapters/local/duckdb-engine.ts";
import { VersionedLocalStore } from "../../functions/adapters/local/versioned-local-store.ts";
import { parseConfig } from "../../functions/core/config.ts";
import { readAudit } from "../../functions/core/hold/audit.ts";
import { createHold, type HoldDeps, listHolds, releaseHold } from "../../functions/core/hold/holds.ts";
import { parseSelection } from "../../functions/core/hold/selection.ts";
import { retentionRules } from "../../functions/core/retention/rules.ts";
import { sweep } from "../../functions/core/retention/sweep.ts";
import { FixedClock } from "../../functions/ports/clock.ts";
import { ingestSampleLog } from "../helpers/sample-lake.ts";

/**
 * A legal hold placed during an incident survives 30 days of hourly sweeps in a real local lake (720 sweeps),
 * while the security zone it was taken from empties; on the first sweep after its release the evidence is gone,
 * and the audit trail shows the creation, the release and the deletion.
 */

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const config = parseConfig({ sites: ["example.com"] });
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function rowsOf(parquetPath: string): Promise<{ client_ip: string; n: number }[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT client_ip, count(*)::INTEGER AS n FROM read_parquet('${parquetPath.replace(/'/g, "''")}') GROUP BY client_ip`,
    );
    return reader.getRowObjectsJS() as { client_ip: string; n: number }[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("a legal hold through an incident", () => {
  let dir: string;
  let lake: string;
  let target: { ip: string; rows: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-hold-"));
    lake = await ingestSampleLog({
      dir,
      now: NOW,
      days: 3,
      seed: 5,
      lines: 1500,
      clients: 60,
      malformedShare: 0,
    });
    // The incident: the busiest client address, as the security review would find it.
    const engine = await DuckDbQueryEngine.open({ lakeDir: lake });
    try {
      const top = await engine.query(
        "SELECT client_ip, count(*) AS n FROM security GROUP BY client_ip ORDER BY n DESC, client_ip LIMIT 1",
      );
      target = { ip: String(top.rows[0]?.client_ip), rows: Number(top.rows[0]?.n) };
    } finally {
      await engine.close();
    }
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("survives 30 days of hourly sweeps and disappears on the first sweep after release", async () => {
    // Prepare
    const clock = new FixedClock(NOW);
    const store = new VersionedLocalStore(lake);
    const deps: HoldDeps = {
      store,
      source: new DuckDbEvidenceSource(lake, sha256),
      clock,
      sha256,
      protection: "local-read-only",
    };
    const created = await createHold(deps, {
      incident: "INC-2026-042",
      selection: parseSelection({ ip: target.ip }),
      reason: "credential stuffing, ticket SEC-42",
      who: "alice",
    });
    const recordsKey = "evidence/incident=INC-2026-042/records.parquet";
    const sweepDeps = { storeFor: () => store, rules: retentionRules(config.retention) };

    // Act: 720 hourly sweeps
    let heldEveryHour = true;
    for (let hour = 1; hour <= 720; hour++) {
      clock.set(NOW + hour * HOUR);
      await sweep(sweepDeps, { now: clock.now() });
      if (hour % 24 === 0 && (await store.get(recordsKey)) === null) heldEveryHour = false;
    }
    const securityAfter30Days = [];
    for await (const info of store.list("security/")) securityAfter30Days.push(info.key);
    const evidenceAfter30Days = await store.get(recordsKey);
    clock.advance(10 * 60_000);
    await releaseHold(deps, {
      incident: "INC-2026-042",
      reason: "case closed, handed to police",
      who: "bob",
    });
    clock.set(NOW + 721 * HOUR);
    const firstAfterRelease = await sweep(sweepDeps, { now: clock.now() });

    // Assess: the evidence outlived its source by weeks, intact
    expect(created.manifest.records).toBe(target.rows);
    expect(heldEveryHour).toBe(true);
    expect(securityAfter30Days).toEqual([]);
    expect(evidenceAfter30Days).not.toBeNull();
    expect(sha256(evidenceAfter30Days ?? new Uint8Array())).toBe(created.manifest.objects[0]?.sha256);
    const evidencePath = join(dir, "evidence-copy.parquet");
    await writeFile(evidencePath, evidenceAfter30Days ?? new Uint8Array());
    expect(await rowsOf(evidencePath)).toEqual([{ client_ip: target.ip, n: target.rows }]);
    // ... and is gone after the first sweep after its release
    expect(firstAfterRelease.incidentsSwept).toEqual(["INC-2026-042"]);
    expect(await store.get(recordsKey)).toBeNull();
    expect(await listHolds(deps)).toEqual([]);
    // The audit trail shows both, and holds no address
    const { events } = await readAudit(store, { incident: "INC-2026-042" });
    expect(events.map((e) => [e.event, e.by, e.at])).toEqual([
      ["hold-created", "alice", "2026-11-20T12:00:00.000Z"],
      ["hold-released", "bob", "2026-12-20T12:10:00.000Z"],
      ["evidence-swept", "logsieve-sweeper", "2026-12-20T13:00:00.000Z"],
    ]);
    for await (const info of store.list("evidence/audit/")) {
      const text = await readFile(join(lake, ...info.key.split("/")), "utf8");
      expect(text).not.toContain(target.ip);
    }
  });
});
