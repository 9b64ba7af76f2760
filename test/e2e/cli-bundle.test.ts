import { cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshBundle, INPUTS_FILE } from "../../bin/cli-bundle.js";
import { LocalObjectStore } from "../../functions/adapters/local/object-store.ts";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { objectHashes } from "../helpers/object-hashes.ts";
import { type CommandResult, runCommand } from "../helpers/run-command.ts";

/**
 * The built `logsieve` command (tools/build-cli.mjs, run by `npm ci`): the same objects as the TypeScript sources,
 * its worker threads included, and never run once a file it was built from has changed (bin/cli-bundle.js).
 * Also `ingest --threads`: the same objects on one thread as on two, and a clear refusal of a wrong number.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOUR = 3_600_000;
/** Shards of 64 KiB: the ~0.5 MB log below makes eight, so the shard workers run. */
const SHARD_BYTES = "65536";

let dir: string;
let bundle: string;
let log: string;

function run(command: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runCommand(process.execPath, command, { cwd: ROOT, env });
}

/** `ingest --json` of `files` into `lake` on `threads` threads, with the small shards above. */
const ingestArgs = (lake: string, threads: string, files: readonly string[]) => [
  "--lake",
  lake,
  "ingest",
  "--json",
  "--threads",
  threads,
  "--shard-bytes",
  SHARD_BYTES,
  ...files,
];

/** Key → sha256 of the security and events objects (rejects are filed under the hour of the run). */
const objectsOf = (lake: string) => objectHashes(new LocalObjectStore(lake), ["security/", "events/"]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-bundle-"));
  const built = await run(["tools/build-cli.mjs", "--outdir", join(dir, "cli")]);
  expect(built.code, built.stderr).toBe(0);
  bundle = join(dir, "cli", "logsieve.js");
  const now = Date.now();
  log = join(dir, "access.log");
  const lines = generateSampleLog({
    seed: 7,
    lines: 2500,
    startMs: now - 30 * HOUR,
    spanMs: 24 * HOUR,
    clients: 300,
    malformedShare: 0.01,
  });
  await writeFile(log, `${[...lines].join("\n")}\n`);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the built command", () => {
  it("writes the objects the sources write, sharded on worker threads or on one thread", async () => {
    const ingest = (lake: string, threads: string) => ingestArgs(lake, threads, [log]);
    const sources = join(dir, "lake-sources");
    const fromSources = await run(["bin/logsieve.js", ...ingest(sources, "2")], { LOGSIEVE_SOURCES: "1" });
    expect(fromSources.code, fromSources.stderr).toBe(0);
    // The same day salts, so the same hashes: copied before the other runs.
    for (const name of ["lake-bundle", "lake-one-thread"]) {
      await mkdir(join(dir, name));
      await cp(join(sources, "salts"), join(dir, name, "salts"), { recursive: true });
    }
    const fromBundle = await run([bundle, ...ingest(join(dir, "lake-bundle"), "2")]);
    expect(fromBundle.code, fromBundle.stderr).toBe(0);
    const oneThread = await run([bundle, ...ingest(join(dir, "lake-one-thread"), "1")]);
    expect(oneThread.code, oneThread.stderr).toBe(0);

    const summary = JSON.parse(fromBundle.stdout) as { totals: { lines: number; accepted: number } };
    expect(summary.totals.lines).toBe(2500);
    expect(summary.totals.accepted).toBeGreaterThan(2400);
    const reference = await objectsOf(sources);
    // Eight shards, each writing its own objects into the day and hour partitions.
    expect(Object.keys(reference).filter((key) => key.includes("-at")).length).toBeGreaterThan(8);
    expect(await objectsOf(join(dir, "lake-bundle"))).toEqual(reference);
    expect(await objectsOf(join(dir, "lake-one-thread"))).toEqual(reference);
  }, 180_000);

  it("reads several files side by side on every thread, with the objects one thread writes, each line once", async () => {
    // Five small logs (each below the 64 KiB shard, all of them above a quarter of one: read side by side), the
    // gzip copy of one (the same stream under a second name: read once), and the ~0.5 MB log (larger than a shard:
    // read first, in shards on both threads).
    const now = Date.now();
    const small: string[] = [];
    for (let k = 0; k < 5; k++) {
      const path = join(dir, `site-${k}.access.log`);
      const lines = generateSampleLog({
        seed: 100 + k,
        lines: 200,
        startMs: now - (20 + k) * HOUR,
        spanMs: 6 * HOUR,
        clients: 40,
        malformedShare: 0.01,
      });
      await writeFile(path, `${[...lines].join("\n")}\n`);
      small.push(path);
    }
    const copy = join(dir, "site-2.access.log.1.gz");
    await writeFile(copy, gzipSync(await readFile(small[2] as string)));
    const files = [small[0], log, small[1], copy, small[2], small[3], small[4]] as string[];
    const ingest = (lake: string, threads: string) => ingestArgs(lake, threads, files);
    const oneThread = join(dir, "lake-files-one-thread");
    const one = await run([bundle, ...ingest(oneThread, "1")]);
    expect(one.code, one.stderr).toBe(0);
    const sideBySide = join(dir, "lake-files-side-by-side");
    await mkdir(sideBySide);
    await cp(join(oneThread, "salts"), join(sideBySide, "salts"), { recursive: true });
    const two = await run([bundle, ...ingest(sideBySide, "2")]);
    expect(two.code, two.stderr).toBe(0);

    type Summary = {
      files: { name: string; lines: number; resume: { status: string } }[];
      totals: { lines: number };
      sideBySide: number;
    };
    const first = JSON.parse(one.stdout) as Summary;
    const second = JSON.parse(two.stdout) as Summary;
    expect(first.sideBySide).toBe(0);
    expect(second.sideBySide).toBe(6);
    // Reported in the order given; the stream given twice is read once, by whichever thread took its lock first.
    expect(second.files.map((f) => f.name)).toEqual(files.map((f) => f.split("/").pop()));
    const pair = [second.files[3], second.files[4]].map((f) => f?.resume.status).sort();
    expect(pair).toEqual(["already-read", "new"]);
    expect(second.totals.lines).toBe(2500 + 5 * 200);
    expect(first.totals.lines).toBe(second.totals.lines);
    const reference = await objectsOf(oneThread);
    expect(Object.keys(reference).length).toBeGreaterThan(20);
    expect(await objectsOf(sideBySide)).toEqual(reference);
  }, 180_000);

  it("answers ingest --help", async () => {
    const help = await run([bundle, "ingest", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--threads <n>");
  });
});

describe("ingest --threads", () => {
  it.each(["0", "abc", "2.5", "65", "-1"])("refuses %s before reading anything", async (threads) => {
    const lake = join(dir, `lake-refused-${threads}`);
    const result = await run([bundle, "--lake", lake, "ingest", "--threads", threads, log]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--threads must be a whole number from 1 to 64");
    await expect(readFile(join(lake, "checkpoints"))).rejects.toThrow();
  });
});

describe("the freshness check (bin/cli-bundle.js)", () => {
  it("runs the bundle only while every input is as it was built", async () => {
    const root = await mkdtemp(join(tmpdir(), "logsieve-fresh-"));
    try {
      await mkdir(join(root, "out"));
      await writeFile(join(root, "a.ts"), "export const a = 1;\n");
      await writeFile(join(root, "b.ts"), "export const b = 2;\n");
      const built = new Date("2026-01-01T00:00:00Z");
      await utimes(join(root, "a.ts"), built, built);
      await utimes(join(root, "b.ts"), built, built);
      const manifest = { inputs: [] as [string, number, number][] };
      for (const name of ["a.ts", "b.ts"]) manifest.inputs.push([name, 20, built.getTime()]);
      await writeFile(join(root, "out", INPUTS_FILE), JSON.stringify(manifest));
      expect(freshBundle(root, "out")).toBe(join(root, "out", "logsieve.js"));

      // Touched (a checkout, an editor saving the same text): not fresh.
      const later = new Date("2026-01-02T00:00:00Z");
      await utimes(join(root, "a.ts"), later, later);
      expect(freshBundle(root, "out")).toBeNull();
      // Put back with the old time but other text of the same length? The size catches a change of length; an
      // older time than the build's counts as changed too (equality, not "newer than").
      await utimes(join(root, "a.ts"), built, built);
      expect(freshBundle(root, "out")).not.toBeNull();
      const earlier = new Date("2025-12-31T00:00:00Z");
      await utimes(join(root, "b.ts"), earlier, earlier);
      expect(freshBundle(root, "out")).toBeNull();
      await utimes(join(root, "b.ts"), built, built);
      await writeFile(join(root, "b.ts"), "export const b = 22;\n");
      await utimes(join(root, "b.ts"), built, built);
      expect(freshBundle(root, "out")).toBeNull();
      // An input gone, or no manifest at all.
      await writeFile(join(root, "b.ts"), "export const b = 2;\n");
      await utimes(join(root, "b.ts"), built, built);
      expect(freshBundle(root, "out")).not.toBeNull();
      await rm(join(root, "a.ts"));
      expect(freshBundle(root, "out")).toBeNull();
      expect(freshBundle(root, "elsewhere")).toBeNull();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
