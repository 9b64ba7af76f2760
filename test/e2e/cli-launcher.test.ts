import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../helpers/run-command.ts";

/**
 * The `logsieve` launcher (bin/logsieve, what package.json's `bin` installs): it runs the command from wherever it
 * is linked, with glibc's mmap threshold fixed unless the environment already sets one (docs/BENCHMARKS.md, eighth
 * round: ≈ 30 MiB less peak memory on a 4 M-line ingest). A preloaded script shows what node's environment holds.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const LAUNCHER = join(ROOT, "bin/logsieve");

let dir: string;
let preload: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-launcher-"));
  preload = join(dir, "show-threshold.cjs");
  // Only the main thread prints: the command's worker threads run the preload too.
  await writeFile(
    preload,
    'if (require("node:worker_threads").isMainThread) process.stderr.write("THRESHOLD=" + process.env.MALLOC_MMAP_THRESHOLD_ + "\\n");\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(command: string, args: readonly string[], env: Record<string, string | undefined>) {
  return runCommand(command, args, { cwd: dir, env });
}

describe("bin/logsieve", () => {
  it("runs the command through a chain of relative links, with the mmap threshold fixed", async () => {
    // Prepare: node_modules/.bin/logsieve -> ../pkg/bin/logsieve -> the launcher (as npm links it)
    await mkdir(join(dir, "node_modules/.bin"), { recursive: true });
    await mkdir(join(dir, "node_modules/pkg/bin"), { recursive: true });
    await symlink(
      relative(join(dir, "node_modules/pkg/bin"), LAUNCHER),
      join(dir, "node_modules/pkg/bin/logsieve"),
    );
    await symlink("../pkg/bin/logsieve", join(dir, "node_modules/.bin/logsieve"));

    // Act
    const result = await run(join(dir, "node_modules/.bin/logsieve"), ["--help"], {
      MALLOC_MMAP_THRESHOLD_: undefined,
      NODE_OPTIONS: `--require ${preload}`,
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: logsieve");
    expect(result.stderr).toContain("THRESHOLD=131072");
  });

  it("keeps a threshold the environment already sets, and passes the arguments and the exit code through", async () => {
    // Act
    const result = await run(LAUNCHER, ["--no-such-option"], {
      MALLOC_MMAP_THRESHOLD_: "1048576",
      NODE_OPTIONS: `--require ${preload}`,
    });

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("THRESHOLD=1048576");
    expect(result.stderr).toContain("unknown option '--no-such-option'");
  });
});
