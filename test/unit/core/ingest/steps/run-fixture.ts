import { type LogsieveConfig, parseConfig } from "../../../../../functions/core/config.ts";
import { createEnricher } from "../../../../../functions/core/enrich/enrich.ts";
import type { RawLine } from "../../../../../functions/core/ingest/lines.ts";
import { IngestRun } from "../../../../../functions/core/ingest/run.ts";
import type { AccessRecord, LogFormat } from "../../../../../functions/core/types.ts";
import { FixedClock } from "../../../../../functions/ports/clock.ts";
import { type GeoLookup, NO_GEO } from "../../../../../functions/ports/geo.ts";
import type { SaltStore } from "../../../../../functions/ports/salt-store.ts";
import { jsonLinesEncoder, MemoryObjectStore, rowsUnder } from "../../../../helpers/memory-store.ts";

/** When the steps' runs read lines (rejects are partitioned by it): 2026-11-21 12:00 UTC. */
export const READ_AT = Date.UTC(2026, 10, 21, 12, 0, 0);
export const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

export interface RunOptions {
  readonly config?: unknown;
  /** A configuration already parsed, used as it is (two runs then share the same configuration object). */
  readonly parsed?: LogsieveConfig;
  /** The input's format; null as when detection found none. Default combined. */
  readonly format?: LogFormat | null;
  readonly site?: string;
  readonly geo?: GeoLookup;
}

/**
 * A real IngestRun over an in-memory store that writes JSON lines, so a step's effects can be read back: its
 * counters at once, its rows after {@link StepRun.rows}. Salts are 32 bytes of the day's number, and every day the
 * salt store is asked for is recorded.
 */
export function stepRun(options: RunOptions = {}) {
  const clock = new FixedClock(READ_AT);
  const store = new MemoryObjectStore(() => clock.now());
  const saltRequests: string[] = [];
  const salts: SaltStore = {
    saltForDay: async (day) => {
      saltRequests.push(day);
      return new Uint8Array(32).fill(Number(day.slice(-2)));
    },
    destroyExpired: async () => [],
  };
  const run = new IngestRun(
    { inputId: "input1", lines: noLines(), ...(options.site === undefined ? {} : { site: options.site }) },
    {
      config: options.parsed ?? parseConfig(options.config ?? { sites: ["example.com"] }),
      enrich: createEnricher(options.geo ?? NO_GEO),
      salts,
      store,
      encoder: jsonLinesEncoder,
      clock,
    },
    options.format === undefined ? "combined" : options.format,
  );
  /** Finishes the writers (once), then the rows under a prefix of the lake. */
  let finished: Promise<unknown> | undefined;
  const rows = async (prefix: string): Promise<Record<string, unknown>[]> => {
    finished ??= Promise.all([
      run.securityWriter.finish(),
      run.eventWriter.finish(),
      run.rejectWriter.finish(),
    ]);
    await finished;
    return rowsUnder(store, prefix);
  };
  return { run, store, saltRequests, rows };
}

async function* noLines(): AsyncIterable<readonly RawLine[]> {}

/** A line as the line splitter makes it. */
export function rawLine(text: string, lineNo = 1): RawLine {
  return { lineNo, text, bytes: new TextEncoder().encode(text).byteLength, tooLong: false };
}

/** A combined-format line (the format of the steps' runs unless told otherwise). */
export function combinedLine(ip: string, target = "/", ua = CHROME): string {
  return `${ip} - - [20/Nov/2026:10:15:00 +0000] "GET ${target} HTTP/1.1" 200 1234 "https://www.google.com/search?q=x" "${ua}"`;
}

/** An access record as a parser returns it, with what a test sets. */
export function accessRecord(fields: Partial<AccessRecord> = {}): AccessRecord {
  return {
    timestampMs: Date.UTC(2026, 10, 20, 10, 15, 0),
    clientIp: "203.0.113.10",
    forwardedFor: null,
    host: null,
    method: "GET",
    target: "/",
    protocol: "HTTP/1.1",
    status: 200,
    bytes: 1234,
    referrer: null,
    userAgent: CHROME,
    durationMs: null,
    ...fields,
  };
}
