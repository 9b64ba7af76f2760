import {
  mediaType,
  parseJsonObject,
  readEventName,
  readPageTarget,
  readProps,
  readReferrer,
  readSite,
} from "../fields.ts";
import type { CollectRejectReason, CollectRequest, ProtocolResult, RawHit } from "../types.ts";
import { JSON_BODY_TYPES } from "./native.ts";

/** Most domains one Plausible event may name (`d: "a.com,b.com"` counts the event for each). */
const MAX_DOMAINS = 10;

const refuse = (reason: CollectRejectReason): ProtocolResult => ({ ok: false, reason, reply: "plausible" });

/** The first key of `keys` present in `body` (Plausible accepts short and long names). */
function pick(body: Record<string, unknown>, ...keys: string[]): unknown {
  for (const key of keys) if (body[key] !== undefined) return body[key];
  return undefined;
}

/**
 * `POST /api/event`, Plausible's Events API as its trackers send it: a JSON body (sent as `text/plain` or
 * `application/json`) with short or long keys — `n|name`, `u|url`, `d|domain` (a comma-separated list counts
 * the event once per domain), `r|referrer`, `p|props|m|meta` (an object or a JSON string: kept under the site's
 * allowlist of property names), `h|hashMode`, `i`, `$|revenue`. Plausible carries no consent, so its events are decided on
 * DNT/GPC and the no-consent tier. Accepted requests are answered 202 `{}` like Plausible does.
 */
export function readPlausible(request: CollectRequest): ProtocolResult {
  if (!JSON_BODY_TYPES.has(mediaType(request.headers["content-type"]))) return refuse("bad_content_type");
  const body = request.body === null ? null : parseJsonObject(request.body);
  if (body === null) return refuse("bad_json");
  const name = readEventName(pick(body, "n", "name"), null);
  if (!name.ok) return refuse(name.reason);
  const target = readPageTarget(pick(body, "u", "url"), { anyScheme: true });
  if (!target.ok) return refuse(target.reason);
  const referrer = readReferrer(pick(body, "r", "referrer"));
  if (!referrer.ok) return refuse(referrer.reason);
  const props = readProps(pick(body, "p", "props", "m", "meta"), { jsonString: true });
  if (!props.ok) return refuse(props.reason);
  const domains = pick(body, "d", "domain");
  if (domains === undefined || domains === null || domains === "") return refuse("missing_site");
  if (typeof domains !== "string") return refuse("bad_site");
  const sites: string[] = [];
  for (const part of domains.split(",")) {
    if (part.trim().length === 0) continue;
    const site = readSite(part);
    if (!site.ok) return refuse(site.reason);
    if (!sites.includes(site.value)) sites.push(site.value);
  }
  if (sites.length === 0) return refuse("missing_site");
  if (sites.length > MAX_DOMAINS) return refuse("bad_site");
  const hits: RawHit[] = sites.map((site) => ({
    site,
    target: target.value,
    referrer: referrer.value,
    eventName: name.value,
    ...(props.value.length === 0 ? {} : { props: props.value }),
  }));
  return { ok: true, hits, invalid: [], reply: "plausible" };
}
