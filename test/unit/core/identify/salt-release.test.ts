import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

/**
 * A day's salt is destroyed after 48 hours: the salt store deletes it and forgets it in its cache
 * (adapters/salt/object-store-salt-store.ts). The visitor-id code must not keep it alive after that — in a
 * long-running process (the collector, `ingest --follow`) that asks for no other salt, a reference held by the
 * hasher's shortcut for "the salt asked for last" kept the salt, its copy and the keyed HMAC states in memory. A
 * child process with --expose-gc computes ids with a salt, drops it and collects; the control holds it.
 */
const run = promisify(execFile);
const CHILD = join(import.meta.dirname, "../../../helpers/salt-release.ts");

async function child(mode: "drop" | "hold"): Promise<{ released: boolean }> {
  const { stdout } = await run(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, mode], {
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim()) as { released: boolean };
}

describe("a salt once its holders drop it", () => {
  it("is not kept alive by the visitor-id code", async () => {
    expect((await child("drop")).released).toBe(true);
  });

  it("(control) stays while the caller holds it", async () => {
    expect((await child("hold")).released).toBe(false);
  });
});
