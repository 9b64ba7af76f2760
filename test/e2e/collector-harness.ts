import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parquetReadObjects } from "hyparquet";
import type { CollectorCountsSnapshot } from "../../functions/core/collect/counters.ts";

/** Helpers for the collector's end-to-end tests: the real `logsieve serve`, and reading the lake it writes. */

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then waits for the exit (the sink drains first). */
  stop(): Promise<number | null>;
}

const ROOT = new URL("../../", import.meta.url);

/** Starts `logsieve serve` on 127.0.0.1 with a free port, as a user would. */
export function startServeProcess(
  lake: string,
  configPath: string,
  extra: readonly string[] = [],
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      "bin/logsieve.js",
      "--lake",
      lake,
      "--config",
      configPath,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...extra,
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`logsieve serve did not start: ${err.slice(0, 2000)}`)),
      30_000,
    );
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve({
        child,
        url: match[1],
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`logsieve serve exited with ${code}: ${err.slice(0, 2000)}`));
    });
  });
}

export interface Status {
  readonly collector: CollectorCountsSnapshot;
  readonly sink: { readonly received: number; readonly written: number; readonly pending: number };
}

export async function status(url: string): Promise<Status> {
  const response = await fetch(`${url}/_logsieve/status`);
  return (await response.json()) as Status;
}

/** Polls the status page until `done` holds (the browser sends asynchronously). */
export async function waitForStatus(
  url: string,
  done: (s: Status) => boolean,
  timeoutMs = 10_000,
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await status(url);
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`status not reached: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type LakeRow = Record<string, unknown>;

/** Every row of every Parquet object under a zone of the lake, with the object's key. */
export async function readZone(lake: string, zone: string): Promise<{ key: string; rows: LakeRow[] }[]> {
  const out: { key: string; rows: LakeRow[] }[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      const key = `${prefix}${entry.name}`;
      if (entry.isDirectory()) await walk(path, `${key}/`);
      else if (entry.name.endsWith(".parquet")) {
        const bytes = await readFile(path);
        const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        out.push({ key, rows: (await parquetReadObjects({ file })) as LakeRow[] });
      }
    }
  };
  await walk(join(lake, zone), `${zone}/`);
  return out;
}

/** JSON of anything hyparquet returns (bigints as strings). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
}
