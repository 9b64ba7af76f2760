import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalObjectStore } from "../../../../functions/adapters/local/object-store.ts";
import { KeyStore } from "../../../../functions/apps/keys/store.ts";
import { authorize } from "../../../../functions/apps/stats/authorizer.ts";

/** The Lambda authorizer's decision on the Stats API route: a known, unrevoked key passes with its site and role. */

let dir: string;
let keys: KeyStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "logsieve-authorizer-"));
  keys = new KeyStore(new LocalObjectStore(dir));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const create = (site: string) =>
  keys.create({ site, role: "marketing", name: null, who: "test", nowMs: Date.UTC(2026, 11, 6) });

describe("stats authorizer", () => {
  it("lets a created key through with its site, role and id as the context", async () => {
    // Prepare
    const { key, record } = await create("example.com");

    // Act
    const decision = await authorize({ headers: { authorization: `Bearer ${key}` } }, keys);

    // Assess
    expect(decision).toEqual({
      isAuthorized: true,
      context: { site: "example.com", role: "marketing", keyId: record.id },
    });
  });

  it("refuses a missing header, another scheme, an unknown key and a revoked key", async () => {
    // Prepare
    const { key, record } = await create("example.com");
    const other = `lsk_${"A".repeat(43)}`;

    // Act
    const before = await authorize({ identitySource: [`Bearer ${key}`] }, keys);
    await keys.revoke(record.id, "test", Date.UTC(2026, 11, 7));
    const decisions = await Promise.all([
      authorize({}, keys),
      authorize({ headers: { authorization: `Basic ${key}` } }, keys),
      authorize({ headers: { authorization: `Bearer ${other}` } }, keys),
      authorize({ headers: { authorization: `Bearer ${key}` } }, keys),
    ]);

    // Assess: the same key passed before it was revoked (positive control)
    expect(before.isAuthorized).toBe(true);
    expect(decisions).toEqual(Array(4).fill({ isAuthorized: false }));
  });
});
