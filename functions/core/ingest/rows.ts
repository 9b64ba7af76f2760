import type { RowSink } from "../../ports/table-encoder.ts";
import type { ClientAddress } from "../anonymize/ip.ts";
import { truncate } from "../anonymize/ip.ts";
import type { LogsieveConfig } from "../config.ts";
import { BoundedCache } from "../enrich/bounded-cache.ts";
import { AGENT_NUMBERS } from "../enrich/text-numbering.ts";
import { EVENT_PROP_SLOTS, MAX_PROP_VALUE_CHARS } from "../goals.ts";
import { visitorIdOf } from "../identify/visitor-id.ts";
import { isAssetPath } from "../scrub/assets.ts";
import { compilePathPatterns } from "../scrub/path-patterns.ts";
import {
  referrerHost,
  type ScrubbedTarget,
  type ScrubOptions,
  scrubFreeText,
  scrubTarget,
} from "../scrub/scrub.ts";
import type {
  AccessRecord,
  ConsentDecision,
  Enrichment,
  EventRow,
  RecordFormat,
  RecordSource,
  SecurityRow,
} from "../types.ts";
import { EVENTS_SCHEMA, SECURITY_SCHEMA } from "../zones.ts";
import { ObjectRowSink } from "./object-row-sink.ts";

/** What an event is built from: one log record or one collector hit, after enrichment and consent. */
export interface EventInput {
  readonly site: string;
  readonly timestampMs: number;
  readonly source: RecordSource;
  readonly eventName: string;
  readonly method: string | null;
  readonly target: string;
  readonly status: number | null;
  readonly bytes: number;
  readonly referrer: string | null;
  readonly address: ClientAddress;
  readonly userAgent: string | null;
  readonly enrichment: Enrichment;
  /** Must not be `drop`: dropped inputs produce no event at all. */
  readonly decision: ConsentDecision;
  /** The salt of the access's UTC day; required for the statistics and marketing tiers. */
  readonly salt: Uint8Array | null;
  /**
   * Custom properties already narrowed to the site's allowlist (collector events; see core/collect/properties.ts),
   * at most EVENT_PROP_SLOTS, in the allowlist's order. Values are masked here like every other free text.
   */
  readonly props?: readonly (readonly [string, string])[];
}

export interface EventBuilderSettings {
  readonly prefixes: LogsieveConfig["anonymize"];
  /** The scrub options of a site, per tier: the configuration's exceptions plus the site's own. */
  readonly scrubOptionsFor: (site: string) => SiteScrubOptions;
  /** Remembers scrubbed targets and referrer hosts (see {@link eventBuilderSettings}); none by default. */
  readonly memo?: ScrubMemo;
}

export interface SiteScrubOptions {
  readonly statistics: ScrubOptions;
  /** The marketing tier keeps click ids. */
  readonly marketing: ScrubOptions;
}

/**
 * Server logs repeat the same targets and referrers all day (pages, assets, search engines), and scrubbing one
 * (decoding, the masking rules) costs several times a Map lookup. The results are pure functions of the raw string
 * and the options, so they are remembered in bounded two-generation caches, one per set of options (a site and a
 * tier). In memory only, shared by the runs of one thread over one configuration (see {@link eventBuilderSettings});
 * what they hold (raw targets and referrers, as the security zone keeps them) is bounded.
 */
export class ScrubMemo {
  private readonly targetsByOptions = new Map<ScrubOptions, BoundedCache<string, Scrubbed>>();
  readonly referrers = new BoundedCache<string, string | null>(MEMO_ENTRIES, MEMO_OPTIONS);

  /**
   * `storedTextOnly`: remember a target or referrer only when its text is what the event stores anyway (see
   * {@link isStoredText}), for a process that keeps no raw record, the collector: its memo then holds nothing the
   * `events/` zone does not.
   */
  constructor(readonly storedTextOnly = false) {}

  private lastOptions: ScrubOptions | undefined;
  private lastCache: BoundedCache<string, Scrubbed> | undefined;

  targetsFor(options: ScrubOptions): BoundedCache<string, Scrubbed> {
    if (options === this.lastOptions && this.lastCache !== undefined) return this.lastCache;
    let cache = this.targetsByOptions.get(options);
    if (cache === undefined) {
      cache = new BoundedCache<string, Scrubbed>(TARGET_MEMO_ENTRIES, MEMO_OPTIONS);
      this.targetsByOptions.set(options, cache);
    }
    this.lastOptions = options;
    this.lastCache = cache;
    return cache;
  }
}

const MEMO_ENTRIES = 8192;
/**
 * Targets per generation: `week`'s 16,504 distinct paths were scrubbed 41,152 times per million lines with 8,192
 * (a path falls out between two of its visits), 16,504 times with 16,384 (docs/BENCHMARKS.md, fifth round).
 */
const TARGET_MEMO_ENTRIES = 16_384;
/** Longer targets and referrers (attack payloads, one-offs) are scrubbed every time rather than remembered. */
const MAX_MEMO_KEY = 512;

/**
 * A memo rests while a quarter or more of its lookups miss (BoundedCache `restAbove`): on the `agents` bench log
 * (225,000 distinct targets) the target memo missed 34–43 % of its lookups and cost 1.5 times scrubbing every
 * target; on `week` it misses 3 % and saves a third (docs/BENCHMARKS.md, issue 20, ninth round). What is stored is a
 * copy of the text, see {@link copyOf}.
 */
export const MEMO_OPTIONS = { restAbove: 0.25, storedKey: copyOf } as const;

/**
 * The settings with a memo, per configuration object: every run of a thread over the same configuration shares them.
 * Each shard of an ingest is a run of its own (core/ingest/shards.ts), and a memo per run scrubbed each shard's
 * targets anew: on `week` (16,504 distinct paths, shards of about a day) the main thread scrubbed 40,207 targets
 * (docs/BENCHMARKS.md, issue 20, sixth round). Everything in the settings is a function of the configuration alone.
 */
const SETTINGS_WITH_MEMO = new WeakMap<LogsieveConfig, EventBuilderSettings>();

/**
 * `memo: true` for a long run over server logs (the ingest pipeline): the settings, memo included, are then the
 * ones every earlier call with the same configuration object got.
 */
export function eventBuilderSettings(
  config: LogsieveConfig,
  options: { memo?: boolean } = {},
): EventBuilderSettings {
  if (options.memo !== true) return settingsOf(config, undefined);
  let settings = SETTINGS_WITH_MEMO.get(config);
  if (settings === undefined) {
    settings = settingsOf(config, new ScrubMemo());
    SETTINGS_WITH_MEMO.set(config, settings);
  }
  return settings;
}

/**
 * The collector's settings: a memo of its own that remembers only what the event stores anyway (a page's target
 * whose every part is kept, a referrer that is its host), since the collector keeps no raw record a memo of raw
 * targets could stand beside. A site's pages repeat all day; scrubbing one cost about 1.3 µs of the core's 8 µs a
 * request in `scripts/bench-collect-core.ts` (docs/BENCHMARKS.md, issue 20, twelfth round).
 */
export function collectorEventSettings(config: LogsieveConfig): EventBuilderSettings {
  return settingsOf(config, new ScrubMemo(true));
}

function settingsOf(config: LogsieveConfig, memo: ScrubMemo | undefined): EventBuilderSettings {
  const common = config.scrub;
  const bySite = new Map<string, SiteScrubOptions>();
  // Consecutive events nearly always share their site.
  let lastSite = "";
  let lastOptions: SiteScrubOptions | undefined;
  const scrubOptionsFor = (site: string): SiteScrubOptions => {
    if (site === lastSite && lastOptions !== undefined) return lastOptions;
    let found = bySite.get(site);
    if (found === undefined) {
      const own = Object.hasOwn(config.siteSettings, site) ? config.siteSettings[site] : undefined;
      const allowedParams = new Set([...common.allowedQueryParams, ...(own?.allowedQueryParams ?? [])]);
      const allowedPaths = compilePathPatterns([...common.allowedPaths, ...(own?.allowedPaths ?? [])]);
      found = {
        statistics: { allowedParams, allowedPaths, keepClickIds: false },
        marketing: { allowedParams, allowedPaths, keepClickIds: true },
      };
      bySite.set(site, found);
    }
    lastSite = site;
    lastOptions = found;
    return found;
  };
  return { prefixes: config.anonymize, scrubOptionsFor, ...(memo === undefined ? {} : { memo }) };
}

/**
 * A scrubbed target's columns in one flat object, and whether its path is an asset. Flat: the event reads all nine
 * on every line from a memo entry made long before, and each nested object (the target, its utm) was one more
 * read from wherever it sits in the heap.
 */
interface Scrubbed {
  readonly path: string;
  readonly query: string | null;
  readonly isAsset: boolean;
  readonly utmSource: string | null;
  readonly utmMedium: string | null;
  readonly utmCampaign: string | null;
  readonly utmTerm: string | null;
  readonly utmContent: string | null;
  readonly clickId: string | null;
}

function scrub(target: string, options: ScrubOptions): Scrubbed {
  const scrubbed: ScrubbedTarget = scrubTarget(target, options);
  const utm = scrubbed.utm;
  return {
    path: scrubbed.path,
    query: scrubbed.query,
    isAsset: isAssetPath(scrubbed.path),
    utmSource: utm.source,
    utmMedium: utm.medium,
    utmCampaign: utm.campaign,
    utmTerm: utm.term,
    utmContent: utm.content,
    clickId: scrubbed.clickId,
  };
}

/**
 * A copy of a memo's key. The text is usually a slice of its log line: kept as the key, it would keep that whole line
 * alive for the run (16,384 targets per generation: megabytes of old lines), and every later lookup that lands on it
 * would compare the fresh slice with characters inside that old line, wherever it sits in the heap.
 */
function copyOf(text: string): string {
  return ` ${text}`.slice(1);
}

function scrubTargetMemo(target: string, options: ScrubOptions, memo: ScrubMemo | undefined): Scrubbed {
  const cache = memo === undefined || target.length > MAX_MEMO_KEY ? undefined : memo.targetsFor(options);
  let scrubbed = cache?.get(target);
  // One call of `scrub` for both a target not remembered and one too long to be: the memo's first misses give it
  // type feedback before V8 optimizes the code around it (writeEventValues inlines this). A call of its own for the
  // rare long target had none, and the first such target threw the optimized writeEventValues away in each thread.
  if (scrubbed === undefined) {
    scrubbed = scrub(target, options);
    if (cache !== undefined && (memo?.storedTextOnly !== true || isStoredText(target, scrubbed))) {
      cache.set(target, scrubbed);
    }
  }
  return scrubbed;
}

/**
 * Whether a raw target is, but for the order of its parameters, the text the event stores: the path unchanged
 * and every parameter kept as sent (the same number of `name=value` pairs, each among the kept ones). A target
 * that lost anything to scrubbing — a masked or decoded segment, a dropped parameter or click id, a repeat, a
 * fragment, an escaped character — is not.
 */
function isStoredText(target: string, scrubbed: Scrubbed): boolean {
  const q = target.indexOf("?");
  if ((q < 0 ? target : target.slice(0, q)) !== scrubbed.path) return false;
  if (q < 0) return true;
  if (scrubbed.query === null) return false;
  const sent = target.slice(q + 1).split("&");
  const kept = scrubbed.query.split("&");
  return sent.length === kept.length && sent.every((pair) => kept.includes(pair));
}

function referrerHostMemo(referrer: string | null, memo: ScrubMemo | undefined): string | null {
  const cache =
    memo === undefined || referrer === null || referrer.length > MAX_MEMO_KEY ? undefined : memo.referrers;
  // One call of `referrerHost` for every case, as in scrubTargetMemo: the first null referrer, or a long one, then
  // finds type feedback in the optimized code.
  let host = referrer === null ? undefined : cache?.get(referrer);
  if (host === undefined) {
    host = referrerHost(referrer);
    if (referrer !== null && (memo?.storedTextOnly !== true || isStoredHost(referrer, host))) {
      cache?.set(referrer, host);
    }
  }
  return host;
}

/** Whether a referrer is nothing but the host the event stores: `https://host/` or `http://host/`. */
function isStoredHost(referrer: string, host: string | null): boolean {
  return host !== null && (referrer === `https://${host}/` || referrer === `http://${host}/`);
}

/**
 * The anonymized event. Everything that leaves here was derived in memory: the full address only as its
 * truncated prefix and inside the keyed hash, the user agent only as classes. In the `anonymous` tier
 * there is no visitor id, no prefix and no version. Free text is masked once more as a last line of
 * defence (a bot name or event name could quote an address).
 */
export function buildEvent(input: EventInput, settings: EventBuilderSettings): EventRow {
  return eventObjectOf((sink) =>
    writeEventValues(
      sink,
      input.site,
      input.timestampMs,
      input.source,
      input.eventName,
      input.method,
      input.target,
      input.status,
      input.bytes,
      input.referrer,
      input.address,
      input.userAgent,
      input.enrichment,
      input.decision,
      input.salt,
      input.props,
      settings,
    ),
  );
}

/**
 * The sinks that make the row objects of {@link buildEvent} and {@link buildSecurityRow}: one each, reused (a row is
 * given and taken within one synchronous call, so they are never shared by two rows at once; each call starts by
 * clearing what a call that threw halfway left).
 */
const EVENT_OBJECTS = new ObjectRowSink(EVENTS_SCHEMA);
const SECURITY_OBJECTS = new ObjectRowSink(SECURITY_SCHEMA);

/**
 * The event object of the values `write` gives (writeEventValues, in EVENTS_SCHEMA's order): how {@link buildEvent}
 * and step 8's `anonymize` make the object the pipeline's column path writes value by value.
 */
export function eventObjectOf(write: (sink: RowSink) => void): EventRow {
  const sink = EVENT_OBJECTS;
  sink.clear();
  write(sink);
  return sink.take() as unknown as EventRow;
}

/**
 * The event's values, one per column of EVENTS_SCHEMA in its order, into a sink (without its `end()`): what
 * {@link buildEvent} returns as an object, given straight to the column batches by the ingest pipeline (no input
 * object, no row object per line: docs/BENCHMARKS.md, fourth round).
 */
export function writeEventValues(
  sink: RowSink,
  site: string,
  timestampMs: number,
  source: RecordSource,
  eventName: string,
  method: string | null,
  target: string,
  status: number | null,
  bytes: number,
  referrer: string | null,
  address: ClientAddress,
  userAgent: string | null,
  enrichment: Enrichment,
  decision: ConsentDecision,
  inputSalt: Uint8Array | null,
  inputProps: EventInput["props"],
  settings: EventBuilderSettings,
): void {
  if (decision.tier === "drop") throw new Error("buildEvent: a dropped input has no event");
  const identifying = decision.tier !== "anonymous";
  const siteOptions = settings.scrubOptionsFor(site);
  const scrubOptions = decision.tier === "marketing" ? siteOptions.marketing : siteOptions.statistics;
  const scrubbed = scrubTargetMemo(target, scrubOptions, settings.memo);
  const salt = identifying ? inputSalt : null;
  if (identifying && salt === null) throw new Error("buildEvent: an identifying tier needs the day's salt");
  const props = propSlots(inputProps);
  sink
    .number(Math.floor(timestampMs / 1000) * 1000) // ts
    .string(site)
    .string(source)
    .string(scrubEventName(eventName)) // event_name
    .string(method)
    .string(scrubbed.path)
    .string(scrubbed.query)
    .number(status)
    .number(bytes)
    .boolean(scrubbed.isAsset)
    .string(referrerHostMemo(referrer, settings.memo)) // referrer_host
    .string(scrubbed.utmSource)
    .string(scrubbed.utmMedium)
    .string(scrubbed.utmCampaign)
    .string(scrubbed.utmTerm)
    .string(scrubbed.utmContent)
    .string(scrubbed.clickId)
    .string(enrichment.country)
    .string(enrichment.browser)
    .string(identifying ? enrichment.browserMajor : null) // browser_major
    .string(enrichment.os)
    .string(enrichment.device)
    .boolean(enrichment.isBot)
    .string(enrichment.botName === null ? null : scrubBotName(enrichment.botName)) // bot_name
    .bigint(salt === null ? null : visitorIdOf(salt, site, address, userAgent ?? "")) // visitor_id
    .string(identifying ? truncate(address, settings.prefixes) : null) // ip_prefix
    .string(decision.tier) // consent_tier
    .string(decision.reason) // consent_reason
    .string(props.prop_key_1)
    .string(props.prop_value_1)
    .string(props.prop_key_2)
    .string(props.prop_value_2)
    .string(props.prop_key_3)
    .string(props.prop_value_3)
    .string(props.prop_key_4)
    .string(props.prop_value_4);
}

/**
 * scrubFreeText (a pure function) remembering the text of the call before and its answer, for texts that come in
 * runs: one per field, so that the runs of one field are not broken by another's.
 */
function scrubbingRuns(): (text: string) => string {
  let last: string | undefined;
  let scrubbed = "";
  return (text) => {
    if (text !== last) {
      scrubbed = scrubFreeText(text);
      last = text;
    }
    return scrubbed;
  };
}

/** A log's events are all `request`, a collector's repeat too. */
const scrubEventName = scrubbingRuns();

/**
 * A crawler's lines come in runs, and the enricher hands out one name object per answer, so the name of the line
 * before is usually the very same object.
 */
const scrubBotName = scrubbingRuns();

export type PropSlots = Pick<
  EventRow,
  | "prop_key_1"
  | "prop_value_1"
  | "prop_key_2"
  | "prop_value_2"
  | "prop_key_3"
  | "prop_value_3"
  | "prop_key_4"
  | "prop_value_4"
>;

export const NO_EVENT_PROPS: PropSlots = {
  prop_key_1: null,
  prop_value_1: null,
  prop_key_2: null,
  prop_value_2: null,
  prop_key_3: null,
  prop_value_3: null,
  prop_key_4: null,
  prop_value_4: null,
};

/** The property columns: keys as allowlisted, values scrubbed as free text and cut to MAX_PROP_VALUE_CHARS. */
function propSlots(props: EventInput["props"]): PropSlots {
  if (props === undefined || props.length === 0) return NO_EVENT_PROPS;
  const slots: Record<string, string | null> = { ...NO_EVENT_PROPS };
  props.slice(0, EVENT_PROP_SLOTS).forEach(([key, value], i) => {
    slots[`prop_key_${i + 1}`] = key;
    slots[`prop_value_${i + 1}`] = scrubFreeText(value).slice(0, MAX_PROP_VALUE_CHARS);
  });
  return slots as unknown as PropSlots;
}

/** The full record for the security zone: nothing is removed, because abuse review needs it. */
export function buildSecurityRow(
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  format: RecordFormat,
  inputId: string,
  lineNo: number,
): SecurityRow {
  const sink = SECURITY_OBJECTS;
  sink.clear();
  writeSecurityValues(sink, record, address, enrichment, site, format, inputId, lineNo);
  return sink.take() as unknown as SecurityRow;
}

/**
 * The security row's values, one per column of SECURITY_SCHEMA in its order, into a sink (without its `end()`):
 * what {@link buildSecurityRow} returns as an object, given straight to the column batches by the ingest pipeline.
 */
export function writeSecurityValues(
  sink: RowSink,
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  format: RecordFormat,
  inputId: string,
  lineNo: number,
): void {
  sink
    .number(record.timestampMs) // ts
    .string(site)
    .string(address.address) // client_ip
    .string(record.forwardedFor)
    .string(record.method)
    .string(record.target)
    .string(record.protocol)
    .number(record.status)
    .number(record.bytes)
    .string(record.referrer)
    // The agent numbering's copy of the agent (the enricher numbered it just before): see TextNumbering.copyOf.
    .string(record.userAgent === null ? null : AGENT_NUMBERS.copyOf(record.userAgent))
    .number(record.durationMs)
    .string(enrichment.country)
    .string(enrichment.provider)
    .string(enrichment.browser)
    .string(enrichment.os)
    .string(enrichment.device)
    .boolean(enrichment.isBot)
    .string(enrichment.botReason)
    .string(format)
    .string(inputId)
    .number(lineNo); // line_no
}
