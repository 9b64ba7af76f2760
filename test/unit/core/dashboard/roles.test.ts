import { describe, expect, it } from "vitest";
import { capabilitiesOf, rolesFromGroupsClaim } from "../../../../functions/core/dashboard/roles.ts";

describe("rolesFromGroupsClaim", () => {
  it("reads API Gateway's bracketed, space-separated form of an array claim", () => {
    // Prepare: what the HTTP API JWT authorizer hands the function for ["marketing", "security-lead"]
    const claim = "[marketing security-lead]";
    // Act
    const roles = rolesFromGroupsClaim(claim);
    // Assess
    expect(roles).toEqual(["marketing", "security-lead"]);
  });

  it("reads a real array, a JSON array and a comma-separated list alike", () => {
    // Act
    const forms = [["security"], '["security"]', "security", " security , other "].map(rolesFromGroupsClaim);
    // Assess
    for (const roles of forms) expect(roles).toEqual(["security"]);
  });

  it("ignores groups that are not dashboard roles, and gives no role for anything unreadable", () => {
    // Act
    const roles = [
      rolesFromGroupsClaim("[admins Marketing marketingx]"),
      rolesFromGroupsClaim(undefined),
      rolesFromGroupsClaim(42),
      rolesFromGroupsClaim({ marketing: true }),
      rolesFromGroupsClaim("[]"),
    ];
    // Assess: group names are exact (case included); no claim, no role
    for (const r of roles) expect(r).toEqual([]);
  });
});

describe("capabilitiesOf", () => {
  it("gives marketing the statistics only, security the security view, the lead also holds", () => {
    // Act
    const marketing = capabilitiesOf(["marketing"]);
    const security = capabilitiesOf(["security"]);
    const lead = capabilitiesOf(["security-lead"]);
    const none = capabilitiesOf([]);
    // Assess
    expect(marketing).toEqual(["marketing"]);
    expect(security).toEqual(["marketing", "security"]);
    expect(lead).toEqual(["marketing", "security", "holds"]);
    expect(none).toEqual([]);
  });
});
