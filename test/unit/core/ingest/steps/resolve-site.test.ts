import { describe, expect, it } from "vitest";
import { resolveSite } from "../../../../../functions/core/ingest/steps/resolve-site.ts";
import { accessRecord, stepRun } from "./run-fixture.ts";

describe("resolve site step", () => {
  it("counts a line for --site first, then its own host, then the first configured site", () => {
    // Prepare
    const config = { sites: ["first.example", "second.example"] };
    const forced = stepRun({ config, site: "forced.example" }).run;
    const plain = stepRun({ config }).run;
    const withHost = accessRecord({ host: "shop.example" });
    const withoutHost = accessRecord({ host: null });
    // Act
    const sites = [
      resolveSite(forced, withHost),
      resolveSite(plain, withHost),
      resolveSite(plain, withoutHost),
    ];
    // Assess
    expect(sites).toEqual(["forced.example", "shop.example", "first.example"]);
  });
});
