/**
 * Who may do what in the dashboards. Three roles, the Cognito groups of the deployment (infra/constructs/
 * collector.ts) and the three sign-in links `logsieve serve` prints:
 *
 * | role            | marketing view (stats/) | security view (security/, 7 days) | legal holds (evidence/) |
 * |-----------------|-------------------------|-----------------------------------|-------------------------|
 * | `marketing`     | yes                     | no                                | no                      |
 * | `security`      | yes                     | yes                               | no                      |
 * | `security-lead` | yes                     | yes                               | place and list          |
 *
 * The API checks these on every request; the page only hides what the API would refuse anyway.
 */

export const DASHBOARD_ROLES = ["marketing", "security", "security-lead"] as const;
export type DashboardRole = (typeof DASHBOARD_ROLES)[number];

export const CAPABILITIES = ["marketing", "security", "holds"] as const;
export type Capability = (typeof CAPABILITIES)[number];

const GRANTS: Readonly<Record<DashboardRole, readonly Capability[]>> = {
  marketing: ["marketing"],
  security: ["marketing", "security"],
  "security-lead": ["marketing", "security", "holds"],
};

export function isDashboardRole(value: string): value is DashboardRole {
  return (DASHBOARD_ROLES as readonly string[]).includes(value);
}

/** The union of what the roles allow, in the fixed order of {@link CAPABILITIES}. */
export function capabilitiesOf(roles: readonly DashboardRole[]): Capability[] {
  const granted = new Set(roles.flatMap((role) => GRANTS[role]));
  return CAPABILITIES.filter((c) => granted.has(c));
}

/**
 * The dashboard roles in a `cognito:groups` claim. API Gateway's JWT authorizer hands array claims to the
 * function as one string, `[marketing security]` (bracketed, space-separated); a direct invocation or another
 * authorizer may pass a real array, a JSON array or a comma-separated list. Groups that are not dashboard roles
 * are ignored; anything unreadable gives no role (the request is then refused).
 */
export function rolesFromGroupsClaim(claim: unknown): DashboardRole[] {
  let names: unknown[] = [];
  if (Array.isArray(claim)) {
    names = claim;
  } else if (typeof claim === "string") {
    const text = claim.trim();
    if (text.startsWith("[") && text.endsWith("]")) {
      try {
        const parsed: unknown = JSON.parse(text);
        names = Array.isArray(parsed) ? parsed : [];
      } catch {
        names = text.slice(1, -1).split(/[\s,]+/);
      }
    } else {
      names = text.split(/[\s,]+/);
    }
  }
  const roles = new Set<DashboardRole>();
  for (const name of names) {
    if (typeof name === "string" && isDashboardRole(name.trim())) roles.add(name.trim() as DashboardRole);
  }
  return DASHBOARD_ROLES.filter((r) => roles.has(r));
}
