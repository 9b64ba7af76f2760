import type { Clock } from "../../ports/clock.ts";
import { type EventSink, EventSinkUnavailableError } from "../../ports/event-sink.ts";
import type { SaltStore } from "../../ports/salt-store.ts";
import { type ClientAddress, compileTrustedProxies } from "../anonymize/ip.ts";
import type { LogsieveConfig } from "../config.ts";
import { decideConsent } from "../consent/decide.ts";
import { BoundedCache } from "../enrich/bounded-cache.ts";
import type { Enricher } from "../enrich/enrich.ts";
import { eventPropertiesOf } from "../goals.ts";
import { buildEvent, collectorEventSettings } from "../ingest/rows.ts";
import { SiteSet } from "../sites.ts";
import { referrerSpamFilterFor } from "../spam/referrer-spam.ts";
import type { Enrichment, EventRow } from "../types.ts";
import { utcDay } from "../zones.ts";
import { clientAddressOf } from "./client-address.ts";
import { CollectorCounters, type CollectorCountsSnapshot } from "./counters.ts";
import { allowedProps } from "./properties.ts";
import { readMatomo } from "./protocols/matomo.ts";
import { readNative } from "./protocols/native.ts";
import { readPixel } from "./protocols/pixel.ts";
import { readPlausible } from "./protocols/plausible.ts";
import { readUmami, umamiWebsites } from "./protocols/umami.ts";
import { TokenBucketLimiter } from "./rate-limit.ts";
import { acceptance, type CollectResponse, preflight, refusal, script } from "./responses.ts";
import type { CollectorSettings } from "./settings.ts";
import { type ParsedOrigin, parseOrigin } from "./sites.ts";
import {
  COLLECT_ROUTES,
  type CollectDropReason,
  type CollectPath,
  type CollectRejectReason,
  type CollectRequest,
  dropReasonOf,
  type ProtocolResult,
  type RawHit,
  type ReplyStyle,
} from "./types.ts";

/**
 * The collector: one request in, one response and the anonymized events out. Pure apart from its ports (clock,
 * salts, sink): no environment, no file, no network of its own.
 *
 * The steps, in order, each refusing or dropping with a reason from a closed list, each counted:
 *
 *   route → method → size caps (413/414) → protocol reader (400) → client address →
 *   per event: site is configured (403) → Origin belongs to the site (403) → site's token bucket (429) →
 *   heartbeat, Umami identify/performance (dropped) → bot (202, dropped) → referrer spam (dropped) →
 *   consent: GPC / DNT / no consent (dropped) →
 *   custom properties narrowed to the site's allowlist (others dropped, counted) →
 *   anonymized event (truncated before it exists) → sink (503 when it cannot take the events).
 *
 * The full address lives only in this call's memory: it is enriched, hashed and truncated, and the response, the
 * outcome and the counters never carry it, nor any other part of the request.
 */

export interface CollectorDeps {
  readonly config: LogsieveConfig;
  readonly settings: CollectorSettings;
  readonly enrich: Enricher;
  readonly salts: SaltStore;
  readonly sink: EventSink;
  readonly clock: Clock;
  /** The source of logsieve.js, served at `/logsieve.js`; null when it is not bundled (then 404). */
  readonly trackerScript: string | null;
}

/** What happened to one request: safe to log (fixed tokens and counts only). */
export interface CollectOutcome {
  /** The route answered, or null for an unknown path. */
  readonly route: CollectPath | null;
  readonly response: CollectResponse;
  readonly stored: number;
  readonly rejected: readonly CollectRejectReason[];
  readonly dropped: readonly CollectDropReason[];
}

export interface Collector {
  handle(request: CollectRequest): Promise<CollectOutcome>;
  counters(): CollectorCountsSnapshot;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

const DNT_HEADER = "dnt";
const GPC_HEADER = "sec-gpc";

type HitFate =
  | {
      readonly kind: "stored";
      readonly row: EventRow;
      readonly propsKept: number;
      readonly propsDropped: number;
    }
  | { readonly kind: "dropped"; readonly reason: CollectDropReason }
  | { readonly kind: "rejected"; readonly reason: CollectRejectReason; readonly retryAfter?: number };

export function createCollector(deps: CollectorDeps): Collector {
  const { config, settings } = deps;
  const counters = new CollectorCounters();
  const sites = SiteSet.fromConfig(config);
  const trusted = compileTrustedProxies(config.trustedProxies);
  const builder = collectorEventSettings(config);
  const websites = umamiWebsites(config.siteSettings);
  const spam = referrerSpamFilterFor(config);
  const limiter = new TokenBucketLimiter(
    {
      perSecond: settings.rateLimit.perSecond,
      burst: settings.rateLimit.burst,
      maxKeys: Math.max(16, sites.size),
    },
    deps.clock,
  );
  // A page's Origin header repeats on every request it sends, and parsing it is a URL parse: parsed ones are
  // remembered (a site's origins; an origin names no person). Null for a header that is no web origin.
  const origins = new BoundedCache<string, ParsedOrigin | false>(256);
  function originOf(header: string | undefined): ParsedOrigin | null {
    if (header === undefined) return null;
    let parsed = origins.get(header);
    if (parsed === undefined) {
      parsed = parseOrigin(header) ?? false;
      origins.set(header, parsed);
    }
    return parsed === false ? null : parsed;
  }

  /** The CORS headers for a response: the origin itself when it belongs to a configured site. */
  function corsHeaders(origin: ParsedOrigin | null): Readonly<Record<string, string>> {
    if (origin === null || !sites.anyOwns(origin.host)) return NO_HEADERS;
    return { "access-control-allow-origin": origin.origin, vary: "origin" };
  }

  function refuse(
    route: CollectPath | null,
    reason: CollectRejectReason,
    cors: Readonly<Record<string, string>>,
    extra: Readonly<Record<string, string>> = NO_HEADERS,
  ): CollectOutcome {
    counters.reject(reason);
    return {
      route,
      response: refusal(reason, { ...cors, ...extra }),
      stored: 0,
      rejected: [reason],
      dropped: [],
    };
  }

  function readProtocol(path: CollectPath, request: CollectRequest): ProtocolResult {
    switch (COLLECT_ROUTES[path].protocol) {
      case "native":
        return readNative(request);
      case "pixel":
        return readPixel(request);
      case "plausible":
        return readPlausible(request);
      case "matomo":
        return readMatomo(request, settings.maxBulkEvents);
      case "umami":
        return readUmami(request, websites);
      case "script":
        throw new Error("the script route has no protocol");
    }
  }

  async function judge(
    hit: RawHit,
    context: {
      readonly origin: ParsedOrigin | null;
      readonly address: ClientAddress;
      readonly userAgent: string | null;
      readonly dnt: boolean;
      readonly gpc: boolean;
      readonly now: number;
      enrichment: Enrichment | null;
    },
  ): Promise<HitFate> {
    const site = sites.resolve(hit.site);
    if (site === null) return { kind: "rejected", reason: "unknown_site" };
    if (context.origin !== null && !sites.belongsTo(context.origin.host, site)) {
      return { kind: "rejected", reason: "origin_not_allowed" };
    }
    const taken = limiter.take(site);
    if (!taken.allowed)
      return { kind: "rejected", reason: "rate_limited", retryAfter: taken.retryAfterSeconds };
    if (hit.heartbeat === true) return { kind: "dropped", reason: "heartbeat" };
    if (hit.unstored !== undefined) return { kind: "dropped", reason: hit.unstored };
    context.enrichment ??= deps.enrich(context.address, context.userAgent);
    const enrichment = context.enrichment;
    if (enrichment.isBot) return { kind: "dropped", reason: "bot" };
    if (spam.isSpam(hit.referrer)) return { kind: "dropped", reason: "spam_referrer" };
    const decision = decideConsent(
      "collector",
      { dnt: context.dnt, gpc: context.gpc, ...(hit.consent === undefined ? {} : { consent: hit.consent }) },
      config.consent,
    );
    if (decision.tier === "drop") return { kind: "dropped", reason: dropReasonOf(decision.reason) };
    let salt: Uint8Array | null = null;
    if (decision.tier !== "anonymous") {
      try {
        // The salt store caches the day's salt in memory and honours its expiry.
        salt = await deps.salts.saltForDay(utcDay(context.now));
      } catch {
        return { kind: "rejected", reason: "salt_unavailable" };
      }
    }
    const props = allowedProps(hit.props, eventPropertiesOf(config, site));
    const row = buildEvent(
      {
        site,
        timestampMs: context.now,
        source: "collector",
        eventName: hit.eventName,
        method: null,
        target: hit.target,
        status: null,
        bytes: 0,
        referrer: hit.referrer,
        address: context.address,
        userAgent: context.userAgent,
        enrichment,
        decision,
        salt,
        props: props.kept,
      },
      builder,
    );
    return { kind: "stored", row, propsKept: props.kept.length, propsDropped: props.dropped };
  }

  async function handle(request: CollectRequest): Promise<CollectOutcome> {
    counters.request();
    const origin = originOf(request.headers.origin);
    const cors = corsHeaders(origin);
    const path = Object.hasOwn(COLLECT_ROUTES, request.path) ? (request.path as CollectPath) : null;
    if (path === null) return refuse(null, "not_found", cors);
    const route = COLLECT_ROUTES[path];
    const methods: readonly string[] = route.methods;

    if (request.method === "OPTIONS") {
      const wanted = request.headers["access-control-request-method"];
      if (origin === null || !sites.anyOwns(origin.host)) return refuse(path, "origin_not_allowed", {});
      if (wanted !== undefined && !methods.includes(wanted.toUpperCase())) {
        return refuse(path, "method_not_allowed", cors, { allow: [...methods, "OPTIONS"].join(", ") });
      }
      return {
        route: path,
        response: preflight(origin.origin, methods, route.allowHeaders),
        stored: 0,
        rejected: [],
        dropped: [],
      };
    }
    if (!methods.includes(request.method)) {
      return refuse(path, "method_not_allowed", cors, { allow: [...methods, "OPTIONS"].join(", ") });
    }
    if (route.protocol === "script") {
      if (deps.trackerScript === null) return refuse(path, "not_found", cors);
      return { route: path, response: script(deps.trackerScript), stored: 0, rejected: [], dropped: [] };
    }

    const declared = Number(request.headers["content-length"] ?? "0");
    if (request.bodyBytes > settings.maxBodyBytes || declared > settings.maxBodyBytes) {
      return refuse(path, "body_too_large", cors);
    }
    if (request.rawQuery.length > settings.maxQueryBytes) return refuse(path, "query_too_large", cors);

    const parsed = readProtocol(path, request);
    if (!parsed.ok) return refuse(path, parsed.reason, cors);

    const address = clientAddressOf(request, trusted, settings.clientAddressHeader);
    if (address === null) return refuse(path, "bad_client_ip", cors);

    const context = {
      origin,
      address,
      userAgent: request.headers["user-agent"] ?? null,
      dnt: request.headers[DNT_HEADER]?.trim() === "1",
      gpc: request.headers[GPC_HEADER]?.trim() === "1",
      now: deps.clock.now(),
      enrichment: null as Enrichment | null,
    };
    const fates: HitFate[] = [];
    for (const hit of parsed.hits) fates.push(await judge(hit, context));

    const rows: EventRow[] = [];
    for (const fate of fates) if (fate.kind === "stored") rows.push(fate.row);
    let sinkFailed = false;
    if (rows.length > 0) {
      try {
        await deps.sink.write(rows);
      } catch (error) {
        if (!(error instanceof EventSinkUnavailableError)) throw error;
        sinkFailed = true;
      }
    }
    return summarize(path, parsed.reply, parsed.invalid, fates, sinkFailed, cors);
  }

  function summarize(
    path: CollectPath,
    style: ReplyStyle,
    invalid: readonly CollectRejectReason[],
    fates: readonly HitFate[],
    sinkFailed: boolean,
    cors: Readonly<Record<string, string>>,
  ): CollectOutcome {
    const rejected: CollectRejectReason[] = [...invalid];
    const dropped: CollectDropReason[] = [];
    let stored = 0;
    let retryAfter = 0;
    for (const fate of fates) {
      if (fate.kind === "rejected") {
        rejected.push(fate.reason);
        retryAfter = Math.max(retryAfter, fate.retryAfter ?? 0);
      } else if (fate.kind === "dropped") {
        dropped.push(fate.reason);
      } else if (sinkFailed) {
        rejected.push("sink_unavailable");
      } else {
        stored++;
        counters.store(fate.row.consent_tier);
        counters.props(fate.propsKept, fate.propsDropped);
      }
    }
    for (const reason of rejected) counters.reject(reason);
    for (const reason of dropped) counters.drop(reason);

    const accepted = stored + dropped.length;
    let response: CollectResponse;
    if (accepted === 0) {
      // Nothing taken: answer with the first refusal (a single-event request has exactly one).
      const reason = rejected[0] ?? "bad_json";
      const extra: Record<string, string> = { ...cors };
      if (reason === "rate_limited") extra["retry-after"] = String(Math.max(1, retryAfter));
      response = refusal(reason, extra);
    } else if (stored > 0) {
      response = acceptance(
        style,
        { bot: false, counts: { tracked: accepted, invalid: rejected.length } },
        cors,
      );
    } else {
      const extra: Record<string, string> = { ...cors };
      extra["x-logsieve-dropped"] = [...new Set(dropped)].join(",");
      if (style === "plausible") extra["x-plausible-dropped"] = "1";
      response = acceptance(
        style,
        { bot: dropped.every((r) => r === "bot"), counts: { tracked: accepted, invalid: rejected.length } },
        extra,
      );
    }
    return { route: path, response, stored, rejected, dropped };
  }

  return { handle, counters: () => counters.snapshot() };
}
