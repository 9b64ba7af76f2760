import {
  consentOf,
  readEventName,
  readPageTarget,
  readQueryCategory,
  readReferrer,
  readSite,
} from "../fields.ts";
import type { CollectRequest, ProtocolResult } from "../types.ts";

/**
 * `GET /p.gif`, the pixel for pages without JavaScript. Parameters in the query string:
 *
 *   site   the site (required)
 *   url    the page URL (absolute http/https); without it, the Referer header (browsers may send only the origin)
 *   ref    the page's own referrer, if the page knows it
 *   name   the event name (default `pageview`)
 *   cs, cm consent to statistics / marketing: 1|true|granted, 0|false|denied, or absent
 *
 * Answered with a 1×1 transparent GIF.
 */
export function readPixel(request: CollectRequest): ProtocolResult {
  const query = new URLSearchParams(request.rawQuery);
  const site = readSite(query.get("site"));
  if (!site.ok) return { ok: false, reason: site.reason, reply: "gif" };
  const target = readPageTarget(query.get("url") ?? request.headers.referer ?? null, { anyScheme: false });
  if (!target.ok) return { ok: false, reason: target.reason, reply: "gif" };
  const referrer = readReferrer(query.get("ref"));
  if (!referrer.ok) return { ok: false, reason: referrer.reason, reply: "gif" };
  const name = readEventName(query.get("name"), "pageview");
  if (!name.ok) return { ok: false, reason: name.reason, reply: "gif" };
  const statistics = readQueryCategory(query.get("cs"));
  if (!statistics.ok) return { ok: false, reason: statistics.reason, reply: "gif" };
  const marketing = readQueryCategory(query.get("cm"));
  if (!marketing.ok) return { ok: false, reason: marketing.reason, reply: "gif" };
  const consent = consentOf(statistics.value, marketing.value);
  return {
    ok: true,
    hits: [
      {
        site: site.value,
        target: target.value,
        referrer: referrer.value,
        eventName: name.value,
        ...(consent === undefined ? {} : { consent }),
      },
    ],
    invalid: [],
    reply: "gif",
  };
}
