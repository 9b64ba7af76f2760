/**
 * The configured sites, for the collector's two questions: which configured site does a sent site name mean,
 * and may a page at this browser Origin send events for it.
 */
export class SiteSet {
  private readonly sites: ReadonlySet<string>;

  constructor(sites: readonly string[]) {
    this.sites = new Set(sites.map((s) => s.toLowerCase()));
  }

  get size(): number {
    return this.sites.size;
  }

  /**
   * The configured site a sent (already lower-cased) site name means: itself, or without a leading `www.`
   * (Plausible strips it too); null when it is not one of ours.
   */
  resolve(site: string): string | null {
    if (this.sites.has(site)) return site;
    if (site.startsWith("www.")) {
      const bare = site.slice(4);
      if (this.sites.has(bare)) return bare;
    }
    return null;
  }

  /** True when `host` is the site or one of its subdomains. */
  static hostBelongsTo(host: string, site: string): boolean {
    return (
      host === site ||
      (host.length > site.length && host.endsWith(site) && host[host.length - site.length - 1] === ".")
    );
  }

  /** True when the host belongs to any configured site. */
  anyOwns(host: string): boolean {
    for (const site of this.sites) if (SiteSet.hostBelongsTo(host, site)) return true;
    return false;
  }
}

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
