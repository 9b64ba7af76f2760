import type { Clock } from "../ports/clock.ts";
import type { ObjectStore } from "../ports/object-store.ts";
import type { SaltStore } from "../ports/salt-store.ts";
import type { TableEncoder } from "../ports/table-encoder.ts";
import { type ClientAddress, compileTrustedProxies, resolveClientAddress } from "./anonymize/ip.ts";
import type { LogsieveConfig } from "./config.ts";
import { defaultSiteOf } from "./config.ts";
import { decideConsent } from "./consent/decide.ts";
import type { RawLine } from "./ingest/lines.ts";
import { PartitionedWriter } from "./ingest/partitioned-writer.ts";
import { buildEvent, buildSecurityRow, eventBuilderSettings } from "./ingest/rows.ts";
import { createParser, detectFormat } from "./parse/index.ts";
import type { ConsentReason, Enrichment, LogFormat, RejectReason, RejectRow } from "./types.ts";
import { EVENTS_SCHEMA, partitionPrefix, REJECTS_SCHEMA, SECURITY_SCHEMA, utcDay } from "./zones.ts";

/**
 * Ingestion of one input (a log file or object) as a named pipeline of small steps:
 *
 *   read line → parse → resolve client address → enrich (in memory, full IP and UA) →
 *   security row (full record) → decide consent → [drop, counted with its reason] →
 *   anonymized event (truncated before it exists) → partitioned Parquet writers.
 *
 * Every line ends in exactly one bucket of the summary: accepted, rejected (with a reason from a closed
 * list) or skipped (blank lines and W3C directives). An accepted line may additionally be dropped from
 * analytics by consent; it is still in the security zone. Nothing here reads a clock, an environment or a
 * file: all of it comes through `IngestDeps`.
 */

export type Enricher = (address: ClientAddress, userAgent: string | null) => Enrichment;

export interface IngestDeps {
  readonly config: LogsieveConfig;
  readonly enrich: Enricher;
  readonly salts: SaltStore;
  readonly store: ObjectStore;
  readonly encoder: TableEncoder;
  /** Stamps rejects with the time they were read (the line itself has no trustworthy time). */
  readonly clock: Clock;
}

export interface IngestRequest {
  /** The input's identity: same input, same id, same object keys (see zones.ts objectKey). */
  readonly inputId: string;
  /** The lines of the input, in batches (one batch per chunk read keeps the async overhead low). */
  readonly lines: AsyncIterable<readonly RawLine[]>;
  /** Forces a format instead of detecting it from the first lines. */
  readonly format?: LogFormat;
  /** Forces the site instead of taking it from the log's host field or the configured default. */
  readonly site?: string;
  /** Called now and then with the running totals, for progress bars. */
  readonly onProgress?: (linesRead: number, bytesRead: number) => void;
}

export interface IngestSummary {
  readonly inputId: string;
  /** The format in force, or null when detection found none (then every line is rejected). */
  readonly format: LogFormat | null;
  readonly formatDetected: boolean;
  /** Lines that are records or rejects: `accepted + rejected.total`. Skipped lines are counted apart. */
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: { readonly total: number; readonly byReason: Partial<Record<RejectReason, number>> };
  readonly skipped: { readonly blank: number; readonly directive: number };
  /** Accepted lines that consent kept out of analytics, by reason. */
  readonly dropped: { readonly total: number; readonly byReason: Partial<Record<ConsentReason, number>> };
  readonly events: number;
  readonly securityRows: number;
  readonly bytes: number;
  /** UTC days that received events: the days aggregation must recompute. */
  readonly eventDays: readonly string[];
  readonly objectsWritten: number;
}

const DETECTION_SAMPLE_LINES = 50;
const PROGRESS_EVERY_LINES = 65_536;
const MAX_REJECT_LINE_CHARS = 8 * 1024;
/** Rows buffered over all partitions of one zone before the fullest partition is written early. */
const MAX_BUFFERED_ROWS_FACTOR = 1.5;
/**
 * Partitions (hours of security/, days of events/) holding rows at once per zone. Logs come roughly in time order:
 * three leave room for lines around an hour's boundary, and an hour the input has moved past is written at once
 * rather than held until the row budget pushes it out (peak memory, docs/BENCHMARKS.md).
 */
const MAX_OPEN_PARTITIONS = 3;

export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestSummary> {
  const { config } = deps;
  const trusted = compileTrustedProxies(config.trustedProxies);
  const settings = eventBuilderSettings(config, { memo: true });
  const fallbackSite = defaultSiteOf(config);
  const writerFor = (schema: typeof EVENTS_SCHEMA) =>
    new PartitionedWriter({
      store: deps.store,
      encoder: deps.encoder,
      schema,
      inputId: request.inputId,
      rowsPerPart: config.ingest.rowsPerPart,
      maxBufferedRows: Math.ceil(config.ingest.rowsPerPart * MAX_BUFFERED_ROWS_FACTOR),
      maxOpenPartitions: MAX_OPEN_PARTITIONS,
    });
  const securityWriter = writerFor(SECURITY_SCHEMA);
  const eventWriter = writerFor(EVENTS_SCHEMA);
  const rejectWriter = writerFor(REJECTS_SCHEMA);

  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  const droppedByReason: Partial<Record<ConsentReason, number>> = {};
  const skipped = { blank: 0, directive: 0 };
  const eventDays = new Set<string>();
  const saltsByDay = new Map<string, Uint8Array>();
  let accepted = 0;
  let rejected = 0;
  let dropped = 0;
  let events = 0;
  let bytes = 0;
  let linesRead = 0;
  let nextProgress = PROGRESS_EVERY_LINES;

  // Detection needs the first lines before any can be parsed; they are held back, then processed in order.
  const batches = request.lines[Symbol.asyncIterator]();
  const held: RawLine[] = [];
  let exhausted = false;
  if (request.format === undefined) {
    while (held.filter((l) => l.text.trim().length > 0).length < DETECTION_SAMPLE_LINES) {
      const next = await batches.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      held.push(...next.value);
    }
  }
  const format =
    request.format ??
    detectFormat(
      held
        .filter((l) => !l.tooLong)
        .map((l) => l.text)
        .slice(0, DETECTION_SAMPLE_LINES * 2),
    );
  const parser = format === null ? null : createParser(format);

  /** Adds a reject row; returns the writer's promise when it must be awaited. */
  const reject = (line: RawLine, reason: RejectReason, detail: string): Promise<void> | undefined => {
    rejected++;
    rejectedByReason[reason] = (rejectedByReason[reason] ?? 0) + 1;
    const receivedTs = deps.clock.now();
    const row: RejectRow = {
      received_ts: receivedTs,
      input_id: request.inputId,
      line_no: line.lineNo,
      format: format ?? "unknown",
      reason,
      detail,
      line: line.text.length > MAX_REJECT_LINE_CHARS ? line.text.slice(0, MAX_REJECT_LINE_CHARS) : line.text,
      line_bytes: line.bytes,
    };
    return rejectWriter.add(
      partitionPrefix("rejects", receivedTs),
      row as unknown as Record<string, unknown>,
    );
  };

  const saltFor = async (day: string): Promise<Uint8Array> => {
    const cached = saltsByDay.get(day);
    if (cached !== undefined) return cached;
    const salt = await deps.salts.saltForDay(day);
    saltsByDay.set(day, salt);
    return salt;
  };

  const site = request.site;
  // The salt of the last day seen: consecutive lines nearly always share their day.
  let saltDay = "";
  let daySalt: Uint8Array | null = null;
  // The events partition of the last day seen.
  let lastEventDay = "";
  let eventPartition = "";

  /**
   * One batch of lines, synchronously line after line: the only awaits are for a writer that has to wait for a
   * part to be stored and for the first salt of a new day, both rare. (An await per line cost more than parsing.)
   */
  const processBatch = async (batch: readonly RawLine[]): Promise<void> => {
    for (const line of batch) {
      linesRead++;
      bytes += line.bytes;
      if (line.tooLong) {
        const wait = reject(
          line,
          "line_too_long",
          `line longer than ingest.maxLineBytes (${config.ingest.maxLineBytes})`,
        );
        if (wait !== undefined) await wait;
        continue;
      }
      if (parser === null) {
        if (line.text.trim().length === 0) {
          skipped.blank++;
          continue;
        }
        const wait = reject(
          line,
          "unknown_format",
          "the input matched no supported log format; pass --format",
        );
        if (wait !== undefined) await wait;
        continue;
      }
      const result = parser.parse(line.text);
      if (result.ok === "skip") {
        skipped[result.why]++;
        continue;
      }
      if (!result.ok) {
        const wait = reject(line, result.rejection.reason, result.rejection.detail);
        if (wait !== undefined) await wait;
        continue;
      }
      const record = result.record;
      const address = resolveClientAddress(record.clientIp, record.forwardedFor, trusted);
      if (address === null) {
        const wait = reject(line, "bad_client_ip", "the client address is not a valid IPv4 or IPv6 address");
        if (wait !== undefined) await wait;
        continue;
      }
      accepted++;
      const enrichment = deps.enrich(address, record.userAgent);
      const lineSite = site ?? record.host ?? fallbackSite;
      const securityRow = buildSecurityRow(
        record,
        address,
        enrichment,
        lineSite,
        parser.format,
        request.inputId,
        line.lineNo,
      ) as unknown as Record<string, unknown>;
      const securityWait = securityWriter.add(partitionPrefix("security", record.timestampMs), securityRow);
      if (securityWait !== undefined) await securityWait;

      const decision = decideConsent("log", record.signals, config.consent);
      if (decision.tier === "drop") {
        dropped++;
        droppedByReason[decision.reason] = (droppedByReason[decision.reason] ?? 0) + 1;
        continue;
      }
      const day = utcDay(record.timestampMs);
      let salt: Uint8Array | null = null;
      if (decision.tier !== "anonymous") {
        if (day !== saltDay || daySalt === null) {
          daySalt = saltsByDay.get(day) ?? (await saltFor(day));
          saltDay = day;
        }
        salt = daySalt;
      }
      const event = buildEvent(
        {
          site: lineSite,
          timestampMs: record.timestampMs,
          source: "log",
          eventName: "request",
          method: record.method,
          target: record.target,
          status: record.status,
          bytes: record.bytes,
          referrer: record.referrer,
          address,
          userAgent: record.userAgent,
          enrichment,
          decision,
          salt,
        },
        settings,
      ) as unknown as Record<string, unknown>;
      if (day !== lastEventDay) {
        lastEventDay = day;
        eventPartition = `events/dt=${day}/`;
        eventDays.add(day);
      }
      const eventWait = eventWriter.add(eventPartition, event);
      if (eventWait !== undefined) await eventWait;
      events++;
    }
    if (linesRead >= nextProgress) {
      nextProgress = linesRead + PROGRESS_EVERY_LINES;
      request.onProgress?.(linesRead, bytes);
    }
  };
  await processBatch(held);
  if (!exhausted) {
    for (;;) {
      const next = await batches.next();
      if (next.done) break;
      await processBatch(next.value);
    }
  }
  request.onProgress?.(linesRead, bytes);

  const security = await securityWriter.finish();
  const eventResult = await eventWriter.finish();
  const rejectResult = await rejectWriter.finish();

  return {
    inputId: request.inputId,
    format,
    formatDetected: request.format === undefined && format !== null,
    lines: accepted + rejected,
    accepted,
    rejected: { total: rejected, byReason: rejectedByReason },
    skipped,
    dropped: { total: dropped, byReason: droppedByReason },
    events,
    securityRows: security.rows,
    bytes,
    eventDays: [...eventDays].sort(),
    objectsWritten: security.keys.length + eventResult.keys.length + rejectResult.keys.length,
  };
}
