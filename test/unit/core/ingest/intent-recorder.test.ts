import { describe, expect, it } from "vitest";
import { intentRecorder } from "../../../../functions/core/ingest/intent-recorder.ts";
import type { RecordFormat } from "../../../../functions/core/types.ts";

/** Intent writes that land (or fail) only when the test says: what is stored, and when each request resolves. */
function gatedWrites() {
  const writes: {
    partitions: readonly string[];
    format: RecordFormat | null;
    land: () => void;
    fail: () => void;
  }[] = [];
  const stored: (readonly string[])[] = [];
  const write = (partitions: readonly string[], format: RecordFormat | null): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      writes.push({
        partitions,
        format,
        land: () => {
          stored.push(partitions);
          resolve();
        },
        fail: () => reject(new Error("the checkpoint could not be stored")),
      });
    });
  return { writes, stored, write };
}

/** Settles the promise's state into a readable value after pending callbacks ran. */
async function stateOf(promise: Promise<void>): Promise<"resolved" | "rejected" | "pending"> {
  let state: "resolved" | "rejected" | "pending" = "pending";
  promise.then(
    () => {
      state = "resolved";
    },
    () => {
      state = "rejected";
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
}

describe("intentRecorder", () => {
  it("resolves a request only once a stored intent names its partition; one write for the requests of one run of code, one for those made while it is stored", async () => {
    // Prepare
    const { writes, stored, write } = gatedWrites();
    const record = intentRecorder(["p0/"], write);

    // Act: three requests (one of them twice) in one run of code: the write starts once that code waits.
    const first = record("p1/", "combined");
    const second = record("p2/", "combined");
    const again = record("p2/", "combined");
    expect(writes).toHaveLength(0);
    await Promise.resolve();
    // Two more while that write is being stored.
    const third = record("p3/", "combined");
    const fourth = record("p4/", "combined");

    // Assess: one write in flight, naming the partitions recorded before and the first run's.
    expect(writes.map((each) => each.partitions)).toEqual([["p0/", "p1/", "p2/"]]);
    expect(await stateOf(first)).toBe("pending");
    writes[0]?.land();
    expect([await stateOf(first), await stateOf(second), await stateOf(again)]).toEqual([
      "resolved",
      "resolved",
      "resolved",
    ]);
    expect(await stateOf(third)).toBe("pending");
    // The next write carries both waiting partitions at once.
    expect(writes.map((each) => each.partitions)).toEqual([
      ["p0/", "p1/", "p2/"],
      ["p0/", "p1/", "p2/", "p3/", "p4/"],
    ]);
    writes[1]?.land();
    expect([await stateOf(third), await stateOf(fourth)]).toEqual(["resolved", "resolved"]);
    expect(stored).toEqual([
      ["p0/", "p1/", "p2/"],
      ["p0/", "p1/", "p2/", "p3/", "p4/"],
    ]);
    expect(writes[1]?.format).toBe("combined");
  });

  it("writes nothing for a partition already recorded, and makes a request for one being stored wait for that write", async () => {
    // Prepare
    const { writes, write } = gatedWrites();
    const record = intentRecorder(["p0/"], write);

    // Act
    const recorded = record("p0/", null);
    const first = record("p1/", null);
    const same = record("p1/", null);

    // Assess
    expect(await stateOf(recorded)).toBe("resolved");
    expect(writes).toHaveLength(1);
    expect(await stateOf(same)).toBe("pending");
    writes[0]?.land();
    expect([await stateOf(first), await stateOf(same)]).toEqual(["resolved", "resolved"]);
    expect(writes).toHaveLength(1);
  });

  it("fails the requests a failed write carried, and stores them again when asked again", async () => {
    // Prepare
    const { writes, stored, write } = gatedWrites();
    const record = intentRecorder([], write);

    // Act
    const first = record("p1/", null);
    await Promise.resolve();
    writes[0]?.fail();
    const state = await stateOf(first);
    const retry = record("p1/", null);
    await Promise.resolve();

    // Assess: the failed partition is not taken as recorded.
    expect(state).toBe("rejected");
    expect(writes.map((each) => each.partitions)).toEqual([["p1/"], ["p1/"]]);
    writes[1]?.land();
    expect(await stateOf(retry)).toBe("resolved");
    expect(stored).toEqual([["p1/"]]);
  });
});
