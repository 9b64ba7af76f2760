import type { Command } from "commander";
import { UsageError } from "../../cli/output.ts";
import { checkPortFree } from "./port.ts";
import { announceAndServeUntilStopped, startServe } from "./server.ts";

function integer(value: string, option: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${option} must be a whole number from ${min} to ${max}`,
      `got "${value.slice(0, 20)}"`,
    );
  }
  return n;
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "run the collector and the dashboards (the routes the Lambda functions run) on a local HTTP server",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (0: any free port)", "8080")
    .option("--rate-limit <n>", "events per second each site may send (token bucket)")
    .option("--burst <n>", "events a site may send at once (bucket size)")
    .option(
      "--flush-ms <ms>",
      "longest time an event waits in memory before it is written to the lake",
      "5000",
    )
    .option("--batch-rows <n>", "events per Parquet object at most", "10000")
    .option("--live-seconds <n>", "how often the dashboard's live panel is recomputed (10-3600)", "60")
    .action(
      async (
        options: {
          host: string;
          port: string;
          rateLimit?: string;
          burst?: string;
          flushMs: string;
          batchRows: string;
          liveSeconds: string;
        },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals<{ lake: string; config?: string }>();
        const port = integer(options.port, "--port", 0, 65_535);
        const rateLimit = {
          ...(options.rateLimit === undefined
            ? {}
            : { perSecond: integer(options.rateLimit, "--rate-limit", 1, 1_000_000) }),
          ...(options.burst === undefined ? {} : { burst: integer(options.burst, "--burst", 1, 10_000_000) }),
        };
        // A port that is taken is refused before the collector and the dashboards are set up.
        await checkPortFree(options.host, port);
        const running = await startServe({
          host: options.host,
          port,
          lakeDir: globals.lake,
          ...(globals.config === undefined ? {} : { configPath: globals.config }),
          settings: { rateLimit },
          sink: {
            maxBatchAgeMs: integer(options.flushMs, "--flush-ms", 10, 3_600_000),
            maxBatchRows: integer(options.batchRows, "--batch-rows", 1, 1_000_000),
          },
          liveRefreshMs: integer(options.liveSeconds, "--live-seconds", 10, 3600) * 1000,
        });
        await announceAndServeUntilStopped(running);
      },
    );
}
