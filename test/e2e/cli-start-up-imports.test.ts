import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * What every start of `logsieve` loads (`--help` included): the modules main.ts reaches by static imports. The AWS
 * SDK and DuckDB's native addon are loaded with `import()` by the commands that use them (`aws smoke`, `ship`,
 * `keys --bucket`; the queries' engine), else each start would pay them (0.2 s of CPU and 37 MiB for DuckDB alone).
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HEAVY = /(^|node_modules\/)(@aws-sdk|@smithy|@duckdb|@aws-lambda-powertools|@middy)\//;

async function staticallyLoaded(entry: string): Promise<{ files: string[]; lazy: string[] }> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    outdir: "out",
    splitting: true,
    format: "esm",
    platform: "node",
    metafile: true,
    // A native addon is not bundled: its imports are listed by name.
    external: ["@duckdb/*"],
    logLevel: "silent",
  });
  const inputs = result.metafile.inputs;
  const seen = new Set<string>();
  const lazy = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind === "import-statement" && imported.external === true) seen.add(imported.path);
      else if (imported.kind === "import-statement") stack.push(imported.path);
      else if (imported.kind === "dynamic-import") lazy.add(imported.path);
    }
  }
  return { files: [...seen], lazy: [...lazy] };
}

describe("the command's start-up", () => {
  it("loads neither the AWS SDK nor DuckDB until a command needs them", async () => {
    const { files, lazy } = await staticallyLoaded("functions/cli/main.ts");
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => HEAVY.test(file))).toEqual([]);
    // They are still there, behind import(): the commands that need them load them.
    expect(lazy.some((file) => file.endsWith("apps/smoke/aws.ts"))).toBe(true);
    expect(lazy.some((file) => /@duckdb\//.test(file))).toBe(true);
  }, 60_000);

  it("sees a static import of the SDK or of DuckDB (the check itself)", async () => {
    const { files } = await staticallyLoaded("functions/apps/smoke/aws.ts");
    expect(files.filter((file) => HEAVY.test(file)).length).toBeGreaterThan(0);
    const duckdb = await staticallyLoaded("scripts/bench-duckdb-floor.mjs");
    expect(duckdb.files).toContain("@duckdb/node-api");
    expect(files.filter((file) => HEAVY.test(file)).length).toBeGreaterThan(0);
  }, 60_000);
});
