import { describe, expect, it } from "vitest";
import { detectFormat } from "../../../../functions/core/parse/detect.ts";
import { createParser } from "../../../../functions/core/parse/factory.ts";
import { SMOKE_CANARY_PREFIX, smokeCanary } from "../../../../functions/core/smoke/canary.ts";
import { renderSmokeTable, smokeExitCode } from "../../../../functions/core/smoke/report.ts";
import { recordOf } from "../parse/fixtures.ts";

const AT = Date.UTC(2026, 11, 7, 0, 59, 59, 750);

describe("the smoke run's canary", () => {
  it("is one vhost-combined line the parsers detect and read back: the run's path, a documentation address, a .invalid host", () => {
    // Prepare
    const canary = smokeCanary("0a1b2c3d4e5f6071", AT);
    const lines = canary.body.split("\n");

    // Act
    const format = detectFormat(lines.slice(0, 1));
    const record = recordOf(createParser("vhost-combined").parse(lines[0] ?? ""));

    // Assess
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("");
    expect(format).toBe("vhost-combined");
    expect(record.host).toBe("smoke-0a1b2c3d4e5f6071.logsieve.invalid");
    expect(record.clientIp).toMatch(/^192\.0\.2\.(\d+)$/);
    expect(Number(record.clientIp.split(".")[3])).toBeGreaterThanOrEqual(1);
    expect(Number(record.clientIp.split(".")[3])).toBeLessThanOrEqual(254);
    expect(record.target).toBe("/logsieve-smoke/0a1b2c3d4e5f6071");
    expect(record.target).toBe(canary.target);
    expect(record.timestampMs).toBe(Date.UTC(2026, 11, 7, 0, 59, 59));
  });

  it("names the object under its own prefix and the security/ partition of its second", () => {
    // Act
    const canary = smokeCanary("ffee0011", AT);

    // Assess
    expect(canary.key).toBe(`${SMOKE_CANARY_PREFIX}ffee0011.log`);
    expect(SMOKE_CANARY_PREFIX).toBe("incoming/logsieve-smoke/");
    expect([canary.day, canary.hour]).toEqual(["2026-12-07", "00"]);
    expect(canary.securityPartition).toBe("security/dt=2026-12-07/hour=00/");
  });

  it("refuses a run id that is not hex (it becomes a path and a host name)", () => {
    // Act / Assess
    for (const bad of ["", "abc", "0A1B2C3D", "../../etc", "0a1b2c3d 1"]) {
      expect(() => smokeCanary(bad, AT), bad).toThrow(/hex/);
    }
  });
});

describe("the smoke run's table", () => {
  it("exits 0 only when every check passed, and names the failing row", () => {
    // Prepare
    const passed = [
      { name: "stack outputs", ok: true, detail: "CREATE_COMPLETE" },
      { name: "alarms exist", ok: true, detail: "12 alarm(s): 12 OK" },
    ];
    const failed = [...passed, { name: "MarketingAnalyst reads stats/", ok: false, detail: "AccessDenied" }];

    // Act
    const table = renderSmokeTable("Logsieve", failed);

    // Assess
    expect(smokeExitCode(passed)).toBe(0);
    expect(smokeExitCode(failed)).toBe(1);
    expect(smokeExitCode([])).toBe(1);
    const lines = table.split("\n");
    const failing = lines.find((l) => l.startsWith("MarketingAnalyst reads stats/")) ?? "";
    const passing = lines.find((l) => l.startsWith("stack outputs")) ?? "";
    expect(failing).toBe("MarketingAnalyst reads stats/  FAIL    AccessDenied");
    // One column for the result, whatever the name's length.
    expect(passing.indexOf("PASS")).toBe(failing.indexOf("FAIL"));
    expect(passing).toMatch(/^stack outputs +PASS {4}CREATE_COMPLETE$/);
    expect(table.trimEnd().split("\n").at(-1)).toBe("1 of 3 checks failed");
    expect(renderSmokeTable("Logsieve", passed).trimEnd().split("\n").at(-1)).toBe("2 checks passed");
  });

  it("sends no control character of a detail to the terminal", () => {
    // Act
    const table = renderSmokeTable("Logsieve", [{ name: "x", ok: false, detail: "a\u001b[31mb\u0007" }]);

    // Assess
    expect(table.includes("\u001b") || table.includes("\u0007")).toBe(false);
    expect(table).toContain("a [31mb ");
  });
});
