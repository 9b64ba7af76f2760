import { describe, expect, it } from "vitest";
import { parseClientAddress } from "../../../../../functions/core/anonymize/ip.ts";
import { enrichRecord } from "../../../../../functions/core/ingest/steps/enrich.ts";
import { writeSecurityRow } from "../../../../../functions/core/ingest/steps/security-row.ts";
import { accessRecord, CHROME, rawLine, stepRun } from "./run-fixture.ts";

describe("security row step", () => {
  it("accepts the line and writes its full record to security/ in the hour of the access", async () => {
    // Prepare
    const { run, store, rows } = stepRun();
    const record = accessRecord({
      timestampMs: Date.UTC(2026, 10, 20, 23, 59, 59),
      clientIp: "203.0.113.10:4711",
      forwardedFor: "198.51.100.1",
      target: "/login?user=alice@example.com",
      referrer: "https://www.example.net/page?q=1",
    });
    const address = parseClientAddress(record.clientIp);
    if (address === null) expect.fail("test address does not parse");
    // Act
    writeSecurityRow(
      run,
      rawLine("the line", 42),
      record,
      address,
      enrichRecord(run, record, address),
      "shop.example",
    );
    // Assess
    expect(run.accepted).toBe(1);
    expect(await rows("security/")).toEqual([
      expect.objectContaining({
        ts: record.timestampMs,
        site: "shop.example",
        client_ip: "203.0.113.10",
        forwarded_for: "198.51.100.1",
        target: "/login?user=alice@example.com",
        referrer: "https://www.example.net/page?q=1",
        user_agent: CHROME,
        browser: "Chrome",
        format: "combined",
        input_id: "input1",
        line_no: 42,
      }),
    ]);
    expect(store.keys("security/")).toEqual(["security/dt=2026-11-20/hour=23/input1-0000.jsonl"]);
  });
});
