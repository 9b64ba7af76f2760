import type { LogsieveConfig } from "./config.ts";
import { defaultSiteOf } from "./config.ts";

/**
 * The configured sites, and which of them a host name means. An event's `site` is always a configured one (issue
 * 16): a host as logged or sent (`Host` header, vhost, JSON `host`, a collector's `site`/`domain`/`idsite`) is
 * never copied into `events/`, because a visitor chooses it (`alice.smith@example.com`, `203.0.113.200` and
 * `203-0-113-9.nip.io` are all valid Host headers). See docs/PRIVACY.md, "Sites".
 */
export class SiteSet {
  /** Every name that means a site (the site itself and its aliases), lower-case, to the site it means. */
  private readonly names = new Map<string, string>();
  private readonly namesBySite = new Map<string, string[]>();

  /** `aliases`: per site, other host names that mean it (`siteSettings.<site>.aliases`). */
  constructor(sites: readonly string[], aliases: Readonly<Record<string, readonly string[]>> = {}) {
    for (const site of sites.map((s) => s.toLowerCase())) {
      this.names.set(site, site);
      this.namesBySite.set(site, [site]);
    }
    for (const [site, list] of Object.entries(aliases)) {
      const own = this.namesBySite.get(site);
      if (own === undefined) continue;
      for (const alias of list.map((a) => a.toLowerCase())) {
        if (this.names.has(alias)) continue;
        this.names.set(alias, site);
        own.push(alias);
      }
    }
  }

  static fromConfig(config: Pick<LogsieveConfig, "sites" | "siteSettings">): SiteSet {
    const aliases: Record<string, readonly string[]> = {};
    for (const [site, settings] of Object.entries(config.siteSettings)) aliases[site] = settings.aliases;
    return new SiteSet(config.sites, aliases);
  }

  /** Configured sites (not counting aliases). */
  get size(): number {
    return this.namesBySite.size;
  }

  /**
   * The configured site a (lower-case, port-less) host name means: a site or an alias, with or without a leading
   * `www.` (Plausible strips it too); null when it is not one of ours.
   */
  resolve(host: string): string | null {
    const direct = this.names.get(host);
    if (direct !== undefined) return direct;
    if (host.startsWith("www.")) return this.names.get(host.slice(4)) ?? null;
    return null;
  }

  /** True when `host` is the site, one of its aliases, or a subdomain of either (a page that may send for it). */
  belongsTo(host: string, site: string): boolean {
    for (const name of this.namesBySite.get(site) ?? []) if (SiteSet.hostBelongsTo(host, name)) return true;
    return false;
  }

  /** True when `host` is `site` or one of its subdomains. */
  static hostBelongsTo(host: string, site: string): boolean {
    return (
      host === site ||
      (host.length > site.length && host.endsWith(site) && host[host.length - site.length - 1] === ".")
    );
  }

  /** True when the host belongs to any configured site. */
  anyOwns(host: string): boolean {
    for (const name of this.names.keys()) if (SiteSet.hostBelongsTo(host, name)) return true;
    return false;
  }
}

/**
 * The site of a log line. With sites configured: the line's host resolved through {@link SiteSet}, or the default
 * site for a line without a host; a host that is none of ours gives null (`unknown_site`). With no sites configured,
 * no host is ever taken from the input: every line counts for the default site (`defaultSite`, else `default`).
 * A site forced by the operator (`--site`) or by the input's location (an object key's `site=`) is resolved the same
 * way with {@link LineSites.resolveForced}.
 */
export class LineSites {
  private readonly sites: SiteSet;
  readonly fallback: string;
  private readonly open: boolean;
  // Consecutive lines nearly always name the same host.
  private lastHost: string | null = null;
  private lastSite: string | null = null;

  constructor(config: Pick<LogsieveConfig, "sites" | "siteSettings" | "defaultSite">) {
    this.sites = SiteSet.fromConfig(config);
    this.fallback = defaultSiteOf(config);
    this.open = config.sites.length === 0;
  }

  /** The site a forced name means, or null when it is none of ours (with no sites configured: the default only). */
  resolveForced(name: string): string | null {
    const lower = name.toLowerCase();
    if (this.open) return lower === this.fallback ? this.fallback : null;
    return this.sites.resolve(lower);
  }

  /** The site of a line with this host (lower-case, port-less, as the parsers give it); null when none of ours. */
  siteOfHost(host: string | null): string | null {
    if (host === null || this.open) return this.fallback;
    if (host === this.lastHost) return this.lastSite;
    const site = this.sites.resolve(host);
    this.lastHost = host;
    this.lastSite = site;
    return site;
  }
}
