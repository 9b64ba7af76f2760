import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateSampleLog } from "../../functions/apps/demo/sample-log.ts";
import { openLocal } from "../../functions/apps/ingest/local.ts";
import { FixedClock } from "../../functions/ports/clock.ts";

const HOUR_MS = 3_600_000;

export interface SampleLakeOptions {
  /** Folder that receives `access.log` and the lake (`<dir>/lake`). */
  readonly dir: string;
  /** The fixed "now" of the ingest; the log spans the `days` before it, ending an hour earlier. */
  readonly now: number;
  readonly days: number;
  readonly seed: number;
  readonly lines: number;
  readonly clients: number;
  readonly malformedShare: number;
}

/**
 * A lake built the way a user builds one: a generated combined log written to a file and ingested by the local
 * wiring for `example.com`, with the clock fixed at `now`. Returns the lake folder.
 */
export async function ingestSampleLog(options: SampleLakeOptions): Promise<string> {
  const lake = join(options.dir, "lake");
  const log = join(options.dir, "access.log");
  const span = options.days * 24 * HOUR_MS;
  const lines = generateSampleLog({
    seed: options.seed,
    lines: options.lines,
    startMs: options.now - span,
    spanMs: span - HOUR_MS,
    clients: options.clients,
    malformedShare: options.malformedShare,
  });
  await writeFile(log, `${[...lines].join("\n")}\n`);
  const logsieve = await openLocal({
    lakeDir: lake,
    config: { sites: ["example.com"] },
    clock: new FixedClock(options.now),
  });
  await logsieve.ingestFile(log);
  return lake;
}
