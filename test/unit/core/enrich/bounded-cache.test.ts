import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../../../functions/core/enrich/bounded-cache.ts";

describe("BoundedCache", () => {
  it("never holds more than twice its size, however many keys pass through", () => {
    // Prepare
    const cache = new BoundedCache<string, number>(100);

    // Act
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);

    // Assess
    expect(cache.size).toBeLessThanOrEqual(200);
    expect(cache.get("k9999")).toBe(9999);
    expect(cache.get("k0")).toBeUndefined();
  });

  it("keeps a key that is used while others stream past", () => {
    // Prepare
    const cache = new BoundedCache<string, string>(10);
    cache.set("hot", "value");

    // Act
    for (let i = 0; i < 1000; i++) {
      cache.set(`cold${i}`, "x");
      expect(cache.get("hot")).toBe("value");
    }

    // Assess
    expect(cache.get("hot")).toBe("value");
  });

  it("without restAbove, keeps storing and answering however many lookups miss", () => {
    // Prepare: a cache of 100 through which 10,000 keys stream, each looked up (a miss) then stored
    const cache = new BoundedCache<string, number>(100);
    for (let i = 0; i < 10_000; i++) if (cache.get(`k${i}`) === undefined) cache.set(`k${i}`, i);

    // Act: a key stored, then another, then the first asked for
    cache.set("stored", 1);
    cache.set("other", 0);
    const found = cache.get("stored");

    // Assess
    expect(found).toBe(1);
  });

  it("refuses a size below one", () => {
    // Act
    const act = () => new BoundedCache<string, string>(0);

    // Assess
    expect(act).toThrow(RangeError);
  });

  it("with restAbove, rests after a trial of misses: stores and answers nothing for a while, then tries again", () => {
    // Prepare: a cache of 100 that has been full, then 4,096 lookups of keys never seen (a trial of misses only)
    const cache = new BoundedCache<string, number>(100, { restAbove: 0.25 });
    const lookup = (key: string, value: number) => {
      const found = cache.get(key);
      if (found === undefined) cache.set(key, value);
      return found;
    };
    for (let i = 0; i < 4096 + 200; i++) lookup(`miss${i}`, i);

    // Act: a key stored while the cache rests, asked for after another key was stored (not the last key, then)
    cache.set("stored-while-resting", 1);
    cache.set("other", 0);
    const whileResting = cache.get("stored-while-resting");
    // past the rest (65,536 lookups), a trial starts: keys are stored and found again
    for (let i = 0; i < 65_600; i++) cache.get(`passing${i}`);
    cache.set("stored-after", 2);
    cache.set("other", 0);
    const after = cache.get("stored-after");

    // Assess
    expect(whileResting).toBeUndefined();
    expect(after).toBe(2);
  });

  it("with restAbove, lets its older generation go when it starts a rest, and keeps its younger one", () => {
    // Prepare: a cache of 100 filled twice over (an old generation of old0..old99, a young one of young0..young99)
    const cache = new BoundedCache<string, number>(100, { restAbove: 0.25 });
    for (let i = 0; i < 100; i++) cache.set(`old${i}`, i);
    for (let i = 0; i < 100; i++) cache.set(`young${i}`, i);
    const before = cache.size;

    // Act: a trial of misses only (keys never stored: each miss leaves the generations as they are)
    for (let i = 0; i < 4096; i++) cache.get(`miss${i}`);
    const resting = cache.size;
    // past the rest, a trial starts: the younger generation still answers, the older one is gone
    for (let i = 0; i < 65_536; i++) cache.get(`passing${i}`);
    const young = cache.get("young7");
    cache.set("other", 0);
    const old = cache.get("old7");

    // Assess
    expect(before).toBe(200);
    expect(resting).toBe(100);
    expect(young).toBe(7);
    expect(old).toBeUndefined();
  });

  it("with restAbove, keeps answering while most lookups hit, and never answers a value other than the key's", () => {
    // Prepare: 50 keys looked up round-robin with 1 new key in 10 (10 % misses, under the 25 % that rests)
    const cache = new BoundedCache<string, string>(64, { restAbove: 0.25 });
    let hits = 0;
    let lookups = 0;

    // Act
    for (let i = 0; i < 100_000; i++) {
      const key = i % 10 === 0 ? `new${i}` : `k${i % 50}`;
      const found = cache.get(key);
      lookups++;
      if (found === undefined) cache.set(key, `value of ${key}`);
      else {
        hits++;
        expect(found).toBe(`value of ${key}`);
      }
    }

    // Assess
    expect(hits / lookups).toBeGreaterThan(0.85);
  });

  it("stores what storedKey makes of a key, and finds it by an equal key", () => {
    // Prepare
    const made: string[] = [];
    const cache = new BoundedCache<string, number>(10, {
      storedKey: (key) => {
        made.push(key);
        return ` ${key}`.slice(1);
      },
    });

    // Act
    cache.set("a", 1);
    cache.get("b");
    const found = cache.get("a");

    // Assess
    expect(found).toBe(1);
    expect(made).toEqual(["a"]);
  });
});
