import {
  mediaType,
  parseJsonObject,
  readEventName,
  readJsonConsent,
  readPageTarget,
  readProps,
  readReferrer,
  readSite,
} from "../fields.ts";
import type { CollectRequest, ProtocolResult } from "../types.ts";

/** Body types the JSON protocols read: sendBeacon and simple CORS requests send text/plain. */
export const JSON_BODY_TYPES: ReadonlySet<string> = new Set(["", "application/json", "text/plain"]);

/**
 * `POST /collect`, logsieve's own protocol (what logsieve.js sends): a JSON object
 *
 *   {"site": "example.com", "url": "https://example.com/page?utm_source=x", "referrer": "https://…" | null,
 *    "name": "pageview", "props": {"k": "v"}, "consent": {"statistics": true, "marketing": false}}
 *
 * `site` and `url` are required; `name` defaults to `pageview`; each consent category is true, false or absent.
 */
export function readNative(request: CollectRequest): ProtocolResult {
  if (!JSON_BODY_TYPES.has(mediaType(request.headers["content-type"]))) {
    return { ok: false, reason: "bad_content_type", reply: "json" };
  }
  const body = request.body === null ? null : parseJsonObject(request.body);
  if (body === null) return { ok: false, reason: "bad_json", reply: "json" };
  const site = readSite(body.site);
  if (!site.ok) return { ok: false, reason: site.reason, reply: "json" };
  const target = readPageTarget(body.url, { anyScheme: false });
  if (!target.ok) return { ok: false, reason: target.reason, reply: "json" };
  const referrer = readReferrer(body.referrer);
  if (!referrer.ok) return { ok: false, reason: referrer.reason, reply: "json" };
  const name = readEventName(body.name, "pageview");
  if (!name.ok) return { ok: false, reason: name.reason, reply: "json" };
  const props = readProps(body.props);
  if (!props.ok) return { ok: false, reason: props.reason, reply: "json" };
  const consent = readJsonConsent(body.consent);
  if (!consent.ok) return { ok: false, reason: consent.reason, reply: "json" };
  return {
    ok: true,
    hits: [
      {
        site: site.value,
        target: target.value,
        referrer: referrer.value,
        eventName: name.value,
        ...(props.value.length === 0 ? {} : { props: props.value }),
        ...(consent.value === undefined ? {} : { consent: consent.value }),
      },
    ],
    invalid: [],
    reply: "json",
  };
}
