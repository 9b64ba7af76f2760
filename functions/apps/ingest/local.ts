import { basename, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { openLocalInput } from "../../adapters/input/open-input.ts";
import { LocalObjectStore } from "../../adapters/local/object-store.ts";
import { systemClock } from "../../adapters/local/system-clock.ts";
import type { LogsieveConfig } from "../../core/config.ts";
import { splitLineBatches } from "../../core/ingest/lines.ts";
import { type IngestSummary, ingest } from "../../core/ingest/pipeline.ts";
import { chooseConfiguredFormat } from "../../core/parse/choose.ts";
import type { FormatChoice } from "../../core/parse/index.ts";
import type { Clock } from "../../ports/clock.ts";
import { resolveConfig } from "../../runtime/config-file.ts";
import { parquetEncoder } from "../../runtime/encoder.ts";
import { enricherFor } from "../../runtime/enricher.ts";
import { saltLifetimeMs, saltStoreFor } from "../../runtime/salts.ts";

/**
 * `logsieve ingest` on one machine: the same core as on AWS (apps/ingest/aws.ts), wired to a local lake folder,
 * file-based salts and the bundled geo database (the shared pieces come from runtime/).
 */

export interface LocalOptions {
  readonly lakeDir: string;
  /** A JSON configuration file; without one, every setting has its default. */
  readonly configPath?: string;
  /** Or the configuration itself (tests, the demo). */
  readonly config?: unknown;
  readonly clock?: Clock;
}

export interface FileIngestOptions {
  /** The format, when the command line gave one (a built-in name or a compiled format); else configured or detected. */
  readonly format?: FormatChoice;
  /** How the command line gave it, for the summary (`--format`, `--nginx-format`, …). */
  readonly formatOption?: string;
  readonly site?: string;
  readonly onProgress?: (linesRead: number, bytesRead: number, sizeBytes: number | null) => void;
  /** For stdin (`-`): the caller's id for the input, so piping the same log again overwrites (see open-input.ts). */
  readonly inputId?: string;
}

export interface FileIngestSummary extends IngestSummary {
  readonly name: string;
  readonly seconds: number;
  /** Where the format came from: the command-line option, `formats[i]` of the configuration, or `detection`. */
  readonly formatFrom: string;
}

export interface LocalLogsieve {
  readonly config: LogsieveConfig;
  readonly lakeDir: string;
  readonly store: LocalObjectStore;
  readonly clock: Clock;
  ingestFile(path: string, options?: FileIngestOptions): Promise<FileIngestSummary>;
}

export async function openLocal(options: LocalOptions): Promise<LocalLogsieve> {
  const config = await resolveConfig(options);
  const clock = options.clock ?? systemClock;
  const lakeDir = resolve(options.lakeDir);
  const store = new LocalObjectStore(lakeDir);
  const salts = saltStoreFor(store, clock, config);
  // Salts older than their lifetime are destroyed before any is used, even if no sweeper ran.
  await salts.destroyExpired(saltLifetimeMs(config));
  const enrich = await enricherFor(config);
  const encoder = parquetEncoder();

  return {
    config,
    lakeDir,
    store,
    clock,
    async ingestFile(path, fileOptions = {}) {
      const started = performance.now();
      const input = await openLocalInput(path, { stdinId: fileOptions.inputId });
      const inputId = input.inputId;
      // The command line's format, else the first configured one for this path and site, else detection.
      let format = fileOptions.format;
      let formatFrom = fileOptions.formatOption ?? "--format";
      if (format === undefined) {
        const configured = chooseConfiguredFormat(config.formats, {
          name: path === "-" ? undefined : resolve(path),
          site: fileOptions.site,
        });
        if (configured !== null) {
          format = configured.format;
          formatFrom = `formats[${configured.index}]`;
        } else formatFrom = "detection";
      }
      const summary = await ingest(
        {
          inputId,
          lines: splitLineBatches(input.chunks, config.ingest.maxLineBytes),
          format,
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
        formatFrom,
      };
    },
  };
}
