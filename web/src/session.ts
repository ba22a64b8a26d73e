// The signed-in user and token, kept in localStorage so a reload (or a reopened home-screen app) stays signed in.
import type { Role } from "../../protocol/http.ts";

export interface Session {
  token: string;
  expiresAt: string;
  user: { id: string; username: string; displayName: string; role: Role };
}

export interface SessionStore {
  current(): Session | null;
  set(session: Session | null): void;
  /** Signed out by the server, for this reason (shown on the sign-in page once). */
  end(reason: string): void;
  /** The reason of the last end(), once: reading it clears it. */
  takeEndReason(): string | null;
  subscribe(listener: (session: Session | null) => void): () => void;
}

/** Where a signed-in user starts: their role's home screen. */
export const homeOf = (session: Pick<Session, "user"> | null) =>
  !session
    ? "/login"
    : session.user.role === "staff"
      ? "/staff"
      : session.user.role === "installer"
        ? "/installer"
        : "/family";

const storageKey = "wx.session";

export function createSessionStore(storage: Storage = localStorage): SessionStore {
  const listeners = new Set<(session: Session | null) => void>();
  let session: Session | null = null;
  let endReason: string | null = null;
  try {
    const saved = JSON.parse(storage.getItem(storageKey) ?? "null") as Session | null;
    if (saved && new Date(saved.expiresAt) > new Date()) session = saved;
  } catch {
    /* a damaged entry just means signing in again */
  }
  return {
    current: () => session,
    set(next) {
      session = next;
      if (next) storage.setItem(storageKey, JSON.stringify(next));
      else storage.removeItem(storageKey);
      listeners.forEach((l) => l(next));
    },
    end(reason) {
      endReason = reason;
      this.set(null);
    },
    takeEndReason() {
      const reason = endReason;
      endReason = null;
      return reason;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
