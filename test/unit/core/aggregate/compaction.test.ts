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

describe("a day in several compacted objects", () => {
  const MAX = 1000;
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `in${String(i).padStart(2, "0")}`);
  /** The manifests a plan's targets would leave (what the next run lists), named like the adapters name them. */
  const manifestsAfter = (plan: ReturnType<typeof planCompaction>): CompactionManifest[] =>
    plan.targets.map((target, i) =>
      buildManifest("2026-03-01", `compacted-${String(i).padStart(32, "0")}.parquet`, target.sources),
    );

  it("packs inputs in id order into objects of at most the maximum; each input exactly once", () => {
    // Prepare: ten inputs of 300 rows, given out of order
    const inputs = ids(10).map((id) => loose(id, 0, `h-${id}`, 300));

    // Act
    const plan = planCompaction([...inputs].reverse(), [], [], { maxRowsPerObject: MAX });

    // Assess
    expect(plan.action).toBe("rewrite");
    expect(plan.targets.map((t) => t.sources.map((s) => s.inputId))).toEqual([
      ["in00", "in01", "in02"],
      ["in03", "in04", "in05"],
      ["in06", "in07", "in08"],
      ["in09"],
    ]);
    expect(plan.targets.map((t) => t.rows)).toEqual([900, 900, 900, 300]);
    expect([...plan.deleteLoose].sort()).toEqual(inputs.map((o) => o.name).sort());
  });

  it("gives an input of half the maximum or more an object of its own", () => {
    // Act
    const plan = planCompaction(
      [
        loose("a", 0, "ha", 200),
        loose("b", 0, "hb0", 400),
        loose("b", 1, "hb1", 800),
        loose("c", 0, "hc", 200),
      ],
      [],
      [],
      { maxRowsPerObject: MAX },
    );

    // Assess: b (1,200 rows, more than the maximum) alone, its parts in order; a and c together
    expect(plan.targets.map((t) => [t.sources.map((s) => s.inputId), t.rows])).toEqual([
      [["b"], 1200],
      [["a", "c"], 400],
    ]);
    expect(plan.targets[0]?.sources[0]?.parts.map((p) => p.name)).toEqual([
      "b-0000.parquet",
      "b-0001.parquet",
    ]);
  });

  it("plans the same whatever order the partition was listed in", () => {
    // Prepare: two compacted objects, one dirty (c ingested again), and new inputs
    const x = manifestOf(DIGEST, [
      ["a", "h-a", 600],
      ["b", "h-b", 100],
    ]);
    const y = manifestOf(OTHER, [
      ["c", "h-c", 300],
      ["d", "h-d", 300],
    ]);
    const objects = [loose("c", 0, "h-c2", 310), loose("e", 0, "h-e", 50), loose("f", 0, "h-f", 70)];

    // Act
    const one = planCompaction(objects, [x, y], [], { maxRowsPerObject: MAX });
    const again = planCompaction([...objects].reverse(), [y, x], [], { maxRowsPerObject: MAX });

    // Assess
    expect(again).toEqual(one);
    expect(one.targets.map((t) => canonicalInputs(t.sources))).toEqual(
      again.targets.map((t) => canonicalInputs(t.sources)),
    );
  });

  it("rewrites only the object holding an input ingested again; the other full object stays", () => {
    // Prepare: two sealed objects (at least half the maximum each)
    const x = manifestOf(DIGEST, [
      ["a", "h-a", 300],
      ["b", "h-b", 300],
    ]);
    const y = manifestOf(OTHER, [
      ["c", "h-c", 300],
      ["d", "h-d", 300],
    ]);

    // Act: d ingested again with other bytes
    const plan = planCompaction([loose("d", 0, "h-d2", 320)], [x, y], [], { maxRowsPerObject: MAX });

    // Assess: one new object with c (from y) and the new d; y deleted, x untouched
    expect(plan.action).toBe("rewrite");
    expect(plan.targets.map((t) => t.sources.map((s) => `${s.kind}:${s.inputId}`))).toEqual([
      ["range:c", "loose:d"],
    ]);
    expect(plan.targets[0]?.sources[0]).toMatchObject({
      file: `compacted-${OTHER}.parquet`,
      offset: 0,
      rows: 300,
    });
    expect(plan.deleteCompacted).toEqual([`compacted-${OTHER}.parquet`, `_compacted-${OTHER}.json`]);
    expect(plan.deleteLoose).toEqual(["d-0000.parquet"]);
  });

  it("folds new inputs into the open object, leaves sealed ones, and leaves a lone small object beside sealed ones", () => {
    // Prepare: a sealed object and an open one (under half the maximum)
    const sealed = manifestOf(DIGEST, [["a", "h-a", 700]]);
    const open = manifestOf(OTHER, [["b", "h-b", 200]]);

    // Act
    const fold = planCompaction([loose("c", 0, "h-c", 100)], [sealed, open], [], { maxRowsPerObject: MAX });
    const lone = planCompaction([loose("c", 0, "h-c", 100)], [sealed], [], { maxRowsPerObject: MAX });

    // Assess
    expect(fold.targets.map((t) => t.sources.map((s) => s.inputId))).toEqual([["b", "c"]]);
    expect(fold.deleteCompacted).toEqual([`compacted-${OTHER}.parquet`, `_compacted-${OTHER}.json`]);
    expect(lone.action).toBe("none");
  });

  it("a second plan over what a rewrite left finds nothing to do", () => {
    // Prepare: inputs of all sizes, a rewrite of them
    const sizes = [120, 700, 90, 450, 300, 510, 60, 980, 2400, 40, 330];
    const inputs = sizes.map((rows, i) => loose(`in${String(i).padStart(2, "0")}`, 0, `h${i}`, rows));
    const first = planCompaction(inputs, [], [], { maxRowsPerObject: MAX });

    // Act: the next run lists the objects the first one wrote, and nothing else
    const second = planCompaction([], manifestsAfter(first), [], { maxRowsPerObject: MAX });

    // Assess
    expect(first.targets.length).toBeGreaterThan(1);
    expect(first.targets.filter((t) => t.rows * 2 < MAX)).toHaveLength(1);
    expect(second.action).toBe("none");
  });

  it("after a rewrite that stopped between two objects, takes each input once and keeps the finished object", () => {
    // Prepare: a plan that writes two objects; only the first was written before the run stopped
    const inputs = ids(6).map((id) => loose(id, 0, `h-${id}`, 400));
    const plan = planCompaction(inputs, [], [], { maxRowsPerObject: MAX });
    const written = manifestsAfter(plan).slice(0, 1);

    // Act
    const next = planCompaction(inputs, written, [], { maxRowsPerObject: MAX });

    // Assess: the written object's inputs are its own (their small objects only deleted), the rest rewritten
    const inWritten = new Set(written[0]?.inputs.map((i) => i.inputId));
    expect(next.sources.map((s) => s.inputId).filter((id) => inWritten.has(id))).toEqual([]);
    expect(next.sources.map((s) => s.inputId)).toEqual(ids(6).filter((id) => !inWritten.has(id)));
    expect([...next.deleteLoose].sort()).toEqual(inputs.map((o) => o.name).sort());
    expect(next.deleteCompacted).toEqual([]);
  });
});
