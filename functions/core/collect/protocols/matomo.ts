import {
  consentOf,
  type Field,
  mediaType,
  parseJsonObject,
  readPageTarget,
  readReferrer,
  readSite,
} from "../fields.ts";
import type { CollectRejectReason, CollectRequest, ProtocolResult, RawHit, ReplyStyle } from "../types.ts";

const MAX_NAME_PART_CHARS = 58;

type HitResult = { ok: true; hit: RawHit } | { ok: false; reason: CollectRejectReason };

/** The site of a Matomo hit: `idsite` when it is a host name; a numeric id stands for the host of `url`. */
function readMatomoSite(idsite: string | null, url: string | null): Field<string> {
  if (idsite === null || idsite.trim() === "") return { ok: false, reason: "missing_site" };
  if (!/^\d+$/.test(idsite.trim())) return readSite(idsite);
  if (url === null || url.trim() === "") return { ok: false, reason: "missing_url" };
  let host: string;
  try {
    host = new URL(url.trim()).hostname;
  } catch {
    return { ok: false, reason: "bad_url" };
  }
  return readSite(host);
}

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > MAX_NAME_PART_CHARS ? trimmed.slice(0, MAX_NAME_PART_CHARS) : trimmed;
}

/** What a Matomo request tracks: a page view unless it names an event, an outlink, a download or a search. */
function eventNameOf(params: URLSearchParams): string {
  const category = params.get("e_c");
  const action = params.get("e_a");
  if ((category !== null && category.trim() !== "") || (action !== null && action.trim() !== "")) {
    const parts = [category, action].filter((p): p is string => p !== null && p.trim() !== "").map(clip);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never reach an event name
    return parts.join("/").replace(/[\u0000-\u001f\u007f]/g, " ");
  }
  if (params.get("link") !== null) return "outlink";
  if (params.get("download") !== null) return "download";
  if (params.get("search") !== null) return "search";
  if (params.get("c_n") !== null) return "content";
  return "pageview";
}

/**
 * A Matomo event's name (`e_n`) and value (`e_v`) as the properties `name` and `value` (kept only if the site
 * allowlists those names); other requests carry none.
 */
function propsOf(params: URLSearchParams, eventName: string): [string, string][] {
  if (eventName === "pageview" || !(params.has("e_c") || params.has("e_a"))) return [];
  const props: [string, string][] = [];
  for (const [param, key] of [
    ["e_n", "name"],
    ["e_v", "value"],
  ] as const) {
    const value = params.get(param);
    if (value !== null && value.trim() !== "") props.push([key, value.trim()]);
  }
  return props;
}

/**
 * One tracking request's parameters as an event. Read: `rec` (must be 1), `idsite`, `url`, `urlref`, `e_c`/`e_a` (the event's
 * name), `e_n`/`e_v` (its properties `name` and `value`),
 * `link`, `download`, `search`, `c_n`, `ping`, `consent`. Everything about the visitor that Matomo's tracker sends
 * (`_id`, `_idn`, `_idts`, `uid`, `cid`, `cip`, `ua`, `uadata`, `res`, `lang`, `h`/`m`/`s`, `cookie`, plugin
 * flags, `pv_id`, custom variables) is ignored: `_id` in particular is never an identity, the visitor id is the
 * daily-salted one of every other event. `bots=1` is ignored too: bots are never stored.
 */
function readOne(params: URLSearchParams): HitResult {
  if (params.get("rec") !== "1") return { ok: false, reason: "not_tracked" };
  const url = params.get("url");
  const site = readMatomoSite(params.get("idsite"), url);
  if (!site.ok) return { ok: false, reason: site.reason };
  const target = readPageTarget(url, { anyScheme: false });
  if (!target.ok) return { ok: false, reason: target.reason };
  const referrer = readReferrer(params.get("urlref"));
  if (!referrer.ok) return { ok: false, reason: referrer.reason };
  // Matomo's tracker adds consent=1 when the site requires consent and the visitor gave it. It has no marketing
  // category and no explicit refusal (without consent it sends nothing), so consent=1 grants statistics.
  const consent = params.get("consent") === "1" ? consentOf(true, undefined) : undefined;
  const eventName = eventNameOf(params);
  const props = propsOf(params, eventName);
  return {
    ok: true,
    hit: {
      site: site.value,
      target: target.value,
      referrer: referrer.value,
      eventName,
      ...(props.length === 0 ? {} : { props }),
      ...(consent === undefined ? {} : { consent }),
      ...(params.get("ping") === "1" ? { heartbeat: true } : {}),
    },
  };
}

/** Query string and form body together; a body parameter wins over the same one in the query. */
function mergedParams(rawQuery: string, form: string | null): URLSearchParams {
  const params = new URLSearchParams(rawQuery);
  if (form !== null && form.length > 0) {
    for (const [key, value] of new URLSearchParams(form)) params.set(key, value);
  }
  return params;
}

/**
 * `GET|POST /matomo.php`, the subset of Matomo's HTTP tracking API its JavaScript tracker sends: parameters in
 * the query string (GET, and sendBeacon's POST with an empty body), in a form-encoded body (XHR POST), or a bulk
 * JSON body `{"requests": ["?idsite=…&rec=1&…", …]}`. Answered 204 when `send_image=0`, else with a GIF; bulk
 * requests get Matomo's `{"status":"success","tracked":n,"invalid":m}`.
 */
export function readMatomo(request: CollectRequest, maxBulkEvents: number): ProtocolResult {
  const body = request.method === "POST" ? request.body : null;
  const trimmed = body?.trimStart() ?? "";
  if (trimmed.startsWith("{")) {
    const bulk = parseJsonObject(trimmed);
    if (bulk === null) return { ok: false, reason: "bad_json", reply: "bulk" };
    const requests = bulk.requests;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > maxBulkEvents) {
      return { ok: false, reason: "bad_bulk", reply: "bulk" };
    }
    const hits: RawHit[] = [];
    const invalid: CollectRejectReason[] = [];
    for (const item of requests) {
      if (typeof item !== "string") {
        invalid.push("bad_bulk");
        continue;
      }
      const query = item.startsWith("?") ? item.slice(1) : item;
      const one = readOne(new URLSearchParams(query));
      if (one.ok) hits.push(one.hit);
      else invalid.push(one.reason);
    }
    return { ok: true, hits, invalid, reply: "bulk" };
  }
  const type = mediaType(request.headers["content-type"]);
  if (
    body !== null &&
    body.length > 0 &&
    type !== "" &&
    type !== "application/x-www-form-urlencoded" &&
    type !== "text/plain"
  ) {
    return { ok: false, reason: "bad_content_type", reply: "gif" };
  }
  const params = mergedParams(request.rawQuery, body);
  const reply: ReplyStyle = params.get("send_image") === "0" ? "empty" : "gif";
  const one = readOne(params);
  if (!one.ok) return { ok: false, reason: one.reason, reply };
  return { ok: true, hits: [one.hit], invalid: [], reply };
}
