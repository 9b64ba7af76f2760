import { describe, expect, it } from "vitest";
import { objectKey, partitionPrefix, utcDay, utcHour } from "../../../functions/core/zones.ts";

describe("lake layout", () => {
  it("partitions raw zones by UTC day and hour, analytics zones by day", () => {
    const t = Date.UTC(2026, 10, 20, 23, 59, 59, 999);
    expect(partitionPrefix("security", t)).toBe("security/dt=2026-11-20/hour=23/");
    expect(partitionPrefix("rejects", t)).toBe("rejects/dt=2026-11-20/hour=23/");
    expect(partitionPrefix("incoming", t + 1)).toBe("incoming/dt=2026-11-21/hour=00/");
    expect(partitionPrefix("events", t)).toBe("events/dt=2026-11-20/");
  });

  it("gives the right day and hour when instants jump back and forth (the memo must not go stale)", () => {
    const a = Date.UTC(2026, 0, 1, 0, 0, 0);
    const b = Date.UTC(2025, 11, 31, 23, 30, 0);
    expect([utcDay(a), utcHour(a), utcDay(b), utcHour(b), utcDay(a), utcHour(b)]).toEqual([
      "2026-01-01",
      "00",
      "2025-12-31",
      "23",
      "2026-01-01",
      "23",
    ]);
    expect(utcDay(Date.UTC(1970, 0, 1) - 1)).toBe("1969-12-31");
  });

  it("names objects after the input and a zero-padded part number", () => {
    expect(objectKey("events/dt=2026-11-20/", "abc123", 7, "parquet")).toBe(
      "events/dt=2026-11-20/abc123-0007.parquet",
    );
  });
});
