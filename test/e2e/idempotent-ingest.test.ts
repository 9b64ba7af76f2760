import { createHash } from "node:crypto";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { FixedClock } from "../../functions/ports/clock.ts";

/** Delivering the same input again must overwrite, never add: the zones stay byte-identical. */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

async function snapshot(lake: string, zones: readonly string[]): Promise<Map<string, string>> {
  const logsieve = await openLocal({
    lakeDir: lake,
    config: { sites: ["example.com"] },
    clock: new FixedClock(NOW),
  });
  const hashes = new Map<string, string>();
  for (const zone of zones) {
    for await (const info of logsieve.store.list(`${zone}/`)) {
      const body = await logsieve.store.get(info.key);
      hashes.set(
        info.key,
        createHash("sha256")
          .update(body ?? new Uint8Array())
          .digest("hex"),
      );
    }
  }
  return hashes;
}

describe("ingesting the same input twice", () => {
  let dir: string;
  let log: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logsieve-idem-"));
    log = join(dir, "access.log");
    const lines = [
      ...generateSampleLog({
        seed: 7,
        lines: 5000,
        startMs: NOW - 30 * 3_600_000,
        spanMs: 28 * 3_600_000,
        clients: 300,
        malformedShare: 0.01,
      }),
    ];
    await writeFile(log, `${lines.join("\n")}\n`);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("leaves events/ and security/ byte-identical, also from another path and with other part sizes", async () => {
    // Prepare
    const lake = join(dir, "lake");
    const clock = new FixedClock(NOW);
    const first = await openLocal({ lakeDir: lake, config: { sites: ["example.com"] }, clock });
    const once = await first.ingestFile(log);
    const afterOnce = await snapshot(lake, ["events", "security"]);

    // Act: the same file again, a copy of it elsewhere, and once more with smaller parts (more objects).
    await first.ingestFile(log);
    const copy = join(dir, "copy-of-access.log");
    await copyFile(log, copy);
    await first.ingestFile(copy);
    const afterTwice = await snapshot(lake, ["events", "security"]);
    const smallParts = await openLocal({
      lakeDir: lake,
      config: { sites: ["example.com"], ingest: { rowsPerPart: 1000 } },
      clock,
    });
    await smallParts.ingestFile(log);
    const backToDefault = await openLocal({ lakeDir: lake, config: { sites: ["example.com"] }, clock });
    await backToDefault.ingestFile(log);
    const afterReset = await snapshot(lake, ["events", "security"]);

    // Assess
    expect(once.accepted).toBeGreaterThan(4800);
    expect(once.events).toBe(once.accepted);
    expect(afterOnce.size).toBeGreaterThan(2);
    expect(afterTwice).toEqual(afterOnce);
    expect(afterReset).toEqual(afterOnce);
  });
});
