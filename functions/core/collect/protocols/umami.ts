import {
  MAX_PROPS,
  mediaType,
  parseJsonObject,
  type RawProps,
  readEventName,
  readPageTarget,
  readReferrer,
} from "../fields.ts";
import type { CollectRejectReason, CollectRequest, ProtocolResult } from "../types.ts";
import { JSON_BODY_TYPES } from "./native.ts";

/** Umami website ids are UUIDs (its server's schema: `website: z.uuid()`). */
export const UMAMI_WEBSITE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Umami's limit on an event name. */
const MAX_UMAMI_NAME_CHARS = 50;

const refuse = (reason: CollectRejectReason): ProtocolResult => ({ ok: false, reason, reply: "umami" });

/**
 * `POST /api/send`, Umami's collection API as its tracker (`script.js`, v2 and v3) sends it: a JSON body
 *
 *   {"type": "event" | "identify" | "performance",
 *    "payload": {"website": "<uuid>", "url": "/path?q" | "https://…", "referrer": "https://…" | "",
 *                "name": "signup", "data": {…}, "hostname", "title", "screen", "language", "tag", "id", …}}
 *
 * The site is the configured site whose `siteSettings.<site>.umamiWebsiteIds` holds `website` (an id no site
 * names: `unknown_site`); `url` may be a path (tracker v2) or a full URL (v3); a `name` makes it a custom event,
 * else it is a page view; `data` must be an object: its text, number and boolean values are the event's custom
 * properties (kept only under the site's allowlist, like every tracker's; nested values, which Umami allows, are
 * not read, nor entries past the 30th). `identify` (it names a person: `id` and their data) and `performance` (web
 * vitals) are answered and dropped, never stored.
 *
 * What Umami's server would also take from the payload is never believed: `ip` and `userAgent` (the address is the
 * platform's and the agent the request header's), `timestamp` (the collector's clock), `id` (a user id: never
 * read), `browser`, `os`, `device`, `title`, `hostname`, `screen`, `language`, `tag`. Umami carries no consent:
 * its events are decided on DNT/GPC and the no-consent tier, like Plausible's. Accepted requests are answered
 * 200 `{}` (the tracker reads the answer as JSON), bots 200 `{"beep":"boop"}` as Umami does.
 */
export function readUmami(request: CollectRequest, websites: ReadonlyMap<string, string>): ProtocolResult {
  if (!JSON_BODY_TYPES.has(mediaType(request.headers["content-type"]))) return refuse("bad_content_type");
  const body = request.body === null ? null : parseJsonObject(request.body);
  if (body === null) return refuse("bad_json");
  const type = body.type;
  if (type !== "event" && type !== "identify" && type !== "performance") return refuse("bad_payload");
  const payload = body.payload;
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return refuse("bad_payload");
  const fields = payload as Record<string, unknown>;
  const website = fields.website;
  if (website === undefined || website === null || website === "") return refuse("missing_site");
  if (typeof website !== "string") return refuse("bad_site");
  const id = website.trim().toLowerCase();
  if (!UMAMI_WEBSITE_ID.test(id)) return refuse("bad_site");
  const site = websites.get(id);
  if (site === undefined) return refuse("unknown_site");
  if (type !== "event") {
    return {
      ok: true,
      hits: [{ site, target: "/", referrer: null, eventName: type, unstored: type }],
      invalid: [],
      reply: "umami",
    };
  }
  const target = readPageTarget(fields.url, { anyScheme: true });
  if (!target.ok) return refuse(target.reason);
  const referrer = readReferrer(fields.referrer);
  if (!referrer.ok) return refuse(referrer.reason);
  if (typeof fields.name === "string" && fields.name.trim().length > MAX_UMAMI_NAME_CHARS) {
    return refuse("bad_event_name");
  }
  const name = readEventName(fields.name, "pageview");
  if (!name.ok) return refuse(name.reason);
  const data = fields.data;
  if (data !== undefined && data !== null && (typeof data !== "object" || Array.isArray(data))) {
    return refuse("bad_props");
  }
  const props = scalarProps(data);
  return {
    ok: true,
    hits: [
      {
        site,
        target: target.value,
        referrer: referrer.value,
        eventName: name.value,
        ...(props.length === 0 ? {} : { props }),
      },
    ],
    invalid: [],
    reply: "umami",
  };
}

/** The text, number and boolean values of Umami's `data`, as property pairs (at most 30). */
function scalarProps(data: unknown): RawProps {
  if (typeof data !== "object" || data === null) return [];
  const props: [string, string][] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (props.length === MAX_PROPS) break;
    if (key.length === 0 || key.length > 300) continue;
    if (typeof value === "string") props.push([key, value.slice(0, 2000)]);
    else if (typeof value === "number" || typeof value === "boolean") props.push([key, String(value)]);
  }
  return props;
}

/** The website ids of the configured sites, lower-case, to the site each one means. */
export function umamiWebsites(
  siteSettings: Readonly<Record<string, { readonly umamiWebsiteIds: readonly string[] }>>,
): Map<string, string> {
  const websites = new Map<string, string>();
  for (const [site, settings] of Object.entries(siteSettings)) {
    for (const id of settings.umamiWebsiteIds) websites.set(id.toLowerCase(), site);
  }
  return websites;
}
