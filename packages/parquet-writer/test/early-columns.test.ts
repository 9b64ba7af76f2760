import { describe, expect, it } from "vitest";
import { ColumnBatch } from "../src/batch.ts";
import type { TableSpec } from "../src/table.ts";
import { writeParquet } from "../src/writer.ts";

/**
 * The first `codes` columns a thread makes store their codes one, two or four bytes wide from the first row (batch.ts
 * EARLY_COLUMNS: so that V8 compiles every width's branch before optimizing), the later ones one byte wide until
 * they need more. A file must not depend on which: the same rows give the same bytes from a batch made first in the
 * thread as from one made after the early columns are used up, through the widenings at 256 and 65,536 values and
 * after a reset.
 */

// Three codes columns per batch, so consecutive batches start each column at another width.
const table: TableSpec = {
  name: "early",
  columns: [
    { name: "a", type: "string", nullable: true, encoding: "dictionary", collect: "codes" },
    { name: "b", type: "string", nullable: false, encoding: "auto", collect: "codes" },
    { name: "c", type: "string", nullable: true, encoding: "plain", collect: "codes" },
    { name: "n", type: "int32", nullable: false },
  ],
};

const texts = new Map<number, string>();
/** The same string object for the same value, as codes columns expect. */
function text(n: number): string {
  let value = texts.get(n);
  if (value === undefined) {
    value = `value-${n}`;
    texts.set(n, value);
  }
  return value;
}

/** 70,000 rows: column `a` passes 65,536 distinct values, `b` 256, `c` stays below; nulls in `a` and `c`. */
function fill(batch: ColumnBatch, shift: number): void {
  for (let i = 0; i < 70_000; i++) {
    batch.add({
      a: i % 11 === 0 ? null : text(i + shift),
      b: text((i * 7 + shift) % 300),
      c: i % 5 === 0 ? null : text((i + shift) % 200),
      n: i,
    });
  }
}

function bytesOf(batch: ColumnBatch): Uint8Array {
  return writeParquet(table, batch.finish(), { rowGroupSize: 30_000 });
}

describe("codes columns started at any width", () => {
  it("give the bytes of a column started one byte wide, before and after a reset", () => {
    // Made first in this file's thread: their columns are among the early ones (each of the three widths).
    const early = [0, 1, 2].map(() => new ColumnBatch(table));
    // More than the early columns: those made from here on start one byte wide.
    for (let i = 0; i < 30; i++) new ColumnBatch(table);
    const late = new ColumnBatch(table);

    fill(late, 0);
    const expected = bytesOf(late);
    late.reset();
    fill(late, 1);
    const expectedAfterReset = bytesOf(late);
    expect(expectedAfterReset).not.toEqual(expected);

    for (const batch of early) {
      fill(batch, 0);
      expect(bytesOf(batch)).toEqual(expected);
      batch.reset();
      fill(batch, 1);
      expect(bytesOf(batch)).toEqual(expectedAfterReset);
    }
  });
});
