import { describe, expect, it } from "vitest";
import { parseHoldRequest } from "../../../../functions/core/dashboard/holds.ts";
import { DashboardRequestError } from "../../../../functions/core/dashboard/request.ts";

function refusal(text: string): DashboardRequestError {
  try {
    parseHoldRequest(text);
  } catch (error) {
    if (error instanceof DashboardRequestError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("parseHoldRequest", () => {
  it("turns the form into a hold of one normalized address from a time on", () => {
    // Act
    const request = parseHoldRequest(
      JSON.stringify({
        incident: "INC-7",
        ip: "2001:DB8::0:1",
        reason: "  brute force, ticket SEC-12 ",
        from: "2026-11-15",
      }),
    );
    // Assess
    expect(request).toEqual({
      incident: "INC-7",
      reason: "brute force, ticket SEC-12",
      selection: { kind: "ip", value: "2001:db8::1", fromMs: Date.UTC(2026, 10, 15), toMs: null },
    });
  });

  it("refuses what the legal-hold core would refuse, naming the field and not the address", () => {
    // Act
    const errors = [
      refusal("not json"),
      refusal("[]"),
      refusal(JSON.stringify({ incident: "INC-7", ip: "203.0.113.7" })),
      refusal(JSON.stringify({ incident: "../etc", ip: "203.0.113.7", reason: "x" })),
      refusal(JSON.stringify({ incident: "INC-7", ip: "203.0.113.999", reason: "x" })),
      refusal(
        JSON.stringify({ incident: "INC-7", ip: "203.0.113.7", reason: "x", prefix: "203.0.113.0/24" }),
      ),
      refusal(
        JSON.stringify({
          incident: "INC-7",
          ip: "203.0.113.7",
          reason: "x",
          from: "2026-11-20",
          to: "2026-11-19",
        }),
      ),
    ];
    // Assess
    expect(errors.map((e) => e.message)).toEqual([
      "the body must be a JSON object",
      "the body must be a JSON object",
      "reason is required: say why (a ticket, the incident)",
      "incident: an incident id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      "ip must be one IPv4 or IPv6 address, without port, brackets or prefix length",
      "unknown field; the fields are: incident, ip, from, to, reason",
      "from must be before to",
    ]);
    for (const e of errors) {
      expect(e.status).toBe(400);
      expect(e.message).not.toContain("203.0.113");
    }
  });
});
