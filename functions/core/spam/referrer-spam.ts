import type { LogsieveConfig } from "../config.ts";
import { REFERRER_SPAM_LIST } from "./referrer-spam-list.ts";

/**
 * Referrer spam: sites that send fake visits with their own address as the referrer, so that it shows in
 * analytics' referrer tables (Matomo, Plausible and GoatCounter drop such visits for the same reason). The hosts
 * come from Matomo's community list (./referrer-spam-list.ts, a dated copy; `logsieve spamlist update` refreshes
 * it) plus the operator's own (`referrerSpam.extraHosts`). A listed host matches itself and every subdomain:
 * `semalt.com` also matches `www.semalt.com` and `x.y.semalt.com`, never `notsemalt.com`.
 *
 * The check runs once per line with a referrer, so it is a set lookup per label suffix of the referrer's host
 * (`a.b.example.com`, `b.example.com`, `example.com`, `com`): no regular expression, no URL parser. It reads the
 * host as the browser sent it, before any masking (scrub.ts masks digit runs and tokens in host names, which would
 * hide `hydra2020zerkalo.com`).
 */
export class ReferrerSpamFilter {
  private readonly hosts: ReadonlySet<string>;

  constructor(hosts: Iterable<string>) {
    const set = new Set<string>();
    for (const host of hosts) {
      const normalized = normalizeListedHost(host);
      if (normalized !== null) set.add(normalized);
    }
    this.hosts = set;
  }

  /** How many hosts the filter knows. */
  get size(): number {
    return this.hosts.size;
  }

  /** True when the referrer URL's host is a listed host or a subdomain of one. */
  isSpam(referrer: string | null): boolean {
    if (referrer === null || this.hosts.size === 0) return false;
    const host = rawReferrerHost(referrer);
    return host !== null && this.isSpamHost(host);
  }

  /** True when a lower-case host name is listed or is a subdomain of a listed host. */
  isSpamHost(host: string): boolean {
    // Every listed host has a dot, so the walk stops before the last label (a bare TLD is never listed).
    let suffix = host;
    for (let dot = suffix.indexOf("."); dot >= 0; dot = suffix.indexOf(".")) {
      if (this.hosts.has(suffix)) return true;
      suffix = suffix.slice(dot + 1);
    }
    return false;
  }
}

/** A filter that matches nothing (`referrerSpam.enabled: false`). */
export const NO_REFERRER_SPAM = new ReferrerSpamFilter([]);

/** A host of the list, lower-cased, without a trailing dot; null for a blank line, a comment or anything else. */
export function normalizeListedHost(line: string): string | null {
  let host = line.trim().toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253 || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(host)) return null;
  return host;
}

/**
 * The host of a referrer URL exactly as sent (lower-cased, without credentials, port or trailing dot); null when the
 * referrer is not an absolute URL (`-`, a bare path) or its host is empty.
 */
export function rawReferrerHost(referrer: string): string | null {
  const scheme = referrer.indexOf("://");
  if (scheme <= 0 || scheme > 16) return null;
  let start = scheme + 3;
  let end = referrer.length;
  for (let i = start; i < referrer.length; i++) {
    const c = referrer.charCodeAt(i);
    // '/', '?', '#', '\' end the authority (browsers read a backslash as a slash).
    if (c === 47 || c === 63 || c === 35 || c === 92) {
      end = i;
      break;
    }
    // '@': what came before is credentials.
    if (c === 64) start = i + 1;
  }
  let stop = end;
  for (let i = start; i < end; i++) {
    if (referrer.charCodeAt(i) === 58) {
      stop = i;
      break;
    }
  }
  if (referrer.charCodeAt(stop - 1) === 46) stop--;
  if (stop <= start) return null;
  return referrer.slice(start, stop).toLowerCase();
}

const filters = new WeakMap<LogsieveConfig, ReferrerSpamFilter>();

/** The filter a configuration asks for (the shipped list plus its extra hosts, or none), built once per config. */
export function referrerSpamFilterFor(config: LogsieveConfig): ReferrerSpamFilter {
  let filter = filters.get(config);
  if (filter === undefined) {
    filter = config.referrerSpam.enabled
      ? new ReferrerSpamFilter([...REFERRER_SPAM_LIST.hosts, ...config.referrerSpam.extraHosts])
      : NO_REFERRER_SPAM;
    filters.set(config, filter);
  }
  return filter;
}
