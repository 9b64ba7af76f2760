import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readAudit } from "../../../../functions/core/hold/audit.ts";
import {
  createHold,
  type EvidenceSource,
  type HoldDeps,
  HoldError,
  listHolds,
  releaseHold,
  showHold,
} from "../../../../functions/core/hold/holds.ts";
import { decodeManifest } from "../../../../functions/core/hold/manifest.ts";
import { parseSelection } from "../../../../functions/core/hold/selection.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";
import { MemoryVersionedStore } from "../retention/memory-versioned-store.ts";

const NOW = Date.UTC(2026, 10, 20, 9, 30);
const IP = "203.0.113.7";
const PARQUET = new Uint8Array([0x50, 0x41, 0x52, 0x31, 7, 7, 7, 0x50, 0x41, 0x52, 0x31]);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function setup(records = 3) {
  const clock = new FixedClock(NOW);
  const store = new MemoryVersionedStore(() => clock.now());
  const extracted: string[] = [];
  const source: EvidenceSource = {
    async extract(selection) {
      extracted.push(selection.value);
      return {
        parquet: PARQUET,
        records,
        sources: [
          { key: "security/dt=2026-11-20/hour=08/abc-0000.parquet", sha256: "a".repeat(64), size: 99 },
        ],
      };
    },
  };
  const deps: HoldDeps = { store, source, clock, sha256, protection: "s3-object-lock-legal-hold" };
  return { clock, store, deps, extracted };
}

const request = {
  incident: "INC-7",
  selection: parseSelection({ ip: IP, from: "2026-11-20T00:00:00Z" }),
  reason: `credential stuffing from ${IP}, ticket SEC-12`,
  who: "alice",
};

describe("createHold", () => {
  it("writes the records and a manifest under a legal hold, with who, when, why, the selection and checksums", async () => {
    // Prepare
    const { store, deps } = setup();

    // Act
    const result = await createHold(deps, request);

    // Assess
    const manifestBytes = (await store.get("evidence/incident=INC-7/manifest.json")) ?? new Uint8Array();
    const manifest = decodeManifest(manifestBytes, "manifest");
    expect(manifest).toMatchObject({
      incident: "INC-7",
      createdAt: "2026-11-20T09:30:00.000Z",
      createdBy: "alice",
      reason: request.reason,
      selection: { kind: "ip", value: IP, from: "2026-11-20T00:00:00.000Z", to: null },
      records: 3,
    });
    expect(manifest.objects).toEqual([
      {
        key: "evidence/incident=INC-7/records.parquet",
        versionId: expect.any(String),
        size: PARQUET.byteLength,
        sha256: sha256(PARQUET),
      },
    ]);
    expect(store.versionsOf("evidence/incident=INC-7/records.parquet").map((v) => v.hold)).toEqual(["ON"]);
    expect(store.versionsOf("evidence/incident=INC-7/manifest.json").map((v) => v.hold)).toEqual(["ON"]);
    expect(result.resumed).toBe(false);
  });

  it("writes an audit event that binds the manifest by its checksum and holds no address", async () => {
    // Prepare
    const { store, deps } = setup();

    // Act
    const result = await createHold(deps, request);

    // Assess
    const { events } = await readAudit(store);
    const manifestBytes = (await store.get("evidence/incident=INC-7/manifest.json")) ?? new Uint8Array();
    expect(events).toEqual([
      {
        event: "hold-created",
        at: "2026-11-20T09:30:00.000Z",
        by: "alice",
        incident: "INC-7",
        reason: "credential stuffing from [address], ticket SEC-12",
        selection: { kind: "ip", from: "2026-11-20T00:00:00.000Z", to: null },
        records: 3,
        objects: 1,
        manifestSha256: sha256(manifestBytes),
      },
    ]);
    const auditText = new TextDecoder().decode((await store.get(result.auditKey ?? "")) ?? new Uint8Array());
    expect(auditText).not.toContain(IP);
  });

  it("refuses a second hold of the same incident and a hold with nothing to keep, writing nothing", async () => {
    // Prepare
    const first = setup();
    await createHold(first.deps, request);
    const empty = setup(0);

    // Act
    const again = createHold(first.deps, request);
    const nothing = createHold(empty.deps, request);

    // Assess
    await expect(again).rejects.toBeInstanceOf(HoldError);
    await expect(nothing).rejects.toThrow(/no security record matches/);
    expect(empty.store.allKeys()).toEqual([]);
  });

  it("redoes a create that stopped before its manifest, leaving no held leftover behind", async () => {
    // Prepare: the manifest write fails once (records already written under hold)
    const { store, deps } = setup();
    store.failAfter("put", 1, new Error("network down"));
    await expect(createHold(deps, request)).rejects.toThrow("network down");
    const leftover = store.versionsOf("evidence/incident=INC-7/records.parquet").length;

    // Act
    const result = await createHold(deps, request);

    // Assess
    expect(leftover).toBe(1);
    expect(store.versionsOf("evidence/incident=INC-7/records.parquet")).toHaveLength(1);
    expect(store.versionsOf("evidence/incident=INC-7/records.parquet")[0]?.versionId).toBe(
      result.manifest.objects[0]?.versionId,
    );
    expect((await readAudit(store)).events.map((e) => e.event)).toEqual(["hold-created"]);
  });

  it("completes the audit trail when a create stopped after its manifest", async () => {
    // Prepare: the audit write fails once
    const { store, deps } = setup();
    store.failAfter("putIfAbsent", 0, new Error("throttled"));
    await expect(createHold(deps, request)).rejects.toThrow("throttled");

    // Act
    const result = await createHold(deps, request);

    // Assess
    expect(result.resumed).toBe(true);
    expect((await readAudit(store)).events.map((e) => e.event)).toEqual(["hold-created"]);
  });
});

describe("releaseHold, listHolds, showHold", () => {
  it("lifts every hold, records who and why, and says so in the audit trail once", async () => {
    // Prepare
    const { store, deps, clock } = setup();
    await createHold(deps, request);
    clock.advance(30 * 24 * 3_600_000);

    // Act
    const first = await releaseHold(deps, { incident: "INC-7", reason: "case closed", who: "bob" });
    const rerun = await releaseHold(deps, { incident: "INC-7", reason: "case closed", who: "bob" });

    // Assess
    expect(store.versionsOf("evidence/incident=INC-7/records.parquet").map((v) => v.hold)).toEqual(["OFF"]);
    expect(store.versionsOf("evidence/incident=INC-7/manifest.json").map((v) => v.hold)).toEqual(["OFF"]);
    expect(first.release).toMatchObject({
      releasedBy: "bob",
      reason: "case closed",
      releasedAt: "2026-12-20T09:30:00.000Z",
    });
    expect(first.versionsReleased).toBe(2);
    expect(rerun.alreadyReleased).toBe(true);
    const { events } = await readAudit(store, { incident: "INC-7" });
    expect(events.map((e) => [e.event, e.by])).toEqual([
      ["hold-created", "alice"],
      ["hold-released", "bob"],
    ]);
  });

  it("lists incidents with their state and shows one with its objects checked against the manifest", async () => {
    // Prepare
    const { deps } = setup();
    await createHold(deps, request);
    await createHold(deps, { ...request, incident: "INC-8" });
    await releaseHold(deps, { incident: "INC-8", reason: "false alarm", who: "bob" });

    // Act
    const list = await listHolds(deps);
    const shown = await showHold(deps, "INC-7");

    // Assess
    expect(list.map((h) => [h.incident, h.status, h.createdBy])).toEqual([
      ["INC-7", "active", "alice"],
      ["INC-8", "released", "alice"],
    ]);
    expect(list[0]?.reason).toBe("credential stuffing from [address], ticket SEC-12");
    expect(shown.objects.map((o) => [o.key, o.legalHold, o.intact])).toEqual([
      ["evidence/incident=INC-7/manifest.json", "ON", null],
      ["evidence/incident=INC-7/records.parquet", "ON", true],
    ]);
  });

  it("refuses an unknown incident and an invalid incident id", async () => {
    // Prepare
    const { deps } = setup();

    // Act / Assess
    await expect(releaseHold(deps, { incident: "NOPE", reason: "x", who: "bob" })).rejects.toBeInstanceOf(
      HoldError,
    );
    await expect(createHold(deps, { ...request, incident: "../etc" })).rejects.toThrow(/incident id/);
  });
});
