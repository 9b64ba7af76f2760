import type { Clock } from "../../ports/clock.ts";
import type { ObjectStore } from "../../ports/object-store.ts";
import type { SaltStore } from "../../ports/salt-store.ts";
import type { TableEncoder, TableSchema } from "../../ports/table-encoder.ts";
import { compileTrustedProxies, type TrustedProxies } from "../anonymize/ip.ts";
import { defaultSiteOf, type LogsieveConfig } from "../config.ts";
import { BoundedCache } from "../enrich/bounded-cache.ts";
import type { Enricher } from "../enrich/enrich.ts";
import { createParser, type FormatChoice, formatName, type LineParser } from "../parse/index.ts";
import { LineSites } from "../sites.ts";
import { type ReferrerSpamFilter, referrerSpamFilterFor } from "../spam/referrer-spam.ts";
import type { RecordFormat } from "../types.ts";
import { EVENTS_SCHEMA, REJECTS_SCHEMA, SECURITY_SCHEMA } from "../zones.ts";
import type { RawLine } from "./lines.ts";
import { PartitionedWriter } from "./partitioned-writer.ts";
import type { DropReason, RejectReason, SkipReason } from "./reasons.ts";
import { type EventBuilderSettings, eventBuilderSettings, MEMO_OPTIONS } from "./rows.ts";

/**
 * One run of the ingest pipeline over one input: what it needs (IngestDeps, IngestRequest), what its steps share
 * while it runs (IngestRun) and what it reports (IngestSummary). Nothing here reads a clock, an environment or a
 * file: all of it comes through `IngestDeps`.
 */

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
  /**
   * Forces a format instead of detecting it from the first lines: a built-in name, or a format compiled from the
   * operator's nginx/Apache/GoAccess line (parse/custom).
   */
  readonly format?: FormatChoice;
  /** Forces the site instead of taking it from the log's host field or the configured default. */
  readonly site?: string;
  /** Called now and then with the running totals, for progress bars. */
  readonly onProgress?: (linesRead: number, bytesRead: number) => void;
  /**
   * Header lines an earlier piece of the same input ended with (its last W3C `#Fields`), fed to the parser before
   * the first line and counted nowhere: an input read on from a checkpoint keeps its columns.
   */
  readonly prime?: readonly string[];
  /**
   * Awaited before the first object of each partition is stored, with the format in force (see
   * PartitionedWriterOptions.beforeFirstPart): where an interruptible run records its intent.
   */
  readonly beforeFirstPart?: (partition: string, format: RecordFormat | null) => Promise<void>;
  /**
   * False when the caller removes whatever an earlier run of this input id left (or the id is new): the writers then
   * do not list their partitions for it (PartitionedWriterOptions.removeLeftovers). Default true.
   */
  readonly removeLeftovers?: boolean;
}

export interface IngestSummary {
  readonly inputId: string;
  /** The format in force, or null when detection found none (then every line is rejected). */
  readonly format: RecordFormat | null;
  readonly formatDetected: boolean;
  /**
   * What detection saw, when the format was detected (or none was found): how many of the sample lines the chosen
   * format accepted, of how many that are records or rejects (blank lines and directives left out). Null when the
   * format was given.
   */
  readonly detection: { readonly matched: number; readonly considered: number } | null;
  /** Lines that are records or rejects: `accepted + rejected.total`. Skipped lines are counted apart. */
  readonly lines: number;
  readonly accepted: number;
  readonly rejected: { readonly total: number; readonly byReason: Partial<Record<RejectReason, number>> };
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Accepted lines kept out of analytics (by consent, for an unknown site, as referrer spam), by reason. */
  readonly dropped: { readonly total: number; readonly byReason: Partial<Record<DropReason, number>> };
  readonly events: number;
  readonly securityRows: number;
  readonly bytes: number;
  /** UTC days that received events: the days aggregation must recompute. */
  readonly eventDays: readonly string[];
  readonly objectsWritten: number;
  /** Every partition the run wrote into (all zones), sorted. */
  readonly partitions: readonly string[];
  /**
   * The last W3C `#Fields` line the input held (column names only), or null: what a later piece of the input must
   * be primed with (IngestRequest.prime).
   */
  readonly fieldsDirective: string | null;
}

/** Rows buffered over all partitions of one zone before the fullest partition is written early. */
const MAX_BUFFERED_ROWS_FACTOR = 1.5;
/**
 * Partitions (hours of security/, days of events/) holding rows at once per zone, and how long one may go without a
 * row before the next partition to open writes it (PartitionedWriterOptions). Logs come roughly in time order: an
 * hour the input has moved past by 32,768 rows is written rather than held until the row budget pushes it out (peak
 * memory), while an input that comes back to its hours sooner than that — a log written several times over, the
 * logs of several servers one after the other, the `elastic` bench log — writes each hour once instead of once per
 * visit (8,800 objects for 1 M lines before, docs/BENCHMARKS.md). At most 128 open partitions (five days of hours):
 * each open partition's batch costs some memory even when it holds few rows; the row budget bounds the rest.
 */
const MAX_OPEN_PARTITIONS = 128;
/** Referrers whose spam verdict is remembered, per generation (see {@link IngestRun.spamVerdicts}). */
const SPAM_VERDICTS = 8192;
const SPAM_VERDICTS_BY_FILTER = new WeakMap<ReferrerSpamFilter, BoundedCache<string, boolean>>();

/**
 * The verdicts remembered for a filter (one per configuration: core/spam/referrer-spam.ts), by every run of this
 * thread: a verdict is a function of the referrer and the filter alone. One per run, each shard filled it anew, as the
 * scrub memo did (rows.ts `eventBuilderSettings`; docs/BENCHMARKS.md, sixth round). It stores copies of the referrers
 * and rests while it misses, as the scrub memo does (rows.ts `MEMO_OPTIONS`).
 */
function spamVerdictsOf(filter: ReferrerSpamFilter): BoundedCache<string, boolean> {
  let verdicts = SPAM_VERDICTS_BY_FILTER.get(filter);
  if (verdicts === undefined) {
    verdicts = new BoundedCache<string, boolean>(SPAM_VERDICTS, MEMO_OPTIONS);
    SPAM_VERDICTS_BY_FILTER.set(filter, verdicts);
  }
  return verdicts;
}
const IDLE_PARTITION_ROWS = 32_768;
/** A promise that is never awaited: see the end of IngestRun's constructor. */
const SETTLED: Promise<unknown> = Promise.resolve();

/**
 * What the steps of one ingestion share: the settings compiled once, the three zone writers, the counters of the
 * summary and a few memos of the previous line. One per input, made before its first line. The steps are plain
 * functions of it (functions/core/ingest/steps/), so the per-line path allocates nothing for the pipeline itself.
 */
export class IngestRun {
  readonly inputId: string;
  readonly config: LogsieveConfig;
  readonly clock: Clock;
  readonly enrich: Enricher;
  readonly salts: SaltStore;
  /** The format in force and its parser; null when detection found none (every line is then rejected). */
  readonly format: RecordFormat | null;
  readonly parser: LineParser | null;
  readonly trusted: TrustedProxies;
  readonly eventSettings: EventBuilderSettings;
  /** `--site`, which wins over the line's own host. */
  readonly forcedSite: string | undefined;
  /** The configured sites, to tell which one a line counts for (sites.ts). */
  readonly sites: LineSites;
  /** The configured site `--site` means; null when it means none (every line is then an `unknown_site`). */
  readonly forcedEventSite: string | null;
  /** The site of a line that names none (the first configured site). */
  readonly defaultSite: string;
  /** Referrer spam hosts (the shipped list and `referrerSpam.extraHosts`). */
  readonly spam: ReferrerSpamFilter;
  /**
   * The filter's verdicts by referrer (steps/referrer-spam.ts): the same referrers repeat all day, and a verdict
   * costs a host sliced out, lower-cased and looked up once per label. In memory, shared by every run of this thread
   * with the same filter (each shard is a run of its own: {@link spamVerdictsOf}).
   */
  readonly spamVerdicts: BoundedCache<string, boolean>;
  /** The detail of a `line_too_long` reject (it names the setting and its value). */
  readonly tooLongDetail: string;

  readonly securityWriter: PartitionedWriter;
  readonly eventWriter: PartitionedWriter;
  readonly rejectWriter: PartitionedWriter;
  /**
   * Set when a writer's `add` asked the caller to wait (a part is being stored and no more may start) and not
   * yet awaited. The pipeline awaits it before the next row; see {@link IngestRun.write}.
   */
  wait: Promise<unknown> | undefined = undefined;

  // The counters of the summary.
  linesRead = 0;
  bytes = 0;
  accepted = 0;
  rejected = 0;
  readonly rejectedByReason: Partial<Record<RejectReason, number>> = {};
  readonly skipped: Record<SkipReason, number> = { blank: 0, directive: 0 };
  dropped = 0;
  readonly droppedByReason: Partial<Record<DropReason, number>> = {};
  events = 0;
  readonly eventDays = new Set<string>();

  /** The last `#Fields` directive seen (see IngestSummary.fieldsDirective). */
  fieldsDirective: string | null = null;

  // Memos of the previous lines: consecutive lines nearly always share their day.
  readonly saltsByDay = new Map<string, Uint8Array>();
  saltDay = "";
  daySalt: Uint8Array | null = null;
  eventDay = "";
  eventPartition = "";

  constructor(request: IngestRequest, deps: IngestDeps, format: FormatChoice | null) {
    const { config } = deps;
    this.inputId = request.inputId;
    this.config = config;
    this.clock = deps.clock;
    this.enrich = deps.enrich;
    this.salts = deps.salts;
    this.format = format === null ? null : formatName(format);
    this.parser = format === null ? null : createParser(format);
    this.trusted = compileTrustedProxies(config.trustedProxies);
    this.eventSettings = eventBuilderSettings(config, { memo: true });
    this.forcedSite = request.site;
    this.sites = new LineSites(config);
    this.forcedEventSite = request.site === undefined ? null : this.sites.resolveForced(request.site);
    this.defaultSite = defaultSiteOf(config);
    this.spam = referrerSpamFilterFor(config);
    this.spamVerdicts = spamVerdictsOf(this.spam);
    this.tooLongDetail = `line longer than ingest.maxLineBytes (${config.ingest.maxLineBytes})`;
    const writerFor = (schema: TableSchema): PartitionedWriter =>
      new PartitionedWriter({
        store: deps.store,
        encoder: deps.encoder,
        schema,
        inputId: request.inputId,
        rowsPerPart: config.ingest.rowsPerPart,
        maxBufferedRows: Math.ceil(config.ingest.rowsPerPart * MAX_BUFFERED_ROWS_FACTOR),
        maxRowsInFlight: config.ingest.rowsPerPart,
        maxOpenPartitions: MAX_OPEN_PARTITIONS,
        idlePartitionRows: IDLE_PARTITION_ROWS,
        removeLeftovers: request.removeLeftovers !== false,
        beforeFirstPart:
          request.beforeFirstPart === undefined
            ? undefined
            : (partition) =>
                (request.beforeFirstPart as NonNullable<IngestRequest["beforeFirstPart"]>)(
                  partition,
                  this.format,
                ),
      });
    this.securityWriter = writerFor(SECURITY_SCHEMA);
    this.eventWriter = writerFor(EVENTS_SCHEMA);
    this.rejectWriter = writerFor(REJECTS_SCHEMA);
    // V8 treats a field as a constant until an object of its hidden class first has it set again, and the first
    // writer wait came mid-run, throwing away the ingest loop's optimized code (docs/BENCHMARKS.md, fifth round,
    // `deopts`): set once more here, `wait` is mutable from the start.
    this.wait = SETTLED;
    this.wait = undefined;
  }

  /**
   * Adds a row to a writer. When the writer asks to wait, the wait is kept in {@link IngestRun.wait} for the
   * pipeline to await before the next row: a step stays synchronous, and the loop awaits only when it must.
   */
  write(writer: PartitionedWriter, partition: string, row: object): void {
    this.keepWait(writer.add(partition, row as Record<string, unknown>));
  }

  /**
   * Ends the row given value by value to a writer (PartitionedWriter.row), keeping a wait as {@link IngestRun.write}
   * does.
   */
  endRow(writer: PartitionedWriter): void {
    this.keepWait(writer.endRow());
  }

  private keepWait(wait: Promise<unknown> | undefined): void {
    if (wait === undefined) return;
    // Never drop a wait: it may carry a storage failure. (The pipeline awaits after every write, so a second one
    // before the first is awaited does not happen today; Promise.all would still observe both.)
    this.wait = this.wait === undefined ? wait : Promise.all([this.wait, wait]);
  }

  /** Awaits what the writers asked for (see {@link IngestRun.write}). */
  async waitForWriters(): Promise<void> {
    const wait = this.wait;
    this.wait = undefined;
    await wait;
  }
}
