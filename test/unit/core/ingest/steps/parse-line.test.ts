import { describe, expect, it } from "vitest";
import { parseLine } from "../../../../../functions/core/ingest/steps/parse-line.ts";
import { combinedLine, rawLine, stepRun } from "./run-fixture.ts";

describe("parse step", () => {
  it("returns the access record of a line in the input's format", () => {
    // Prepare
    const { run } = stepRun();
    // Act
    const record = parseLine(run, rawLine(combinedLine("203.0.113.10", "/a?b=1")));
    // Assess
    expect(record).toMatchObject({ clientIp: "203.0.113.10", target: "/a?b=1", status: 200 });
    expect(run.rejected).toBe(0);
  });

  it("rejects a line the parser cannot read with the parser's reason, and writes it to rejects/", async () => {
    // Prepare
    const { run, rows } = stepRun();
    const bad = `203.0.113.1 - - [40/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`;
    // Act
    const results = [parseLine(run, rawLine("garbage", 7)), parseLine(run, rawLine(bad, 8))];
    // Assess
    expect(results).toEqual([null, null]);
    expect(run.rejectedByReason).toEqual({ malformed: 1, bad_timestamp: 1 });
    const rejects = await rows("rejects/");
    expect(rejects.map((r) => [r.line_no, r.reason, r.line, r.format])).toEqual([
      [7, "malformed", "garbage", "combined"],
      [8, "bad_timestamp", bad, "combined"],
    ]);
  });

  it("skips blank lines and W3C directives without rejecting them", () => {
    // Prepare
    const combined = stepRun();
    const cloudfront = stepRun({ format: "cloudfront" });
    // Act
    const blank = parseLine(combined.run, rawLine(""));
    const directive = parseLine(cloudfront.run, rawLine("#Version: 1.0"));
    // Assess
    expect([blank, directive]).toEqual([null, null]);
    expect(combined.run.skipped).toEqual({ blank: 1, directive: 0 });
    expect(cloudfront.run.skipped).toEqual({ blank: 0, directive: 1 });
    expect(combined.run.rejected + cloudfront.run.rejected).toBe(0);
  });

  it("rejects a too-long line as line_too_long, naming the limit, whatever its head says", async () => {
    // Prepare
    const { run, rows } = stepRun({ config: { ingest: { maxLineBytes: 1024 } } });
    const head = combinedLine("203.0.113.10");
    // Act
    const record = parseLine(run, { lineNo: 3, text: head, bytes: 5000, tooLong: true });
    // Assess
    expect(record).toBeNull();
    const [reject] = await rows("rejects/");
    expect(reject).toMatchObject({
      reason: "line_too_long",
      detail: "line longer than ingest.maxLineBytes (1024)",
      line_bytes: 5000,
    });
  });

  it("rejects every non-blank line as unknown_format when the input has no format", async () => {
    // Prepare
    const { run, rows } = stepRun({ format: null });
    // Act
    parseLine(run, rawLine("hello world", 1));
    parseLine(run, rawLine("   ", 2));
    // Assess
    expect(run.rejectedByReason).toEqual({ unknown_format: 1 });
    expect(run.skipped.blank).toBe(1);
    const [reject] = await rows("rejects/");
    expect(reject).toMatchObject({ line_no: 1, format: "unknown", reason: "unknown_format" });
  });
});
