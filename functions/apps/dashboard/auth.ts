import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { type DashboardRole, rolesFromGroupsClaim } from "../../core/dashboard/roles.ts";
import { SESSION_COOKIE, type SessionBook } from "../../core/dashboard/sessions.ts";

/**
 * Who is asking, for the dashboard routes (./routes.ts): the identify step is pluggable, one function per way of
 * signing in. Locally (`logsieve serve`) the session cookie a printed sign-in link set; on AWS the claims of the
 * token API Gateway's JWT authorizer verified.
 */

export interface DashboardIdentity {
  readonly roles: readonly DashboardRole[];
  /** Who acts, for the legal-hold audit trail (an e-mail on AWS, the OS user and role locally). */
  readonly who: string;
}

/** Finds the caller of a request; null: not signed in (401). */
export interface DashboardAuth {
  readonly mode: "session" | "cognito";
  identify(c: Context): DashboardIdentity | null;
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

interface JwtAuthorizerBindings {
  readonly requestContext?: {
    readonly authorizer?: { readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>> } };
  };
}

/**
 * On AWS: the claims of the token API Gateway's JWT authorizer verified (signature, issuer, audience, expiry),
 * which Hono's Lambda adapter hands over as `c.env.requestContext`. They exist only on the authorizer's routes
 * (`/api/dashboard/*`); without them the caller is not signed in.
 */
export function cognitoAuth(): DashboardAuth {
  return {
    mode: "cognito",
    identify(c) {
      const claims = (c.env as JwtAuthorizerBindings | undefined)?.requestContext?.authorizer?.jwt?.claims;
      if (claims === undefined) return null;
      const roles = rolesFromGroupsClaim(claims["cognito:groups"]);
      const name = [claims.email, claims["cognito:username"], claims.username, claims.sub].find(
        (v): v is string => typeof v === "string" && v.length > 0,
      );
      return { roles, who: name ?? "unknown" };
    },
  };
}
