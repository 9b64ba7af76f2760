import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { loadGeoLookup } from "../../adapters/geo/mmdb-geo.ts";
import { openLocalInput } from "../../adapters/input/open-input.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import { HyparquetEncoder } from "../../adapters/parquet/hyparquet-encoder.ts";
import { ThreadedParquetEncoder } from "../../adapters/parquet/worker-encoder.ts";
import { ObjectStoreSaltStore } from "../../adapters/salt/object-store-salt-store.ts";
import { ConfigError, type LogsieveConfig, parseConfig } from "../../core/config.ts";
import { createEnricher } from "../../core/enrich/enrich.ts";
import { splitLineBatches } from "../../core/ingest/lines.ts";
import { type IngestSummary, ingest } from "../../core/ingest/pipeline.ts";
import type { LogFormat } from "../../core/types.ts";
import type { Clock } from "../../ports/clock.ts";

/**
 * The embedded default: the same core as on AWS, wired to a local lake folder, file-based salts and the
 * bundled geo database. This and runtime/aws.ts are the only places that read configuration.
 */

const HOUR_MS = 3_600_000;

export interface LocalOptions {
  readonly lakeDir: string;
  /** A JSON configuration file; without one, every setting has its default. */
  readonly configPath?: string;
  /** Or the configuration itself (tests, the demo). */
  readonly config?: unknown;
  readonly clock?: Clock;
}

export interface FileIngestOptions {
  readonly format?: LogFormat;
  readonly site?: string;
  readonly onProgress?: (linesRead: number, bytesRead: number, sizeBytes: number | null) => void;
  /** For stdin (`-`): the caller's id for the input, so piping the same log again overwrites (see open-input.ts). */
  readonly inputId?: string;
}

export interface FileIngestSummary extends IngestSummary {
  readonly name: string;
  readonly seconds: number;
}

export interface LocalLogsieve {
  readonly config: LogsieveConfig;
  readonly lakeDir: string;
  readonly store: LocalObjectStore;
  readonly clock: Clock;
  ingestFile(path: string, options?: FileIngestOptions): Promise<FileIngestSummary>;
}

/** Reads and validates a configuration file; errors name the file and each bad setting. */
export async function loadConfigFile(path: string | undefined): Promise<LogsieveConfig> {
  if (path === undefined) return parseConfig({});
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ConfigError(`cannot read the configuration file ${path}`, [`--config: ${path} cannot be read`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : "invalid JSON";
    throw new ConfigError(`the configuration file ${path} is not valid JSON: ${why}`, [`--config: ${why}`]);
  }
  return parseConfig(raw, `configuration file ${path}`);
}

export async function openLocal(options: LocalOptions): Promise<LocalLogsieve> {
  const config =
    options.config !== undefined ? parseConfig(options.config) : await loadConfigFile(options.configPath);
  const clock = options.clock ?? systemClock;
  const lakeDir = resolve(options.lakeDir);
  const store = new LocalObjectStore(lakeDir);
  const saltLifetimeMs = config.retention.saltHours * HOUR_MS;
  const salts = new ObjectStoreSaltStore(store, clock, undefined, { maxAgeMs: saltLifetimeMs });
  // Salts older than their lifetime are destroyed before any is used, even if no sweeper ran.
  await salts.destroyExpired(saltLifetimeMs);
  const geo = await loadGeoLookup({ countryDb: config.geo.countryDb, asnDb: config.geo.asnDb });
  const enrich = createEnricher(geo);
  // With a second core, parts are encoded on a worker thread while the next rows are parsed (same bytes).
  const encoder = availableParallelism() > 1 ? new ThreadedParquetEncoder() : new HyparquetEncoder();

  return {
    config,
    lakeDir,
    store,
    clock,
    async ingestFile(path, fileOptions = {}) {
      const started = performance.now();
      const input = await openLocalInput(path, { stdinId: fileOptions.inputId });
      const inputId = input.inputId;
      const summary = await ingest(
        {
          inputId,
          lines: splitLineBatches(input.chunks, config.ingest.maxLineBytes),
          format: fileOptions.format,
          site: fileOptions.site,
          onProgress: (linesRead, bytesRead) =>
            fileOptions.onProgress?.(linesRead, bytesRead, input.sizeBytes),
        },
        { config, enrich, salts, store, encoder, clock },
      );
      return {
        ...summary,
        name: path === "-" ? "(stdin)" : basename(path),
        seconds: (performance.now() - started) / 1000,
      };
    },
  };
}
