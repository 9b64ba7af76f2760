/**
 * `npx tsx scripts/follow-kill.ts [--rate 5000] [--seconds 60] [--kills 20] [--seed 17]`: `logsieve ingest --follow`
 * on a log written at `--rate` lines per second (rotated twice), killed with SIGKILL at `--kills` random moments and
 * restarted after each (test/helpers/follow-kill.ts has the whole procedure and its oracles);
 * test/reliability/follow-kill.test.ts runs the same for a few seconds. Prints the figures and exits 1 when the lake
 * does not hold every line exactly once or its day figures differ from one ingest of the same lines.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runFollowKill } from "../test/helpers/follow-kill.ts";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const dir = await mkdtemp(join(tmpdir(), "logsieve-follow-kill-"));
try {
  const started = Date.now();
  const r = await runFollowKill({
    dir,
    rate: option("rate", 5000),
    seconds: option("seconds", 60),
    kills: option("kills", 20),
    seed: option("seed", 17),
    log: (line) => process.stdout.write(`  ${line}\n`),
  });
  const sameFigures = JSON.stringify(r.followDays) === JSON.stringify(r.unionDays);
  const checks = {
    "every line in the lake": r.rowsInLake === r.linesWritten,
    "no line twice": r.distinctLinesInLake === r.rowsInLake,
    "day figures equal one ingest of the same lines": sameFigures,
    "the last follower stopped cleanly on SIGTERM": r.lastExitCode === 0,
  };
  process.stdout.write(
    `\nlines written ${r.linesWritten.toLocaleString("en")}, kills ${r.kills}, follower starts ${r.starts}, rotations ${r.rotations}, kills during a batch ${r.interruptedKills}, batches redone after a kill ${r.recoveredBatches}\n` +
      `rows in the lake ${r.rowsInLake.toLocaleString("en")} (distinct stream+line ${r.distinctLinesInLake.toLocaleString("en")})\n` +
      `followed: ${JSON.stringify(r.followDays)}\none ingest: ${JSON.stringify(r.unionDays)}\n` +
      `${Object.entries(checks)
        .map(([name, ok]) => `${ok ? "ok  " : "FAIL"} ${name}`)
        .join("\n")}\n(${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  if (Object.values(checks).some((ok) => !ok)) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
