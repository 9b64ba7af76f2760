import { describe, expect, it } from "vitest";
import { createCombinedParser } from "../../../../functions/core/parse/combined.ts";
import { MAX_SAME_TEXT_LENGTH, SameText } from "../../../../functions/core/parse/same-text.ts";

/**
 * SameText hands back text equal to its input, whatever it holds. JavaScript cannot tell two equal strings apart by
 * identity, so these tests check what a user relies on (the text, never another one) through the table's inputs that
 * collide: same length, same characters where the bucket is chosen, differing elsewhere.
 */

/** Agents of one length that differ only in one character, far from the end: they share a bucket. */
function sameBucketAgents(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `Mozilla/5.0 (X11; Linux x86_64; rv:${String(100 + i)}) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36`,
  );
}

describe("SameText", () => {
  it("hands back text equal to what it was given, for texts sharing a bucket and past its four entries", () => {
    // Prepare
    const table = new SameText(1);
    const agents = sameBucketAgents(9);
    // Act: each agent several times, interleaved, so entries are evicted and found again
    const answers: [string, string][] = [];
    for (let round = 0; round < 3; round++) {
      for (const agent of agents) answers.push([agent, table.of(` ${agent}`.slice(1))]);
    }
    // Assess
    for (const [given, answer] of answers) expect(answer).toBe(given);
  });

  it("keeps answering exactly while it rests after a run of texts that never repeat", () => {
    // Prepare: more distinct texts than a trial, so the table passes text through for a while
    const table = new SameText(4);
    // Act / Assess
    for (let i = 0; i < 80_000; i++) {
      const text = `/page/${i}?q=${i % 7}`;
      expect(table.of(text)).toBe(text);
    }
    expect(table.of("/page/3?q=3")).toBe("/page/3?q=3");
  });

  it("passes over texts longer than its limit, and the empty text", () => {
    // Prepare
    const table = new SameText(16);
    const long = "a".repeat(MAX_SAME_TEXT_LENGTH + 1);
    // Act / Assess
    expect(table.of(long)).toBe(long);
    expect(table.of("")).toBe("");
  });

  it("refuses a bucket count that is not a power of two", () => {
    // Act / Assess
    expect(() => new SameText(1000)).toThrow(/power of two/);
  });
});

describe("combined parser with shared agent and referrer texts", () => {
  it("gives every line its own agent and referrer when many agents of one length alternate", () => {
    // Prepare: 40 agents of one length and 40 referrers, lines cycling through them more than once
    const parser = createCombinedParser();
    const agents = sameBucketAgents(40);
    const lines = Array.from({ length: 400 }, (_, i) => {
      const agent = agents[(i * 7) % agents.length] as string;
      const referrer = `https://example.org/from/${(i * 3) % 40}`;
      return {
        agent,
        referrer,
        line: `192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET /p/${i} HTTP/1.1" 200 5 "${referrer}" "${agent}"`,
      };
    });
    // Act
    const parsed = lines.map(({ line }) => parser.parse(line));
    // Assess
    parsed.forEach((result, i) => {
      if (result.ok !== true) throw new Error(`line ${i} was not parsed`);
      expect(result.record.userAgent).toBe(lines[i]?.agent);
      expect(result.record.referrer).toBe(lines[i]?.referrer);
      expect(result.record.target).toBe(`/p/${i}`);
    });
  });

  it("answers a text that differs from the one before only in one character with itself, not with the one before", () => {
    // Prepare: runs of one agent, each followed by agents of the same length differing at its start, middle or end
    // (the table compares with the text it handed out last before choosing a bucket)
    const table = new SameText(1024);
    const base = sameBucketAgents(1)[0] ?? "";
    const variants = [0, base.length >> 1, base.length - 1].map(
      (at) => `${base.slice(0, at)}${base[at] === "x" ? "y" : "x"}${base.slice(at + 1)}`,
    );
    // Act
    const answers: [string, string][] = [];
    for (const variant of variants) {
      for (const text of [base, base, variant, variant, base])
        answers.push([text, table.of(` ${text}`.slice(1))]);
    }
    // Assess
    expect(answers).toHaveLength(15);
    for (const [given, answer] of answers) expect(answer).toBe(given);
  });
});
