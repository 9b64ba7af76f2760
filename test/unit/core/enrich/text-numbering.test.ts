import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it, vi } from "vitest";
import { parseClientAddress } from "../../../../functions/core/anonymize/ip.ts";
import { TextNumbering } from "../../../../functions/core/enrich/text-numbering.ts";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

describe("TextNumbering", () => {
  it("gives a text the same number while it holds it, whether the string object is the same or an equal copy", () => {
    // Prepare
    const numbering = new TextNumbering(100);
    const first = numbering.of(CHROME);

    // Act: another text in between, then an equal text in a new string object
    const other = numbering.of(GOOGLEBOT);
    const again = numbering.of(` ${CHROME}`.slice(1));

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it("never gives one number to two texts, also after its Map was full and emptied", () => {
    // Prepare: a numbering holding 3 texts, asked for 10 texts twice
    const numbering = new TextNumbering(3);
    const texts = Array.from({ length: 10 }, (_, i) => `agent/${i}`);

    // Act
    const numbers = [...texts, ...texts].map((text) => ({ text, number: numbering.of(text) }));

    // Assess: each number names one text only
    const textOf = new Map<number, string>();
    for (const { text, number } of numbers) {
      expect(textOf.get(number) ?? text).toBe(text);
      textOf.set(number, text);
    }
    expect(numbering.restarts).toBe(0);
  });

  it("gives text equal to what it is given by copyOf: the last text asked for, another one, and after it was emptied", () => {
    // Prepare: agents as slices of their log lines (as the parser gives them), a numbering that holds 2 texts
    const sliceOf = (agent: string) => `"GET / HTTP/1.1" 200 1 "-" "${agent}"`.slice(28, -1);
    const numbering = new TextNumbering(2);
    const chrome = sliceOf(CHROME);

    // Act: its own copy (which no test can tell from the slice: strings compare by text; the bench measures the
    // memory), a text not asked for last, then texts past the Map's size
    numbering.of(chrome);
    const copy = numbering.copyOf(chrome);
    const notLast = numbering.copyOf(sliceOf(GOOGLEBOT));
    const answers = ["a", "b", "c", "a", "d", "b"].map((text) => {
      numbering.of(text);
      return numbering.copyOf(text);
    });

    // Assess
    expect(chrome).toBe(CHROME);
    expect(copy).toBe(CHROME);
    expect(notLast).toBe(GOOGLEBOT);
    expect(answers).toEqual(["a", "b", "c", "a", "d", "b"]);
  });

  it("hands out by copyOf a copy that keeps no log line alive, also once its copies grew (written by rss2)", () => {
    // Prepare: 1,500 agents (past the 1,024 copies a numbering starts with), each a slice of a 20 KB line (a long
    // line keeps the difference far above the noise)
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const numbering = new TextNumbering(2000);
    const padding = "x".repeat(20_000);
    let lines: string[] | null = Array.from({ length: 1500 }, (_, i) => `${padding} "${CHROME} #${i}" end`);
    const agents = lines.map((line) => line.slice(padding.length + 2, line.length - 5));

    // Act: each agent numbered, then all of them again (after the copies grew), kept as copyOf hands them out the
    // second time; the lines and slices dropped
    for (const agent of agents) numbering.of(agent);
    const kept = agents.map((agent) => {
      numbering.of(agent);
      return numbering.copyOf(agent);
    });
    agents.length = 0;
    lines = null;
    gc();
    const heapUsed = process.memoryUsage().heapUsed;
    kept.length = 0;
    gc();
    const keptBytes = heapUsed - process.memoryUsage().heapUsed;

    // Assess: what was kept holds about the agents' text (the numbering holds it anyway), not the lines' (20 MB)
    expect(lines).toBeNull();
    expect(keptBytes).toBeLessThan(2_000_000);
  });

  it("counts a restart when its numbers run out, and numbers from 1 again", () => {
    // Prepare: numbers run out after 4
    const numbering = new TextNumbering(100, 4);
    const before = ["a", "b", "c", "d"].map((text) => numbering.of(text));

    // Act
    const after = numbering.of("e");

    // Assess
    expect(before).toEqual([1, 2, 3, 4]);
    expect([after, numbering.restarts]).toEqual([1, 1]);
    expect(numbering.of("a")).toBe(2);
  });
});

describe("the enricher and the visitor id across a restart of the agents' numbering", () => {
  it("answer for the agent they are given, not for the one that had its number before", async () => {
    // Prepare: a numbering of this thread's agents whose numbers run out after 2 (a fresh module graph)
    vi.resetModules();
    vi.doMock("../../../../functions/core/enrich/text-numbering.ts", async (importOriginal) => {
      const original =
        await importOriginal<typeof import("../../../../functions/core/enrich/text-numbering.ts")>();
      return { ...original, AGENT_NUMBERS: new original.TextNumbering(100, 2) };
    });
    const { createEnricher } = await import("../../../../functions/core/enrich/enrich.ts");
    const { visitorIdOf, visitorIdUncached } = await import(
      "../../../../functions/core/identify/visitor-id.ts"
    );
    vi.doUnmock("../../../../functions/core/enrich/text-numbering.ts");
    const enrich = createEnricher({ country: () => null, provider: () => null });
    const address = parseClientAddress("198.51.100.7");
    if (address === null) throw new Error("a test address");
    const salt = new Uint8Array(32).fill(3);
    const agents = [CHROME, GOOGLEBOT, "curl/8.4.0", CHROME, "Wget/1.21", GOOGLEBOT];

    // Act: numbers 1, 2, then a restart gives "curl" number 1 (Chrome's before), and so on
    const answers = agents.map((ua) => ({
      isBot: enrich(address, ua).isBot,
      browser: enrich(address, ua).browser,
      id: visitorIdOf(salt, "site", address, ua),
    }));

    // Assess
    expect(answers.map((a) => [a.browser, a.isBot])).toEqual([
      ["Chrome", false],
      [null, true],
      [null, true],
      ["Chrome", false],
      [null, true],
      [null, true],
    ]);
    expect(answers.map((a) => a.id)).toEqual(
      agents.map((ua) => visitorIdUncached(salt, "site", address.address, ua)),
    );
  });
});
