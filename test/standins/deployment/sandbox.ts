import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A Lambda execution environment for one bundle: a child process (sandbox-runner.mjs) with exactly the
 * environment it is given, which imports the bundle once (the cold start) and runs one invocation at a time.
 * An invocation that outlives the function's timeout kills the process, as Lambda does; the next one starts a
 * fresh environment. Each result carries the invocation's CPU time and the process's peak RSS, the figures the
 * memory and timeout of a function are chosen from.
 */

const RUNNER = join(dirname(fileURLToPath(import.meta.url)), "sandbox-runner.mjs");

export interface SandboxSpec {
  readonly functionName: string;
  /** Folder of the unpacked bundle (what Lambda extracts to /var/task). */
  readonly codeDir: string;
  /** `index.handler` */
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  /** The stand-ins' clock: the environment's `Date` follows it. */
  readonly now: () => number;
}

export interface InvocationResult {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { errorType: string; errorMessage: string; stack: string[] };
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Peak RSS of the environment so far (KiB). */
  readonly maxRssKb: number;
  /** True when this invocation started the environment. */
  readonly coldStart: boolean;
  /** What the function wrote during this invocation (and its cold start). */
  readonly logs: string;
}

export class Sandbox {
  private child: ChildProcess | undefined;
  /** Resolves with what the cold start wrote; "" once that was handed to the first invocation. */
  private ready: Promise<string> | undefined;
  private counter = 0;
  private busy = false;
  /** Everything the environment wrote, invocation by invocation (the function's logs). */
  readonly logs: string[] = [];

  constructor(private readonly spec: SandboxSpec) {}

  get isBusy(): boolean {
    return this.busy;
  }

  async invoke(event: unknown): Promise<InvocationResult> {
    if (this.busy) throw new Error(`${this.spec.functionName}: an environment runs one invocation at a time`);
    this.busy = true;
    try {
      const coldStart = this.child === undefined;
      if (coldStart) this.start();
      let initLogs: string;
      try {
        initLogs = await (this.ready as Promise<string>);
        this.ready = Promise.resolve("");
      } catch (error) {
        this.stop();
        return failure("Runtime.InitError", String((error as Error).message), 0, coldStart);
      }
      const result = await this.run(event);
      const logs = initLogs + result.logs;
      if (logs.length > 0) this.logs.push(logs);
      return { ...result, logs, coldStart };
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
    this.ready = undefined;
  }

  private start(): void {
    const [file, exportName] = this.spec.handler.split(".") as [string, string];
    const child = fork(
      RUNNER,
      [
        join(this.spec.codeDir, `${file}.mjs`),
        exportName,
        this.spec.functionName,
        String(this.spec.memoryMb),
        String(this.spec.timeoutSeconds * 1000),
      ],
      {
        cwd: this.spec.codeDir,
        env: { ...this.spec.environment },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        execArgv: [],
      },
    );
    // The runner sends what the function writes with each result; anything written outside (a crash) lands here.
    child.stdout?.on("data", (chunk: Buffer) => this.logs.push(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => this.logs.push(chunk.toString("utf8")));
    this.child = child;
    this.ready = new Promise<string>((resolve, reject) => {
      const onMessage = (message: { type: string; logs?: string; error?: { errorMessage: string } }) => {
        if (message.type === "ready") {
          child.off("message", onMessage);
          resolve(message.logs ?? "");
        } else if (message.type === "init-error") {
          child.off("message", onMessage);
          this.logs.push(message.logs ?? "");
          reject(new Error(message.error?.errorMessage ?? "init failed"));
        }
      };
      child.on("message", onMessage);
      child.once("exit", (code) =>
        reject(
          new Error(`the environment exited during init (code ${code}): ${this.logs.join("").slice(-2000)}`),
        ),
      );
    });
  }

  private run(event: unknown): Promise<Omit<InvocationResult, "coldStart">> {
    const child = this.child as ChildProcess;
    const id = ++this.counter;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        cleanup();
        this.stop();
        resolve(
          failure(
            "Sandbox.Timedout",
            `Task timed out after ${this.spec.timeoutSeconds}.00 seconds`,
            this.spec.timeoutSeconds * 1000,
          ),
        );
      }, this.spec.timeoutSeconds * 1000);
      const onMessage = (message: { type: string; id: number } & Omit<InvocationResult, "coldStart">) => {
        if (message.type !== "result" || message.id !== id) return;
        cleanup();
        resolve(message);
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        this.child = undefined;
        this.ready = undefined;
        resolve(failure("Runtime.ExitError", `Runtime exited (code ${code}, signal ${signal})`, 0));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send({
        type: "invoke",
        id,
        requestId: randomUUID(),
        event,
        clockOffsetMs: this.spec.now() - Date.now(),
      });
    });
  }
}

function failure(
  errorType: string,
  errorMessage: string,
  wallMs: number,
  coldStart = false,
): InvocationResult {
  return {
    ok: false,
    error: { errorType, errorMessage, stack: [] },
    cpuMs: 0,
    wallMs,
    maxRssKb: 0,
    coldStart,
    logs: "",
  };
}
