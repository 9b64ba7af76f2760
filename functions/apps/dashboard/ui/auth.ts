/// <reference lib="dom" />
import { setBearerToken } from "./api.ts";

/**
 * Sign-in on AWS: the authorization-code flow with PKCE against the Cognito hosted UI (the app client has no
 * secret). The ID token is kept in sessionStorage for this tab only and sent as a Bearer token; API Gateway's JWT
 * authorizer verifies it, and the API reads the groups from it. Locally the session cookie does this instead.
 */

export interface PageConfig {
  readonly auth: "session" | "cognito";
  readonly authorizeUrl?: string;
  readonly tokenUrl?: string;
  readonly logoutUrl?: string;
  readonly clientId?: string;
}

const TOKEN_KEY = "logsieve.idToken";
const VERIFIER_KEY = "logsieve.pkceVerifier";
const STATE_KEY = "logsieve.oauthState";

function base64Url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The dashboard page on this origin: the app client's callback and sign-out URL (infra/constructs/auth.ts). */
function redirectUri(): string {
  return `${location.origin}/dashboard/`;
}

/** True when a token is in place (or the page uses the local session cookie). */
export async function prepareAuth(config: PageConfig): Promise<boolean> {
  if (config.auth !== "cognito") return true;
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const verifier = sessionStorage.getItem(VERIFIER_KEY);
  // The state sent with the sign-in must come back: a code from a sign-in this tab did not start is ignored.
  const state = sessionStorage.getItem(STATE_KEY);
  if (
    code !== null &&
    verifier !== null &&
    state !== null &&
    params.get("state") === state &&
    config.tokenUrl !== undefined &&
    config.clientId !== undefined
  ) {
    sessionStorage.removeItem(VERIFIER_KEY);
    sessionStorage.removeItem(STATE_KEY);
    const response = await fetch(config.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: config.clientId,
        code,
        redirect_uri: redirectUri(),
        code_verifier: verifier,
      }),
    });
    history.replaceState(null, "", location.pathname);
    if (response.ok) {
      const tokens = (await response.json()) as { id_token?: string };
      if (tokens.id_token !== undefined) sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
    }
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  setBearerToken(token);
  return token !== null;
}

export function canSignIn(config: PageConfig): boolean {
  return config.auth === "cognito" && config.authorizeUrl !== undefined && config.clientId !== undefined;
}

export async function startSignIn(config: PageConfig): Promise<void> {
  if (config.authorizeUrl === undefined || config.clientId === undefined) return;
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  sessionStorage.setItem(STATE_KEY, state);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  location.assign(`${config.authorizeUrl}?${query}`);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  setBearerToken(null);
}

/** Where signing out ends: the hosted pages' logout (which ends the hosted session too), else the page itself. */
export function signedOutUrl(config: PageConfig): string {
  if (config.auth !== "cognito" || config.logoutUrl === undefined || config.clientId === undefined) {
    return "/dashboard/";
  }
  return `${config.logoutUrl}?${new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() })}`;
}
