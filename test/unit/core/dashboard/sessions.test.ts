import { describe, expect, it } from "vitest";
import {
  clearedSessionCookie,
  SessionBook,
  sessionCookie,
} from "../../../../functions/core/dashboard/sessions.ts";

function book(start = 1_000_000) {
  let n = 0;
  let now = start;
  const sessions = new SessionBook({ randomToken: () => `token-${++n}`, now: () => now, ttlMs: 60_000 });
  return { sessions, advance: (ms: number) => (now += ms), now: () => now };
}

describe("SessionBook", () => {
  it("makes one sign-in token per role, and a session of that role for it", () => {
    // Prepare
    const { sessions } = book();
    const token = sessions.signInTokens.get("security") ?? "";
    // Act
    const session = sessions.signIn(token);
    // Assess
    expect([...sessions.signInTokens.keys()]).toEqual(["marketing", "security", "security-lead"]);
    expect(session?.role).toBe("security");
    expect(sessions.lookup(session?.id ?? "")?.role).toBe("security");
  });

  it("opens no session for an unknown token, and knows no session id it did not make", () => {
    // Prepare
    const { sessions } = book();
    // Act
    const session = sessions.signIn("token-999");
    const byToken = sessions.lookup(sessions.signInTokens.get("marketing") ?? "");
    // Assess: a sign-in token is not itself a session
    expect(session).toBeNull();
    expect(byToken).toBeNull();
  });

  it("ends a session when its time is up, and on sign-out", () => {
    // Prepare
    const { sessions, advance } = book();
    const a = sessions.signIn(sessions.signInTokens.get("marketing") ?? "");
    const b = sessions.signIn(sessions.signInTokens.get("marketing") ?? "");
    // Act
    sessions.signOut(b?.id ?? "");
    const signedOut = sessions.lookup(b?.id ?? "");
    advance(59_999);
    const before = sessions.lookup(a?.id ?? "");
    advance(1);
    const after = sessions.lookup(a?.id ?? "");
    // Assess
    expect(signedOut).toBeNull();
    expect(before?.role).toBe("marketing");
    expect(after).toBeNull();
  });
});

describe("session cookies", () => {
  it("are HttpOnly and SameSite=Strict, for the whole origin, for the session's lifetime", () => {
    // Prepare
    const { sessions, now } = book();
    const session = sessions.signIn(sessions.signInTokens.get("marketing") ?? "");
    if (session === null) throw new Error("no session");
    // Act
    const cookie = sessionCookie(session, now());
    // Assess
    expect(cookie).toBe(`logsieve_dashboard=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=60`);
    expect(clearedSessionCookie()).toContain("Max-Age=0");
  });
});
