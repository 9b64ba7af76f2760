import { describe, expect, it } from "vitest";
import { MAX_REJECT_LINE_CHARS, rejectLine } from "../../../../../functions/core/ingest/steps/reject.ts";
import { READ_AT, rawLine, stepRun } from "./run-fixture.ts";

describe("reject step", () => {
  it("counts the line by its reason and writes it to rejects/ in the hour it was read", async () => {
    // Prepare
    const { run, store, rows } = stepRun();
    // Act
    rejectLine(run, rawLine("a line", 4), "bad_status", "the status is not a 3-digit code");
    rejectLine(run, rawLine("another", 5), "bad_status", "the status is not a 3-digit code");
    // Assess
    expect(run.rejected).toBe(2);
    expect(run.rejectedByReason).toEqual({ bad_status: 2 });
    expect(await rows("rejects/")).toEqual([
      expect.objectContaining({ received_ts: READ_AT, input_id: "input1", line_no: 4, line: "a line" }),
      expect.objectContaining({
        line_no: 5,
        reason: "bad_status",
        detail: "the status is not a 3-digit code",
      }),
    ]);
    expect(store.keys("rejects/")).toEqual(["rejects/dt=2026-11-21/hour=12/input1-0000.jsonl"]);
  });

  it("keeps only the head of a long line, and its full length", async () => {
    // Prepare
    const { run, rows } = stepRun();
    const text = "x".repeat(MAX_REJECT_LINE_CHARS + 100);
    // Act
    rejectLine(run, rawLine(text), "malformed", "fixed detail");
    // Assess
    const [row] = await rows("rejects/");
    expect(row?.line).toBe("x".repeat(MAX_REJECT_LINE_CHARS));
    expect(row?.line_bytes).toBe(MAX_REJECT_LINE_CHARS + 100);
  });
});
