import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";

/**
 * Signals and ports (issue 17 item 5), on real processes: `logsieve serve`, `logsieve ingest --follow` and
 * `npm start` stop on SIGTERM and SIGINT after draining, exit 0 and free their port; a port that is taken is
 * refused before any work, naming --port.
 */

const ROOT = new URL("../../", import.meta.url);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logsieve-signals-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  readonly proc: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(command: string, args: readonly string[]): Running {
  const proc = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const running: Running = {
    proc,
    stdout: "",
    stderr: "",
    exit: new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  proc.stdout?.on("data", (chunk: Buffer) => {
    running.stdout += chunk.toString("utf8");
  });
  proc.stderr?.on("data", (chunk: Buffer) => {
    running.stderr += chunk.toString("utf8");
  });
  return running;
}

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The port a serving process announced ("listening on http://127.0.0.1:PORT"). */
function announcedPort(output: string): number | null {
  const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  return match === null ? null : Number(match[1]);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { server, port: address.port };
}

describe("logsieve serve", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops on %s: drains, says so, exits 0 and frees its port",
    async (signal) => {
      // Prepare
      const serving = run(process.execPath, [
        "bin/logsieve.js",
        "--lake",
        join(dir, `serve-${signal}`),
        "serve",
        "--port",
        "0",
      ]);
      await until(() => announcedPort(serving.stdout) !== null, 90_000, "the server to listen");
      const port = announcedPort(serving.stdout) as number;
      expect(await portAnswers(port)).toBe(true);

      // Act
      serving.proc.kill(signal);
      const exit = await serving.exit;

      // Assess
      expect(exit).toEqual({ code: 0, signal: null });
      expect(serving.stdout).toContain("logsieve serve: stopping; writing the events held in memory");
      expect(serving.stdout).toContain("logsieve serve: stopped.");
      expect(await portAnswers(port)).toBe(false);
    },
    120_000,
  );

  it("refuses a port that is taken, naming --port, before setting anything up", async () => {
    // Prepare
    const { server, port } = await occupiedPort();
    const lake = join(dir, "serve-busy");

    // Act
    const serving = run(process.execPath, [
      "bin/logsieve.js",
      "--lake",
      lake,
      "serve",
      "--port",
      String(port),
    ]);
    const exit = await serving.exit;
    server.close();

    // Assess
    expect(exit.code).toBe(2);
    expect(serving.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(serving.stderr).toContain("--port");
    expect(existsSync(lake)).toBe(false);
  }, 90_000);
});

describe("logsieve demo --serve (npm start)", () => {
  it("refuses a port that is taken before generating or ingesting anything", async () => {
    // Prepare
    const { server, port } = await occupiedPort();
    const lake = join(dir, "demo-busy");

    // Act
    const demo = run(process.execPath, [
      "bin/logsieve.js",
      "--lake",
      lake,
      "demo",
      "--serve",
      "--port",
      String(port),
    ]);
    const exit = await demo.exit;
    server.close();

    // Assess
    expect(exit.code).toBe(2);
    expect(demo.stderr).toContain("--port");
    expect(demo.stdout).not.toContain("Generated");
    expect(existsSync(lake)).toBe(false);
  }, 90_000);

  it("npm start: SIGTERM to npm reaches the node process, which drains and exits, and the port is freed", async () => {
    // Prepare: npm runs the start script through a shell; `exec` makes node npm's own child
    const npm = run("npm", [
      "start",
      "--",
      "--lines",
      "200",
      "--port",
      "0",
      "--lake",
      join(dir, "npm-start"),
    ]);
    await until(() => announcedPort(npm.stdout) !== null, 180_000, "npm start to serve");
    const port = announcedPort(npm.stdout) as number;

    // Act
    npm.proc.kill("SIGTERM");
    await npm.exit;
    await until(() => npm.stdout.includes("logsieve serve: stopped."), 30_000, "the node process to stop");

    // Assess
    expect(npm.stdout).toContain("logsieve serve: stopping; writing the events held in memory");
    expect(await portAnswers(port)).toBe(false);
  }, 240_000);
});

describe("logsieve ingest --follow", () => {
  it("stops on SIGINT after writing the lines complete by then, exit 0", async () => {
    // Prepare
    const log = join(dir, "follow.log");
    const lines = [
      ...generateSampleLog({
        seed: 5,
        lines: 300,
        startMs: Date.now() - 3_600_000,
        spanMs: 1_800_000,
        clients: 40,
        malformedShare: 0,
      }),
    ];
    await writeFile(log, lines.map((l) => `${l}\n`).join(""));
    const following = run(process.execPath, [
      "bin/logsieve.js",
      "--lake",
      join(dir, "follow-lake"),
      "ingest",
      "--follow",
      "--json",
      "--batch-seconds",
      "1",
      log,
    ]);
    await until(() => following.stdout.includes('"kind":"batch"'), 90_000, "the first batch");

    // Act
    following.proc.kill("SIGINT");
    const exit = await following.exit;

    // Assess
    expect(exit).toEqual({ code: 0, signal: null });
    const stopped = following.stdout
      .split("\n")
      .filter((l) => l.includes('"kind":"stopped"'))
      .map((l) => JSON.parse(l) as { totals: { lines: number } });
    expect(stopped).toHaveLength(1);
    expect(stopped[0]?.totals.lines).toBe(300);
    expect(following.stderr).toContain("SIGINT: writing the complete lines, then stopping");
  }, 120_000);
});
