import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

/**
 * tools/check-doc-paths.mjs: every path a doc names (functions/…, infra/…, queries/…, test/…, and the short
 * forms core/…, apps/… under functions/) exists. docs/BENCHMARKS.md is left out on purpose: its before/after
 * entries name files as they were when each figure was measured.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const CHECK = join(ROOT, "tools/check-doc-paths.mjs");
const run = (root: string, ...docs: string[]) =>
  spawnSync(process.execPath, [CHECK, root, ...docs], { cwd: ROOT, encoding: "utf8" });

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("check-doc-paths", () => {
  it("names a path that does not exist and fails; passes once the doc is true", () => {
    // Prepare: a tree with one room, a doc naming it, a glob, a placeholder and one file that is gone.
    dir = mkdtempSync(join(tmpdir(), "doc-paths-"));
    mkdirSync(join(dir, "functions/apps/ingest"), { recursive: true });
    writeFileSync(join(dir, "functions/apps/ingest/command.ts"), "");
    writeFileSync(join(dir, "functions/apps/ingest/local.ts"), "");
    const doc = join(dir, "ARCH.md");
    const text =
      "The CLI starts in apps/ingest/command.ts, wired by functions/apps/<room>/local.ts;\n" +
      "see functions/apps/ingest/{command,local}.ts.\n";
    writeFileSync(doc, `${text}Handlers live in functions/handlers/ingest.ts.\n`);

    // Act
    const lying = run(dir, doc);

    // Assess
    expect(lying.status).toBe(1);
    expect(lying.stdout).toContain("MISSING functions/handlers/ingest.ts");
    expect(lying.stdout).not.toContain("MISSING functions/apps/ingest");

    writeFileSync(doc, text);
    const truthful = run(dir, doc);
    expect(truthful.stdout).toMatch(/4 paths checked, 0 missing/);
    expect(truthful.status).toBe(0);
  });

  it("finds every path the project's docs and README name", () => {
    const docs = readdirSync(join(ROOT, "docs"))
      .filter((name) => name.endsWith(".md") && name !== "BENCHMARKS.md")
      .map((name) => join("docs", name));
    const result = run(ROOT, "README.md", ...docs);
    expect(result.stdout).toMatch(/ 0 missing/);
    expect(result.status).toBe(0);
  });
});
