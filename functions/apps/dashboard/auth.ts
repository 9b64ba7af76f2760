import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { type DashboardRole, rolesFromGroupsClaim } from "../../core/dashboard/roles.ts";
import { SESSION_COOKIE, type SessionBook } from "../../core/dashboard/sessions.ts";

/**
 * Who is asking, for the dashboard routes (./routes.ts): the identify step is pluggable, one function per way of
 * signing in. Locally (`logsieve serve`) the session cookie a printed sign-in link set; on AWS the Cognito ID token
 * the page sends, verified with aws-jwt-verify.
 */

export interface DashboardIdentity {
  readonly roles: readonly DashboardRole[];
  /** Who acts, for the legal-hold audit trail (an e-mail on AWS, the OS user and role locally). */
  readonly who: string;
  /** On AWS: the verified ID token, which the identity pool exchanges for the credentials of the person's role. */
  readonly idToken?: string;
}

/** Finds the caller of a request; null: not signed in (401). */
export interface DashboardAuth {
  readonly mode: "session" | "cognito";
  identify(c: Context): DashboardIdentity | null | Promise<DashboardIdentity | null>;
  /** Local only: the sign-in links' tokens and the sessions they open. */
  readonly sessions?: SessionBook;
}

/** Local sign-in: the session cookie a printed link set. */
export function sessionAuth(sessions: SessionBook, actor: string): DashboardAuth {
  return {
    mode: "session",
    sessions,
    identify(c) {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id === undefined || id === "" ? null : sessions.lookup(id);
      return session === null
        ? null
        : { roles: [session.role], who: `${actor} (dashboard, ${session.role})` };
    },
  };
}

/** Verifies a token (signature against the issuer's JWKS, issuer, audience, expiry, use) and returns its claims. */
export interface IdTokenVerifier {
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * On AWS: the Cognito ID token the page sends as a Bearer token, verified here with aws-jwt-verify (./aws.ts wires
 * the verifier) although API Gateway's JWT authorizer verified it already: the function is then safe on its own
 * (a route added without the authorizer, a direct invocation), and it needs the token itself, to exchange for the
 * person's role credentials. An absent, malformed, forged or expired token is "not signed in".
 */
export function cognitoAuth(verifier: IdTokenVerifier): DashboardAuth {
  return {
    mode: "cognito",
    async identify(c) {
      const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(c.req.header("authorization") ?? "");
      if (match === null) return null;
      const token = match[1] as string;
      let claims: Readonly<Record<string, unknown>>;
      try {
        claims = await verifier.verify(token);
      } catch {
        return null;
      }
      const roles = rolesFromGroupsClaim(claims["cognito:groups"]);
      const name = [claims.email, claims["cognito:username"], claims.sub].find(
        (v): v is string => typeof v === "string" && v.length > 0,
      );
      return { roles, who: name ?? "unknown", idToken: token };
    },
  };
}
