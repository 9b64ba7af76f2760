import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { QUERIES_DIR } from "../../../functions/runtime/query-files.ts";
import { renderRollupVisitQueries } from "../../../scripts/rollup-visit-queries.ts";

/**
 * queries/rollup.visits.sql, rollup.entries.sql and rollup.exits.sql are generated from one template
 * (scripts/rollup-visit-queries.ts): a hand edit of one of them, which would let the three definitions of a visit
 * drift apart, fails here until the script is changed and run.
 */

const read = (name: string) => readFileSync(`${QUERIES_DIR}${name}`, "utf8");

describe("queries/rollup.visits, rollup.entries and rollup.exits are the generator's output", () => {
  it("equal scripts/rollup-visit-queries.ts byte for byte, file by file", () => {
    for (const [name, text] of Object.entries(renderRollupVisitQueries())) {
      expect(read(name), `queries/${name} differs from the generator: edit the script, then run it`).toBe(
        text,
      );
    }
  });

  it("are every query file that cuts visits, but the generated stats.* reads", () => {
    // Prepare: a visit is cut where a pause passes 30 minutes; a rollup doing so outside the template would be a
    // second definition of a visit.
    const cutting = readdirSync(QUERIES_DIR)
      .filter((name) => name.endsWith(".sql") && !name.startsWith("stats."))
      .filter((name) => read(name).includes("INTERVAL '30' MINUTE"));
    // Assess
    expect(cutting.sort()).toEqual(Object.keys(renderRollupVisitQueries()).sort());
  });
});
