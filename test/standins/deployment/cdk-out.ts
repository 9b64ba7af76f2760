import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The cloud assembly `cdk synth` writes (template + one folder per Lambda bundle), produced by running the real CDK
 * app (`npx cdk synth -q -o <dir>`, the command `npm run synth` runs), so tests load what `cdk deploy` would upload.
 *
 * Synth takes ~15 s of CPU, so the assembly is cached under `.vitest-cache/cdk-out/<digest>/`, the digest covering
 * every file synth reads from this checkout (functions/, infra/, queries/, packages/, cdk.json, package-lock.json):
 * a change to any of them synthesizes again. Test files running in parallel share one synth (a lock folder).
 */

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CACHE = join(PROJECT_ROOT, ".vitest-cache", "cdk-out");
const INPUTS = [
  "functions",
  "infra",
  "queries",
  "packages",
  "cdk.json",
  "package-lock.json",
  "tsconfig.json",
];
const LOCK_STALE_MS = 10 * 60_000;

export interface CloudAssembly {
  readonly dir: string;
  readonly template: CfnTemplate;
  /** Folder of each Lambda bundle by the S3 object key the template's `Code.S3Key` names. */
  readonly assetDirs: ReadonlyMap<string, string>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

export interface SynthOptions {
  /** CDK context given on the command line (`-c key=value`), e.g. `{ "logsieve:sites": "example.com" }`. */
  readonly context?: Readonly<Record<string, string>>;
  readonly stackName?: string;
}

/** The synthesized assembly of the current checkout (cached; synthesized when an input changed). */
export function synthesizedAssembly(options: SynthOptions = {}): CloudAssembly {
  const context = Object.entries(options.context ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const digest = inputsDigest(JSON.stringify(context));
  const dir = join(CACHE, digest);
  if (!existsSync(join(dir, "done")))
    synthesizeOnce(
      dir,
      context.flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    );
  return loadAssembly(dir, options.stackName ?? "Logsieve");
}

/** Reads an assembly folder written by `cdk synth -o`. */
export function loadAssembly(dir: string, stackName = "Logsieve"): CloudAssembly {
  const template = JSON.parse(readFileSync(join(dir, `${stackName}.template.json`), "utf8")) as CfnTemplate;
  const assets = JSON.parse(readFileSync(join(dir, `${stackName}.assets.json`), "utf8")) as {
    files: Record<
      string,
      { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
    >;
  };
  const assetDirs = new Map<string, string>();
  for (const file of Object.values(assets.files)) {
    if (file.source.packaging !== "zip") continue;
    for (const destination of Object.values(file.destinations)) {
      assetDirs.set(destination.objectKey, join(dir, file.source.path));
    }
  }
  return { dir, template, assetDirs };
}

function synthesizeOnce(dir: string, contextArgs: readonly string[]): void {
  mkdirSync(CACHE, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (existsSync(join(dir, "done"))) return;
      // Another test file (or another run in this checkout) is synthesizing: wait for it. Its lock may be gone
      // by now (it finished, or failed): then try again at once. A lock left by a killed run goes stale.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held === undefined) continue;
      if (Date.now() - held.mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      execFileSync("sleep", ["1"]);
    }
  }
  try {
    if (existsSync(join(dir, "done"))) return;
    const temp = `${dir}.tmp`;
    rmSync(temp, { recursive: true, force: true });
    execFileSync("npx", ["cdk", "synth", "-q", "-o", temp, ...contextArgs], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" },
    });
    writeFileSync(join(temp, "done"), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);
    pruneOldAssemblies(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Keeps the newest few assemblies only. */
function pruneOldAssemblies(keep: string): void {
  const entries = readdirSync(CACHE)
    .map((name) => join(CACHE, name))
    .filter((path) => path !== keep && !path.endsWith(".lock") && !path.endsWith(".tmp"))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const old of entries.slice(3)) rmSync(old, { recursive: true, force: true });
}

function inputsDigest(extra: string): string {
  const hash = createHash("sha256").update(extra).update("\0");
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name === "node_modules" || name.startsWith(".")) continue;
        visit(join(path, name));
      }
      return;
    }
    hash.update(relative(PROJECT_ROOT, path)).update("\0").update(readFileSync(path)).update("\0");
  };
  for (const input of INPUTS) visit(join(PROJECT_ROOT, input));
  return hash.digest("hex").slice(0, 16);
}
