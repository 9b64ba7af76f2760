import { describe, expect, it } from "vitest";
import {
  buildManifest,
  type CompactionManifest,
  canonicalInputs,
  classifyEventsObject,
  type LooseObject,
  parseManifest,
  planCompaction,
} from "../../../../functions/core/aggregate/compaction.ts";

const loose = (inputId: string, part: number, sha256: string, rows = 10): LooseObject => ({
  name: `${inputId}-${String(part).padStart(4, "0")}.parquet`,
  inputId,
  part,
  sha256,
  rows,
});

const DIGEST = "0123456789abcdef0123456789abcdef";
const OTHER = "fedcba9876543210fedcba9876543210";

function manifestOf(digest: string, inputs: [string, string, number][]): CompactionManifest {
  let offset = 0;
  return {
    version: 1,
    day: "2026-03-01",
    file: `compacted-${digest}.parquet`,
    inputs: inputs.map(([inputId, sha, rows]) => {
      const input = { inputId, parts: [{ name: `${inputId}-0000.parquet`, sha256: sha }], offset, rows };
      offset += rows;
      return input;
    }),
  };
}

describe("naming inside an events partition", () => {
  it("tells small objects, compacted objects, manifests and the rest apart", () => {
    expect(classifyEventsObject("9f8e7d-0003.parquet")).toEqual({
      kind: "loose",
      inputId: "9f8e7d",
      part: 3,
    });
    expect(classifyEventsObject(`compacted-${DIGEST}.parquet`)).toEqual({
      kind: "compacted",
      digest: DIGEST,
    });
    expect(classifyEventsObject(`_compacted-${DIGEST}.json`)).toEqual({ kind: "manifest", digest: DIGEST });
    expect(classifyEventsObject("by-hand.parquet")).toEqual({ kind: "loose", inputId: "by-hand", part: 0 });
    expect(classifyEventsObject("_SUCCESS")).toEqual({ kind: "other" });
    expect(classifyEventsObject("notes.txt")).toEqual({ kind: "other" });
  });
});

describe("planning a day's compaction", () => {
  it("merges several small objects into one, inputs in id order, and deletes them afterwards", () => {
    // Act
    const plan = planCompaction([loose("b", 0, "h-b"), loose("a", 1, "h-a1"), loose("a", 0, "h-a0")], []);

    // Assess
    expect(plan.action).toBe("rewrite");
    expect(plan.sources.map((s) => [s.kind, s.inputId, s.parts.map((p) => p.name)])).toEqual([
      ["loose", "a", ["a-0000.parquet", "a-0001.parquet"]],
      ["loose", "b", ["b-0000.parquet"]],
    ]);
    expect([...plan.deleteLoose].sort()).toEqual(["a-0000.parquet", "a-0001.parquet", "b-0000.parquet"]);
    expect(plan.deleteCompacted).toEqual([]);
  });

  it("leaves a single small object alone", () => {
    expect(planCompaction([loose("a", 0, "h")], []).action).toBe("none");
  });

  it("does nothing when only the compacted object is there", () => {
    expect(planCompaction([], [manifestOf(DIGEST, [["a", "h-a", 10]])]).action).toBe("none");
  });

  it("removes an input delivered again byte for byte without rewriting: it is already inside", () => {
    // Act
    const plan = planCompaction(
      [loose("a", 0, "h-a")],
      [
        manifestOf(DIGEST, [
          ["a", "h-a", 10],
          ["b", "h-b", 5],
        ]),
      ],
    );

    // Assess
    expect(plan.action).toBe("cleanup");
    expect(plan.deleteLoose).toEqual(["a-0000.parquet"]);
  });

  it("replaces the rows of an input ingested again with other bytes, never adds them twice", () => {
    // Act
    const plan = planCompaction(
      [loose("a", 0, "h-a-new", 12)],
      [
        manifestOf(DIGEST, [
          ["a", "h-a", 10],
          ["b", "h-b", 5],
        ]),
      ],
    );

    // Assess
    expect(plan.action).toBe("rewrite");
    expect(plan.sources).toEqual([
      { kind: "loose", inputId: "a", parts: [loose("a", 0, "h-a-new", 12)] },
      {
        kind: "range",
        inputId: "b",
        file: `compacted-${DIGEST}.parquet`,
        offset: 10,
        rows: 5,
        parts: [{ name: "b-0000.parquet", sha256: "h-b" }],
      },
    ]);
    expect(plan.deleteCompacted).toEqual([`compacted-${DIGEST}.parquet`, `_compacted-${DIGEST}.json`]);
    expect(plan.deleteLoose).toEqual(["a-0000.parquet"]);
  });

  it("adds a new input to the inputs already compacted", () => {
    // Act
    const plan = planCompaction([loose("c", 0, "h-c")], [manifestOf(DIGEST, [["a", "h-a", 10]])]);

    // Assess
    expect(plan.action).toBe("rewrite");
    expect(plan.sources.map((s) => `${s.kind}:${s.inputId}`)).toEqual(["range:a", "loose:c"]);
  });

  it("recovers from a rewrite interrupted before the old object was deleted: each input once", () => {
    // Prepare: both compacted objects hold input a (made from the same bytes)
    const older = manifestOf(OTHER, [["a", "h-a", 10]]);
    const newer = manifestOf(DIGEST, [
      ["a", "h-a", 10],
      ["c", "h-c", 3],
    ]);

    // Act
    const plan = planCompaction([], [older, newer]);

    // Assess
    expect(plan.action).toBe("rewrite");
    expect(plan.sources.map((s) => s.inputId)).toEqual(["a", "c"]);
    expect(plan.sources.filter((s) => s.inputId === "a")).toHaveLength(1);
  });

  it("deletes manifests whose compacted object never appeared", () => {
    const plan = planCompaction([loose("a", 0, "h")], [], [`_compacted-${DIGEST}.json`]);
    expect(plan.action).toBe("cleanup");
    expect(plan.strayManifests).toEqual([`_compacted-${DIGEST}.json`]);
  });

  it("names the same inputs with the same bytes the same way, and other bytes otherwise", () => {
    const one = planCompaction([loose("a", 0, "h1"), loose("b", 0, "h2")], []);
    const again = planCompaction([loose("b", 0, "h2"), loose("a", 0, "h1")], []);
    const changed = planCompaction([loose("a", 0, "h1"), loose("b", 0, "h3")], []);
    expect(canonicalInputs(one.sources)).toBe(canonicalInputs(again.sources));
    expect(canonicalInputs(one.sources)).not.toBe(canonicalInputs(changed.sources));
  });
});

describe("manifests", () => {
  it("place each input's rows after the previous input's", () => {
    // Act
    const manifest = buildManifest("2026-03-01", `compacted-${DIGEST}.parquet`, [
      { kind: "loose", inputId: "a", parts: [loose("a", 0, "h", 7), loose("a", 1, "h2", 3)] },
      {
        kind: "range",
        inputId: "b",
        file: "x",
        offset: 40,
        rows: 5,
        parts: [{ name: "b-0000.parquet", sha256: "hb" }],
      },
    ]);

    // Assess
    expect(manifest.inputs.map((i) => [i.inputId, i.offset, i.rows])).toEqual([
      ["a", 0, 10],
      ["b", 10, 5],
    ]);
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it("reads a damaged manifest as none", () => {
    expect(parseManifest("{")).toBeNull();
    expect(parseManifest(JSON.stringify({ version: 2 }))).toBeNull();
    expect(
      parseManifest(JSON.stringify({ version: 1, day: "d", file: "f", inputs: [{ inputId: "a" }] })),
    ).toBeNull();
  });
});
