import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VersionedLocalStore } from "../../../functions/adapters/local/versioned-local-store.ts";
import { parseConfig } from "../../../functions/core/config.ts";
import { retentionRules } from "../../../functions/core/retention/rules.ts";
import { sweep } from "../../../functions/core/retention/sweep.ts";
import { LegalHoldError, type ObjectVersion } from "../../../functions/ports/versioned-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-versioned-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string) => new TextEncoder().encode(text);
const modeOf = async (key: string) => (await stat(join(dir, ...key.split("/")))).mode & 0o777;

async function versions(store: VersionedLocalStore, prefix: string): Promise<ObjectVersion[]> {
  const out: ObjectVersion[] = [];
  for await (const v of store.listVersions(prefix)) out.push(v);
  return out;
}

describe("VersionedLocalStore", () => {
  it("lists one version per file, id null, with its size and modification time", async () => {
    // Prepare
    const store = new VersionedLocalStore(dir);
    await store.put("security/dt=2026-11-20/hour=01/a-0000.parquet", bytes("abc"));
    await utimes(join(dir, "security/dt=2026-11-20/hour=01/a-0000.parquet"), 1_700_000_000, 1_700_000_000);

    // Act
    const listed = await versions(store, "security/");

    // Assess
    expect(listed).toEqual([
      {
        key: "security/dt=2026-11-20/hour=01/a-0000.parquet",
        versionId: "null",
        lastModified: 1_700_000_000_000,
        isDeleteMarker: false,
        isLatest: true,
        size: 3,
      },
    ]);
  });

  it("lists versions in the same key order as the object store lists objects, without files being written", async () => {
    // Prepare: folders and files whose names sort differently as paths and as keys ("a/" vs "a.b", "a-b")
    const store = new VersionedLocalStore(dir);
    const keys = [
      "stats/a/dt=2026-11-20/x.parquet",
      "stats/a.b/y.parquet",
      "stats/a-b/z.parquet",
      "stats/a0.parquet",
    ];
    for (const key of keys) await store.put(key, bytes(key));
    await mkdir(join(dir, "stats", "a"), { recursive: true });
    await writeFile(join(dir, "stats", "a", ".logsieve-tmp-0123"), "half written");

    // Act
    const listed = (await versions(store, "stats/")).map((v) => v.key);
    const objects: string[] = [];
    for await (const info of store.objects.list("stats/")) objects.push(info.key);

    // Assess
    expect(listed).toEqual(objects);
    expect([...listed].sort()).toEqual([...keys].sort());
    expect((await versions(store, "stats/a.")).map((v) => v.key)).toEqual(["stats/a.b/y.parquet"]);
  });

  it("holds a file by making it read-only, and then refuses to delete or overwrite it", async () => {
    // Prepare
    const store = new VersionedLocalStore(dir);
    const key = "evidence/incident=A/records.parquet";

    // Act
    await store.putWithLegalHold(key, bytes("evidence"));
    const denied = await store.deleteVersion(key, "null");
    const overwrite = await store.put(key, bytes("changed")).catch((error: unknown) => error);

    // Assess
    expect(await modeOf(key)).toBe(0o400);
    expect(await store.getLegalHold(key, "null")).toBe("ON");
    expect(denied).toBe("denied");
    expect(overwrite).toBeInstanceOf(LegalHoldError);
    expect(new TextDecoder().decode((await store.get(key)) ?? new Uint8Array())).toBe("evidence");
  });

  it("deletes a file once its hold is lifted, and answers missing afterwards", async () => {
    // Prepare
    const store = new VersionedLocalStore(dir);
    const key = "evidence/incident=A/records.parquet";
    await store.putWithLegalHold(key, bytes("evidence"));

    // Act
    await store.putLegalHold(key, "null", "OFF");
    const first = await store.deleteVersion(key, "null");
    const second = await store.deleteVersion(key, "null");

    // Assess
    expect([first, second]).toEqual(["deleted", "missing"]);
    expect(await store.get(key)).toBeNull();
  });

  it("copies an object into evidence under a hold", async () => {
    // Prepare
    const store = new VersionedLocalStore(dir);
    await store.put("security/dt=2026-11-20/hour=01/a-0000.parquet", bytes("rows"));

    // Act
    await store.copyWithLegalHold(
      "security/dt=2026-11-20/hour=01/a-0000.parquet",
      "evidence/incident=B/a.parquet",
    );

    // Assess
    expect(await store.getLegalHold("evidence/incident=B/a.parquet", "null")).toBe("ON");
    expect(await store.getLegalHold("security/dt=2026-11-20/hour=01/a-0000.parquet", "null")).toBe("OFF");
  });

  it("under the sweeper: an expired but held file stays, an expired free one goes", async () => {
    // Prepare
    const store = new VersionedLocalStore(dir);
    const held = "security/dt=2026-11-10/hour=05/held-0000.parquet";
    const free = "security/dt=2026-11-10/hour=05/free-0000.parquet";
    await store.put(held, bytes("x"));
    await store.put(free, bytes("y"));
    await store.putLegalHold(held, "null", "ON");

    // Act
    const report = await sweep(
      { storeFor: () => store, rules: retentionRules(parseConfig({}).retention) },
      { now: Date.UTC(2026, 10, 20) },
    );

    // Assess
    expect(report.deleted.security).toBe(1);
    expect(report.keys.skippedHeld).toEqual([{ key: held, versionId: "null", why: "legal-hold" }]);
    expect(await store.get(held)).not.toBeNull();
    expect(await store.get(free)).toBeNull();
  });
});
