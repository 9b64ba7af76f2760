import { DASHBOARD_ROLES, type DashboardRole } from "./roles.ts";

/**
 * Local sign-in for `logsieve serve`: one random sign-in token per role, printed at start as a link
 * (`/dashboard/?token=...`). Opening the link exchanges the token for a session id in an HttpOnly,
 * SameSite=Strict cookie and redirects to the page without the token, so the token stays out of the address bar,
 * the history and any Referer. Sessions live in memory: restarting the server signs everyone out and prints new
 * links. Randomness and time are injected (the wiring passes node:crypto and the clock).
 */

export const SESSION_COOKIE = "logsieve_dashboard";
/** How long a session lasts without a new sign-in. */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** At most this many live sessions (old ones are dropped first), so a loop of sign-ins cannot fill memory. */
const MAX_SESSIONS = 1000;

export interface SessionBookOptions {
  /** A fresh unguessable token (at least 128 random bits, URL-safe). */
  readonly randomToken: () => string;
  readonly now: () => number;
  readonly ttlMs?: number;
}

export interface Session {
  readonly id: string;
  readonly role: DashboardRole;
  readonly expiresAt: number;
}

export class SessionBook {
  /** The sign-in token of each role. */
  readonly signInTokens: ReadonlyMap<DashboardRole, string>;
  private readonly roleOfToken = new Map<string, DashboardRole>();
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;

  constructor(private readonly options: SessionBookOptions) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    const tokens = new Map<DashboardRole, string>();
    for (const role of DASHBOARD_ROLES) {
      const token = options.randomToken();
      tokens.set(role, token);
      this.roleOfToken.set(token, role);
    }
    this.signInTokens = tokens;
  }

  /** A new session for a valid sign-in token; null for anything else. */
  signIn(token: string): Session | null {
    const role = this.roleOfToken.get(token);
    if (role === undefined) return null;
    const now = this.options.now();
    this.dropExpired(now);
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: Session = { id: this.options.randomToken(), role, expiresAt: now + this.ttlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with that id, or null. */
  lookup(id: string): Session | null {
    const session = this.sessions.get(id);
    if (session === undefined) return null;
    if (session.expiresAt <= this.options.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  signOut(id: string): void {
    this.sessions.delete(id);
  }

  private dropExpired(now: number): void {
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

/** The Set-Cookie value of a session (no `Secure`: the local server speaks plain HTTP on 127.0.0.1). */
export function sessionCookie(session: Session, now: number): string {
  const maxAge = Math.max(0, Math.floor((session.expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
}
