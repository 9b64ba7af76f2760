import { describe, expect, it } from "vitest";
import type { RawLine } from "../../../../../functions/core/ingest/lines.ts";
import { detectInputFormat } from "../../../../../functions/core/ingest/steps/detect-format.ts";
import { combinedLine, rawLine } from "./run-fixture.ts";

const vhostLine = (ip: string): string =>
  `example.org:443 ${ip} - - [20/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`;

/** Batches of lines, numbered across batches; asking for a batch past `readable` fails the test. */
async function* batches(texts: readonly (readonly string[])[], readable = texts.length) {
  let lineNo = 0;
  for (const [i, batch] of texts.entries()) {
    if (i >= readable) expect.fail(`batch ${i} was read, only ${readable} should be`);
    yield batch.map((text) => rawLine(text, ++lineNo));
  }
}

async function drain(rest: AsyncIterator<readonly RawLine[]> | null): Promise<number[]> {
  const lineNos: number[] = [];
  if (rest === null) return lineNos;
  for (let next = await rest.next(); next.done !== true; next = await rest.next())
    lineNos.push(...next.value.map((l) => l.lineNo));
  return lineNos;
}

describe("detect format step", () => {
  it("detects the format of the first lines and holds them back, in order, for the pipeline", async () => {
    // Prepare
    const first = Array.from({ length: 60 }, (_, i) => combinedLine(`203.0.113.${i}`));
    // Act
    const input = await detectInputFormat(batches([first, [combinedLine("203.0.113.99")]]), undefined);
    // Assess
    expect(input.format).toBe("combined");
    expect(input.detected).toBe(true);
    expect(input.held.map((l) => l.lineNo)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await drain(input.rest)).toEqual([61]);
  });

  it("decides on the first 50 non-blank lines: blank lines are not counted, later lines not read", async () => {
    // Prepare: 50 combined lines between blank ones, then vhost lines (which combined does not accept).
    // Ten blank lines plus 50 combined ones fill the first batch; the second would be a tie that vhost-combined,
    // the more specific format, would win.
    const first = [
      ...Array.from({ length: 10 }, () => ""),
      ...Array.from({ length: 50 }, (_, i) => combinedLine(`203.0.113.${i}`)),
    ];
    const second = Array.from({ length: 60 }, (_, i) => vhostLine(`198.51.100.${i}`));
    // Act
    const input = await detectInputFormat(batches([first, second], 1), undefined);
    // Assess
    expect(input.format).toBe("combined");
    expect(input.held).toHaveLength(60);
  });

  it("leaves a too-long line out of the sample (its text is only a head) but counts it as read", async () => {
    // Prepare: a too-long line whose head would parse as vhost-combined, then one combined line.
    const tooLong: RawLine = { ...rawLine(vhostLine("198.51.100.1")), tooLong: true, bytes: 2_000_000 };
    async function* lines() {
      yield [tooLong, rawLine(combinedLine("203.0.113.1"), 2)];
    }
    // Act
    const input = await detectInputFormat(lines(), undefined);
    // Assess
    expect(input.format).toBe("combined");
    expect(input.held).toEqual([tooLong, expect.objectContaining({ lineNo: 2 })]);
    expect(input.rest).toBeNull();
  });

  it("reads nothing ahead when the format is forced", async () => {
    // Act
    const input = await detectInputFormat(batches([["not a log line"]]), "jsonl");
    // Assess
    expect(input).toMatchObject({ format: "jsonl", detected: false, held: [] });
    expect(await drain(input.rest)).toEqual([1]);
  });

  it("finds no format in an input no parser accepts, and still holds its lines", async () => {
    // Act
    const input = await detectInputFormat(batches([["hello world", "", "second line"]]), undefined);
    // Assess
    expect(input).toMatchObject({ format: null, detected: false, rest: null });
    expect(input.held).toHaveLength(3);
  });
});
