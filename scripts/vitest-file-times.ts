import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/**
 * A Vitest reporter that records what each test file costs: the time to import it and everything it loads
 * (`collect`), and the time its tests and hooks ran (`run`, beforeAll included, which the JSON reporter leaves
 * out). Writes them slowest first to artifacts/vitest-file-times.json and prints the slowest 15, so a slow file
 * shows up in every CI log, not only when someone goes looking (docs/TESTING.md keeps the list with the reasons).
 *
 *   npx vitest run --reporter=default --reporter=./scripts/vitest-file-times.ts
 *
 * Wall times: under load they stretch; compare files within one run, not runs on different days.
 * VITEST_FILE_TIMES names another output file (two runs side by side in one checkout each keep their own).
 */

const OUT =
  process.env.VITEST_FILE_TIMES ?? new URL("../artifacts/vitest-file-times.json", import.meta.url).pathname;
const SHOWN = 15;

interface FileTime {
  readonly file: string;
  readonly project: string;
  readonly state: string;
  readonly tests: number;
  readonly totalMs: number;
  readonly collectMs: number;
  readonly runMs: number;
}

export default class FileTimesReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const times: FileTime[] = testModules.map((module) => {
      const d = module.diagnostic();
      const collectMs = d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration;
      return {
        file: module.relativeModuleId,
        project: module.project.name,
        state: module.state(),
        tests: [...module.children.allTests()].length,
        totalMs: Math.round(collectMs + d.duration),
        collectMs: Math.round(collectMs),
        runMs: Math.round(d.duration),
      };
    });
    times.sort((a, b) => b.totalMs - a.totalMs);
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(`${OUT}.tmp-${process.pid}`, `${JSON.stringify(times, null, 2)}\n`);
    renameSync(`${OUT}.tmp-${process.pid}`, OUT);
    const sum = times.reduce((s, t) => s + t.totalMs, 0);
    const rows = times
      .slice(0, SHOWN)
      .map(
        (t) =>
          `${(t.totalMs / 1000).toFixed(1).padStart(6)} s (import ${(t.collectMs / 1000).toFixed(1).padStart(4)} s) ${String(t.tests).padStart(3)} tests  ${t.file}`,
      );
    console.log(
      `\nslowest ${Math.min(SHOWN, times.length)} of ${times.length} test files (${(sum / 1000).toFixed(0)} s in all files; every file in ${OUT}):\n${rows.join("\n")}\n`,
    );
  }
}
