import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FollowKillResult, runFollowKill } from "../helpers/follow-kill.ts";

/**
 * `logsieve ingest --follow` killed with SIGKILL and restarted while a log is written at 5,000 lines/s and rotated
 * twice: every line ends in the lake exactly once and the day figures equal one ingest of the same lines
 * (test/helpers/follow-kill.ts). The long run (60 s, 20 kills) is `npx tsx scripts/follow-kill.ts`.
 */

let dir: string;
let result: FollowKillResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-follow-kill-"));
  result = await runFollowKill({ dir, rate: 5000, seconds: 4, kills: 3, seed: 23 });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ingest --follow under kill -9", () => {
  it("holds every line written exactly once, across kills, restarts and two rotations", () => {
    expect(result.kills).toBe(3);
    expect(result.starts).toBe(4);
    expect(result.rotations).toBe(2);
    expect(result.rowsInLake).toBe(result.linesWritten);
    expect(result.distinctLinesInLake).toBe(result.linesWritten);
  });

  it("gives the day figures of one ingest of the same lines (hits, bandwidth, page views, visitors, statuses)", () => {
    expect(result.unionDays.length).toBeGreaterThan(0);
    expect(result.followDays).toEqual(result.unionDays);
  });

  it("stops cleanly on SIGTERM (exit code 0)", () => {
    expect(result.lastExitCode).toBe(0);
  });
});
