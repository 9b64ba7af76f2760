import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

/**
 * tools/check-cycles.mjs keeps the rule "no import runs in a circle" (CI runs it on functions/, infra/ and
 * packages/). A planted cycle must fail it, with the files named; removing one edge must make it pass.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CHECK = join(ROOT, "tools/check-cycles.mjs");
const run = (...dirs: string[]) =>
  spawnSync(process.execPath, [CHECK, ...dirs], { cwd: ROOT, encoding: "utf8" });

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("check-cycles", () => {
  it("fails on a planted cycle and names its files, passes once the cycle is broken", () => {
    // Prepare: a → b → c → a, plus d → a outside the cycle; one import is type-only, one dynamic.
    dir = mkdtempSync(join(tmpdir(), "cycles-"));
    writeFileSync(join(dir, "a.ts"), 'import { b } from "./b.ts";\nexport const a = () => b;\n');
    writeFileSync(
      join(dir, "b.ts"),
      'import type { C } from "./c.ts";\nexport const b = 1 as unknown as C;\n',
    );
    writeFileSync(
      join(dir, "c.ts"),
      'export type C = number;\nexport const later = () => import("./a.ts");\n',
    );
    writeFileSync(
      join(dir, "d.ts"),
      '// import { nothing } from "./d.ts" (a comment, not an import)\nimport "./a.ts";\n',
    );

    // Act
    const planted = run(dir);

    // Assess
    expect(planted.status).toBe(1);
    expect(planted.stderr).toMatch(/1 import cycle/);
    for (const name of ["a.ts", "b.ts", "c.ts"]) expect(planted.stderr).toContain(name);
    expect(planted.stderr).not.toContain("d.ts");

    writeFileSync(join(dir, "c.ts"), "export type C = number;\n");
    const broken = run(dir);
    expect(broken.status).toBe(0);
    expect(broken.stdout).toMatch(/4 files .* no import cycle/);
  });

  it("finds no cycle in the project's own code", () => {
    const result = run("functions", "infra", "packages");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
