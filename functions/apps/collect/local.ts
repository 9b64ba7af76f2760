import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  BatchingEventSink,
  parquetBatchWriter,
  threadedLocalLakeSink,
} from "../../adapters/local/event-sink.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { ParquetEncoder } from "../../adapters/parquet/parquet-encoder.ts";
import type { Collector, CollectorDeps } from "../../core/collect/collector.ts";
import { type CollectorSettingsInput, parseCollectorSettings } from "../../core/collect/settings.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { HOUR_MS } from "../../core/time.ts";
import type { Clock } from "../../ports/clock.ts";
import type { EventSink } from "../../ports/event-sink.ts";
import { resolveConfig } from "../../runtime/config-file.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { saltLifetimeMs, saltStoreFor } from "../../runtime/salts.ts";
import type { CollectLogger, CollectRoutesDeps } from "./routes.ts";

/**
 * The collector's dependencies on one machine (`logsieve serve`, which builds the collector from them in
 * apps/http/server.ts): the local lake — salts as files, events batched into `events/` as Parquet — and the
 * bundled geo database. This and ./aws.ts are the only places that read the collector's configuration.
 */

/** Where logsieve.js lives in the source tree (served at /logsieve.js). */
export const TRACKER_SCRIPT_PATH = new URL("../../tracker/logsieve.js", import.meta.url);

export interface LocalSinkOptions {
  /** Encode and write Parquet in a worker thread, off the thread answering requests. Default true. */
  readonly threaded?: boolean;
  readonly maxBatchRows?: number;
  readonly maxBatchAgeMs?: number;
  readonly maxPendingRows?: number;
}

export interface LocalCollectorOptions {
  readonly lakeDir: string;
  /** A JSON configuration file, or the configuration itself; neither: every setting has its default. */
  readonly configPath?: string;
  readonly config?: unknown;
  readonly settings?: CollectorSettingsInput;
  readonly clock?: Clock;
  readonly sink?: LocalSinkOptions;
  /** Default: JSON lines on standard error. */
  readonly logger?: CollectLogger;
}

/** The collector as `logsieve serve` runs it (apps/http/server.ts builds it). */
export interface LocalCollector {
  readonly config: LogsieveConfig;
  readonly lakeDir: string;
  readonly collector: Collector;
  /** What the HTTP app's collector routes need (apps/http/app.ts). */
  readonly routes: CollectRoutesDeps;
  readonly sink: EventSink;
  readonly logger: CollectLogger;
  /** Stops taking events and writes everything held (retrying until the sink gives up). */
  close(): Promise<void>;
}

/** What {@link localCollectorDeps} opens: the core collector's dependencies and what the server needs besides. */
export interface LocalCollectorParts {
  readonly deps: CollectorDeps;
  readonly lakeDir: string;
  readonly sink: EventSink;
  readonly logger: CollectLogger;
  /** Stops the hourly salt sweep and drains the sink. */
  close(): Promise<void>;
}

/**
 * Structured log lines: one JSON object per line on standard error. JSON escapes CR and LF, so no value can
 * forge a line; callers pass fixed tokens and counts only.
 */
export function jsonLinesLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
): CollectLogger {
  const log =
    (level: string) =>
    (message: string, attributes: Record<string, unknown> = {}) =>
      write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...attributes })}\n`);
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
}

export async function localCollectorDeps(options: LocalCollectorOptions): Promise<LocalCollectorParts> {
  const config = await resolveConfig(options);
  const settings = parseCollectorSettings(options.settings ?? {});
  const clock = options.clock ?? systemClock;
  const lakeDir = resolve(options.lakeDir);
  const logger = options.logger ?? jsonLinesLogger();
  const store = new LocalObjectStore(lakeDir);
  const salts = saltStoreFor(store, clock, config);
  const saltMaxAgeMs = saltLifetimeMs(config);
  // Salts past their lifetime are destroyed before any is used, and hourly while the collector runs (a long
  // `logsieve serve` must keep the 48-hour promise even if no sweeper runs).
  await salts.destroyExpired(saltMaxAgeMs);
  const saltSweep = setInterval(() => {
    salts
      .destroyExpired(saltMaxAgeMs)
      .catch(() => logger.warn("expired salts could not be destroyed; retrying in an hour"));
  }, HOUR_MS);
  saltSweep.unref();
  const sinkOptions = options.sink ?? {};
  const batching = {
    ...(sinkOptions.maxBatchRows === undefined ? {} : { maxBatchRows: sinkOptions.maxBatchRows }),
    ...(sinkOptions.maxBatchAgeMs === undefined ? {} : { maxBatchAgeMs: sinkOptions.maxBatchAgeMs }),
    ...(sinkOptions.maxPendingRows === undefined ? {} : { maxPendingRows: sinkOptions.maxPendingRows }),
  };
  const onWriteError = (failure: { batchId: string; rows: number; message?: string; error?: unknown }) =>
    logger.warn("event batch write failed; retrying", {
      batchId: failure.batchId,
      rows: failure.rows,
      errorName: failure.error instanceof Error ? failure.error.name : "Error",
    });
  const sink: EventSink =
    sinkOptions.threaded === false
      ? new BatchingEventSink({
          ...batching,
          writer: parquetBatchWriter(store, new ParquetEncoder()),
          onWriteError,
        })
      : threadedLocalLakeSink(lakeDir, { ...batching, onWriteError });
  let trackerScript: string | null = null;
  try {
    trackerScript = await readFile(TRACKER_SCRIPT_PATH, "utf8");
  } catch {
    logger.warn("logsieve.js not found; /logsieve.js answers 404");
  }
  return {
    deps: {
      config,
      settings,
      enrich: await enricherFor(config, {}, { provider: false, rememberAddresses: false }),
      salts,
      sink,
      clock,
      trackerScript,
    },
    lakeDir,
    sink,
    logger,
    close: () => {
      clearInterval(saltSweep);
      return sink.close();
    },
  };
}
