import type { Clock } from "../../ports/clock.ts";

export interface TokenBucketOptions {
  /** Tokens added per second, sustained. */
  readonly perSecond: number;
  /** Bucket size: the most tokens that can be spent at once. A new key starts full. */
  readonly burst: number;
  /** Keys remembered at most; the least recently used is forgotten beyond that (it starts full again). */
  readonly maxKeys?: number;
}

export interface TakeResult {
  readonly allowed: boolean;
  /** Whole seconds until `cost` tokens are back (0 when allowed): the `Retry-After` value. */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** The answer of every allowed take, shared (frozen): an accepted request allocates no result. */
const ALLOWED: TakeResult = Object.freeze({ allowed: true, retryAfterSeconds: 0 });

/**
 * A token bucket per key (the collector keys by site), on an injected clock so tests move time by hand.
 * Tokens refill continuously at `perSecond` up to `burst`; a request costing more tokens than are left is
 * refused and spends nothing. A clock that goes backwards refills nothing (and never removes tokens).
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** The key of the last call and its bucket (the collector's requests mostly name the same site in a row). */
  private lastKey: string | undefined;
  private lastBucket: Bucket | undefined;
  private readonly perMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly options: TokenBucketOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError("rate limit: perSecond must be > 0 and burst ≥ 1");
    }
    this.perMs = options.perSecond / 1000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  take(key: string, cost = 1): TakeResult {
    const now = this.clock.now();
    // The key of the call before is already the most recently used: no lookup, no re-insertion.
    if (key === this.lastKey && this.lastBucket !== undefined) return this.spend(this.lastBucket, now, cost);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.options.burst, updatedMs: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
    } else {
      // Re-insert so the map's order is least recently used first.
      this.buckets.delete(key);
    }
    this.buckets.set(key, bucket);
    this.lastKey = key;
    this.lastBucket = bucket;
    return this.spend(bucket, now, cost);
  }

  /** Refills the bucket up to now, then takes `cost` tokens from it if it holds them. */
  private spend(bucket: Bucket, now: number, cost: number): TakeResult {
    if (now > bucket.updatedMs) {
      bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedMs) * this.perMs);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return ALLOWED;
    }
    const missing = Math.min(cost, this.options.burst) - bucket.tokens;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / this.perMs / 1000)) };
  }
}
