import type { ClientAddress } from "../anonymize/ip.ts";
import { truncate } from "../anonymize/ip.ts";
import type { LogsieveConfig } from "../config.ts";
import { visitorId } from "../identify/visitor-id.ts";
import {
  isAssetPath,
  maskPersonalData,
  referrerHost,
  type ScrubOptions,
  scrubTarget,
} from "../scrub/scrub.ts";
import type {
  AccessRecord,
  ConsentDecision,
  Enrichment,
  EventRow,
  LogFormat,
  RecordSource,
  SecurityRow,
} from "../types.ts";

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
}

export interface EventBuilderSettings {
  readonly prefixes: LogsieveConfig["anonymize"];
  readonly allowedParams: ReadonlySet<string>;
}

export function eventBuilderSettings(config: LogsieveConfig): EventBuilderSettings {
  return {
    prefixes: config.anonymize,
    allowedParams: new Set(config.scrub.allowedQueryParams.map((p) => p.toLowerCase())),
  };
}

/**
 * The anonymized event. Everything that leaves here was derived in memory: the full address only as its
 * truncated prefix and inside the keyed hash, the user agent only as classes. In the `anonymous` tier
 * there is no visitor id, no prefix and no version. Free text is masked once more as a last line of
 * defence (a bot name or event name could quote an address).
 */
export function buildEvent(input: EventInput, settings: EventBuilderSettings): EventRow {
  const { decision, enrichment } = input;
  if (decision.tier === "drop") throw new Error("buildEvent: a dropped input has no event");
  const identifying = decision.tier !== "anonymous";
  const scrubOptions: ScrubOptions = {
    allowedParams: settings.allowedParams,
    keepClickIds: decision.tier === "marketing",
  };
  const scrubbed = scrubTarget(input.target, scrubOptions);
  const salt = identifying ? input.salt : null;
  if (identifying && salt === null) throw new Error("buildEvent: an identifying tier needs the day's salt");
  return {
    ts: Math.floor(input.timestampMs / 1000) * 1000,
    site: input.site,
    source: input.source,
    event_name: maskPersonalData(input.eventName),
    method: input.method,
    path: scrubbed.path,
    query: scrubbed.query,
    status: input.status,
    bytes: input.bytes,
    is_asset: isAssetPath(scrubbed.path),
    referrer_host: referrerHost(input.referrer),
    utm_source: scrubbed.utm.source,
    utm_medium: scrubbed.utm.medium,
    utm_campaign: scrubbed.utm.campaign,
    utm_term: scrubbed.utm.term,
    utm_content: scrubbed.utm.content,
    click_id: scrubbed.clickId,
    country: enrichment.country,
    browser: enrichment.browser,
    browser_major: identifying ? enrichment.browserMajor : null,
    os: enrichment.os,
    device: enrichment.device,
    is_bot: enrichment.isBot,
    bot_name: enrichment.botName === null ? null : maskPersonalData(enrichment.botName),
    visitor_id:
      salt === null ? null : visitorId(salt, input.site, input.address.address, input.userAgent ?? ""),
    ip_prefix: identifying ? truncate(input.address, settings.prefixes) : null,
    consent_tier: decision.tier,
    consent_reason: decision.reason,
  };
}

/** The full record for the security zone: nothing is removed, because abuse review needs it. */
export function buildSecurityRow(
  record: AccessRecord,
  address: ClientAddress,
  enrichment: Enrichment,
  site: string,
  format: LogFormat,
  inputId: string,
  lineNo: number,
): SecurityRow {
  return {
    ts: record.timestampMs,
    site,
    client_ip: address.address,
    forwarded_for: record.forwardedFor,
    method: record.method,
    target: record.target,
    protocol: record.protocol,
    status: record.status,
    bytes: record.bytes,
    referrer: record.referrer,
    user_agent: record.userAgent,
    duration_ms: record.durationMs,
    country: enrichment.country,
    provider: enrichment.provider,
    browser: enrichment.browser,
    os: enrichment.os,
    device: enrichment.device,
    is_bot: enrichment.isBot,
    bot_reason: enrichment.botReason,
    format,
    input_id: inputId,
    line_no: lineNo,
  };
}
