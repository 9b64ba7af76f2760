/** A browser Origin header, parsed: its serialized origin and lower-case host; null unless http(s). */
export interface ParsedOrigin {
  readonly origin: string;
  readonly host: string;
}

/**
 * Parses an `Origin` header. Only `http:` and `https:` origins are origins of a web page here (`null`, `file:`,
 * extensions are not). The returned `origin` is the URL parser's serialization, never the header's text, so it
 * can be sent back in `Access-Control-Allow-Origin` without echoing input.
 */
export function parseOrigin(header: string | undefined): ParsedOrigin | null {
  if (header === undefined || header.length === 0 || header.length > 300) return null;
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username !== "" || url.password !== "" || (url.pathname !== "/" && url.pathname !== ""))
    return null;
  let host = url.hostname.toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  return { origin: url.origin, host };
}
