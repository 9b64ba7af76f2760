import { type CollectRejectReason, REJECT_STATUS, type ReplyStyle } from "./types.ts";

/** The platform-neutral response (the shape of API Gateway v2's structured result). */
export interface CollectResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Text, or base64 when `isBase64Encoded`. */
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** A 1×1 transparent GIF89a (42 bytes), base64. */
export const PIXEL_GIF_BASE64 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/** Headers on every collector answer: nothing is cached, nothing is sniffed. */
const BASE_HEADERS = {
  "cache-control": "no-store, max-age=0",
  "x-content-type-options": "nosniff",
} as const;

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * `{ ...BASE_HEADERS, "content-type": type, ...extra }` (`type` null: none), built by assignment: an answer is
 * made for every request, and spreading objects of changing shapes was the costliest part of it.
 */
function headersWith(type: string | null, extra: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {
    "cache-control": BASE_HEADERS["cache-control"],
    "x-content-type-options": BASE_HEADERS["x-content-type-options"],
  };
  if (type !== null) headers["content-type"] = type;
  for (const name in extra) headers[name] = extra[name] as string;
  return headers;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "bad_request",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  414: "uri_too_long",
  429: "too_many_requests",
  503: "unavailable",
};

/**
 * A refusal. The body names the reason from the closed list and nothing else: no part of the request is echoed.
 */
export function refusal(
  reason: CollectRejectReason,
  extra: Readonly<Record<string, string>> = {},
): CollectResponse {
  const statusCode = REJECT_STATUS[reason];
  return {
    statusCode,
    headers: headersWith(JSON_TYPE, extra),
    body: JSON.stringify({ error: STATUS_TEXT[statusCode] ?? "error", reason }),
    isBase64Encoded: false,
  };
}

/**
 * An accepted request in the protocol's own style. `bot` answers 202 whatever the style (as Plausible does);
 * `counts` is for Matomo's bulk reply.
 */
export function acceptance(
  style: ReplyStyle,
  options: { readonly bot: boolean; readonly counts?: { tracked: number; invalid: number } },
  extra: Readonly<Record<string, string>> = {},
): CollectResponse {
  switch (style) {
    case "gif": {
      const headers = headersWith("image/gif", {});
      headers["cross-origin-resource-policy"] = "cross-origin";
      for (const name in extra) headers[name] = extra[name] as string;
      return { statusCode: options.bot ? 202 : 200, headers, body: PIXEL_GIF_BASE64, isBase64Encoded: true };
    }
    case "empty":
      return {
        statusCode: options.bot ? 202 : 204,
        headers: headersWith(null, extra),
        body: "",
        isBase64Encoded: false,
      };
    case "bulk":
      return {
        statusCode: options.bot ? 202 : 200,
        headers: headersWith(JSON_TYPE, extra),
        body: JSON.stringify({
          status: "success",
          tracked: options.counts?.tracked ?? 0,
          invalid: options.counts?.invalid ?? 0,
        }),
        isBase64Encoded: false,
      };
    case "umami":
      return {
        statusCode: 200,
        headers: headersWith(JSON_TYPE, extra),
        body: options.bot ? '{"beep":"boop"}' : "{}",
        isBase64Encoded: false,
      };
    case "plausible":
      return {
        statusCode: 202,
        headers: headersWith(JSON_TYPE, extra),
        body: "{}",
        isBase64Encoded: false,
      };
    case "json":
      return {
        statusCode: 202,
        headers: headersWith(JSON_TYPE, extra),
        body: '{"ok":true}',
        isBase64Encoded: false,
      };
  }
}

/** An answered CORS preflight: the route's methods and the request headers its trackers send. */
export function preflight(
  origin: string,
  methods: readonly string[],
  allowHeaders: readonly string[],
): CollectResponse {
  return {
    statusCode: 204,
    headers: {
      ...BASE_HEADERS,
      "access-control-allow-origin": origin,
      "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
      "access-control-allow-headers": allowHeaders.join(", "),
      "access-control-max-age": "86400",
      vary: "origin",
    },
    body: "",
    isBase64Encoded: false,
  };
}

/** The tracker script. */
export function script(source: string): CollectResponse {
  return {
    statusCode: 200,
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
      "cross-origin-resource-policy": "cross-origin",
    },
    body: source,
    isBase64Encoded: false,
  };
}
