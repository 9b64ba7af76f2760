import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { s3InputId } from "../../../../functions/adapters/input/input-id.ts";

describe("s3InputId", () => {
  it("is the first 16 hex chars of sha256 over bucket, key and version, NUL-separated", () => {
    // Prepare
    const expected = createHash("sha256")
      .update("s3\0logs\0cf/E2X.2026-11-20-13.abc.gz\0v1")
      .digest("hex")
      .slice(0, 16);
    // Act
    const id = s3InputId("logs", "cf/E2X.2026-11-20-13.abc.gz", "v1");
    // Assess
    expect(id).toBe(expected);
  });

  it("changes with any part, including a shifted boundary between parts", () => {
    // Prepare / Act
    const ids = new Set([
      s3InputId("logs", "a/b", "v1"),
      s3InputId("logs", "a/b", "v2"),
      s3InputId("logs", "a/c", "v1"),
      s3InputId("logs2", "a/b", "v1"),
      s3InputId("logs", "a/bv", "1"),
    ]);
    // Assess
    expect(ids.size).toBe(5);
  });
});
