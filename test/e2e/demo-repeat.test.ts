import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm start` twice shows the same figures (issue 17 item 4: daily hits had doubled). `logsieve demo` runs twice
 * into one lake at the same moment (`--now`, so an hour boundary between the runs cannot grow today's log); the
 * daily-traffic table it prints must be the same, and the second run must say every log was already ingested. Then
 * a run two hours later: the past days unchanged, today grown by the new hours only.
 */

const ROOT = new URL("../../", import.meta.url);
const NOW = "2026-11-21T15:20:00Z";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-demo-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function demo(lake: string, now: string): string {
  const run = spawnSync(
    process.execPath,
    ["bin/logsieve.js", "--lake", lake, "demo", "--lines", "2000", "--now", now],
    { cwd: ROOT, encoding: "utf8", timeout: 180_000 },
  );
  if (run.status !== 0) throw new Error(`demo failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

/** The rows of the daily-traffic table the demo prints: day → the rest of the row. */
function dailyRows(output: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of output.split("\n")) {
    const match = /^\s+(\d{4}-\d{2}-\d{2})\s+(\d+(?:\s+\d+){6})\s*$/.exec(line);
    if (match !== null) rows.set(match[1] as string, (match[2] as string).replace(/\s+/g, " "));
  }
  return rows;
}

describe("logsieve demo, run again", () => {
  it("shows the same daily figures, every log recognized as already ingested", () => {
    // Prepare
    const lake = join(dir, "same-hour");

    // Act
    const first = demo(lake, NOW);
    const second = demo(lake, NOW);

    // Assess
    const figures = dailyRows(first);
    expect([...figures.keys()]).toEqual(["2026-11-19", "2026-11-20", "2026-11-21"]);
    expect(dailyRows(second)).toEqual(figures);
    expect(second.match(/already ingested {2}all [\d,]+ lines/g)).toHaveLength(3);
    expect(second).not.toMatch(/^\s+accepted /m);
  }, 400_000);

  it("two hours later: the past days unchanged, today's log read on from where the first run stopped", () => {
    // Prepare
    const lake = join(dir, "later");
    const first = dailyRows(demo(lake, NOW));

    // Act
    const laterOutput = demo(lake, "2026-11-21T17:20:00Z");
    const later = dailyRows(laterOutput);

    // Assess
    expect(later.get("2026-11-19")).toBe(first.get("2026-11-19"));
    expect(later.get("2026-11-20")).toBe(first.get("2026-11-20"));
    const hits = (row: string | undefined) => Number(row?.split(" ")[0]);
    expect(hits(later.get("2026-11-21"))).toBeGreaterThan(hits(first.get("2026-11-21")));
    expect(laterOutput).toMatch(
      /already ingested {2}[\d,]+ lines \([\d.]+ MiB\) by earlier runs: read on from there/,
    );
  }, 400_000);
});
