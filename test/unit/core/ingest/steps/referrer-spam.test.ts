import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../../../functions/core/config.ts";
import { isReferrerSpam } from "../../../../../functions/core/ingest/steps/referrer-spam.ts";
import { accessRecord, stepRun } from "./run-fixture.ts";

describe("referrer spam step", () => {
  it("ends a line whose referrer is a listed host or its subdomain, counted as spam_referrer", () => {
    // Prepare
    const { run } = stepRun({ config: { sites: ["example.com"] } });
    const referrers = [
      "https://semalt.com/",
      "http://www.darodar.com/x?y",
      "https://www.google.com/",
      null,
      "-",
      "https://example.com/",
    ];
    // Act
    const ended = referrers.map((referrer) => isReferrerSpam(run, accessRecord({ referrer })));
    // Assess
    expect(ended).toEqual([true, true, false, false, false, false]);
    expect(run.dropped).toBe(2);
    expect(run.droppedByReason).toEqual({ spam_referrer: 2 });
  });

  it("takes the operator's own hosts, and lets every referrer through when turned off", () => {
    // Prepare
    const own = stepRun({ config: { referrerSpam: { extraHosts: ["spam.example"] } } }).run;
    const off = stepRun({ config: { referrerSpam: { enabled: false } } }).run;
    // Act / Assess
    expect(isReferrerSpam(own, accessRecord({ referrer: "https://a.spam.example/" }))).toBe(true);
    expect(isReferrerSpam(off, accessRecord({ referrer: "https://semalt.com/" }))).toBe(false);
    expect(off.dropped).toBe(0);
  });

  it("gives every repeat of a referrer the same verdict, also past the verdicts it remembers", () => {
    // Prepare: spam and clean referrers interleaved, 20,000 distinct ones (more than a memo generation), each twice
    const { run } = stepRun({ config: { sites: ["example.com"] } });
    const referrers: string[] = [];
    for (let i = 0; i < 20_000; i++)
      referrers.push(i % 5 === 0 ? `https://x${i}.semalt.com/` : `https://www.example.org/p/${i}`);
    // Act
    const ended = [...referrers, ...referrers].map((referrer) =>
      isReferrerSpam(run, accessRecord({ referrer: ` ${referrer}`.slice(1) })),
    );
    // Assess
    const want = referrers.map((_, i) => i % 5 === 0);
    expect(ended).toEqual([...want, ...want]);
    expect(run.droppedByReason).toEqual({ spam_referrer: 8_000 });
  });

  it("asks the filter once per referrer for all runs of one configuration (each shard is a run), never across two", () => {
    // Prepare: two runs of one configuration (two shards of a thread), and a run of another that lists one more host
    const config = parseConfig({ sites: ["example.com"] });
    const first = stepRun({ parsed: config }).run;
    const second = stepRun({ parsed: config }).run;
    const other = stepRun({
      config: { sites: ["example.com"], referrerSpam: { extraHosts: ["spam.example"] } },
    }).run;
    const asked = vi.spyOn(first.spam, "isSpam");
    const referrers = ["https://www.example.org/a", "https://a.spam.example/", "https://semalt.com/"];
    // Act
    const verdicts = [first, second, other, second].map((run) =>
      referrers.map((referrer) => isReferrerSpam(run, accessRecord({ referrer }))),
    );
    // Assess: the second run took the first's verdicts; the other configuration kept its own
    expect(verdicts).toEqual([
      [false, false, true],
      [false, false, true],
      [false, true, true],
      [false, false, true],
    ]);
    expect(asked).toHaveBeenCalledTimes(referrers.length);
  });
});
