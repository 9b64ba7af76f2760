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
  it("resolves a request only once a stored intent names its partition, and stores what was asked meanwhile in one write", async () => {
    // Prepare
    const { writes, stored, write } = gatedWrites();
    const record = intentRecorder(["p0/"], write);

    // Act: one request starts a write; three more (one twice) arrive while it is being stored.
    const first = record("p1/", "combined");
    const second = record("p2/", "combined");
    const third = record("p3/", "combined");
    const again = record("p2/", "combined");

    // Assess: one write in flight, naming the partitions recorded before and the first request's.
    expect(writes.map((each) => each.partitions)).toEqual([["p0/", "p1/"]]);
    expect(await stateOf(first)).toBe("pending");
    writes[0]?.land();
    expect(await stateOf(first)).toBe("resolved");
    expect(await stateOf(second)).toBe("pending");
    // The next write carries both waiting partitions at once.
    expect(writes.map((each) => each.partitions)).toEqual([
      ["p0/", "p1/"],
      ["p0/", "p1/", "p2/", "p3/"],
    ]);
    writes[1]?.land();
    expect([await stateOf(second), await stateOf(third), await stateOf(again)]).toEqual([
      "resolved",
      "resolved",
      "resolved",
    ]);
    expect(stored).toEqual([
      ["p0/", "p1/"],
      ["p0/", "p1/", "p2/", "p3/"],
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
    writes[0]?.fail();
    const state = await stateOf(first);
    const retry = record("p1/", null);

    // Assess: the failed partition is not taken as recorded.
    expect(state).toBe("rejected");
    expect(writes.map((each) => each.partitions)).toEqual([["p1/"], ["p1/"]]);
    writes[1]?.land();
    expect(await stateOf(retry)).toBe("resolved");
    expect(stored).toEqual([["p1/"]]);
  });
});
