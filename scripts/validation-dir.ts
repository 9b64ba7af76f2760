import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The folder of validation material written outside this project (`shared/validation`, beside the repository):
 * looked for upwards from the repository, so that scripts run the same from /work/main and from a worktree under
 * /work/wt/. LOGSIEVE_VALIDATION overrides it.
 */
export function validationDir(): string {
  const given = process.env.LOGSIEVE_VALIDATION;
  if (given !== undefined && given.length > 0) return given;
  let dir = join(import.meta.dirname, "..");
  for (;;) {
    const candidate = join(dir, "shared", "validation");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error("no shared/validation folder above the repository; set LOGSIEVE_VALIDATION");
    dir = parent;
  }
}
