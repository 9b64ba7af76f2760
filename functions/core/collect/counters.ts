import {
  COLLECT_DROP_REASONS,
  COLLECT_REJECT_REASONS,
  type CollectDropReason,
  type CollectRejectReason,
} from "./types.ts";

/** A point-in-time copy of the collector's counters. */
export interface CollectorCountsSnapshot {
  /** HTTP requests answered (preflights and script downloads included). */
  readonly requests: number;
  /** Events handed to the sink. */
  readonly stored: number;
  /** Stored events by consent tier. */
  readonly storedByTier: Readonly<Record<"anonymous" | "statistics" | "marketing", number>>;
  readonly rejected: {
    readonly total: number;
    readonly byReason: Readonly<Record<CollectRejectReason, number>>;
  };
  readonly dropped: {
    readonly total: number;
    readonly byReason: Readonly<Record<CollectDropReason, number>>;
  };
  /**
   * Custom properties of stored events: kept (named in the site's `eventProperties`), and dropped (any other name,
   * or a name sent twice). Events are stored either way; only the properties are dropped.
   */
  readonly properties: { readonly kept: number; readonly dropped: number };
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of keys) out[key] = 0;
  return out;
}

/**
 * Every event and request the collector answers is counted here, in exactly one of stored, rejected (by reason)
 * or dropped (by reason). Counts hold no request data: reasons come from closed lists.
 */
export class CollectorCounters {
  private requests = 0;
  private stored = 0;
  private readonly storedByTier = { anonymous: 0, statistics: 0, marketing: 0 };
  private readonly rejected = zeroes(COLLECT_REJECT_REASONS);
  private readonly dropped = zeroes(COLLECT_DROP_REASONS);
  private readonly properties = { kept: 0, dropped: 0 };

  request(): void {
    this.requests++;
  }

  store(tier: "anonymous" | "statistics" | "marketing", count = 1): void {
    this.stored += count;
    this.storedByTier[tier] += count;
  }

  reject(reason: CollectRejectReason, count = 1): void {
    this.rejected[reason] += count;
  }

  drop(reason: CollectDropReason, count = 1): void {
    this.dropped[reason] += count;
  }

  /** The properties of one stored event: how many were kept and how many the site's allowlist dropped. */
  props(kept: number, dropped: number): void {
    this.properties.kept += kept;
    this.properties.dropped += dropped;
  }

  snapshot(): CollectorCountsSnapshot {
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    return {
      requests: this.requests,
      stored: this.stored,
      storedByTier: { ...this.storedByTier },
      rejected: { total: sum(this.rejected), byReason: { ...this.rejected } },
      dropped: { total: sum(this.dropped), byReason: { ...this.dropped } },
      properties: { ...this.properties },
    };
  }
}
