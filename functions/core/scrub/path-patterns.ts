/**
 * Path segments a site keeps although they look like identifiers: `scrub.allowedPaths` (and per site,
 * `siteSettings.<site>.allowedPaths`) in the configuration. A pattern is a path whose segments are literal or `*`:
 * `/product/*` keeps the segment after `/product/` (`/product/4711` stays, `/product/4711/reviews` too), and only
 * that segment: `/product/4711/user/12345` becomes `/product/4711/user/:id`. A pattern matches the start of a path.
 *
 * Kept segments are still checked for e-mail addresses and network addresses; what the site opts out of is the
 * identifier rules (numbers, hex ids, tokens, phone-like digit runs).
 */

/** The syntax config.ts checks: `/`, then segments of URL characters or `*`, an optional trailing `/`. */
export const PATH_PATTERN = /^(?:\/(?:\*|[A-Za-z0-9._~!$'()+,=:@-]+))+\/?$/;

export class PathPatterns {
  private readonly patterns: readonly (readonly string[])[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => {
      const trimmed = p.endsWith("/") ? p.slice(0, -1) : p;
      return trimmed.split("/");
    });
  }

  get size(): number {
    return this.patterns.length;
  }

  /** Positions (in `segments`, the path split at `/`) of the segments a pattern keeps; null when none. */
  keptSegments(segments: readonly string[]): ReadonlySet<number> | null {
    let kept: Set<number> | null = null;
    for (const pattern of this.patterns) {
      if (pattern.length > segments.length) continue;
      let matches = true;
      for (let i = 0; i < pattern.length && matches; i++) {
        const part = pattern[i] as string;
        if (part !== "*" && part !== segments[i]) matches = false;
      }
      if (!matches) continue;
      for (let i = 0; i < pattern.length; i++) {
        if (pattern[i] === "*") {
          kept ??= new Set();
          kept.add(i);
        }
      }
    }
    return kept;
  }
}

/** Compiled patterns, or null for none (so the scrubber skips the lookup). */
export function compilePathPatterns(patterns: readonly string[]): PathPatterns | null {
  return patterns.length === 0 ? null : new PathPatterns(patterns);
}
