import type { ConsentReason } from "../ingest/reasons.ts";

/**
 * The collector's shapes. The collector's HTTP routes (apps/collect/routes.ts, the same on Lambda and under
 * `logsieve serve`) turn an HTTP request into a {@link CollectRequest}; a protocol reader turns that into
 * {@link RawHit}s; the collector guards, decides consent, and builds anonymized events.
 */

/** The routes the collector answers, and the protocol each one speaks. */
export const COLLECT_ROUTES = {
  "/collect": { protocol: "native", methods: ["POST"], allowHeaders: ["content-type"] },
  "/p.gif": { protocol: "pixel", methods: ["GET"], allowHeaders: ["content-type"] },
  "/api/event": { protocol: "plausible", methods: ["POST"], allowHeaders: ["content-type"] },
  "/api/send": { protocol: "umami", methods: ["POST"], allowHeaders: ["content-type", "x-umami-cache"] },
  "/matomo.php": { protocol: "matomo", methods: ["GET", "POST"], allowHeaders: ["content-type"] },
  "/logsieve.js": { protocol: "script", methods: ["GET"], allowHeaders: ["content-type"] },
} as const;
export type CollectPath = keyof typeof COLLECT_ROUTES;
export type CollectProtocol = (typeof COLLECT_ROUTES)[CollectPath]["protocol"];

/** An HTTP request as the collector sees it. Nothing here is trusted except `sourceIp`, which the platform sets. */
export interface CollectRequest {
  readonly method: string;
  /** The route's path; for a path no route serves, the request's path. */
  readonly path: string;
  /** The query string without `?`, not decoded. */
  readonly rawQuery: string;
  /** Header names lower-cased; repeated headers joined with commas (as API Gateway v2 and node do). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as UTF-8 text (a base64 body decoded by the platform's adapter), or null when there is none. */
  readonly body: string | null;
  /** The body's size in bytes, as received. */
  readonly bodyBytes: number;
  /** The peer address the platform saw (API Gateway's `requestContext.http.sourceIp`, or the socket's peer). */
  readonly sourceIp: string;
}

/** Closed list of reasons a request or one of its events is refused. Every refusal carries one and is counted. */
export const COLLECT_REJECT_REASONS = [
  "not_found", // 404: no such route
  "method_not_allowed", // 405: the route does not take this method
  "body_too_large", // 413: the body is over the cap (8 KiB by default)
  "query_too_large", // 414: the query string is over the cap
  "bad_content_type", // 400: a body type the route does not read
  "bad_json", // 400: the body is not JSON, or not a JSON object
  "bad_payload", // 400: a JSON body not of the protocol's shape (Umami: a type or payload it does not have)
  "missing_site", // 400: no site / domain / idsite
  "bad_site", // 400: the site is not a host name
  "missing_url", // 400: no page URL
  "bad_url", // 400: the URL does not parse, or has a scheme the route does not take
  "data_url", // 400: a data: URL (Plausible refuses them too)
  "url_too_long", // 400: the path is over 2,000 characters
  "bad_referrer", // 400: the referrer is not a string or is too long
  "missing_name", // 400: an event without a name where the protocol requires one
  "bad_event_name", // 400: an empty, overlong or control-character event name
  "bad_props", // 400: custom properties that are not an object of scalars
  "bad_consent", // 400: consent fields that are not true, false or absent
  "not_tracked", // 400: a Matomo request without rec=1
  "bad_bulk", // 400: a Matomo bulk body without a list of requests, or with too many
  "bad_client_ip", // 400: the platform's client address does not parse (never expected)
  "origin_not_allowed", // 403: a browser Origin that is not one of the site's origins
  "unknown_site", // 403: a site not in the configuration's `sites`
  "rate_limited", // 429: the site's token bucket is empty
  "sink_unavailable", // 503: the event sink cannot take events now; the client may retry
  "salt_unavailable", // 503: the day's salt cannot be read or created now; the client may retry
] as const;
export type CollectRejectReason = (typeof COLLECT_REJECT_REASONS)[number];

/** HTTP status of each refusal. */
export const REJECT_STATUS: Readonly<Record<CollectRejectReason, number>> = {
  not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  query_too_large: 414,
  bad_content_type: 400,
  bad_json: 400,
  bad_payload: 400,
  missing_site: 400,
  bad_site: 400,
  missing_url: 400,
  bad_url: 400,
  data_url: 400,
  url_too_long: 400,
  bad_referrer: 400,
  missing_name: 400,
  bad_event_name: 400,
  bad_props: 400,
  bad_consent: 400,
  not_tracked: 400,
  bad_bulk: 400,
  bad_client_ip: 400,
  origin_not_allowed: 403,
  unknown_site: 403,
  rate_limited: 429,
  sink_unavailable: 503,
  salt_unavailable: 503,
};

/**
 * Closed list of reasons a well-formed event is answered as accepted but not stored:
 * - `bot`: the user agent is a bot's;
 * - `heartbeat`: a Matomo heartbeat (`ping=1`), time on page, not an event;
 * - `identify`: an Umami identify message, which names a person (a user id and their data);
 * - `performance`: an Umami web-vitals message (no column holds them);
 * - `spam_referrer`: the referrer's host is on the referrer spam list (core/spam/referrer-spam.ts);
 * - `gpc`, `dnt`, `denied`, `no_consent_drop`: the consent decision's `drop` reasons.
 */
export const COLLECT_DROP_REASONS = [
  "bot",
  "heartbeat",
  "identify",
  "performance",
  "spam_referrer",
  "gpc",
  "dnt",
  "denied",
  "no_consent_drop",
] as const;
export type CollectDropReason = (typeof COLLECT_DROP_REASONS)[number];

/** A consent reason that comes with tier `drop`, as a drop reason. */
export function dropReasonOf(reason: ConsentReason): CollectDropReason {
  switch (reason) {
    case "gpc":
    case "dnt":
    case "denied":
    case "no_consent_drop":
      return reason;
    default:
      // decideConsent returns `drop` only with the four reasons above; anything else is a programming error.
      throw new Error(`consent reason ${reason} does not drop`);
  }
}

/** Consent categories as a protocol carried them. `undefined` = the request said nothing. */
export interface HitConsent {
  readonly statistics?: boolean;
  readonly marketing?: boolean;
}

/** One event as a protocol reader understood it, before the site is checked and anything is derived. */
export interface RawHit {
  /** The site as sent (domain, idsite, site), already lower-cased and trimmed; not yet checked. */
  readonly site: string;
  /** The page's request target, path plus `?query` (fragment removed), to be scrubbed. */
  readonly target: string;
  /** The page's referrer as sent, or null. */
  readonly referrer: string | null;
  readonly eventName: string;
  /** Custom properties as sent (text pairs), before the site's allowlist; absent or empty for none. */
  readonly props?: readonly (readonly [string, string])[];
  readonly consent?: HitConsent;
  /** A Matomo heartbeat (`ping=1`): accepted, never stored. */
  readonly heartbeat?: boolean;
  /** An Umami message that is not an event: accepted, never stored, counted by this reason. */
  readonly unstored?: Extract<CollectDropReason, "identify" | "performance">;
}

/** How a protocol answers an accepted request. */
export type ReplyStyle =
  | "json" // 202 {"ok":true}
  | "plausible" // 202 {} (Plausible's reply)
  | "gif" // 200 with a 1×1 transparent GIF
  | "umami" // 200 {} (Umami's tracker reads the answer as JSON); bots 200 {"beep":"boop"} as Umami answers them
  | "empty" // 204 (Matomo with send_image=0)
  | "bulk"; // 200 {"status":"success","tracked":n,"invalid":m} (Matomo bulk)

/** What a protocol reader returns: the events of the request, or why the whole request is refused. */
export type ProtocolResult =
  | {
      readonly ok: true;
      readonly hits: readonly RawHit[];
      /** Events of a bulk request that were refused on their own, each with its reason. */
      readonly invalid: readonly CollectRejectReason[];
      readonly reply: ReplyStyle;
    }
  | { readonly ok: false; readonly reason: CollectRejectReason; readonly reply: ReplyStyle };
