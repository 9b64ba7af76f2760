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

  it("refuses a size below one", () => {
    // Act
    const act = () => new BoundedCache<string, string>(0);

    // Assess
    expect(act).toThrow(RangeError);
  });
});
