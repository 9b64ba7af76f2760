import { describe, expect, it } from "vitest";
import { objectsTurnByTurn } from "../../../../functions/apps/ingest/shard-pool.ts";
import type { TableEncoder, TablePart, TableSchema } from "../../../../functions/ports/table-encoder.ts";

const schema: TableSchema = { name: "t", columns: [{ name: "a", type: "string", nullable: false }] };

/** An encoder whose parts log their rows and their finish, and queue a task of the thread's during it. */
function loggingEncoder(log: string[]): TableEncoder {
  let made = 0;
  return {
    extension: "x",
    encode: () => new Uint8Array(0),
    startPart(): TablePart {
      const name = `part ${++made}`;
      let rows = 0;
      return {
        get rows() {
          return rows;
        },
        bytesHeld: 0,
        add(row) {
          rows++;
          log.push(`${name} row ${String(row.a)}`);
        },
        async finish() {
          log.push(`${name} encoded`);
          // Work the thread was asked for meanwhile (a worker's call, in the command): its next turn.
          setImmediate(() => log.push(`turn after ${name}`));
          return new TextEncoder().encode(`${name}: ${rows} rows`);
        },
      };
    },
  };
}

describe("objectsTurnByTurn (the main thread's objects at a shard's end)", () => {
  it("at a shard's end, encodes each object in a turn of its own, one after the other, with the same bytes", async () => {
    // Prepare: three objects given rows, then finished in one go, as a writer does at a shard's end
    const log: string[] = [];
    const encoder = objectsTurnByTurn(loggingEncoder(log), () => true);
    const parts = [1, 2, 3].map(() => encoder.startPart?.(schema) as TablePart);
    for (const [i, part] of parts.entries()) part.add({ a: `r${i + 1}` });
    // Act
    const bodies = await Promise.all(parts.map((part) => part.finish()));
    // Assess: rows went straight in; between two objects' encodings the thread took the task queued meanwhile
    expect(log).toEqual([
      "part 1 row r1",
      "part 2 row r2",
      "part 3 row r3",
      "part 1 encoded",
      "turn after part 1",
      "part 2 encoded",
      "turn after part 2",
      "part 3 encoded",
    ]);
    expect(bodies.map((body) => new TextDecoder().decode(body))).toEqual([
      "part 1: 1 rows",
      "part 2: 1 rows",
      "part 3: 1 rows",
    ]);
    expect(parts.map((part) => part.rows)).toEqual([1, 1, 1]);
  });

  it("before a shard's end, finishes an object at once (its column batch is given back for the next part)", async () => {
    // Prepare
    const log: string[] = [];
    let ended = false;
    const encoder = objectsTurnByTurn(loggingEncoder(log), () => ended);
    const [early, late] = [1, 2].map(() => encoder.startPart?.(schema) as TablePart);
    // Act: one object finished while the shard is read, one after its end
    const earlyBody = (early as TablePart).finish();
    const atOnce = [...log];
    ended = true;
    const lateBody = (late as TablePart).finish();
    const afterCall = [...log];
    await Promise.all([earlyBody, lateBody]);
    // Assess: the first was encoded within the call, the second only at a later turn
    expect(atOnce).toEqual(["part 1 encoded"]);
    expect(afterCall).toEqual(["part 1 encoded"]);
    expect(log.filter((entry) => entry.endsWith("encoded"))).toEqual(["part 1 encoded", "part 2 encoded"]);
  });

  it("goes on with the next objects when one fails, and reports the failure to its own caller", async () => {
    // Prepare: the second object's encoding fails
    const log: string[] = [];
    const inner = loggingEncoder(log);
    let made = 0;
    const failing: TableEncoder = {
      ...inner,
      startPart(partSchema) {
        const part = inner.startPart?.(partSchema) as TablePart;
        if (++made !== 2) return part;
        return {
          rows: 0,
          bytesHeld: 0,
          add: () => undefined,
          finish: () => Promise.reject(new Error("disk full")),
        };
      },
    };
    const encoder = objectsTurnByTurn(failing, () => true);
    const parts = [1, 2, 3].map(() => encoder.startPart?.(schema) as TablePart);
    // Act
    const settled = await Promise.allSettled(parts.map((part) => part.finish()));
    // Assess
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("disk full"));
    expect(log.filter((entry) => entry.endsWith("encoded"))).toEqual(["part 1 encoded", "part 3 encoded"]);
  });
});
