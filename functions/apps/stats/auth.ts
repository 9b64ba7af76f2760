import type { Context } from "hono";
import type { DashboardRole } from "../../core/dashboard/roles.ts";
import { isDashboardRole } from "../../core/dashboard/roles.ts";
import type { KeyStore } from "../keys/store.ts";

/**
 * Who is calling the Stats API: the site and role of the Bearer key presented. Locally the key is looked up in the
 * lake's key store; behind API Gateway the Lambda authorizer (./authorizer.ts) has looked it up already and hands
 * over its record's site, role and id as the authorizer context, which this step reads.
 */

export interface KeyIdentity {
  readonly keyId: string;
  readonly site: string;
  readonly role: DashboardRole;
}

export type KeyCheck =
  | { readonly kind: "missing" }
  | { readonly kind: "invalid" }
  | { readonly kind: "ok"; readonly identity: KeyIdentity };

export interface StatsAuth {
  identify(c: Context): Promise<KeyCheck>;
}

/** The presented Bearer token, or null when there is none. */
export function bearerOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return match === null ? null : (match[1] as string);
}

/** Local: the key looked up by its hash in the lake's key store. */
export function storeAuth(store: KeyStore): StatsAuth {
  return {
    identify: async (c) => {
      const presented = bearerOf(c.req.header("authorization"));
      if (presented === null) return { kind: "missing" };
      const record = await store.verify(presented);
      if (record === null) return { kind: "invalid" };
      return { kind: "ok", identity: { keyId: record.id, site: record.site, role: record.role } };
    },
  };
}

interface LambdaAuthorizerContext {
  readonly site?: unknown;
  readonly role?: unknown;
  readonly keyId?: unknown;
}

/**
 * AWS: the authorizer's context from the API Gateway event Hono's adapter hands over. The route sits behind the
 * authorizer, so a request without a valid key never reaches the function; a missing context is refused anyway.
 */
export function authorizerAuth(): StatsAuth {
  return {
    identify: async (c) => {
      // Hono's Lambda adapter hands the event's requestContext over as `c.env.requestContext`.
      const context = (
        c.env as { requestContext?: { authorizer?: { lambda?: LambdaAuthorizerContext } } } | undefined
      )?.requestContext?.authorizer?.lambda;
      if (context === undefined)
        return c.req.header("authorization") === undefined ? { kind: "missing" } : { kind: "invalid" };
      const { site, role, keyId } = context;
      if (
        typeof site !== "string" ||
        typeof role !== "string" ||
        !isDashboardRole(role) ||
        typeof keyId !== "string"
      ) {
        return { kind: "invalid" };
      }
      return { kind: "ok", identity: { keyId, site, role } };
    },
  };
}
