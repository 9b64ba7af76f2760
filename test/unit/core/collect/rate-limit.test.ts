import { describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../../../functions/core/collect/rate-limit.ts";
import { FixedClock } from "../../../../functions/ports/clock.ts";

describe("TokenBucketLimiter", () => {
  it("lets a full bucket's burst through, then refuses until tokens refill at the rate", () => {
    // Prepare: 2 per second, bucket of 3.
    const clock = new FixedClock(1_000_000);
    const limiter = new TokenBucketLimiter({ perSecond: 2, burst: 3 }, clock);
    // Act
    const burst = [limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")];
    clock.advance(499);
    const tooEarly = limiter.take("a");
    clock.advance(1);
    const refilled = limiter.take("a");
    // Assess
    expect(burst.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(burst[3]?.retryAfterSeconds).toBe(1);
    expect(tooEarly.allowed).toBe(false);
    expect(refilled.allowed).toBe(true);
  });

  it("keeps one bucket per key", () => {
    // Prepare
    const limiter = new TokenBucketLimiter({ perSecond: 1, burst: 1 }, new FixedClock(0));
    // Act
    const results = [
      limiter.take("example.com"),
      limiter.take("example.com"),
      limiter.take("shop.example.org"),
    ];
    // Assess
    expect(results.map((r) => r.allowed)).toEqual([true, false, true]);
  });

  it("never holds more than the burst however long it waits, and a clock going back refills nothing", () => {
    // Prepare
    const clock = new FixedClock(10_000);
    const limiter = new TokenBucketLimiter({ perSecond: 100, burst: 2 }, clock);
    limiter.take("a");
    // Act
    clock.advance(3_600_000);
    const afterWait = [limiter.take("a"), limiter.take("a"), limiter.take("a")];
    clock.set(0);
    const afterRewind = limiter.take("a");
    // Assess
    expect(afterWait.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(afterRewind.allowed).toBe(false);
  });

  it("says how long to wait for the tokens a request needs", () => {
    // Prepare: 0.1 per second → 10 s per token.
    const limiter = new TokenBucketLimiter({ perSecond: 0.1, burst: 1 }, new FixedClock(0));
    limiter.take("a");
    // Act
    const refused = limiter.take("a");
    // Assess
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it("forgets the least recently used key beyond its bound, a key used twice in a row counting as recent", () => {
    // Prepare: room for two keys, one token each, no refill to speak of
    const limiter = new TokenBucketLimiter({ perSecond: 0.001, burst: 1, maxKeys: 2 }, new FixedClock(0));
    // Act: a, then b twice (the second without a lookup), then a again and c: b is now the oldest and goes
    const first = [
      limiter.take("a"),
      limiter.take("b"),
      limiter.take("b"),
      limiter.take("a"),
      limiter.take("c"),
    ];
    const a = limiter.take("a");
    const b = limiter.take("b");
    // Assess: a was remembered (empty); b starts full again
    expect(first.map((r) => r.allowed)).toEqual([true, true, false, false, true]);
    expect(b.allowed).toBe(true);
    expect(a.allowed).toBe(false);
  });

  it("refuses settings that could never let anything through", () => {
    // Act / Assess
    expect(() => new TokenBucketLimiter({ perSecond: 0, burst: 1 }, new FixedClock(0))).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ perSecond: 1, burst: 0 }, new FixedClock(0))).toThrow(RangeError);
  });
});
